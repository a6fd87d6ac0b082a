"""A report's page clicked as a person clicks it, in Debian's Chromium against the real ASGI site.

alice goes Reports → Upload report, uploads the sample A4 report with "Upload and preview", watches
the preview finish, reloads for the buttons and clicks "Import now"; the import runs and the page
says so. A refused click (her role lowered to viewer while the page was open) comes back to the
page with the reason, never a bare 403.

The embedded default runs imports in `manage.py db_worker`, another process; here, as in
tests/live/test_browser_live.py, the import runs on the test server's own loop (AsgiServer.call),
so its live frames reach the page through the server's channel layer. Screenshots (1280 px wide)
go to var/test-artifacts/reports/ (git-ignored) for a person to look at.
"""

import re
from pathlib import Path

from django.conf import settings as django_settings

from reports.counters import CATALOGUE_COUNTERS, ROW_COUNTERS
from reports.models import Report
from tests.live.test_browser_live import (  # noqa: F401
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    asgi_server,
    report_ingest_now,
    sign_in_browser,
    wait_live_connected,
)
from tests.live.test_browser_live import pytestmark as browser_marks
from videos.models import Video

pytestmark = browser_marks

SAMPLE = Path(__file__).parent / "fixtures" / "content_owner_video_metadata_a4.synthetic.csv"
SAMPLE_ROWS = 66
ARTIFACTS = Path(django_settings.BASE_DIR) / "var" / "test-artifacts" / "reports"
VIEWPORT = {"width": 1280, "height": 900}


def _lower_to_viewer(username: str) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from channels_app.models import Membership, Role

    user = get_user_model().objects.get(username=username)
    Membership.objects.filter(user=user).update(role=Role.VIEWER)
    user.groups.set([Group.objects.get(name="Viewer")])


