from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.admin_scoping import view_on_site_not_found
from syncs.views import youtube_oauth_callback
from ytcms_site.api import api_not_found, api_router
from ytcms_site.dashboard.views import dashboard_data_view
from ytcms_site.error_pages import permission_denied
from ytcms_site.health import healthz, readyz

# Say plainly when the YouTube behind the site is the local emulator, not Google.
admin.site.site_header = "ytcms · YouTube emulator" if settings.YOUTUBE_EMULATOR else "ytcms"
admin.site.site_title = "ytcms"
admin.site.index_title = "Catalogue"
# The catalogue list needs the width more than the app list needs to be on every page.
admin.site.enable_nav_sidebar = False

handler403 = permission_denied

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    # The admin index's dashboard figures (before admin/, whose catch-all would answer first).
    path("admin/dashboard/data/", dashboard_data_view, name="dashboard_data"),
    # Django's "view on site" shortcut would look up any object of any type (see the view).
    path("admin/r/<path:content_type_id>/<path:object_id>/", admin.site.admin_view(view_on_site_not_found)),
    path("admin/", admin.site.urls),
    # Probes for load balancers and monitoring: no login, no redirect to HTTPS (docs/operations.md#health).
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    # The redirect URI registered with the OAuth client (YOUTUBE_OAUTH_REDIRECT_URI).
    path("oauth/youtube/callback/", youtube_oauth_callback, name="youtube_oauth_callback"),
    # The API (ytcms_site/api.py), its OpenAPI 3 schema and Swagger UI (served offline).
    path("api/v1/", include(api_router().urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/", api_not_found),
]
