"""Property: after a push, YouTube's video differs from before in exactly the edited fields."""

import itertools
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.push import changeset_push, resource_values
from syncs.changesets.services import changeset_queue
from syncs.models import ChangeSet, ChangeSetItem, YouTubeCredential
from syncs.youtube.mapping import video_resource_from_fields
from tests.conftest import remote_state
from videos.services import video_create

pytestmark = pytest.mark.django_db

_numbers = itertools.count()
PARTS = ("snippet", "status")
_words = st.text(alphabet=string.ascii_letters, min_size=1, max_size=12)

video_states = st.fixed_dictionaries(
    {
        "title": st.text(alphabet=string.ascii_letters + " ", min_size=1, max_size=100).filter(str.strip),
        "description": st.text(alphabet=string.ascii_letters + " \n.", max_size=300),
        "tags": st.lists(_words, max_size=6, unique=True),
        "privacy_status": st.sampled_from(["public", "unlisted", "private"]),
        "embeddable": st.booleans(),
        "public_stats_viewable": st.booleans(),
        "license": st.sampled_from(["youtube", "creativeCommon"]),
        "self_declared_made_for_kids": st.booleans(),
        "contains_synthetic_media": st.booleans(),
        "default_language": st.sampled_from(["en", "fr", "de"]),
    }
)


@st.composite
def video_and_edits(draw):
    before = draw(video_states)
    wanted = draw(video_states)
    fields = draw(st.sets(st.sampled_from(sorted(wanted)), min_size=1))
    return before, {name: wanted[name] for name in fields}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=video_and_edits())
def test_a_push_changes_exactly_the_edited_fields(emulator, channel_a1, owner_a, alice, connect, case):
    before_fields, edits = case
    if not YouTubeCredential.objects.filter(owner=owner_a).exists():
        connect(owner_a)
    video_id = f"hyp{next(_numbers):08d}"
    fields = remote_state(**before_fields)
    emulator.state.load(
        {"videos": [video_resource_from_fields(video_id=video_id, channel_id=channel_a1.pk, fields=fields)]}
    )
    video = video_create(channel=channel_a1, video_id=video_id, remote=fields, source="api")
    before = resource_values(emulator.state.video(video_id), PARTS)

    video_update(video=video, changes=edits, user=alice)
    changeset = ChangeSet.objects.filter(status=ChangeSet.Status.DRAFT).first()
    if changeset is not None:
        changeset_queue(changeset=changeset, user=alice, enqueue=False)
        changeset_push(changeset=changeset)
        assert set(changeset.items.values_list("status", flat=True)) == {ChangeSetItem.Status.DONE}

    after = resource_values(emulator.state.video(video_id), PARTS)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {name for name, value in edits.items() if value != before_fields[name]}
    for name, value in edits.items():
        assert after[name] == value
