"""A Reporting API pull tells the owner's members what it found (reports_pull_finished), also
"nothing"; charlie, of another owner, hears none of it. The owner page's line follows the frame
(ytcms_site/static/ytcms/live-reports-pull.js)."""

import pytest

from reports.models import ReportsPullOutcome
from reports.youtube_pull import youtube_reports_pull

from .conftest import connected, frames, in_thread, of_type, transactional

pytestmark = [transactional, pytest.mark.asyncio]


async def test_a_pull_that_finds_nothing_reaches_alice_and_not_charlie(
    emulator, owner_a, channel_a1, alice, charlie, connect, cookie_of
):
    await in_thread(connect)(owner_a)
    alice_socket = await connected(await in_thread(cookie_of)(alice))
    charlie_socket = await connected(await in_thread(cookie_of)(charlie))

    await in_thread(youtube_reports_pull)(owner_id="owner-a")

    (finished,) = of_type(await frames(alice_socket), "reports_pull_finished")
    assert finished["content_owner_id"] == "owner-a" and finished["failed"] is False
    assert finished["summary"] == "owner-a: 0 new reports listed; imported nothing."
    outcome = await in_thread(ReportsPullOutcome.objects.get)()
    assert finished["line"] == (
        f"Last fetch from YouTube: {outcome.finished_at:%Y-%m-%d %H:%M:%S} UTC — "
        "owner-a: 0 new reports listed; imported nothing."
    )
    assert of_type(await frames(charlie_socket), "reports_pull_finished") == []
    await alice_socket.disconnect()
    await charlie_socket.disconnect()
