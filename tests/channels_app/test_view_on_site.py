"""/admin/r/<content type>/<object id>/ (Django's "view on site" redirect) tells nothing.

charlie gets the very same 404 for owner A's video as for an id nobody ever used, even on a
development server whose 404 page prints the reason.
"""

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType

from videos.models import Video

pytestmark = pytest.mark.django_db


def view_on_site(client, model, object_id: str):
    content_type = ContentType.objects.get_for_model(model)
    return client.get(f"/admin/r/{content_type.pk}/{object_id}/")


@pytest.mark.parametrize("debug", [False, True])
def test_a_foreign_video_answers_like_a_missing_one(debug, settings, client, charlie, catalogue):
    settings.DEBUG = debug  # DEBUG's 404 page shows the reason a view gave
    client.force_login(charlie)
    foreign = view_on_site(client, Video, "a1song00001")
    missing = view_on_site(client, Video, "nosuchvideo")
    assert foreign.status_code == missing.status_code == 404
    # The pages differ only by the id in the address they quote.
    assert foreign.content.replace(b"a1song00001", b"ID") == missing.content.replace(b"nosuchvideo", b"ID")
    assert b"Midnight Song" not in foreign.content


def test_an_own_video_has_no_page_on_the_site_either(client, alice, catalogue):
    client.force_login(alice)
    assert view_on_site(client, Video, "a1song00001").status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client, catalogue):
    response = view_on_site(client, Video, "a1song00001")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_no_admin_page_offers_view_on_site():
    # The redirect answers 404 for everything; a model with a get_absolute_url would need it back,
    # scoped by the selectors.
    assert [model for model in admin.site._registry if hasattr(model, "get_absolute_url")] == []
