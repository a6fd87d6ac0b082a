"""Deleting a video in the admin says, before it is confirmed, that YouTube keeps the video (#15).

The admin deletes ytcms's row only; the next report or pull brings the video back. The sentence is
on the single delete page and on the bulk "Delete selected videos" confirmation.
"""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from videos.models import Video

CHANGELIST = reverse("admin:videos_video_changelist")
SINGLE_NOTE = (
    "This removes the video from ytcms only; it stays on YouTube and the next report or pull brings it back."
)
BULK_NOTE = (
    "This removes the selected videos from ytcms only; they stay on YouTube and the next report or "
    "pull brings them back."
)


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "root-password")


def test_single_delete_page_says_youtube_keeps_the_video(client, root, catalogue):
    client.force_login(root)
    response = client.get(reverse("admin:videos_video_delete", args=["a1song00001"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert SINGLE_NOTE in page
    # The note comes before the button that confirms.
    assert page.index(SINGLE_NOTE) < page.index("Yes, I’m sure")


def test_bulk_delete_confirmation_says_youtube_keeps_the_videos(client, root, catalogue):
    client.force_login(root)
    # What the changelist's action form posts when two rows are ticked and "Delete selected" is run.
    response = client.post(
        CHANGELIST,
        {
            "action": "delete_selected",
            "select_across": "0",
            "index": "0",
            ACTION_CHECKBOX_NAME: ["a1song00001", "a2clip00001"],
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert BULK_NOTE in page
    assert page.index(BULK_NOTE) < page.index("Yes, I’m sure")
    assert Video.objects.filter(pk__in=["a1song00001", "a2clip00001"]).count() == 2


def test_confirmed_delete_removes_only_ytcms_row(client, root, catalogue):
    client.force_login(root)
    response = client.post(reverse("admin:videos_video_delete", args=["a1song00001"]), {"post": "yes"})
    assert response.status_code == 302
    assert not Video.objects.filter(pk="a1song00001").exists()


@pytest.mark.parametrize("persona", ["alice", "charlie"])
def test_staff_without_delete_right_never_reach_the_delete_page(client, request, catalogue, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("admin:videos_video_delete", args=["a1song00001"]))
    assert response.status_code in (403, 404)
    assert Video.objects.filter(pk="a1song00001").exists()
