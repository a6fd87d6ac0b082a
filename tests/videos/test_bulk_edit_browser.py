"""Bulk edit clicked as a person clicks it (#15), in Debian's Chromium against the real ASGI site.

alice opens the video list, ticks the checkboxes of 20 of her videos (three more with the same word
in their titles stay unticked), picks "Bulk edit selected videos…", fills a title find/replace,
clicks Preview, reads the 20 old → new titles and clicks Save. The list then shows those 20 pending
and the database holds exactly those 20 title edits in her draft for content owner A. charlie, who
manages content owner B, sees none of it: not the videos, not the draft.

All ORM work happens outside the Playwright block (its event loop makes the ORM refuse to run).
Screenshots (1280 px wide) go to var/test-artifacts/videos/ (git-ignored) for a person to look at.
"""

import re

from syncs.models import ChangeSet, ChangeSetItem
from tests.live.test_browser_live import (  # noqa: F401 (asgi_server is a fixture)
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    asgi_server,
    sign_in_browser,
)
from tests.live.test_browser_live import pytestmark as browser_marks
from tests.videos.test_admin_form_browser import ARTIFACTS
from videos.models import Video

pytestmark = browser_marks

VIEWPORT = {"width": 1280, "height": 900}
SELECTED = 20


def test_alice_bulk_edits_20_titles_through_the_preview_and_charlie_sees_none_of_it(
    asgi_server,  # noqa: F811
    alice,
    charlie,
    channel_a1,
    channel_a2,
    channel_b1,
    make_video,
):
    from playwright.sync_api import sync_playwright

    chosen = [
        make_video(channel_a1 if n % 2 else channel_a2, title=f"Night Session {n:02d}")
        for n in range(1, SELECTED + 1)
    ]
    # Same word in the title, same owner, not ticked: find/replace must leave them alone.
    left_alone = [make_video(channel_a1, title=f"Night Session {n:02d}") for n in range(21, 24)]
    charlies = make_video(channel_b1, title="Night Session (B side)")
    for user, password in ((alice, "alice-password"), (charlie, "charlie-password")):
        user.set_password(password)
        user.save()
    base = asgi_server.url
    list_url = f"{base}/admin/videos/video/"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seen: dict = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            sign_in_browser(page, base, "alice", "alice-password")
            page.goto(list_url)
            seen["listed_before"] = page.locator("input.action-select").count()
            for video in chosen:
                page.locator(f'input.action-select[value="{video.pk}"]').check()
            seen["counter"] = page.inner_text(".action-counter")
            page.select_option('select[name="action"]', "bulk_edit")
            page.screenshot(path=str(ARTIFACTS / "bulk-edit-1-list-selected.png"), full_page=True)
            page.click('button[name="index"]')  # the actions bar's "Run"
            page.wait_for_selector("#bulk-edit-form", timeout=TIMEOUT_MS)
            seen["editing"] = page.inner_text("#content > p")

            page.fill("#id_find", "Night Session")
            page.fill("#id_replace", "Nocturne")
            page.get_by_label("Descriptions").uncheck()  # titles only
            page.get_by_role("button", name="Preview", exact=True).click()
            page.wait_for_selector("#bulk-edit-preview", timeout=TIMEOUT_MS)
            preview_rows = page.locator("#bulk-edit-preview tbody tr")
            seen["preview_summary"] = page.locator(".ytcms-summary li").all_inner_texts()
            seen["preview"] = [
                (
                    row.get_attribute("data-video"),
                    row.locator("td").nth(1).inner_text(),
                    row.locator("td.old").inner_text(),
                    row.locator("td.new").inner_text(),
                )
                for row in preview_rows.all()
            ]
            page.screenshot(path=str(ARTIFACTS / "bulk-edit-2-preview.png"), full_page=True)

            page.get_by_role("button", name=f"Save {SELECTED} changes").click()
            page.wait_for_url(re.compile(re.escape(list_url) + r"(\?.*)?$"), timeout=TIMEOUT_MS)
            seen["messages"] = page.locator("ul.messagelist li").all_inner_texts()
            pending_rows = page.locator("#result_list tbody tr", has=page.locator(".ytcms-pending"))
            seen["pending_titles"] = sorted(
                pending_rows.locator(".field-title a").all_inner_texts(),
            )
            seen["pending_markers"] = set(pending_rows.locator(".field-pending_marker").all_inner_texts())
            page.screenshot(path=str(ARTIFACTS / "bulk-edit-3-list-pending.png"), full_page=True)

            # charlie, another owner's manager, in a browser of his own.
            other = browser.new_context(viewport=VIEWPORT).new_page()
            sign_in_browser(other, base, "charlie", "charlie-password")
            other.goto(list_url)
            seen["charlie_titles"] = other.locator("#result_list .field-title a").all_inner_texts()
            other.goto(f"{base}/admin/syncs/changeset/")
            seen["charlie_changesets"] = other.inner_text("#content")
        finally:
            browser.close()

    chosen_ids = {video.pk for video in chosen}
    expected_titles = sorted(f"Nocturne {n:02d}" for n in range(1, SELECTED + 1))
    assert seen["listed_before"] == SELECTED + len(left_alone)
    assert seen["counter"].startswith(f"{SELECTED} of {SELECTED + len(left_alone)} selected")
    assert seen["editing"].startswith(f"Editing {SELECTED} videos.")
    assert seen["preview_summary"][0] == f"{SELECTED} videos would change."
    assert sorted(seen["preview"]) == sorted(
        (video.pk, "title", video.title, video.title.replace("Night Session", "Nocturne")) for video in chosen
    )
    assert seen["messages"][0] == (
        f"Bulk edit saved: {SELECTED} videos changed, 0 skipped because they would break a YouTube "
        "limit, 0 already as asked. Nothing was sent to YouTube yet."
    )
    # Then the draft it went into, as a single edit says it (alice's one draft for owner A).
    assert len(seen["messages"]) == 2
    assert seen["messages"][1].startswith("Your edit is in your draft change set ")
    assert seen["pending_titles"] == expected_titles
    assert seen["pending_markers"] == {"● title"}

    # The database: exactly those 20, exactly the title, in alice's one draft for owner A.
    pending = Video.objects.filter(has_pending_changes=True)
    assert set(pending.values_list("pk", flat=True)) == chosen_ids
    assert {tuple(fields) for fields in pending.values_list("pending_fields", flat=True)} == {("title",)}
    assert sorted(pending.values_list("title", flat=True)) == expected_titles
    items = ChangeSetItem.objects.select_related("changeset")
    assert {(item.video_id, item.field) for item in items} == {(pk, "title") for pk in chosen_ids}
    (draft,) = {item.changeset for item in items}
    assert (draft.created_by, draft.content_owner_id, draft.status) == (
        alice,
        "owner-a",
        ChangeSet.Status.DRAFT,
    )
    assert ChangeSet.objects.count() == 1
    assert {video.title for video in Video.objects.filter(pk__in=[v.pk for v in left_alone])} == {
        video.title for video in left_alone
    }

    # charlie: his own video only, untouched, and no change set of alice's on his list.
    assert seen["charlie_titles"] == ["Night Session (B side)"]
    assert "alice" not in seen["charlie_changesets"] and "Label A" not in seen["charlie_changesets"]
    charlies.refresh_from_db()
    assert (charlies.title, charlies.has_pending_changes) == ("Night Session (B side)", False)
