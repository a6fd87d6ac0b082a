from django import template

register = template.Library()


@register.filter
def thousands(value):
    """1234567 -> "1,234,567" without turning on USE_THOUSAND_SEPARATOR site-wide."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return value


@register.filter
def as_text(value):
    """A field value as a person reads it: lists joined with commas, empties named."""
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or "(none)"
    if value in ("", None):
        return "(empty)"
    return value
