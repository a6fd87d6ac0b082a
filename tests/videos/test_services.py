import json
from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import LogEntry

from videos.models import Video
from videos.services import (
    BulkEdit,
    VideoValidationError,
    video_apply_remote_state,
    video_update,
    videos_acknowledge_drift,
    videos_bulk_edit,
    videos_bulk_edit_preview,
)


@pytest.fixture
def song(channel_a1, make_video):
    return make_video(channel_a1, video_id="song0000001", title="Song", tags=["pop", "live set"])


def test_new_video_matches_youtube_and_has_no_pending_changes(song):
    assert song.pending_fields == []
    assert song.has_pending_changes is False
    assert song.remote_snapshot["tags"] == ["pop", "live set"]


def test_update_keeps_youtube_state_apart_from_what_we_want(song, alice):
    changed = video_update(video=song, changes={"title": "Song (Live)"}, user=alice)
    song.refresh_from_db()
    assert changed == ["title"]
    assert song.title == "Song (Live)"
    assert song.remote_snapshot["title"] == "Song"
    assert song.pending_fields == ["title"]


def test_update_back_to_youtube_value_clears_pending(song, alice):
    video_update(video=song, changes={"title": "Other"}, user=alice)
    video_update(video=song, changes={"title": "Song"}, user=alice)
    song.refresh_from_db()
    assert song.pending_fields == []
    assert not song.has_pending_changes


def test_update_of_own_metadata_is_never_pending(song, alice):
    video_update(video=song, changes={"artists": ["Ana"], "isrc": "us-rc1-76-07839"}, user=alice)
    song.refresh_from_db()
    assert song.isrc == "USRC17607839"
    assert song.pending_fields == []


def test_update_refuses_values_over_a_limit_and_saves_nothing(song, alice):
    with pytest.raises(VideoValidationError) as error:
        video_update(video=song, changes={"title": "Fine", "description": "é" * 2501}, user=alice)
    assert "description is 5,002 bytes; YouTube allows 5,000." in str(error.value)
    song.refresh_from_db()
    assert song.title == "Song"


def test_update_refuses_unknown_fields(song, alice):
    with pytest.raises(VideoValidationError):
        video_update(video=song, changes={"view_count": 5}, user=alice)