def test_upload_preview_then_import_now_from_the_report_page(
    asgi_server,  # noqa: F811
    alice,
    owner_a,
):
    from playwright.sync_api import expect, sync_playwright

    alice.set_password("alice-password")
    alice.save()
    base = asgi_server.url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seen: dict = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            sign_in_browser(page, base, "alice", "alice-password")

            # Reports → Upload report, as the admin's own links lead there.
            # The model's link (the app's caption, also "Reports", leads to the app's index).
            page.locator("a[href='/admin/reports/report/']").filter(
                has_text=re.compile("^Reports$")
            ).first.click()
            page.wait_for_url(f"{base}/admin/reports/report/")
            page.get_by_role("link", name="Upload report").click()
            page.wait_for_url(f"{base}/admin/reports/report/upload/")
            page.select_option("#id_content_owner", owner_a.pk)
            page.set_input_files("#id_file", str(SAMPLE))
            page.screenshot(path=str(ARTIFACTS / "1-upload.png"), full_page=True)
            page.get_by_role("button", name="Upload and preview (writes nothing)").click()
            page.wait_for_url(re.compile(r".*/admin/reports/report/\d+/change/$"))
            report_id = int(re.search(r"/report/(\d+)/change/", page.url).group(1))
            wait_live_connected(page)

            # The worker's part: run the preview; its frames finish the page's bar.
            seen["preview_status"] = asgi_server.call(report_ingest_now, report_id)
            page.wait_for_selector('.ytcms-bar[aria-valuenow="100"]', timeout=TIMEOUT_MS)
            page.wait_for_selector(".ytcms-report-summary:not([hidden])", timeout=TIMEOUT_MS)
            seen["preview_live_summary"] = page.inner_text(".ytcms-report-summary")
            # The read-only fields follow, each its own (several share a line in the fieldsets).
            seen["live_fields"] = {
                name: page.inner_text(f".fieldBox.field-{name} .readonly")
                for name in (*ROW_COUNTERS, *CATALOGUE_COUNTERS)
            }
            seen["preview_rejected_heading"] = page.inner_text("#report-row-errors h2")
            page.screenshot(path=str(ARTIFACTS / "2-preview-finished-live.png"), full_page=True)

            # The page says to reload for its buttons; a person follows the link.
            page.locator(".ytcms-report-run-note a").click()
            page.wait_for_selector("#report-run-form", timeout=TIMEOUT_MS)
            seen["reloaded_fields"] = {
                name: page.inner_text(f".fieldBox.field-{name} .readonly") for name in seen["live_fields"]
            }
            seen["preview_summary"] = page.inner_text(".ytcms-report-summary")
            seen["preview_table_rows"] = page.locator("#report-preview tbody tr").count()
            # The first screen: the preview table below runs to many screens.
            page.screenshot(path=str(ARTIFACTS / "3-preview-page.png"))

            # A second tab on the same report: only the live frame of "Import now" can change it.
            watcher = page.context.new_page()
            watcher.goto(page.url)
            wait_live_connected(watcher)
            watcher.evaluate("window.__sameDocument = true")

            page.get_by_role("button", name="Import now").click()
            page.wait_for_load_state("load")
            seen["after_click_url"] = page.url
            seen["after_click_text"] = page.inner_text("body")
            seen["after_click_messages"] = page.locator("ul.messagelist li").all_inner_texts()
            wait_live_connected(page)
            # Before the worker starts: the import's counts (none yet), not the preview's.
            seen["queued_fields"] = {
                name: page.inner_text(f".fieldBox.field-{name} .readonly") for name in seen["live_fields"]
            }
            seen["queued_panel"] = page.inner_text(".ytcms-report-numbers")
            seen["queued_rejected_heading"] = page.inner_text("#report-row-errors h2")
            seen["queued_preview_table"] = page.locator("#report-preview").count()
            page.screenshot(path=str(ARTIFACTS / "4-import-queued.png"), full_page=True)
            expect(watcher.locator(".fieldBox.field-rows_read .readonly")).to_have_text(
                "0", timeout=TIMEOUT_MS
            )
            seen["watcher_fields"] = {
                name: watcher.inner_text(f".fieldBox.field-{name} .readonly") for name in seen["live_fields"]
            }
            seen["watcher_panel"] = watcher.inner_text(".ytcms-report-numbers")
            seen["watcher_same_document"] = watcher.evaluate("window.__sameDocument === true")
            watcher.close()

            seen["import_status"] = asgi_server.call(report_ingest_now, report_id)
            expect(page.locator(".ytcms-bar")).to_have_attribute("aria-valuenow", "100", timeout=TIMEOUT_MS)
            page.wait_for_selector(".ytcms-report-summary:not([hidden])", timeout=TIMEOUT_MS)
            seen["import_live_summary"] = page.inner_text(".ytcms-report-summary")
            page.screenshot(path=str(ARTIFACTS / "5-import-finished-live.png"), full_page=True)
            page.reload()
            seen["import_summary"] = page.inner_text(".ytcms-report-summary")
            seen["import_buttons"] = page.locator("#report-run-form button").all_inner_texts()
            page.screenshot(path=str(ARTIFACTS / "6-import-page.png"), full_page=True)
        finally:
            browser.close()

    report = Report.objects.get(pk=report_id)
    assert seen["preview_status"] == "done"
    assert "preview, nothing written" in seen["preview_live_summary"]
    assert "would be created" in seen["preview_live_summary"]
    assert seen["preview_summary"] == (
        f"Done (preview, nothing written): {SAMPLE_ROWS} rows read, {SAMPLE_ROWS} would be imported, "
        "0 unchanged, 0 rejected."
    )
    assert seen["live_fields"] == {
        "rows_read": "66",
        "rows_imported": "66",
        "rows_unchanged": "0",
        "rows_rejected": "0",
        "videos_created": "60",
        "videos_updated": "0",
        "videos_unchanged": "0",
        "channels_created": "1",
        "claims_upserted": "41",
        "assets_created": "41",
    }
    assert seen["reloaded_fields"] == seen["live_fields"]  # live, the page showed what a reload shows
    assert seen["preview_rejected_heading"] == "Rejected rows (0)"
    assert seen["preview_table_rows"] > 0
    assert seen["after_click_url"] == f"{base}/admin/reports/report/{report_id}/change/"
    assert "403" not in seen["after_click_text"] and "Forbidden" not in seen["after_click_text"]
    assert seen["after_click_messages"] == [f"Report #{report_id}: the import is queued."]
    # Queued for import, the page and the live frame show the import's zeros, not the preview's.
    zeros = dict.fromkeys(seen["live_fields"], "0")
    assert seen["queued_fields"] == zeros
    assert seen["queued_panel"].startswith("0% · Queued · rows read 0 · rejected 0 · videos created 0,")
    assert seen["queued_rejected_heading"] == "Rejected rows (0)"
    assert seen["queued_preview_table"] == 0
    assert seen["watcher_same_document"] and seen["watcher_fields"] == zeros
    assert seen["watcher_panel"].startswith("0% · Queued · rows read 0 · rejected 0 ·")
    assert seen["import_status"] == "done"
    assert seen["import_live_summary"].startswith(f"Done: {SAMPLE_ROWS} rows read,")
    assert (
        seen["import_summary"]
        == f"Done: {SAMPLE_ROWS} rows read, {SAMPLE_ROWS} imported, 0 unchanged, 0 rejected."
    )
    assert seen["import_buttons"] == ["Re-run", "Preview"]
    assert report.dry_run is False and report.status == Report.Status.DONE
    assert report.rows_imported == SAMPLE_ROWS
    assert Video.objects.filter(channel__content_owner=owner_a).exists()


def test_a_refused_rerun_returns_to_the_page_with_the_reason(
    asgi_server,  # noqa: F811
    alice,
    owner_a,
):
    alice.set_password("alice-password")
    alice.save()
    report = Report.objects.create(
        content_owner=owner_a,
        status=Report.Status.DONE,
        original_name="done.csv",
        rows_read=1,
        rows_imported=1,
    )
    from playwright.sync_api import sync_playwright

    base = asgi_server.url
    page_url = f"{base}/admin/reports/report/{report.pk}/change/"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            sign_in_browser(page, base, "alice", "alice-password")
            page.goto(page_url)
            # While the page is open, a manager makes alice a viewer of her content owner.
            asgi_server.call(_lower_to_viewer, "alice")
            page.get_by_role("button", name="Re-run").click()
            page.wait_for_load_state("load")
            url = page.url
            text = page.inner_text("body")
            errors = page.locator("ul.messagelist li.error").all_inner_texts()
            buttons = page.locator("#report-run-form button").count()
            page.screenshot(path=str(ARTIFACTS / "7-refused-rerun.png"), full_page=True)
        finally:
            browser.close()

    report.refresh_from_db()
    assert url == page_url
    assert "Forbidden" not in text
    assert errors == [
        f"Report #{report.pk} was not run: previewing, importing and re-running a report take an "
        "editing role on its content owner."
    ]
    assert buttons == 0  # a viewer's page has no buttons
    assert report.attempts == 0 and report.status == Report.Status.DONE
