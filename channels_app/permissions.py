"""Who may use the API at all: the tenancy rule (`user_may_use_site`) as DRF permissions and the
per-token throttle. The settings name these in REST_FRAMEWORK; which rows a user sees is the
selectors' answer, never these classes'."""

from django.conf import settings
from rest_framework import permissions, throttling

from channels_app.models import ApiToken
from channels_app.selectors import user_may_use_site
from core.api import throttle_cache


def request_may_use_site(request) -> bool:
    """`user_may_use_site` for this request: a session is asked here, a token when it authenticated.

    Checked on every request, so a session whose user lost the staff flag or every membership
    since signing in stops at once; a token's check already ran (ApiTokenAuthentication), and
    asking again would cost a second query per request.
    """
    return isinstance(request.auth, ApiToken) or user_may_use_site(user=request.user)


class CatalogueReadPermission(permissions.BasePermission):
    """May use the site (`user_may_use_site`) and holds the model's view permission, as the admin requires.

    Which rows a user sees is not decided here but by the view's queryset (the selectors), so an
    object outside the user's memberships is a 404, never a 403. Writes check the edit rules in
    the view, after the object was found.
    """

    message = "Your account may not read this part of the catalogue."

    def has_permission(self, request, view):
        user = request.user
        if not request_may_use_site(request):
            return False
        model = getattr(view, "model", None)
        if model is None:
            return True
        return user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}")


class StaffRecordsPermission(permissions.BasePermission):
    """May use the site (active staff with a membership, or a superuser): the admin lets every
    staff user read change sets, the audit trail and the quota ledger (StaffReadOnlyAdmin), with
    no model permission; the selectors decide which rows, and actions check their own rules
    (changeset_may_act)."""

    message = "Your account may not read change sets, the audit trail or the quota."

    def has_permission(self, request, view):
        return request_may_use_site(request)


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """API_THROTTLE_TOKEN for each token, so one script cannot spend its owner's allowance."""

    scope = "token"
    cache = throttle_cache

    def get_rate(self):
        return settings.API_THROTTLE_TOKEN

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None  # a browser session: only the user throttle applies
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
