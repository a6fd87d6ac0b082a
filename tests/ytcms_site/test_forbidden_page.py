"""A signed-in person who meets a refusal gets a page that says so, never Django's bare "403 Forbidden"."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def test_a_page_the_role_group_does_not_allow_answers_with_the_admins_look(client, bob, catalogue):
    client.force_login(bob)  # Viewer group: may not add videos

    response = client.get("/admin/videos/video/add/")

    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in page and "Nothing was changed." in page
    assert 'href="/admin/"' in page and "Back to the admin home" in page
    assert "admin/css/base.css" in page  # the admin's own page, not a bare text
    # The site's header and the person's links, as on every admin page (Django's default view gave
    # "Django administration" and no way to sign out).
    assert "Django administration" not in page and ">ytcms" in page
    assert 'id="logout-form"' in page and "bob" in page


def test_the_refusals_reason_is_shown(bob):
    from ytcms_site.error_pages import permission_denied

    request = RequestFactory().get("/admin/somewhere/")
    request.user = bob
    response = permission_denied(request, PermissionDenied("Only a manager of Label A may do this."))

    assert response.status_code == 403
    assert "Only a manager of Label A may do this." in response.content.decode()
