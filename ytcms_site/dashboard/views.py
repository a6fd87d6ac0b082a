"""The JSON the dashboard on the admin index draws (and refetches when a live event says so)."""

from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from ytcms_site.dashboard.selectors import dashboard_data


@require_GET
def dashboard_data_view(request):
    user = request.user
    if not user.is_authenticated:
        return JsonResponse({"error": "Sign in to the admin first."}, status=401)
    if not (user.is_active and user.is_staff):
        return JsonResponse({"error": "The dashboard is for staff accounts."}, status=403)
    response = JsonResponse(dashboard_data(user=user))
    # The figures are the user's scope: never stored by a shared cache, always asked again.
    add_never_cache_headers(response)
    return response
