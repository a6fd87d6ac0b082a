"""The audit trail tells the truth (#16 item 1): each push of a video records what YouTube now holds
from us as success, each field YouTube changed meanwhile as conflict (base, theirs, ours), and what
was not written (refused by YouTube, failed our checks) as failed, never as sent."""

import itertools
import re
import string
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from devtools.youtube_emulator.categories import default_categories
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.push import resource_values
from syncs.changesets.services import changeset_queue
from syncs.models import ChangeSet, SyncRecord, YouTubeCredential
from syncs.youtube.mapping import video_resource_from_fields
from tests.conftest import browser, remote_state
from tests.syncs.conftest import studio_edit
from tests.videos.test_admin_personas import change_form_data
from videos.models import VideoCategory
from videos.services import video_create

pytestmark = pytest.mark.django_db

PARTS = ("snippet", "status")
SONG = "a1song00001"


def _history_rows(page: str) -> list[tuple[str, str]]:
    start = page.index('class="ytcms-sync-history"')
    history = page[start : page.index("</table>", start)]
    return re.findall(r"<tr class=\"ytcms-sync-(\w+)\">(.*?)</tr>", history, re.S)


def test_a_title_in_conflict_is_not_listed_as_sent_beside_the_tags_written(
    emulator, catalogue, owner_a, alice, charlie, connect
):
    connect(owner_a)
    video = catalogue["a1_song"]
    url = reverse("admin:videos_video_change", args=[SONG])
    client = browser(alice)
    client.get(url)
    form = change_form_data(video, title="Midnight Song (Remastered)", tags="night, remaster")
    response = client.post(url, {**form, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert response.status_code == 302
    studio_edit(emulator, SONG, title="Midnight Song (Studio cut)")
    changeset = ChangeSet.objects.get(status=ChangeSet.Status.DRAFT)

    call_command("youtube_push", "--changeset", str(changeset.pk))

    on_youtube = emulator.state.video(SONG)["snippet"]
    assert (on_youtube["title"], on_youtube["tags"]) == ("Midnight Song (Studio cut)", ["night", "remaster"])
    # The video's page: one row says what was written, another what was not sent and why.
    rows = dict(_history_rows(client.get(url).content.decode()))
    assert set(rows) == {"success", "conflict"}
    assert "<strong>tags</strong>: night → night, remaster" in rows["success"]
    assert "title" not in rows["success"] and "<td>50</td>" in rows["success"]
    assert (
        "<strong>title</strong>: changed on YouTube Midnight Song → Midnight Song (Studio cut); "
        "ours not sent: Midnight Song (Remastered)"
    ) in rows["conflict"]
    assert "tags" not in rows["conflict"] and "Conflict (conflict)" in rows["conflict"]
    # /api/v1/syncs/ says the same.
    listed = client.get("/api/v1/syncs/", {"video": SONG}).json()["results"]
    assert sorted((row["status"], row["fields"]) for row in listed) == [
        (
            "conflict",
            {
                "title": {
                    "base": "Midnight Song",
                    "theirs": "Midnight Song (Studio cut)",
                    "ours": "Midnight Song (Remastered)",
                }
            },
        ),
        ("success", {"tags": {"before": ["night"], "after": ["night", "remaster"]}}),
    ]
    assert browser(charlie).get("/api/v1/syncs/", {"video": SONG}).json()["results"] == []


def test_a_write_youtube_refused_is_listed_as_not_written(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    video_update(video=catalogue["a1_song"], changes={"title": "Refused title"}, user=alice)
    changeset = ChangeSet.objects.get(status=ChangeSet.Status.DRAFT)
    emulator.state.fail_next({"status": 403, "reason": "forbidden", "match": "youtube.videos.update"})

    call_command("youtube_push", "--changeset", str(changeset.pk), verbosity=0)

    assert emulator.state.video(SONG)["snippet"]["title"] == "Midnight Song"
    client = browser(alice)
    ((status, row),) = _history_rows(
        client.get(reverse("admin:videos_video_change", args=[SONG])).content.decode()
    )
    assert status == "failed" and "Failed (forbidden)" in row
    assert "<strong>title</strong>: YouTube had Midnight Song; ours not written: Refused title" in row
    (listed,) = client.get("/api/v1/syncs/", {"video": SONG}).json()["results"]
    assert listed["fields"] == {"title": {"before": "Midnight Song", "ours": "Refused title"}}


# ------------------------------------------------------------------------------ property

_numbers = itertools.count()
_words = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=10)
CONFLICTABLE = ("title", "description", "tags")  # snippet fields Studio edits (studio_edit)
FIELDS = (*CONFLICTABLE, "embeddable")
# A video whose update YouTube refuses: its category was retired at YouTube after ytcms last read
# the list (400 invalidCategoryId). A video that fails our own checks: ytcms's refreshed list
# says its category may no longer be assigned, so nothing is sent.
RETIRED_AT_YOUTUBE, RETIRED_HERE = "22", "29"
BASE = remote_state()
EXTENDED_QUOTA = 10_000_000


def _ours(name: str, word: str):
    return {
        "title": f"Ours {word}",
        "description": f"Our text {word}",
        "tags": [f"ours-{word}"],
        "embeddable": not BASE["embeddable"],
    }[name]


def _studios(name: str, word: str):
    return {"title": f"Studio {word}", "description": f"Studio text {word}", "tags": [f"studio-{word}"]}[name]


video_pushes = st.lists(
    st.fixed_dictionaries(
        {
            "word": _words,
            # field → written or conflict (Studio edits it between our edit and the push)
            "fields": st.dictionaries(
                st.sampled_from(FIELDS), st.sampled_from(["written", "conflict"]), min_size=1
            ).map(
                lambda fields: {
                    name: how if name in CONFLICTABLE else "written" for name, how in fields.items()
                }
            ),
            "failure": st.sampled_from([None, "refused", "invalid"]),
        }
    ),
    min_size=2,
    max_size=4,
)


def _categories_as_at_edit_time(emulator) -> None:
    VideoCategory.objects.filter(category_id__in=[RETIRED_AT_YOUTUBE, RETIRED_HERE]).update(assignable=True)
    emulator.state.load({"categories": default_categories()})


def _retire_categories(emulator) -> None:
    VideoCategory.objects.filter(category_id=RETIRED_HERE).update(assignable=False)
    retired = {RETIRED_AT_YOUTUBE, RETIRED_HERE}
    rows = [
        {**row, "assignable": row["assignable"] and row["id"] not in retired}
        for row in default_categories()["US"]
    ]
    emulator.state.load({"categories": {"US": rows}})


@examples(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pushes=video_pushes)
def test_the_audit_rows_of_a_push_match_what_youtube_holds(
    emulator, channel_a1, owner_a, alice, connect, settings, pushes
):
    # Every example spends quota in the same database and emulator: a quota extension Google
    # granted, so that no example (nor shrinking) runs out of the day's units.
    settings.YOUTUBE_DAILY_QUOTA = EXTENDED_QUOTA
    emulator.state.set_quota_limit(EXTENDED_QUOTA)
    if not YouTubeCredential.objects.filter(owner=owner_a).exists():
        connect(owner_a)
    # The examples share one database: a draft a failed example left would join this push.
    ChangeSet.objects.filter(status=ChangeSet.Status.DRAFT).delete()
    _categories_as_at_edit_time(emulator)
    expected = {}
    for push in pushes:
        video_id = f"aud{next(_numbers):08d}"
        emulator.state.load(
            {"videos": [video_resource_from_fields(video_id=video_id, channel_id=channel_a1.pk, fields=BASE)]}
        )
        video = video_create(channel=channel_a1, video_id=video_id, remote=BASE, source="api")
        changes = {name: _ours(name, push["word"]) for name in push["fields"]}
        if push["failure"]:
            changes["category_id"] = RETIRED_AT_YOUTUBE if push["failure"] == "refused" else RETIRED_HERE
        video_update(video=video, changes=changes, user=alice)
        studio = {
            name: _studios(name, push["word"]) for name, how in push["fields"].items() if how == "conflict"
        }
        if studio:
            studio_edit(emulator, video_id, **studio)
        for name in changes:
            how = push["fields"].get(name, "written")
            status = SyncRecord.Status.CONFLICT if how == "conflict" else SyncRecord.Status.SUCCESS
            if how == "written" and push["failure"]:
                status = SyncRecord.Status.FAILED
            expected[(video_id, name)] = [status]
    _retire_categories(emulator)
    changeset = ChangeSet.objects.get(status=ChangeSet.Status.DRAFT)
    changeset_queue(changeset=changeset, user=alice, enqueue=False)

    call_command("youtube_push", "--changeset", str(changeset.pk), verbosity=0)

    youtube = {video_id: resource_values(emulator.state.video(video_id), PARTS) for video_id, _ in expected}
    listed = defaultdict(list)
    for row in SyncRecord.objects.filter(changeset=changeset):
        for name, values in row.fields.items():
            listed[(row.video_id, name)].append(row.status)
            now = youtube[row.video_id][name]
            if row.status == SyncRecord.Status.SUCCESS:
                # Listed as sent: YouTube holds it now.
                assert values["after"] == now
            elif row.status == SyncRecord.Status.CONFLICT:
                assert values["theirs"] == now and values["ours"] != now
                assert values["base"] == BASE[name] != now
            else:
                assert row.status == SyncRecord.Status.FAILED
                assert "after" not in values and values["ours"] != now
    # Every edited field is in exactly one row of its video's push, under its outcome.
    assert dict(listed) == expected
