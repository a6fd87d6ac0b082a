"""Who sees and changes what through the API: alice manages owner A, bob views channel A1,
charlie manages owner B and must see nothing of A; objects outside one's scope are 404s."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from channels_app.models import Membership, Role
from tests.api.conftest import error_codes, ids

pytestmark = pytest.mark.django_db

A_VIDEOS = {"a1song00001", "a1live00001", "a2clip00001"}
A1_VIDEOS = {"a1song00001", "a1live00001"}
B_VIDEOS = {"b1secret001"}

# (endpoint, what alice sees, what bob sees, what charlie sees)
LISTS = [
    ("/api/v1/videos/", A_VIDEOS, A1_VIDEOS, B_VIDEOS),
    (
        "/api/v1/channels/",
        {"UCaaaaaaaaaaaaaaaaaaaaaa", "UCbbbbbbbbbbbbbbbbbbbbbb"},
        {"UCaaaaaaaaaaaaaaaaaaaaaa"},
        {"UCcccccccccccccccccccccc"},
    ),
    ("/api/v1/content-owners/", {"owner-a"}, {"owner-a"}, {"owner-b"}),
    ("/api/v1/assets/", {"A100000000001"}, {"A100000000001"}, {"B200000000001"}),
    ("/api/v1/policies/", {"policy-a"}, {"policy-a"}, {"policy-b"}),
    ("/api/v1/claims/", {"claim-a1"}, {"claim-a1"}, {"claim-b1"}),
]


@pytest.mark.parametrize(("endpoint", "alice_sees", "bob_sees", "charlie_sees"), LISTS)
def test_each_list_shows_only_the_personas_scope(
    endpoint, alice_sees, bob_sees, charlie_sees, rights, alice_api, bob_api, charlie_api
):
    assert set(ids(alice_api.get(endpoint))) == alice_sees
    assert set(ids(bob_api.get(endpoint))) == bob_sees
    assert set(ids(charlie_api.get(endpoint))) == charlie_sees


@pytest.mark.parametrize(("endpoint", "alice_sees", "bob_sees", "charlie_sees"), LISTS)
def test_superuser_lists_everything(endpoint, alice_sees, bob_sees, charlie_sees, rights, root_api):
    assert set(ids(root_api.get(endpoint))) == alice_sees | charlie_sees


@pytest.mark.parametrize(("endpoint", "alice_sees", "bob_sees", "charlie_sees"), LISTS)
def test_retrieve_by_id_outside_scope_is_404_like_an_unknown_id(
    endpoint, alice_sees, bob_sees, charlie_sees, rights, alice_api, bob_api, charlie_api
):
    for object_id in alice_sees:
        assert alice_api.get(f"{endpoint}{object_id}/").status_code == 200
        outsider = charlie_api.get(f"{endpoint}{object_id}/")
        assert outsider.status_code == 404
        assert error_codes(outsider) == [(None, "not_found")]
    for object_id in charlie_sees:
        assert alice_api.get(f"{endpoint}{object_id}/").status_code == 404
        assert bob_api.get(f"{endpoint}{object_id}/").status_code == 404
    for object_id in alice_sees - bob_sees:
        assert bob_api.get(f"{endpoint}{object_id}/").status_code == 404
    # The outsider's 404 says exactly what an id that exists nowhere says.
    some_id = next(iter(alice_sees))
    unknown_id = some_id[:-1] + ("x" if some_id[-1] != "x" else "y")
    assert (
        charlie_api.get(f"{endpoint}{unknown_id}/").json() == charlie_api.get(f"{endpoint}{some_id}/").json()
    )


@pytest.mark.parametrize("endpoint", [row[0] for row in LISTS])
def test_requests_without_credentials_are_401(endpoint, rights):
    response = APIClient().get(endpoint)
    assert response.status_code == 401
    assert error_codes(response) == [(None, "not_authenticated")]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("endpoint", [row[0] for row in LISTS])
def test_a_member_without_a_role_group_may_not_read(endpoint, rights, django_user_model, owner_a, api_for):
    # A membership alone is not enough: like the admin, the API wants the model's view permission.
    dave = django_user_model.objects.create_user(username="dave", password="pw", is_staff=True)
    Membership.objects.create(user=dave, content_owner=owner_a, role=Role.MANAGER)
    response = api_for(dave).get(endpoint)
    assert response.status_code == 403
    assert error_codes(response) == [(None, "permission_denied")]


def test_alice_may_patch_her_videos(catalogue, alice_api):
    for video_id in A_VIDEOS:
        response = alice_api.patch(f"/api/v1/videos/{video_id}/", {"notes": "checked"})
        assert response.status_code == 200, response.content
        assert response.json()["notes"] == "checked"


def test_bob_the_viewer_may_read_but_not_patch(catalogue, bob_api):
    assert bob_api.get("/api/v1/videos/a1song00001/").status_code == 200
    response = bob_api.patch("/api/v1/videos/a1song00001/", {"title": "Mine now"})
    assert response.status_code == 403
    assert error_codes(response) == [(None, "permission_denied")]
    catalogue["a1_song"].refresh_from_db()
    assert catalogue["a1_song"].title == "Midnight Song"


def test_an_editor_role_is_enough_to_patch(catalogue, bob, bob_api):
    bob.groups.add(Group.objects.get(name="Rights manager"))
    Membership.objects.filter(user=bob).update(role=Role.EDITOR)
    response = bob_api.patch("/api/v1/videos/a1song00001/", {"title": "Edited by bob"})
    assert response.status_code == 200, response.content


def test_patch_outside_scope_is_404_and_changes_nothing(catalogue, charlie_api, bob_api):
    assert charlie_api.patch("/api/v1/videos/a1song00001/", {"title": "Stolen"}).status_code == 404
    # bob sees A1 only: A2's video is as unknown to him as to charlie.
    assert bob_api.patch("/api/v1/videos/a2clip00001/", {"title": "Stolen"}).status_code == 404
    catalogue["a1_song"].refresh_from_db()
    assert catalogue["a1_song"].title == "Midnight Song"


def test_patch_of_a_malformed_id_is_404(catalogue, alice_api):
    assert alice_api.patch("/api/v1/videos/not-an-id/", {"title": "x"}).status_code == 404
    assert alice_api.get("/api/v1/videos/a1song00001x/").status_code == 404


def test_read_only_endpoints_refuse_writes(rights, alice_api):
    for endpoint in ("/api/v1/channels/UCaaaaaaaaaaaaaaaaaaaaaa/", "/api/v1/assets/A100000000001/"):
        assert alice_api.patch(endpoint, {"title": "x"}).status_code == 405
        assert alice_api.delete(endpoint).status_code == 405
    assert alice_api.put("/api/v1/videos/a1song00001/", {"title": "x"}).status_code == 405
    assert alice_api.delete("/api/v1/videos/a1song00001/").status_code == 405


BULK = "/api/v1/videos/bulk-edit/"


def test_bulk_edit_preview_for_alice(catalogue, alice_api):
    response = alice_api.post(BULK, {"video_ids": sorted(A_VIDEOS), "edit": {"privacy_status": "unlisted"}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["preview"] is True and body["selected"] == 3 and body["changing"] == 3


def test_bulk_edit_with_another_owners_video_is_refused_as_not_found(catalogue, alice_api, charlie_api):
    for client, video_ids in (
        (alice_api, ["a1song00001", "b1secret001"]),
        (charlie_api, ["a1song00001"]),
    ):
        response = client.post(BULK, {"video_ids": video_ids, "edit": {"privacy_status": "private"}})
        assert response.status_code == 400
        assert error_codes(response) == [("video_ids", "not_found")]
    # The same answer as for a video that exists nowhere.
    unknown = charlie_api.post(BULK, {"video_ids": ["zzzzzzzzzzz"], "edit": {"privacy_status": "private"}})
    assert error_codes(unknown) == [("video_ids", "not_found")]


def test_bulk_edit_by_a_viewer_is_403(catalogue, bob_api):
    response = bob_api.post(BULK, {"video_ids": ["a1song00001"], "edit": {"privacy_status": "private"}})
    assert response.status_code == 403
