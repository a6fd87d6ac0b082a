"""A push pre-caps at today's budget: it claims only the videos the units left pay for and defers the
rest to after the next Pacific midnight up front, never by running into the ledger's refusal."""

from datetime import timedelta

import pytest

from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.preview import changeset_preview
from syncs.changesets.push import changeset_push
from syncs.changesets.quota_plan import videos_fitting
from syncs.changesets.services import changeset_queue
from syncs.models import ApiCall, ChangeSet, ChangeSetItem, QuotaLedger
from syncs.services.quota import quota_charge
from syncs.youtube.quota_clock import next_quota_reset, pacific_day

from .conftest import CLIENT_ID, api_requests

pytestmark = pytest.mark.django_db

SPENDABLE = 9500  # the emulator fixture's YOUTUBE_DAILY_QUOTA 10,000 minus YOUTUBE_QUOTA_RESERVE 500


@pytest.fixture
def two_edits(emulator, catalogue, owner_a, alice, connect) -> ChangeSet:
    """Title edits of a1live00001 and a1song00001 (claimed in that order: by video id)."""
    connect(owner_a)
    for video in (catalogue["a1_song"], catalogue["a1_live"]):
        video_update(video=video, changes={"title": video.title + " (new)"}, user=alice)
    changeset = ChangeSet.objects.get()
    changeset_queue(changeset=changeset, user=alice, enqueue=False)
    return changeset


def _leave(units: int) -> None:
    """Spend today's budget in our ledger (under the credential's project) down to `units`."""
    quota_charge(project=CLIENT_ID, api="youtube", units=SPENDABLE - units)


def _statuses() -> dict:
    return dict(ChangeSetItem.objects.values_list("video_id", "status"))


def test_videos_fitting_counts_the_read_per_fifty_videos():
    assert [videos_fitting(units) for units in (-1, 0, 50, 51, 100, 101, 102)] == [0, 0, 0, 1, 1, 2, 2]
    assert videos_fitting(2550) == 50  # 50 videos need 2,501; 51 would need 2,552
    assert videos_fitting(2501) == 50 and videos_fitting(2500) == 49
    assert videos_fitting(5002) == 100 and videos_fitting(5001) == 99  # the second read costs one more


def test_exactly_enough_units_pushes_everything(two_edits, emulator, alice):
    _leave(101)  # 2 updates (100) + 1 read

    result = changeset_push(changeset=two_edits)

    assert set(_statuses().values()) == {ChangeSetItem.Status.DONE}
    assert (result.over_budget_videos, result.quota_units) == (0, 101)
    assert QuotaLedger.objects.get(project=CLIENT_ID).units_used == SPENDABLE
    assert len(api_requests(emulator, "youtube.videos.update")) == 2


def test_one_unit_short_defers_the_last_video_up_front(two_edits, emulator, alice):
    _leave(100)
    preview = changeset_preview(changeset=two_edits)
    assert (preview.videos, preview.videos_today, preview.videos_deferred) == (2, 1, 1)
    assert preview.resets_at == next_quota_reset()

    result = changeset_push(changeset=two_edits)

    assert _statuses() == {
        "a1live00001": ChangeSetItem.Status.DONE,
        "a1song00001": ChangeSetItem.Status.DEFERRED,
    }
    waiting = ChangeSetItem.objects.get(video_id="a1song00001")
    assert waiting.error_reason == "overDailyBudget" and "deferred to the reset" in waiting.error_message
    assert waiting.deferred_until == next_quota_reset() == result.over_budget_until == result.next_run_at
    assert result.over_budget_videos == 1 and result.deferred == 1
    assert "1 video did not fit today's quota budget: deferred to" in result.summary()
    # Only what was paid for went out; the ledger never had to refuse a call.
    assert [r["body"]["id"] for r in api_requests(emulator, "youtube.videos.update")] == ["a1live00001"]
    (read,) = api_requests(emulator, "youtube.videos.list")
    assert read["params"]["id"] == "a1live00001"
    assert not ApiCall.objects.filter(outcome=ApiCall.Outcome.QUOTA_EXHAUSTED).exists()
    assert QuotaLedger.objects.get(project=CLIENT_ID).units_used == SPENDABLE - 49
    two_edits.refresh_from_db()
    assert two_edits.status == ChangeSet.Status.QUEUED


