"""The three personas over the video admin: list, form, search, actions.

alice manages owner A (channels A1, A2); bob views channel A1; charlie manages owner B.
"""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from videos.models import Video

CHANGELIST = reverse("admin:videos_video_changelist")


def change_url(video_id):
    return reverse("admin:videos_video_change", args=[video_id])


def listed_ids(response):
    return {video.pk for video in response.context["cl"].result_list}


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_owner_manager_lists_all_videos_of_her_owner(as_user, alice, catalogue):
    response = as_user(alice).get(CHANGELIST)
    assert response.status_code == 200
    assert listed_ids(response) == {"a1song00001", "a1live00001", "a2clip00001"}


def test_channel_viewer_lists_only_his_channel(as_user, bob, catalogue):
    response = as_user(bob).get(CHANGELIST)
    assert listed_ids(response) == {"a1song00001", "a1live00001"}


def test_outsider_lists_only_his_own_owner(as_user, charlie, catalogue):
    response = as_user(charlie).get(CHANGELIST)
    assert listed_ids(response) == {"b1secret001"}


def test_search_never_crosses_the_scope(as_user, alice, catalogue):
    response = as_user(alice).get(CHANGELIST, {"q": "midnight"})
    assert listed_ids(response) == {"a1song00001"}


def test_outsider_search_for_a_guessed_id_finds_nothing(as_user, charlie, catalogue):
    response = as_user(charlie).get(CHANGELIST, {"q": "a1song00001"})
    assert listed_ids(response) == set()


def test_search_by_exact_video_id(as_user, alice, catalogue):
    response = as_user(alice).get(CHANGELIST, {"q": "a2clip00001"})
    assert listed_ids(response) == {"a2clip00001"}


def test_search_by_tag(as_user, alice, catalogue):
    response = as_user(alice).get(CHANGELIST, {"q": "night"})
    assert "a1song00001" in listed_ids(response)


def test_outsider_guessing_a_video_url_gets_404(as_user, charlie, catalogue):
    response = as_user(charlie).get(change_url("a1song00001"))
    assert response.status_code == 404


def test_outsider_guessing_history_url_gets_404(as_user, charlie, catalogue):
    response = as_user(charlie).get(reverse("admin:videos_video_history", args=["a1song00001"]))
    assert response.status_code == 404


def test_viewer_sees_the_form_read_only(as_user, bob, catalogue):
    response = as_user(bob).get(change_url("a1song00001"))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert b'name="title"' not in response.content


def test_viewer_cannot_save_a_change(as_user, bob, catalogue):
    response = as_user(bob).post(change_url("a1song00001"), {"title": "Hacked"})
    assert response.status_code == 403
    assert Video.objects.get(pk="a1song00001").title == "Midnight Song"


def test_viewer_of_a1_cannot_open_a2(as_user, bob, catalogue):
    assert as_user(bob).get(change_url("a2clip00001")).status_code == 404


