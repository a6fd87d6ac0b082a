"""Release day on the change-set page (#19), in Debian's Chromium against the real ASGI site.

alice's approved change set is scheduled an hour ahead: the page counts down to the moment (the
browser's clock is Playwright's, so the countdown is read without waiting). At the moment the
worker's push runs; without a reload the page says it was pushed, and the status follows. Then
she edits the next release's item on its page and the approval is withdrawn. Screenshots:
var/test-artifacts/release-*.png.
"""

from datetime import timedelta

from tests.live.test_browser_live import ARTIFACTS as LIVE_ARTIFACTS
from tests.live.test_browser_live import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    asgi_server,  # noqa: F401 - the fixture
    pytestmark,  # noqa: F401 - browser and transactional-database marks
    sign_in_browser,
    wait_live_connected,
)

ARTIFACTS = LIVE_ARTIFACTS.parent
VIEWPORT = {"width": 1280, "height": 900}


def _moment_comes_and_the_worker_pushes(changeset_id: int) -> str:
    """The clock reaches the moment (moved back to a second ago), and the push task runs then."""
    from django.utils import timezone

    from syncs.models import ChangeSet
    from syncs.tasks import changeset_push_task

    ChangeSet.objects.filter(pk=changeset_id).update(scheduled_for=timezone.now() - timedelta(seconds=1))
    return changeset_push_task.call(changeset_id=changeset_id)


def test_the_page_counts_down_and_says_pushed_live(
    asgi_server,  # noqa: F811
    emulator,
    connect,
    owner_a,
    alice,
    catalogue,
):
    from django.utils import timezone
    from playwright.sync_api import expect, sync_playwright

    from syncs.changesets.edits import video_edit_in_changeset as video_update
    from syncs.changesets.release import changeset_schedule
    from syncs.changesets.services import changeset_approve
    from syncs.models import ChangeSet

    alice.set_password("alice-password")
    alice.save()
    connect(owner_a)
    video_update(video=catalogue["a1_song"], changes={"title": "Midnight Song (Official Video)"}, user=alice)
    changeset = changeset_approve(changeset=ChangeSet.objects.get(), user=alice)
    now = timezone.now().replace(microsecond=0)
    changeset_schedule(changeset=changeset, at=now + timedelta(hours=1), tz="Europe/Berlin", user=alice)
    page_url = f"{asgi_server.url}/admin/syncs/changeset/{changeset.pk}/change/"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seen = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            sign_in_browser(page, asgi_server.url, "alice", "alice-password")
            # The page's clock stands at the moment minus 59 min 50 s, and moves only when told.
            page.clock.install(time=now)
            page.clock.pause_at(now + timedelta(seconds=10))
            page.goto(page_url)
            wait_live_connected(page)
            page.clock.run_for(1000)
            countdown = page.locator("[data-countdown-to]")
            expect(countdown).to_have_text("Pushes in 00:59:49.", timeout=TIMEOUT_MS)
            # Less than the live client's ping interval (25 s): its timers keep the socket as it is.
            page.clock.run_for(20 * 1000)
            expect(countdown).to_have_text("Pushes in 00:59:29.", timeout=TIMEOUT_MS)
            page.screenshot(path=str(ARTIFACTS / "release-countdown.png"), full_page=True)
            page.evaluate("window.__sameDocument = true")  # a reload would lose it
            # Time flows again: the page's own timers (the second fetch of its parts) must run.
            page.clock.resume()

            seen["push"] = asgi_server.call(_moment_comes_and_the_worker_pushes, changeset.pk)
            outcome = page.locator(".ytcms-release-outcome")
            expect(outcome).to_have_attribute("data-outcome", "pushed", timeout=TIMEOUT_MS)
            expect(outcome).to_contain_text("1 of 1 item pushed.", timeout=TIMEOUT_MS)
            expect(page.locator(".ytcms-changeset-status")).to_have_text("Done", timeout=TIMEOUT_MS)
            seen["countdowns_left"] = page.locator("[data-countdown-to]").count()
            seen["same_document"] = page.evaluate("window.__sameDocument === true")
            page.screenshot(path=str(ARTIFACTS / "release-pushed.png"), full_page=True)
        finally:
            browser.close()

    assert seen["countdowns_left"] == 0 and seen["same_document"], seen
    assert emulator.state.video("a1song00001")["snippet"]["title"] == "Midnight Song (Official Video)"
    assert ChangeSet.objects.get(pk=changeset.pk).status == ChangeSet.Status.DONE


