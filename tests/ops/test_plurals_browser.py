"""The dashboard says "1 video", not "1 videos", as Chromium draws it (#15).

Screenshot: var/test-artifacts/ops/dashboard-planned.png (1280 px wide).
"""

from pathlib import Path

from django.conf import settings as django_settings

from syncs.models import ChangeSet, ChangeSetItem
from tests.live.test_browser_live import (  # noqa: F401 (asgi_server is a fixture)
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    asgi_server,
    pytestmark,
    sign_in_browser,
)
from ytcms_site.dashboard.selectors import dashboard_cache

ARTIFACTS = Path(django_settings.BASE_DIR) / "var" / "test-artifacts" / "ops"


def test_the_dashboards_planned_pushes_say_1_video_and_2_videos(
    asgi_server,  # noqa: F811
    settings,
    alice,
    owner_a,
    channel_a1,
    make_video,
):
    from playwright.sync_api import expect, sync_playwright

    # 102 spendable units a day: two videos a day (50 for videos.update + 1 for videos.list each),
    # so five queued videos are planned as 2, 2 and 1.
    alice.set_password("alice-password")
    alice.save()
    settings.YOUTUBE_DAILY_QUOTA = 112
    settings.YOUTUBE_QUOTA_RESERVE = 10
    changeset = ChangeSet.objects.create(
        created_by=alice, content_owner=owner_a, status=ChangeSet.Status.QUEUED
    )
    for video in [make_video(channel_a1) for _ in range(5)]:
        ChangeSetItem.objects.create(
            changeset=changeset, video=video, field="title", base_value="a", new_value="b"
        )
    dashboard_cache().clear()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            sign_in_browser(page, asgi_server.url, "alice", "alice-password")
            figures = page.locator("#dash-planned ul.ytcms-figures li")
            expect(figures.first).to_be_visible(timeout=TIMEOUT_MS)
            texts = figures.all_inner_texts()
            page.locator("#dash-planned").screenshot(path=str(ARTIFACTS / "dashboard-planned.png"))
        finally:
            browser.close()
    assert [text.split(": ", 1)[1] for text in texts[:3]] == [
        "2 videos (101 units)",
        "2 videos (101 units)",
        "1 video (51 units)",
    ]
