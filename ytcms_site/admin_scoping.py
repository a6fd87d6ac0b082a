"""Shared admin behaviour for objects scoped to content owners and channels."""

from django.http import Http404


class NotFoundOutsideScopeMixin:
    """An object outside the user's scope is a 404, never a hint that it exists."""

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404(f"No {opts.verbose_name} matches the given query.")
