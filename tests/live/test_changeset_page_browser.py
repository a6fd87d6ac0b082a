"""A conflict resolved where a person sees it (#15), in Debian's Chromium against the real ASGI site.

alice's retitle meets a Studio edit of the same title (the emulator's state, changed between the
edit and the push's read). On the change-set page she clicks *Overwrite with ours*, then *Push to
YouTube* (the push task runs inline); the page shows the item done, YouTube has her title, and the
video's page carries no drift badge. Screenshots: var/test-artifacts/changeset-*.png, 1280 px wide.
"""

import pytest

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

# Screenshots a person should look at: var/test-artifacts/ (the live tests' folder is below it).
ARTIFACTS = LIVE_ARTIFACTS.parent
VIEWPORT = {"width": 1280, "height": 900}


def _conflict(emulator, video, user) -> int:
    """alice's edit, a Studio edit of the same field, then the push that finds it: the change set's pk."""
    from syncs.changesets.edits import video_edit_in_changeset as video_update
    from syncs.changesets.push import changeset_push
    from syncs.changesets.services import changeset_queue
    from syncs.models import ChangeSet
    from tests.syncs.conftest import studio_edit

    video_update(video=video, changes={"title": "Midnight Song (Ours)"}, user=user)
    studio_edit(emulator, video.pk, title="Midnight Song (Studio)")
    changeset = ChangeSet.objects.get()
    changeset_queue(changeset=changeset, user=user, enqueue=False)
    changeset_push(changeset=changeset)
    return changeset.pk


@pytest.mark.usefixtures("immediate_tasks")
def test_overwrite_with_ours_then_push_resolves_the_conflict_and_leaves_no_drift(
    asgi_server,  # noqa: F811
    emulator,
    connect,
    owner_a,
    alice,
    catalogue,
):
    from playwright.sync_api import expect, sync_playwright

    from syncs.models import ChangeSet, ChangeSetItem
    from videos.models import Video

    alice.set_password("alice-password")
    alice.save()
    connect(owner_a)
    changeset_id = _conflict(emulator, catalogue["a1_song"], alice)
    item = ChangeSetItem.objects.get(changeset_id=changeset_id)
    assert item.status == ChangeSetItem.Status.CONFLICT
    assert Video.objects.get(pk="a1song00001").has_drift  # the push's read saw Studio's title
    base = asgi_server.url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seen = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            sign_in_browser(page, base, "alice", "alice-password")
            page.goto(f"{base}/admin/syncs/changeset/{changeset_id}/change/")
            conflict_row = page.locator(f'#ytcms-conflict-resolution tr[data-conflict-item="{item.pk}"]')
            seen["conflict_row"] = " ".join(conflict_row.inner_text().split())
            page.screenshot(path=str(ARTIFACTS / "changeset-conflict-before.png"), full_page=True)

            conflict_row.get_by_role("button", name="Overwrite with ours").click()
            page.wait_for_url(f"{base}/admin/syncs/changeset/{changeset_id}/change/")
            seen["message_resolved"] = page.locator("ul.messagelist").inner_text()
            seen["conflicts_left"] = page.locator("#ytcms-conflict-resolution").count()
            seen["item_after_resolve"] = page.get_attribute(
                f'tr[data-item-id="{item.pk}"] .ytcms-item-status', "data-status"
            )
            # Nothing is queued by the resolution: the page says the change set waits for Push.
            seen["status_after_resolve"] = page.inner_text(".field-status .readonly")
            seen["live_status_after_resolve"] = page.inner_text(
                "#ytcms-changeset-live .ytcms-changeset-status"
            )

            page.locator("#ytcms-changeset-actions").get_by_role("button", name="Push to YouTube").click()
            page.wait_for_url(f"{base}/admin/syncs/changeset/{changeset_id}/change/")
            expect(page.locator(".field-status .readonly")).to_have_text("Done", timeout=TIMEOUT_MS)
            seen["item_after_push"] = page.get_attribute(
                f'tr[data-item-id="{item.pk}"] .ytcms-item-status', "data-status"
            )
            seen["push_button_left"] = page.locator(
                '#ytcms-changeset-actions [value="Push to YouTube"]'
            ).count()
            page.screenshot(path=str(ARTIFACTS / "changeset-conflict-resolved.png"), full_page=True)

            page.goto(f"{base}/admin/videos/video/a1song00001/change/")
            seen["title_field"] = page.input_value("#id_title")
            seen["drift_field"] = page.locator(".field-drift_summary .readonly").inner_text()
            seen["waiting_in"] = page.locator(".field-pending_in_changesets .readonly").inner_text()
            page.screenshot(path=str(ARTIFACTS / "changeset-video-after-push.png"), full_page=True)

            page.goto(f"{base}/admin/videos/video/?q=a1song00001")
            row = page.locator("tr", has=page.locator('[data-ytcms-video="a1song00001"]'))
            seen["list_drift_badges"] = row.locator(".ytcms-drift").count()
            seen["list_sync"] = row.locator("[data-ytcms-video]").get_attribute("data-sync-status")
        finally:
            browser.close()

    assert "Midnight Song (Studio)" in seen["conflict_row"] and "Midnight Song (Ours)" in seen["conflict_row"]
    assert "1 conflict resolved" in seen["message_resolved"]
    assert seen["conflicts_left"] == 0 and seen["item_after_resolve"] == "pending"
    assert seen["status_after_resolve"] == seen["live_status_after_resolve"] == "Approved"
    assert seen["item_after_push"] == "done" and seen["push_button_left"] == 0
    assert emulator.state.video("a1song00001")["snippet"]["title"] == "Midnight Song (Ours)"
    assert ChangeSet.objects.get(pk=changeset_id).status == ChangeSet.Status.DONE
    assert seen["title_field"] == "Midnight Song (Ours)"
    assert seen["drift_field"].startswith("No drift")
    assert seen["waiting_in"].startswith("None")
    assert (seen["list_drift_badges"], seen["list_sync"]) == (0, "in_sync")


