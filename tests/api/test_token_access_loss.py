"""A token or an API session works only while its user may still use the site.

Deactivating alice, taking her staff flag or her last membership stops the token she made before
(401, the token no longer authenticates) and her signed-in browser session (403 or 401 as DRF
answers): listing, editing a video and uploading a report alike, with nothing written.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from channels_app.models import Membership
from reports.models import Report
from tests.api.conftest import error_codes
from tests.conftest import channel_id
from videos.models import Video

pytestmark = pytest.mark.django_db

VIDEOS = "/api/v1/videos/"
REPORTS = "/api/v1/reports/"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def take_away(user, how: str) -> None:
    if how == "deactivated":
        user.is_active = False
        user.save()
    elif how == "staff flag removed":
        user.is_staff = False
        user.save()
    elif how == "memberships removed":
        Membership.objects.filter(user=user).delete()


def report_file() -> SimpleUploadedFile:
    data = f"video_id,channel_id,video_title\nabcdefghij1,{channel_id('a')},A title\n".encode()
    return SimpleUploadedFile("a4.csv", data, content_type="application/octet-stream")


def attempts(client, owner_a):
    """List, PATCH one of alice's videos, upload a report: what a script of hers does."""
    return {
        "list": client.get(VIDEOS),
        "patch": client.patch(f"{VIDEOS}a1song00001/", {"notes": "after"}, format="json"),
        "upload": client.post(
            REPORTS, {"file": report_file(), "content_owner": owner_a.pk}, format="multipart"
        ),
    }


HOW = ["deactivated", "staff flag removed", "memberships removed"]


def test_the_token_works_while_access_lasts(catalogue, owner_a, alice_api):
    answers = attempts(alice_api, owner_a)
    assert [answers[name].status_code for name in ("list", "patch", "upload")] == [200, 200, 202]


@pytest.mark.parametrize("how", HOW)
def test_losing_access_stops_an_existing_token(how, catalogue, owner_a, alice, alice_api):
    take_away(alice, how)
    answers = attempts(alice_api, owner_a)
    for name, response in answers.items():
        assert response.status_code == 401, (name, response.content)
        code = "user_inactive" if how == "deactivated" else "user_without_access"
        assert error_codes(response) == [(None, code)], name
    assert Video.objects.get(pk="a1song00001").notes == ""
    assert not Report.objects.exists()


@pytest.mark.parametrize("how", HOW)
def test_losing_access_stops_a_signed_in_session(how, catalogue, owner_a, alice):
    browser = APIClient()
    browser.force_login(alice)
    assert browser.get(VIDEOS).status_code == 200
    take_away(alice, how)
    answers = attempts(browser, owner_a)
    for name, response in answers.items():
        # A deactivated user's session no longer signs anyone in (401, DRF's answer to no
        # credentials); a staff flag or membership lost leaves a signed-in user who may not (403).
        expected = 401 if how == "deactivated" else 403
        assert response.status_code == expected, (name, response.content)
    assert Video.objects.get(pk="a1song00001").notes == ""
    assert not Report.objects.exists()


def test_a_superuser_without_memberships_keeps_the_api(catalogue, root_api):
    assert root_api.get(VIDEOS).status_code == 200


def test_other_users_tokens_are_untouched(catalogue, alice, bob, bob_api):
    take_away(alice, "memberships removed")
    assert bob_api.get(VIDEOS).status_code == 200
