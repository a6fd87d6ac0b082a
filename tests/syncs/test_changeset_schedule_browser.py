"""Release day in a real browser (Debian's Chromium): alice opens her approved change set, clicks
Schedule push…, picks a date, a time and Europe/Berlin, and reads back the moment in Pacific time
with its quota day; then she unschedules it.

All ORM work happens outside the Playwright block. The screenshot goes to
var/test-artifacts/syncs/ (git-ignored) for a person to look at.
"""

import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.services import changeset_approve
from syncs.models import ChangeSet
from tests.live.test_browser_live import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, sign_in_browser

ARTIFACTS = Path(django_settings.BASE_DIR) / "var" / "test-artifacts" / "syncs"

pytestmark = [
    pytest.mark.skipif(
        not shutil.which(CHROMIUM),
        reason="needs Debian's Chromium at /usr/bin/chromium (bin/test installs it)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.slow,  # Chromium
]


def test_alice_schedules_a_release_in_berlin_time_and_unschedules_it(live_server, alice, catalogue):
    from playwright.sync_api import sync_playwright

    video_update(video=catalogue["a1_song"], changes={"title": "Midnight Song (Official Video)"}, user=alice)
    changeset = changeset_approve(changeset=ChangeSet.objects.get(), user=alice)
    alice.set_password("alice-password")
    alice.save()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    change_url = f"{live_server.url}/admin/syncs/changeset/{changeset.pk}/change/"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            sign_in_browser(page, live_server.url, "alice", "alice-password")
            page.goto(change_url)
            page.click("text=Schedule push…")
            page.fill("#id_day", "2099-01-15")
            page.fill("#id_clock", "00:00")
            page.select_option("#id_time_zone", "Europe/Berlin")
            page.click("button:has-text('Schedule push')")
            page.wait_for_url(change_url, timeout=TIMEOUT_MS)
            described = page.locator(".ytcms-schedule-described").inner_text()
            page.screenshot(path=str(ARTIFACTS / "scheduled-change-set.png"), full_page=True)
            page.click("input[value='Unschedule']")
            page.wait_for_url(change_url, timeout=TIMEOUT_MS)
            messages = page.locator("ul.messagelist li").all_inner_texts()
        finally:
            browser.close()

    assert described.startswith(
        "Scheduled for 2099-01-15 00:00 Europe/Berlin (2099-01-14 15:00 Pacific, quota day 2099-01-14: 51 units"
    ), described
    assert any("Unscheduled" in message for message in messages), messages
    changeset.refresh_from_db()
    assert changeset.scheduled_for is None