def test_saving_an_item_of_an_approved_release_withdraws_its_approval(
    asgi_server,  # noqa: F811
    alice,
    catalogue,
):
    from django.utils import timezone
    from playwright.sync_api import expect, sync_playwright

    from syncs.changesets.edits import video_edit_in_changeset as video_update
    from syncs.changesets.release import changeset_schedule
    from syncs.changesets.services import changeset_approve
    from syncs.models import ChangeSet

    alice.set_password("alice-password")
    alice.save()
    video_update(video=catalogue["a1_song"], changes={"title": "Midnight Song (Official Video)"}, user=alice)
    changeset = changeset_approve(changeset=ChangeSet.objects.get(), user=alice)
    changeset_schedule(changeset=changeset, at=timezone.now() + timedelta(days=2), tz="UTC", user=alice)
    item = changeset.items.get()
    page_url = f"{asgi_server.url}/admin/syncs/changeset/{changeset.pk}/change/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            sign_in_browser(page, asgi_server.url, "alice", "alice-password")
            page.goto(page_url)
            page.fill(f'input[name="value-{item.pk}"]', "Midnight Song (Official Audio)")
            page.click(f'button[name="save"][value="{item.pk}"]')
            page.wait_for_url(page_url, timeout=TIMEOUT_MS)
            messages = page.locator("ul.messagelist").inner_text()
            expect(page.locator(".ytcms-changeset-status")).to_have_text("Draft", timeout=TIMEOUT_MS)
            countdown_status = page.locator("[data-countdown-to]").get_attribute("data-status")
            page.screenshot(path=str(ARTIFACTS / "release-approval-withdrawn.png"), full_page=True)
        finally:
            browser.close()

    assert "approval was withdrawn (edited after approval)" in messages, messages
    assert countdown_status == "draft"
    changeset.refresh_from_db()
    assert (changeset.status, changeset.items.get().new_value) == ("draft", "Midnight Song (Official Audio)")


def _schedule_alices_draft(changeset_id: int, at_iso: str) -> None:
    from datetime import datetime

    from syncs.changesets.release import changeset_schedule
    from syncs.models import ChangeSet

    changeset = ChangeSet.objects.get(pk=changeset_id)
    changeset_schedule(
        changeset=changeset, at=datetime.fromisoformat(at_iso), tz="Europe/Berlin", user=changeset.created_by
    )


def test_the_dashboard_lists_a_push_as_it_is_scheduled(
    asgi_server,  # noqa: F811
    alice,
    catalogue,
):
    from playwright.sync_api import expect, sync_playwright

    from syncs.changesets.edits import video_edit_in_changeset as video_update
    from syncs.models import ChangeSet

    alice.set_password("alice-password")
    alice.save()
    video_update(video=catalogue["a1_song"], changes={"title": "Midnight Song (Official Video)"}, user=alice)
    changeset = ChangeSet.objects.get()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            sign_in_browser(page, asgi_server.url, "alice", "alice-password")
            wait_live_connected(page)
            panel = page.locator("#dash-scheduled ul.ytcms-scheduled")
            expect(panel).to_have_text("No push is scheduled.", timeout=TIMEOUT_MS)

            asgi_server.call(_schedule_alices_draft, changeset.pk, "2099-01-15T00:00:00+01:00")

            row = panel.locator(f'li[data-changeset-id="{changeset.pk}"]')
            expect(row).to_contain_text(
                "2099-01-15 00:00 Europe/Berlin (2099-01-14 15:00 Pacific, quota day 2099-01-14) · 1 video · "
                "51 units reserved · needs approval before 2099-01-15 00:00 Europe/Berlin",
                timeout=TIMEOUT_MS,
            )
            expect(row).to_have_attribute("data-approved", "no")
            page.screenshot(path=str(ARTIFACTS / "release-dashboard.png"), full_page=True)
        finally:
            browser.close()
