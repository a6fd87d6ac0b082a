"""The admin's busiest lists fit a 1280 px wide window (#15), in a real browser (Debian's Chromium).

A person on a laptop saw the video list's title squeezed to ~94 px and "Published at" cut off; the
report list and the change-set item list overflowed the same way. Each list is loaded at 1280 px
by alice (who manages content owner A), the table must not be wider than the window, and the
video list's title column must stay readable. Screenshots for a person to look at go to
var/test-artifacts/ (video-list-1280.png, report-list-1280.png, changeset-item-list-1280.png).
All ORM work happens before the Playwright block (as in tests/ops/test_csp_browser.py).
"""

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.live.test_browser_live import CHROMIUM, CHROMIUM_ARGS, sign_in_browser

ARTIFACTS = Path(django_settings.BASE_DIR) / "var" / "test-artifacts"
VIEWPORT = {"width": 1280, "height": 900}
TITLE_MIN_PX = 200

pytestmark = [
    pytest.mark.skipif(
        not shutil.which(CHROMIUM),
        reason="needs Debian's Chromium at /usr/bin/chromium (bin/test installs it)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.slow,  # Chromium
]

# What a page's list measures: the table against the window, and each column's width by header.
MEASURE = """() => {
  const table = document.querySelector("#result_list");
  const headers = [...table.querySelectorAll("thead th")].map((th) => [
    th.className, th.innerText.trim(), Math.round(th.getBoundingClientRect().width),
  ]);
  return {
    viewport: document.documentElement.clientWidth,
    // The box the table scrolls in (Django's .results, overflow-x: auto): wider, and the last
    // columns are cut off at its edge, as "Published at" was.
    box: Math.round(table.closest(".results").getBoundingClientRect().right),
    page: document.documentElement.scrollWidth,
    table: Math.round(table.getBoundingClientRect().right),
    tableScroll: table.scrollWidth,
    headers,
  };
}"""


def described(figures: dict) -> str:
    columns = ", ".join(
        f"{(text.splitlines() or ['[x]'])[-1]} {width}" for _, text, width in figures["headers"]
    )
    return (
        f"table {figures['tableScroll']} px wide, ends at {figures['table']} px, its box at "
        f"{figures['box']} px ({columns})"
    )


def _long_lived_catalogue(alice, channel_a1, channel_b1, make_video, owner_a):
    """Videos with long real-world titles, an edit of each in alice's draft, and a few reports."""
    from reports.models import Report
    from syncs.changesets.edits import video_edit_in_changeset as video_update
    from videos.models import Video

    titles = [
        "Cañón del Sumidero — official live session recorded at the river, full concert (2026 remaster)",
        "Midnight Song (feat. Nina Blue) [Official Music Video] — directed by someone with a long name",
        "Studio Clip",
        "Une chanson très longue dont le titre ne finit jamais vraiment, version acoustique intégrale",
    ]
    for number, title in enumerate(titles):
        video = make_video(channel_a1, video_id=f"wide{number:07d}", title=title, tags=["night", "live"])
        video_update(
            video=Video.objects.get(pk=video.pk),
            changes={
                "title": f"{title} (edited)"[:100],
                "description": "A description long enough to wrap over several lines of a table cell " * 3,
                "tags": ["a tag that is rather long", "another long tag", "and a third"],
            },
            user=alice,
        )
    # What a pulled catalogue shows in the other columns: a date and time, a claim, a policy.
    Video.objects.filter(pk__startswith="wide").update(
        published_at=datetime(2026, 12, 7, 18, 15, tzinfo=UTC),
        claimed_status=Video.ClaimedStatus.CLAIMED_BY_OTHERS,
        effective_policy="Monetize in all countries except where blocked",
    )
    make_video(channel_b1, video_id="widesecret1", title="Charlie's video alice must not see")
    for number in range(3):
        Report.objects.create(
            original_name=f"YouTube_Label_A_M_20261101_video_raw_v1-{number}-a-very-long-file-name.csv.gz",
            content_owner=owner_a,
            created_by=alice,
            status=Report.Status.DONE,
        )


def test_video_report_and_changeset_item_lists_fit_1280_px(
    live_server, alice, channel_a1, channel_b1, make_video, owner_a
):
    from playwright.sync_api import sync_playwright

    alice.set_password("alice-password")
    alice.save()
    _long_lived_catalogue(alice, channel_a1, channel_b1, make_video, owner_a)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = {
        "video-list-1280.png": "/admin/videos/video/",
        "report-list-1280.png": "/admin/reports/report/",
        "changeset-item-list-1280.png": "/admin/syncs/changesetitem/",
    }

    measured, shown = {}, {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            sign_in_browser(page, live_server.url, "alice", "alice-password")
            for screenshot, path in pages.items():
                page.goto(f"{live_server.url}{path}")
                page.wait_for_selector("#result_list")
                measured[screenshot] = page.evaluate(MEASURE)
                shown[screenshot] = page.locator("#result_list tbody tr").count()
                page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
        finally:
            browser.close()

    # The lists show alice's rows (and only hers: charlie's video is not among them).
    assert shown == {"video-list-1280.png": 4, "report-list-1280.png": 3, "changeset-item-list-1280.png": 12}
    assert {figures["viewport"] for figures in measured.values()} == {1280}
    too_wide = {
        screenshot: figures
        for screenshot, figures in measured.items()
        if max(figures["page"], figures["table"], figures["tableScroll"]) > figures["viewport"]
        or figures["table"] > figures["box"]
    }
    assert not too_wide, "; ".join(f"{name}: {described(figures)}" for name, figures in too_wide.items())
    video_columns = {css_class: width for css_class, _, width in measured["video-list-1280.png"]["headers"]}
    title_width = next(width for css_class, width in video_columns.items() if "column-title" in css_class)
    assert title_width >= TITLE_MIN_PX, described(measured["video-list-1280.png"])
    # Every column is there, "Published at" included (it was cut off, then gone).
    assert any("column-published_at" in css_class for css_class in video_columns), video_columns
