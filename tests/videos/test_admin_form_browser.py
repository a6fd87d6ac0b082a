"""The video change form in a real browser (Debian's Chromium): a person changes the title of a
video whose description has several lines and clicks Save. Chromium sends the untouched
description with CRLF line breaks; only the title may become pending.

All ORM work happens outside the Playwright block (stack notes, pitfall 7). The screenshot of the
saved video goes to var/test-artifacts/videos/ (git-ignored) for a person to look at.
"""

import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.live.test_browser_live import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, sign_in_browser
from videos.models import Video

ARTIFACTS = Path(django_settings.BASE_DIR) / "var" / "test-artifacts" / "videos"
DESCRIPTION = "Recorded live at dawn.\n\nSet list:\n1. Midnight Song\n2. Live at Dawn\n"

pytestmark = [
    pytest.mark.skipif(
        not shutil.which(CHROMIUM),
        reason="needs Debian's Chromium at /usr/bin/chromium (bin/test installs it)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.slow,  # Chromium
]


def test_changing_only_the_title_in_chromium_leaves_the_multiline_description_alone(
    live_server, alice, catalogue
):
    from playwright.sync_api import sync_playwright

    video = catalogue["a1_song"]
    snapshot = {**video.remote_snapshot, "description": DESCRIPTION}
    Video.objects.filter(pk=video.pk).update(description=DESCRIPTION, remote_snapshot=snapshot)
    alice.set_password("alice-password")
    alice.save()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    change_url = f"{live_server.url}/admin/videos/video/{video.pk}/change/"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            sign_in_browser(page, live_server.url, "alice", "alice-password")
            page.goto(change_url)
            shown_description = page.input_value("#id_description")
            page.fill("#id_title", "Midnight Song (Remastered)")
            page.click('input[name="_continue"]')
            page.wait_for_url(change_url, timeout=TIMEOUT_MS)
            messages = page.locator("ul.messagelist li").all_inner_texts()
            pending_table = page.locator(".field-pending_changes_table").inner_text()
            page.screenshot(path=str(ARTIFACTS / "title-only-save.png"), full_page=True)
        finally:
            browser.close()

    video.refresh_from_db()
    assert shown_description == DESCRIPTION
    assert video.title == "Midnight Song (Remastered)"
    assert video.description == DESCRIPTION
    assert video.pending_fields == ["title"]
    assert any("changed successfully" in message for message in messages), messages
    assert "Midnight Song (Remastered)" in pending_table
    assert "Set list" not in pending_table  # the description is not listed as a pending change


def test_a_pending_description_shows_its_line_breaks_on_the_video_page(live_server, alice, catalogue):
    """A person who rewrote a description's set list sees it as lines in "Pending changes", both
    YouTube's and the wanted value (innerText follows the rendering: collapsed, it would be one line)."""
    from playwright.sync_api import sync_playwright

    video = catalogue["a1_song"]
    snapshot = {**video.remote_snapshot, "description": DESCRIPTION}
    Video.objects.filter(pk=video.pk).update(description=DESCRIPTION, remote_snapshot=snapshot)
    alice.set_password("alice-password")
    alice.save()
    change_url = f"{live_server.url}/admin/videos/video/{video.pk}/change/"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            sign_in_browser(page, live_server.url, "alice", "alice-password")
            page.goto(change_url)
            page.fill("#id_description", "Recorded live at dawn.\n\nSet list:\n1. Midnight Song\n2. Encore\n")
            page.click('input[name="_continue"]')
            page.wait_for_url(change_url, timeout=TIMEOUT_MS)
            cells = page.locator(".field-pending_changes_table tbody td").all_inner_texts()
        finally:
            browser.close()

    assert Video.objects.get(pk=video.pk).pending_fields == ["description"]
    youtube_has, we_want = cells
    assert "Set list:\n1. Midnight Song\n2. Live at Dawn" in youtube_has
    assert "Set list:\n1. Midnight Song\n2. Encore" in we_want
