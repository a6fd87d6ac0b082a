"""The site's own 403 page: the admin's look, header and user links, with the refusal's reason.

Django's default view renders templates/403.html with the exception alone, so the admin's
base_site.html had no site header ("Django administration"), no user links and no live indicator.
"""

from django.contrib import admin
from django.http import HttpResponseForbidden
from django.template import loader


def permission_denied(request, exception=None):
    context = {"exception": str(exception) if exception and str(exception) else ""}
    if getattr(request, "user", None) is not None and request.user.is_active and request.user.is_staff:
        context = {**admin.site.each_context(request), **context}
    else:
        context.update(site_header=admin.site.site_header, site_title=admin.site.site_title)
    template = loader.get_template("403.html")
    return HttpResponseForbidden(template.render(context, request))