def _push_as_the_worker(changeset_id: int) -> str:
    """What `manage.py db_worker` runs for a queued push (syncs.tasks.changeset_push_task)."""
    from syncs.tasks import changeset_push_task

    return changeset_push_task.call(changeset_id=changeset_id)


def test_a_conflict_found_by_the_push_shows_its_row_and_buttons_without_a_reload(
    asgi_server,  # noqa: F811
    emulator,
    connect,
    owner_a,
    alice,
    catalogue,
):
    """alice clicks Push with the page open; Studio had changed the title. Without a reload the item
    rows (the title's conflict with YouTube's and our values, the description done) and the
    Keep/Overwrite buttons appear; she clicks Keep YouTube's and the video follows YouTube."""
    from playwright.sync_api import expect, sync_playwright

    from syncs.changesets.edits import video_edit_in_changeset as video_update
    from syncs.models import ChangeSet, ChangeSetItem
    from tests.syncs.conftest import studio_edit
    from videos.models import Video

    alice.set_password("alice-password")
    alice.save()
    connect(owner_a)
    video_update(
        video=catalogue["a1_song"],
        changes={"title": "Midnight Song (Ours)", "description": "Our new description"},
        user=alice,
    )
    studio_edit(emulator, "a1song00001", title="Midnight Song (Studio)")
    changeset = ChangeSet.objects.get()
    title_item = ChangeSetItem.objects.get(changeset=changeset, field="title")
    description_item = ChangeSetItem.objects.get(changeset=changeset, field="description")
    base = asgi_server.url
    page_url = f"{base}/admin/syncs/changeset/{changeset.pk}/change/"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seen = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            sign_in_browser(page, base, "alice", "alice-password")
            page.goto(page_url)
            page.locator("#ytcms-changeset-actions").get_by_role("button", name="Push to YouTube").click()
            page.wait_for_url(page_url)
            seen["queued_message"] = page.locator("ul.messagelist").inner_text()
            wait_live_connected(page)
            seen["conflicts_before"] = page.locator("#ytcms-conflict-resolution").count()
            page.evaluate("window.__sameDocument = true")  # a reload would lose it
            seen["pushed_at_before"] = page.inner_text("#ytcms-changeset-pushed-at")

            # The worker's part: the push reads YouTube's title, finds Studio's edit, settles each item.
            seen["push"] = asgi_server.call(_push_as_the_worker, changeset.pk)
            conflict_row = page.locator(
                f'#ytcms-conflict-resolution tr[data-conflict-item="{title_item.pk}"]'
            )
            expect(conflict_row).to_be_visible(timeout=TIMEOUT_MS)
            expect(
                page.locator(f'tr[data-item-id="{description_item.pk}"] .ytcms-item-status')
            ).to_have_attribute("data-status", "done", timeout=TIMEOUT_MS)
            expect(page.locator(".field-status .readonly")).to_have_text("Has conflicts", timeout=TIMEOUT_MS)
            # When it was pushed follows too, and each item is listed once (no second, stale table).
            expect(page.locator("#ytcms-changeset-pushed-at")).to_contain_text(
                "Pushed at", timeout=TIMEOUT_MS
            )
            seen["rows_per_item"] = [
                page.locator(f'tr[data-item-id="{pk}"]').count()
                for pk in (title_item.pk, description_item.pk)
            ]
            seen["items_inline"] = page.locator("#items-group").count()
            seen["same_document"] = page.evaluate("window.__sameDocument === true")
            seen["conflict_cells"] = conflict_row.locator("td").all_inner_texts()
            seen["title_row"] = page.locator(f'tr[data-item-id="{title_item.pk}"] td').all_inner_texts()
            seen["description_status"] = page.inner_text(
                f'tr[data-item-id="{description_item.pk}"] .ytcms-item-status'
            )
            page.screenshot(path=str(ARTIFACTS / "changeset-conflict-live.png"), full_page=True)

            conflict_row.get_by_role("button", name="Keep YouTube's").click()
            page.wait_for_url(page_url)
            seen["message_resolved"] = page.locator("ul.messagelist").inner_text()
            seen["conflicts_left"] = page.locator("#ytcms-conflict-resolution").count()
            seen["title_status_after"] = page.get_attribute(
                f'tr[data-item-id="{title_item.pk}"] .ytcms-item-status', "data-status"
            )
            page.screenshot(path=str(ARTIFACTS / "changeset-conflict-kept-theirs.png"), full_page=True)
        finally:
            browser.close()

    assert "Queued" in seen["queued_message"]
    assert seen["conflicts_before"] == 0
    assert seen["same_document"]
    assert seen["pushed_at_before"] == "Not pushed yet."
    assert seen["rows_per_item"] == [1, 1] and seen["items_inline"] == 0
    assert seen["conflict_cells"][:5] == [
        "a1song00001",
        "title",
        "Midnight Song",
        "Midnight Song (Studio)",
        "Midnight Song (Ours)",
    ]
    assert (
        "Keep YouTube's" in seen["conflict_cells"][5] and "Overwrite with ours" in seen["conflict_cells"][5]
    )
    assert seen["title_row"][4] == "Midnight Song (Studio)" and seen["title_row"][5].startswith("Conflict")
    assert seen["description_status"] == "Done"
    assert "1 conflict resolved: YouTube's values kept." in seen["message_resolved"]
    assert seen["conflicts_left"] == 0 and seen["title_status_after"] == "skipped"
    video = Video.objects.get(pk="a1song00001")
    assert video.title == "Midnight Song (Studio)" and "title" not in video.pending_fields
    assert emulator.state.video("a1song00001")["snippet"]["title"] == "Midnight Song (Studio)"
    assert emulator.state.video("a1song00001")["snippet"]["description"] == "Our new description"


