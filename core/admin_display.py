"""How the admin shows values: the one rule for read-only counters (3,356, not 3356)."""

from functools import cache

from django.contrib import admin


@cache
def counter_display(model, name: str):
    """A read-only admin field showing the integer field `name` grouped by thousands.

    Django shows a read-only IntegerField with number_format, which groups only when
    USE_THOUSAND_SEPARATOR is on site-wide (it would then group ids in URLs too). The callable keeps
    the field's name, so the page's `.field-<name>` box (which live updates look for) is unchanged.
    One object per model and field: the admin matches fieldset entries to read-only fields by identity.
    """

    def display(obj):
        value = getattr(obj, name)
        return None if value is None else f"{value:,}"

    display.__name__ = name
    return admin.display(description=model._meta.get_field(name).verbose_name, ordering=name)(display)


class CountersDisplayMixin:
    """ModelAdmin mixin: the integer fields named in `counter_fields` show as 3,356, on the object's
    page (read-only) and in the list's columns alike."""

    counter_fields: tuple[str, ...] = ()

    def _shown(self, entry):
        if isinstance(entry, str):
            return counter_display(self.model, entry) if entry in self.counter_fields else entry
        return tuple(self._shown(part) for part in entry)

    def get_list_display(self, request):
        return tuple(self._shown(name) for name in super().get_list_display(request))

    def get_readonly_fields(self, request, obj=None):
        return tuple(self._shown(name) for name in super().get_readonly_fields(request, obj))

    def get_fieldsets(self, request, obj=None):
        return [
            (title, {**options, "fields": tuple(self._shown(line) for line in options["fields"])})
            for title, options in super().get_fieldsets(request, obj)
        ]
