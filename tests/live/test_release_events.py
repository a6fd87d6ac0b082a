"""Release day (#19): scheduling, amending (approval withdrawn) and unscheduling each send a
changeset_update frame that the change-set page and the dashboard's next scheduled pushes follow;
charlie's socket gets none of alice's."""

from datetime import UTC, datetime

import pytest

from syncs.changesets.amend import changeset_amend
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.release import changeset_schedule, changeset_unschedule
from syncs.changesets.services import changeset_approve
from syncs.models import ChangeSet

from .conftest import connected, frames, in_thread, of_type, transactional

pytestmark = [transactional, pytest.mark.asyncio]

MOMENT = datetime(2099, 1, 14, 23, 0, tzinfo=UTC)


async def test_schedule_amend_and_unschedule_reach_alice_and_not_charlie(
    alice, charlie, catalogue, cookie_of
):
    def approved():
        video_update(
            video=catalogue["a1_song"], changes={"title": "Midnight Song (Official Video)"}, user=alice
        )
        return changeset_approve(changeset=ChangeSet.objects.get(), user=alice)

    changeset = await in_thread(approved)()
    alice_socket = await connected(await in_thread(cookie_of)(alice))
    charlie_socket = await connected(await in_thread(cookie_of)(charlie))

    await in_thread(changeset_schedule)(changeset=changeset, at=MOMENT, tz="Europe/Berlin", user=alice)
    await in_thread(changeset_amend)(
        changeset=changeset, user=alice, values={"a1song00001": {"title": "Midnight Song (Live)"}}
    )
    await in_thread(changeset_unschedule)(changeset=changeset, user=alice)

    updates = of_type(await frames(alice_socket), "changeset_update")
    assert [(u["status"], u["scheduled_for"]) for u in updates] == [
        ("approved", "2099-01-14T23:00:00+00:00"),
        ("draft", "2099-01-14T23:00:00+00:00"),  # the approval withdrawn, the schedule kept
        ("draft", None),
    ]
    assert of_type(await frames(charlie_socket), "changeset_update") == []
    await alice_socket.disconnect()
    await charlie_socket.disconnect()