def test_publish_at_needs_private_even_when_only_privacy_changes(channel_a1, make_video, alice):
    video = make_video(
        channel_a1,
        video_id="sched000001",
        privacy_status="private",
        publish_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    with pytest.raises(VideoValidationError) as error:
        video_update(video=video, changes={"privacy_status": "public"}, user=alice)
    assert error.value.violations[0].code == "requires_private"


def test_update_records_an_audit_entry(song, alice):
    video_update(video=song, changes={"title": "Audited"}, user=alice)
    entry = LogEntry.objects.get(object_id=song.pk)
    assert entry.user == alice
    assert entry.get_change_message() == "Changed title."
    assert json.loads(entry.change_message)[1]["values"]["title"] == {"old": "Song", "new": "Audited"}


def test_tags_and_artists_are_searchable_keywords(song, alice):
    video_update(video=song, changes={"artists": ["Björk"]}, user=alice)
    song.refresh_from_db()
    assert "BJÖRK" in song.search_keywords and "LIVE SET" in song.search_keywords


def test_remote_state_updates_fields_nobody_edited(song, alice):
    video_update(video=song, changes={"title": "Ours"}, user=alice)
    video_apply_remote_state(
        video=song, remote={"title": "Theirs", "description": "New from YouTube"}, source="report"
    )
    assert song.title == "Ours"  # pending edit kept
    assert song.description == "New from YouTube"  # followed YouTube
    assert song.remote_snapshot["title"] == "Theirs"
    assert song.pending_fields == ["title"]


def test_remote_state_matching_our_edit_clears_pending(song, alice):
    video_update(video=song, changes={"title": "Ours"}, user=alice)
    video_apply_remote_state(video=song, remote={"title": "Ours"}, source="api", etag="e2")
    assert song.pending_fields == []
    assert song.remote_etag == "e2"


def test_edit_of_a_field_youtube_state_does_not_know_stays_pending(channel_a1, alice):
    video = Video.objects.create(
        id="unknown0001", channel=channel_a1, title="T", remote_snapshot={"title": "T"}
    )
    video_update(video=video, changes={"description": "Written here"}, user=alice)
    video.refresh_from_db()
    assert video.pending_fields == ["description"]
    video_update(video=video, changes={"title": "T2"}, user=alice)
    video.refresh_from_db()
    assert video.pending_fields == ["title", "description"]


def test_bulk_preview_lists_old_and_new_values(song):
    preview = videos_bulk_edit_preview(videos=[song], edit=BulkEdit(privacy_status="unlisted"))
    assert preview.rows[0].changes == {"privacy_status": ("public", "unlisted")}
    assert preview.rows[0].is_valid


def test_bulk_add_and_remove_tags_case_insensitively(song):
    edit = BulkEdit(add_tags=("POP", "new"), remove_tags=("LIVE SET",))
    assert edit.changes_for(song) == {"tags": ["pop", "new"]}


def test_bulk_add_tags_over_500_characters_is_flagged(song):
    song.tags = [f"old{i:03d}" for i in range(60)]  # 419 characters; 12 more tags make 503
    edit = BulkEdit(add_tags=tuple(f"tag{i:03d}" for i in range(12)))
    row = videos_bulk_edit_preview(videos=[song], edit=edit).rows[0]
    assert not row.is_valid
    assert row.violations[0].field == "tags"


def test_bulk_add_tags_over_500_characters_by_themselves_are_refused_before_any_video(song):
    # They could fit no video: the edit itself is refused (videos_bulk_edit_validate).
    edit = BulkEdit(add_tags=tuple(f"tag{i:03d}" for i in range(80)))
    with pytest.raises(VideoValidationError) as refused:
        videos_bulk_edit_preview(videos=[song], edit=edit)
    assert [(v.field, v.code) for v in refused.value.violations] == [("add_tags", "too_long")]


def test_bulk_unassignable_category_is_refused_before_any_video(song):
    with pytest.raises(VideoValidationError) as refused:
        videos_bulk_edit_preview(videos=[song], edit=BulkEdit(category_id="44"))
    assert refused.value.violations[0].code == "not_assignable"


def test_bulk_privacy_public_on_a_scheduled_video_is_flagged(channel_a1, make_video):
    video = make_video(
        channel_a1,
        video_id="sched000002",
        privacy_status="private",
        publish_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    row = videos_bulk_edit_preview(videos=[video], edit=BulkEdit(privacy_status="public")).rows[0]
    assert row.violations[0].code == "requires_private"


def test_bulk_edit_saves_and_counts(song, channel_a1, make_video, alice):
    other = make_video(channel_a1, video_id="song0000002", title="Other", privacy_status="unlisted")
    result = videos_bulk_edit(videos=[song, other], edit=BulkEdit(privacy_status="unlisted"), user=alice)
    assert (result.updated, result.skipped_invalid, result.unchanged) == (1, 0, 1)
    song.refresh_from_db()
    assert song.privacy_status == "unlisted"
    assert song.pending_fields == ["privacy_status"]
    assert LogEntry.objects.filter(object_id=song.pk).count() == 1


def test_bulk_find_replace_in_descriptions_only(song, alice):
    video_update(video=song, changes={"description": "Song about a Song"}, user=alice)
    song.refresh_from_db()
    edit = BulkEdit(find="Song", replace="Track", find_in=("description",))
    videos_bulk_edit(videos=[song], edit=edit, user=alice)
    song.refresh_from_db()
    assert song.title == "Song"
    assert song.description == "Track about a Track"


def test_bulk_set_artists(song, alice):
    videos_bulk_edit(videos=[song], edit=BulkEdit(artists=("Ana", "Bo")), user=alice)
    song.refresh_from_db()
    assert song.artists == ["Ana", "Bo"]
    assert "ANA" in song.search_keywords


def test_in_place_edit_of_wanted_tags_does_not_change_the_snapshot(song):
    song.tags.append("extra")
    assert song.remote_snapshot["tags"] == ["pop", "live set"]


def test_youtube_change_between_reads_is_drift(song):
    video_apply_remote_state(video=song, remote={"title": "Renamed in Studio"}, source="report")
    assert song.drifted_fields == ["title"]
    assert song.has_drift
    assert song.title == "Renamed in Studio"  # nobody edited it here: follows YouTube


def test_same_values_on_a_second_read_are_not_drift(song):
    video_apply_remote_state(
        video=song, remote={"title": "Song", "tags": ["pop", "live set"]}, source="report"
    )
    assert song.drifted_fields == []
    assert not song.has_drift


def test_drift_on_a_field_with_a_pending_edit_keeps_our_edit(song, alice):
    video_update(video=song, changes={"title": "Ours"}, user=alice)
    video_apply_remote_state(video=song, remote={"title": "Theirs"}, source="report")
    assert song.title == "Ours"
    assert song.drifted_fields == ["title"]


def test_first_read_of_a_field_is_not_drift(channel_a1, alice):
    video = Video.objects.create(
        id="firstread01", channel=channel_a1, title="T", remote_snapshot={"title": "T"}
    )
    video_apply_remote_state(video=video, remote={"description": "Known now"}, source="report")
    assert not video.has_drift


def test_acknowledge_drift_clears_it_and_records_who(song, alice):
    video_apply_remote_state(video=song, remote={"title": "Renamed in Studio"}, source="report")
    song.save()
    assert videos_acknowledge_drift(videos=[song], user=alice) == 1
    song.refresh_from_db()
    assert (song.has_drift, song.drifted_fields) == (False, [])
    assert LogEntry.objects.filter(object_id=song.pk, user=alice).exists()
