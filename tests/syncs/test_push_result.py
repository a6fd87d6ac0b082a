"""PushResult.merge: youtube_push's one summary over several change sets."""

from datetime import UTC, datetime

from syncs.changesets.push import PushResult

EARLY = datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
LATE = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)


def test_merge_adds_every_count_and_keeps_the_earliest_resumption():
    first = PushResult(videos_written=2, items_done=3, calls=4, quota_units=101, waiting=1, next_run_at=LATE)
    second = PushResult(
        videos_written=1,
        conflicts=1,
        failed=2,
        deferred=5,
        over_budget_videos=5,
        over_budget_until=EARLY,
        next_run_at=EARLY,
        owners_waiting={"owner-b": "not connected"},
    )

    total = PushResult().merge(first).merge(second)

    assert (total.videos_written, total.items_done, total.conflicts, total.failed) == (3, 3, 1, 2)
    assert (total.deferred, total.waiting, total.calls, total.quota_units) == (5, 1, 4, 101)
    assert (total.over_budget_videos, total.over_budget_until) == (5, EARLY)
    assert total.next_run_at == EARLY
    assert total.owners_waiting == {"owner-b": "not connected"}
    assert first.videos_written == 2 and first.owners_waiting == {}  # the parts are left alone


def test_merging_nothing_that_resumes_resumes_nothing():
    assert PushResult().merge(PushResult(items_done=1)).next_run_at is None