def test_less_than_one_video_of_units_sends_nothing_and_resumes_after_the_reset(two_edits, emulator, alice):
    _leave(50)

    result = changeset_push(changeset=two_edits)

    assert api_requests(emulator) == []
    assert set(_statuses().values()) == {ChangeSetItem.Status.DEFERRED}
    assert (result.over_budget_videos, result.calls) == (2, 0)
    assert ApiCall.objects.count() == 0

    # Pushing again the same day changes nothing; after the reset both go out.
    changeset_push(changeset=two_edits)
    assert api_requests(emulator) == []
    after_reset = next_quota_reset() + timedelta(seconds=1)
    emulator.state.clock.set(after_reset)
    QuotaLedger.objects.update(units_used=0)  # our ledger's next Pacific day, as the gateway books it
    result = changeset_push(changeset=two_edits, now=after_reset)
    assert set(_statuses().values()) == {ChangeSetItem.Status.DONE}
    assert result.over_budget_videos == 0
    assert emulator.state.video("a1song00001")["snippet"]["title"] == "Midnight Song (new)"


def test_an_exhausted_ledger_defers_everything_up_front(two_edits, emulator, alice):
    from syncs.services.quota import quota_mark_exhausted

    quota_mark_exhausted(project=CLIENT_ID, api="youtube")

    result = changeset_push(changeset=two_edits)

    assert api_requests(emulator) == [] and result.over_budget_videos == 2
    assert QuotaLedger.objects.get(project=CLIENT_ID, day=pacific_day()).exhausted_at is not None


def test_content_id_items_are_not_held_back_by_the_data_api_budget(two_edits, emulator, catalogue, alice):
    from syncs.changesets.services import changeset_add_claim_insert

    changeset_add_claim_insert(
        user=alice,
        video=catalogue["a1_live"],
        asset_id="A111",
        content_type="audio",
        rules=[{"action": "track"}],
    )
    ChangeSetItem.objects.update(changeset=two_edits)  # the claim joins the queued change set
    _leave(0)

    result = changeset_push(changeset=two_edits)

    assert result.over_budget_videos == 2
    assert ChangeSetItem.objects.get(kind=ChangeSetItem.Kind.CLAIM_INSERT).status == ChangeSetItem.Status.DONE
    assert len(api_requests(emulator, "youtubePartner.claims.insert")) == 1
    assert api_requests(emulator, "youtube.videos.update") == []


def test_a_big_change_set_is_split_at_the_budget(emulator, channel_a1, owner_a, alice, make_video, connect):
    from .conftest import CHANNEL_A1

    connect(owner_a)
    ids = [f"cap{n:08d}" for n in range(60)]
    emulator.state.load(
        {
            "videos": [
                {"id": i, "snippet": {"channelId": CHANNEL_A1, "title": i, "categoryId": "10"}} for i in ids
            ]
        }
    )
    for video_id in ids:
        video = make_video(channel_a1, video_id=video_id, title=video_id)
        video_update(video=video, changes={"title": video_id + " new"}, user=alice)
    changeset = ChangeSet.objects.get()
    changeset_queue(changeset=changeset, user=alice, enqueue=False)
    _leave(2 * 51 * 25)  # 2,550 units: 50 videos need 2,501, so 50 fit (one read), not 51

    result = changeset_push(changeset=changeset)

    updated = [r["body"]["id"] for r in api_requests(emulator, "youtube.videos.update")]
    assert updated == ids[:50] and result.over_budget_videos == 10
    assert set(
        ChangeSetItem.objects.filter(video_id__in=ids[50:]).values_list("error_reason", flat=True)
    ) == {"overDailyBudget"}
    assert not ApiCall.objects.filter(outcome=ApiCall.Outcome.QUOTA_EXHAUSTED).exists()


def test_the_change_set_page_says_what_waits_for_the_reset(client, two_edits, alice):
    from django.urls import reverse

    _leave(100)
    client.force_login(alice)

    page = client.get(reverse("admin:syncs_changeset_change", args=[two_edits.pk])).content.decode()

    reset = next_quota_reset()
    assert (
        "Today's budget pays for 1 of 2 videos: the push defers the other 1 to after midnight Pacific "
        f"({reset:%Y-%m-%d %H:%M} UTC)." in page
    )


def test_youtube_push_command_totals_the_videos_that_did_not_fit_today(two_edits, emulator, alice):
    from io import StringIO

    from django.core.management import call_command

    _leave(50)
    out = StringIO()

    call_command("youtube_push", "--changeset", str(two_edits.pk), stdout=out)

    total_line = out.getvalue().strip().splitlines()[-1]
    assert "2 videos did not fit today's quota budget: deferred to " in total_line
    assert f"{next_quota_reset():%Y-%m-%d %H:%M} UTC" in total_line
