"""Property: a person who changes ONE field in the video's admin form changes exactly that field.

For random videos (multi-line descriptions, tags, titles) and a random edit of one field, the form
is posted as a browser posts it (every field of the rendered page, textareas with CRLF line
breaks): the edited field, and nothing else, is stored, audited and (if YouTube has it) pending.
"""

import json

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.videos.form_posting import post_change_form
from videos.models import Video
from videos.services import WRITABLE_FIELDS

pytestmark = pytest.mark.django_db

# Text a person or YouTube may hold: any character but controls (line breaks come separately),
# surrogates, unassigned code points, and the < and > YouTube refuses.
CHARACTERS = st.characters(exclude_categories=("Cc", "Cs", "Cn", "Co"), exclude_characters="<>")
LINE = st.text(CHARACTERS, max_size=40)
TITLE = st.text(CHARACTERS, min_size=1, max_size=100).filter(str.strip)
DESCRIPTION = st.lists(LINE, max_size=6).map("\n".join)
TAG = st.text("abcdefghijklmnopqrstuvwxyzé0123456789- ", min_size=1, max_size=15).map(str.strip).filter(bool)
TAGS = st.lists(TAG, max_size=5)
NAMES = st.lists(st.text("abcdefghij ,&'", min_size=1, max_size=20).map(str.strip).filter(bool), max_size=3)


def _form_value(field: str, value):
    """What the person types into the field."""
    if field == "tags":
        return ", ".join(value)
    if field in {"artists", "genres"}:
        return "\n".join(value)
    return value


EDITS = {
    "title": TITLE,
    "description": DESCRIPTION,
    "tags": TAGS,
    "privacy_status": st.sampled_from(["public", "unlisted", "private"]),
    "license": st.sampled_from(["youtube", "creativeCommon"]),
    "embeddable": st.booleans(),
    "notes": DESCRIPTION,
    "artists": NAMES,
}
EDIT = st.sampled_from(sorted(EDITS)).flatmap(lambda field: st.tuples(st.just(field), EDITS[field]))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=TITLE, description=DESCRIPTION, tags=TAGS, edit=EDIT)
def test_one_edited_field_in_the_browser_form_is_the_only_change(
    client, alice, channel_a1, make_video, title, description, tags, edit
):
    field, new_value = edit
    video = make_video(channel_a1, title=title, description=description, tags=tags)
    before = Video.objects.get(pk=video.pk)
    client.force_login(alice)
    response = post_change_form(
        client,
        reverse("admin:videos_video_change", args=[video.pk]),
        edits={field: _form_value(field, new_value)},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    after = Video.objects.get(pk=video.pk)

    changed = getattr(before, field) != new_value
    assert getattr(after, field) == new_value
    for name in {*WRITABLE_FIELDS, "notes", "artists", "genres", "isrc", "custom_id"} - {field}:
        assert getattr(after, name) == getattr(before, name), name
    assert after.pending_fields == ([field] if changed and field in WRITABLE_FIELDS else [])
    entries = list(LogEntry.objects.filter(object_id=video.pk))
    assert [set(json.loads(entry.change_message)[1]["values"]) for entry in entries] == (
        [{field}] if changed else []
    )