@pytest.mark.usefixtures("immediate_tasks")
def test_keep_youtubes_reads_as_kept_in_the_page_and_the_videos_history(
    asgi_server,  # noqa: F811
    emulator,
    connect,
    owner_a,
    alice,
    catalogue,
):
    """alice keeps Studio's title: the item says so (no error), nothing is offered to revert since
    nothing reached YouTube, and the video's history names her and the value kept."""
    from playwright.sync_api import sync_playwright

    from syncs.models import ChangeSetItem

    alice.set_password("alice-password")
    alice.save()
    connect(owner_a)
    changeset_id = _conflict(emulator, catalogue["a1_song"], alice)
    item = ChangeSetItem.objects.get(changeset_id=changeset_id)
    base = asgi_server.url
    page_url = f"{base}/admin/syncs/changeset/{changeset_id}/change/"
    seen = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            sign_in_browser(page, base, "alice", "alice-password")
            page.goto(page_url)
            page.locator(f'#ytcms-conflict-resolution tr[data-conflict-item="{item.pk}"]').get_by_role(
                "button", name="Keep YouTube's"
            ).click()
            page.wait_for_url(page_url)
            seen["status"] = page.inner_text(".field-status .readonly")
            seen["row"] = page.locator(f'tr[data-item-id="{item.pk}"] td').all_inner_texts()
            seen["page_text"] = page.inner_text("#content")
            seen["revert_buttons"] = page.locator('[value="Revert"]').count()
            page.screenshot(path=str(ARTIFACTS / "changeset-kept-theirs.png"), full_page=True)

            page.goto(f"{base}/admin/videos/video/a1song00001/change/")
            seen["history"] = page.locator(".ytcms-sync-history tr.ytcms-sync-resolved").inner_text()
        finally:
            browser.close()

    assert seen["status"] == "Done"
    assert seen["row"][4:6] == ["Midnight Song (Studio)", "Kept YouTube's value"]
    assert "Changed on YouTube" not in seen["page_text"]
    assert seen["revert_buttons"] == 0
    assert "alice" in seen["history"] and "Conflict resolved" in seen["history"]
    assert "kept YouTube's Midnight Song (Studio); ours dropped: Midnight Song (Ours)" in seen["history"]
