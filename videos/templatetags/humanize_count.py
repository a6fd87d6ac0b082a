from django import template

register = template.Library()


@register.filter
def thousands(value):
    """1234567 -> "1,234,567" without turning on USE_THOUSAND_SEPARATOR site-wide."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return value
