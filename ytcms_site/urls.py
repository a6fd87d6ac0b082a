from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "ytcms"
admin.site.site_title = "ytcms"
admin.site.index_title = "Catalogue"
# The catalogue list needs the width more than the app list needs to be on every page.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
]
