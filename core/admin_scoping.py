"""Shared admin behaviour for objects scoped to content owners and channels."""

from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect


class NotFoundOutsideScopeMixin:
    """An object outside the user's scope is a 404, never a hint that it exists."""

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404(f"No {opts.verbose_name} matches the given query.")


def view_on_site_not_found(request, content_type_id, object_id):
    """Stand in for the admin's "view on site" redirect (/admin/r/<type>/<id>/): always 404.

    No model here has a get_absolute_url, so Django's shortcut could only answer 404, but it looked
    the object up first, in any table and outside the user's scope, and said "doesn't exist" for a
    missing object and "no get_absolute_url" for an existing one. One answer for all, with no
    lookup, tells nothing about another owner's objects.
    """
    raise Http404("No object with a page on the site matches the given query.")


def get_back_to_page(request, page: str) -> HttpResponseRedirect | None:
    """A button's URL opened with GET (a sign-in's ?next=, a bookmark, a reload): back to its page.

    The buttons post; a GET changes nothing, and answering it with a bare 405 left a person who had
    signed in again on an error page.
    """
    if request.method == "POST":
        return None
    messages.info(request, "Nothing was done: press the button on this page to do it.")
    return HttpResponseRedirect(page)


class StaffReadOnlyAdmin(NotFoundOutsideScopeMixin, admin.ModelAdmin):
    """Records anyone on the staff may read (no model permission needed); nobody edits them.

    A record outside the user's scope answers 404, as a missing one does (NotFoundOutsideScopeMixin).
    """

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
