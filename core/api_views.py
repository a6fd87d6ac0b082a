"""The base viewsets every app's API builds on (apart from core/api.py: DRF loads that module while
rest_framework.views is still importing, so it must not import the views)."""

import re

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.exceptions import NotFound

from core.api import KeysetOrderingFilter

# Ids of assets, claims and policies: YouTube's, up to 64 characters.
CONTENT_ID_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


class ScopedLookupMixin:
    # A malformed id is a 404 like any id the user may not see, and never reaches the database.
    # The route takes any id (the router's default refuses dots) so that the 404 is ours, in JSON.

    lookup_pattern = CONTENT_ID_PATTERN
    lookup_value_regex = "[^/]+"

    def get_object(self):
        if not self.lookup_pattern.fullmatch(str(self.kwargs.get(self.lookup_field, ""))):
            raise NotFound("No such object among those you may see.")
        return super().get_object()


class CatalogueReadOnlyViewSet(ScopedLookupMixin, viewsets.ReadOnlyModelViewSet):
    filter_backends = [KeysetOrderingFilter, DjangoFilterBackend]
    keyset_orderings = ("id",)