def change_form_data(video, **overrides):
    data = {
        "title": video.title,
        "description": video.description,
        "tags": ", ".join(video.tags),
        "category_id": video.category_id,
        "default_language": video.default_language,
        "localizations": "{}",
        "privacy_status": video.privacy_status,
        "embeddable": "on",
        "public_stats_viewable": "on",
        "license": video.license,
        "self_declared_made_for_kids": "false",
        "contains_synthetic_media": "false",
        "artists": "",
        "genres": "",
        "isrc": "",
        "custom_id": "",
        "notes": "",
        "claims-TOTAL_FORMS": "0",
        "claims-INITIAL_FORMS": "0",
        "claims-MIN_NUM_FORMS": "0",
        "claims-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_manager_edit_changes_what_we_want_and_marks_it_pending(as_user, alice, catalogue):
    video = catalogue["a1_song"]
    response = as_user(alice).post(
        change_url(video.pk), change_form_data(video, title="Midnight Song (Remastered)")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    video.refresh_from_db()
    assert video.title == "Midnight Song (Remastered)"
    assert video.remote_snapshot["title"] == "Midnight Song"
    assert video.pending_fields == ["title"]
    assert video.has_pending_changes


def test_an_admin_save_locks_the_row_it_reads_before_writing_it(as_user, alice, catalogue):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): SQLite has no row locks")
    video = catalogue["a1_song"]
    with CaptureQueriesContext(connection) as captured:
        response = as_user(alice).post(change_url(video.pk), change_form_data(video, title="Locked Title"))
    assert response.status_code == 302
    sqls = [query["sql"] for query in captured.captured_queries]
    locked = [n for n, sql in enumerate(sqls) if "FOR UPDATE" in sql and '"videos_video"' in sql]
    written = [n for n, sql in enumerate(sqls) if sql.startswith('UPDATE "videos_video"')]
    assert locked and written and locked[0] < written[0]


def test_manager_edit_over_youtube_limit_is_refused_with_the_measure(as_user, alice, catalogue):
    video = catalogue["a1_song"]
    response = as_user(alice).post(change_url(video.pk), change_form_data(video, title="x" * 101))
    assert response.status_code == 200
    assert "title is 101 characters; YouTube allows 100." in response.content.decode()
    video.refresh_from_db()
    assert video.title == "Midnight Song"


def test_manager_cannot_set_an_unassignable_category(as_user, alice, catalogue):
    video = catalogue["a1_song"]
    response = as_user(alice).post(change_url(video.pk), change_form_data(video, category_id="30"))
    assert response.status_code == 200
    video.refresh_from_db()
    assert video.category_id == "10"


def test_form_shows_pending_changes_field_by_field(as_user, alice, catalogue):
    video = catalogue["a1_song"]
    as_user(alice).post(change_url(video.pk), change_form_data(video, title="New Title"))
    page = as_user(alice).get(change_url(video.pk)).content.decode()
    assert "ytcms-pending-table" in page
    assert "Midnight Song" in page and "New Title" in page


def test_list_marks_pending_videos(as_user, alice, catalogue):
    video = catalogue["a1_song"]
    as_user(alice).post(change_url(video.pk), change_form_data(video, title="New Title"))
    page = as_user(alice).get(CHANGELIST).content.decode()
    assert page.count('class="ytcms-pending"') == 1


def test_pending_filter(as_user, alice, catalogue):
    video = catalogue["a1_song"]
    as_user(alice).post(change_url(video.pk), change_form_data(video, title="New Title"))
    response = as_user(alice).get(CHANGELIST, {"pending": "yes"})
    assert listed_ids(response) == {video.pk}


def test_category_filter_by_name(as_user, alice, catalogue, make_video, channel_a1):
    make_video(channel_a1, video_id="a1sport0001", title="Match", category_id="17")
    response = as_user(alice).get(CHANGELIST, {"category": "17"})
    assert listed_ids(response) == {"a1sport0001"}
    assert "Sports" in response.content.decode()


def test_channel_filter_lists_only_visible_channels(as_user, bob, catalogue):
    page = as_user(bob).get(CHANGELIST).content.decode()
    assert "A One" in page
    assert "B One" not in page and "A Two" not in page


def _bulk_post(client, ids, **fields):
    data = {"action": "bulk_edit", ACTION_CHECKBOX_NAME: ids, "select_across": "0"}
    data.update(fields)
    return client.post(CHANGELIST, data)


def test_bulk_edit_action_hidden_from_viewers(as_user, bob, catalogue):
    response = as_user(bob).get(CHANGELIST)
    assert "bulk_edit" not in dict(
        response.context["cl"].model_admin.get_action_choices(response.wsgi_request)
    )


def test_bulk_edit_shows_form_then_preview_without_saving(as_user, alice, catalogue):
    client = as_user(alice)
    ids = ["a1song00001", "a1live00001"]
    first = _bulk_post(client, ids, index="0")
    assert first.status_code == 200
    assert "Bulk edit videos" in first.content.decode()

    preview = _bulk_post(client, ids, bulk_edit_step="preview", privacy_status="unlisted", find_in=["title"])
    page = preview.content.decode()
    assert preview.status_code == 200
    assert 'id="bulk-edit-preview"' in page
    assert page.count('data-video="a1') == 2
    assert Video.objects.get(pk="a1song00001").privacy_status == "public"


def test_bulk_edit_apply_saves_valid_videos_and_skips_those_over_a_limit(
    as_user, alice, catalogue, make_video, channel_a1
):
    long_title = "L" * 95 + " Song"  # 100 chars: replacing "Song" with "Recording" breaks the limit
    make_video(channel_a1, video_id="a1long00001", title=long_title)
    client = as_user(alice)
    ids = ["a1song00001", "a1long00001"]
    preview = _bulk_post(
        client, ids, bulk_edit_step="preview", find="Song", replace="Recording", find_in=["title"]
    )
    assert "title is 105 characters; YouTube allows 100." in preview.content.decode()

    response = _bulk_post(
        client, ids, bulk_edit_step="apply", find="Song", replace="Recording", find_in=["title"]
    )
    assert response.status_code == 302
    assert Video.objects.get(pk="a1song00001").title == "Midnight Recording"
    assert Video.objects.get(pk="a1long00001").title == long_title


def test_bulk_edit_leaves_out_videos_the_user_may_only_view(
    as_user, django_user_model, catalogue, channel_a1, channel_a2
):
    from django.contrib.auth.models import Group

    from channels_app.models import Membership

    dana = django_user_model.objects.create_user("dana", password="pw", is_staff=True)
    dana.groups.add(Group.objects.get(name="Rights manager"))
    Membership.objects.create(user=dana, channel=channel_a1, role="editor")
    Membership.objects.create(user=dana, channel=channel_a2, role="viewer")
    client = as_user(dana)
    response = _bulk_post(
        client, ["a1song00001", "a2clip00001"], bulk_edit_step="apply", add_tags="bulk", find_in=["title"]
    )
    assert response.status_code == 302
    assert "bulk" in Video.objects.get(pk="a1song00001").tags
    assert "bulk" not in Video.objects.get(pk="a2clip00001").tags


def test_outsider_cannot_bulk_edit_foreign_ids(as_user, charlie, catalogue):
    client = as_user(charlie)
    _bulk_post(client, ["a1song00001"], bulk_edit_step="apply", privacy_status="private", find_in=["title"])
    assert Video.objects.get(pk="a1song00001").privacy_status == "public"


def test_bulk_edit_over_the_limit_is_refused(as_user, alice, catalogue, settings):
    settings.BULK_EDIT_MAX_VIDEOS = 1
    response = _bulk_post(as_user(alice), ["a1song00001", "a1live00001"], index="0")
    assert response.status_code == 302
    assert Video.objects.get(pk="a1song00001").privacy_status == "public"


def test_video_autocomplete_is_scoped(as_user, charlie, catalogue):
    response = as_user(charlie).get(
        "/admin/autocomplete/",
        {"app_label": "videos", "model_name": "claim", "field_name": "video", "term": "midnight"},
    )
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == ["b1secret001"]


def _drift(video, **remote):
    from videos.services import video_apply_remote_state

    video_apply_remote_state(video=video, remote=remote, source="report")
    video.save()


def test_drift_filter_and_marker(as_user, alice, catalogue):
    _drift(catalogue["a1_live"], title="Live at Dusk")
    client = as_user(alice)
    response = client.get(CHANGELIST, {"drift": "yes"})
    assert listed_ids(response) == {"a1live00001"}
    assert 'class="ytcms-drift"' in response.content.decode()


def test_acknowledge_drift_action(as_user, alice, catalogue):
    _drift(catalogue["a1_live"], title="Live at Dusk")
    client = as_user(alice)
    response = client.post(
        CHANGELIST, {"action": "acknowledge_drift", ACTION_CHECKBOX_NAME: ["a1live00001"], "index": "0"}
    )
    assert response.status_code == 302
    assert not Video.objects.get(pk="a1live00001").has_drift


def test_viewer_cannot_acknowledge_drift(as_user, bob, catalogue):
    _drift(catalogue["a1_live"], title="Live at Dusk")
    as_user(bob).post(
        CHANGELIST, {"action": "acknowledge_drift", ACTION_CHECKBOX_NAME: ["a1live00001"], "index": "0"}
    )
    assert Video.objects.get(pk="a1live00001").has_drift


def test_the_video_page_groups_youtubes_counts_by_thousands(as_user, alice, charlie, catalogue):
    # The counts a pull or a report brought in from YouTube.
    Video.objects.filter(pk="a1song00001").update(view_count=12250, like_count=1000, comment_count=999)

    page = as_user(alice).get(change_url("a1song00001")).content.decode()

    shown = {
        name: re.search(
            rf'fieldBox field-{name}\b[^>]*>.*?<div class="readonly">(.*?)</div>', page, re.S
        ).group(1)
        for name in ("view_count", "like_count", "comment_count")
    }
    assert shown == {"view_count": "12,250", "like_count": "1,000", "comment_count": "999"}
    assert ">View count:<" in page
    assert as_user(charlie).get(change_url("a1song00001")).status_code == 404
