"""Live updates in a real browser (Debian's Chromium) against a real ASGI server.

alice signs in through the admin, uploads a report and watches its progress bar reach 100 % and
its rejected rows appear without reloading; on a second page the video list changes a row in
place when a video is edited elsewhere. The server is uvicorn serving ytcms_site.asgi (the real
LiveConsumer at /ws/live/, the in-memory channel layer, or Redis when REDIS_URL is set).

uvicorn runs in a thread of the test process, not a subprocess: the SQLite test database is in
memory, so only this process can reach it (the same reason pytest-django's live_server is a
thread). Server-side work (the import, the edit) runs on the server's own event loop and database
thread (AsgiServer.call), never in the thread that drives Playwright: the ORM refuses to run
there (stack notes §5.7). Screenshots go to var/test-artifacts/live/ (git-ignored).
"""

import asyncio
import os
import re
import shutil
import socket
import threading
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.db import connections

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(django_settings.BASE_DIR) / "var" / "test-artifacts" / "live"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
TIMEOUT_MS = 15_000

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("YTCMS_BROWSER_TESTS") == "0",
        reason="browser tests switched off (YTCMS_BROWSER_TESTS=0)",
    ),
    pytest.mark.skipif(
        not shutil.which(CHROMIUM),
        reason="needs Debian's Chromium at /usr/bin/chromium (bin/test installs it; YTCMS_BROWSER_TESTS=0 skips)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.slow,  # Chromium and a uvicorn server per test
]


class AsgiServer:
    """uvicorn serving the site's ASGI application (plus static files) in a background thread."""

    def __init__(self, port: int = 0):
        import uvicorn
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        from ytcms_site.asgi import application

        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", port))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        # Static files as runserver would serve them: the admin's CSS/JS and ours (no collectstatic).
        config = uvicorn.Config(
            ASGIStaticFilesHandler(application), lifespan="off", log_level="warning", ws="websockets-sansio"
        )
        self.server = uvicorn.Server(config)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, name="uvicorn-live-test", daemon=True)

    def _run(self):
        async def serve():
            self.loop = asyncio.get_running_loop()
            await self.server.serve(sockets=[self.socket])

        asyncio.run(serve())

    def start(self):
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            self.thread.join(0.05)
        raise RuntimeError("uvicorn did not start within 10 s")

    def call(self, function, *args, **kwargs):
        """Run sync (ORM) code the way a request would: on the server loop's database thread.

        Live events sent from there reach the consumers through the same channel layer instance
        the server uses (async_to_sync hands the send back to the server's loop).
        """
        future = asyncio.run_coroutine_threadsafe(sync_to_async(function)(*args, **kwargs), self.loop)
        return future.result(timeout=60)

    def stop(self):
        if not self.thread.is_alive():
            return
        try:
            # The server's database connection lives in its thread: close it there, or PostgreSQL
            # refuses to drop the test database ("being accessed by other users").
            self.call(connections.close_all)
        finally:
            self.server.should_exit = True
            self.thread.join(10)


@pytest.fixture
def asgi_server(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Several chunks, so the import sends more than its first and last frames.
    settings.REPORTS_CHUNK_ROWS = 2
    from core.live.transport import reset_throttles

    reset_throttles()
    # Django's ASGI handler runs each request in a thread of its own; a persistent connection
    # (DB_CONN_MAX_AGE) would outlive that thread and keep PostgreSQL from dropping the test
    # database. Every wrapper shares this dict, so the server's request threads see the change.
    database = connections.settings["default"]
    conn_max_age = database.get("CONN_MAX_AGE", 0)
    database["CONN_MAX_AGE"] = 0
    server = AsgiServer().start()
    try:
        yield server
    finally:
        server.stop()
        database["CONN_MAX_AGE"] = conn_max_age


def _report_csv() -> bytes:
    from tests.conftest import channel_id

    header = "video_id,channel_id,video_title,video_privacy_status,embedding_allowed\n"
    good = [f"live{n:07d},{channel_id('a')},Live import {n},public,True" for n in range(6)]
    bad = ["not-a-video-id,,,,", "also bad,,,,"]
    return (header + "\n".join(good + bad) + "\n").encode()


def report_ingest_now(report_id: int) -> str:
    from reports.services import report_ingest

    return report_ingest(report_id=report_id).status


def _rename_video(video_id: str, title: str, username: str) -> None:
    from django.contrib.auth import get_user_model

    from syncs.changesets.edits import video_edit_in_changeset as video_update
    from videos.models import Video

    video_update(
        video=Video.objects.get(pk=video_id),
        changes={"title": title},
        user=get_user_model().objects.get(username=username),
    )


def sign_in_browser(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


def wait_live_connected(page) -> str:
    page.wait_for_selector('#ytcms-live[data-state="connected"]', timeout=TIMEOUT_MS)
    return page.inner_text("#ytcms-live .ytcms-live-label")


def test_report_progress_and_video_rows_update_without_reload(
    asgi_server, alice, catalogue, owner_a, tmp_path
):
    from playwright.sync_api import expect, sync_playwright

    alice.set_password("alice-password")
    alice.save()
    csv_path = tmp_path / "live-report.csv"
    csv_path.write_bytes(_report_csv())
    base = asgi_server.url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    seen = {}
    console_errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            report_page = context.new_page()
            report_page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
            sign_in_browser(report_page, base, "alice", "alice-password")
            seen["index_indicator"] = wait_live_connected(report_page)
            seen["dashboard_figures"] = report_page.wait_for_selector(
                "#dash-privacy ul.ytcms-figures li", timeout=TIMEOUT_MS
            ).inner_text()
            report_page.wait_for_timeout(500)  # the charts' drawing animation
            report_page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

            # Upload through the admin: the import is queued (no worker runs in this test).
            report_page.goto(f"{base}/admin/reports/report/upload/")
            report_page.select_option("#id_content_owner", owner_a.pk)
            report_page.set_input_files("#id_file", str(csv_path))
            report_page.click('button[name="mode"][value="import"]')
            report_page.wait_for_url(re.compile(r".*/admin/reports/report/\d+/change/$"))
            report_id = int(re.search(r"/report/(\d+)/change/", report_page.url).group(1))
            seen["report_indicator"] = wait_live_connected(report_page)
            seen["progress_before"] = report_page.get_attribute(".ytcms-bar", "aria-valuenow")
            # Marks this document: a reload would lose it.
            report_page.evaluate("window.__sameDocument = true")

            list_page = context.new_page()
            list_page.goto(f"{base}/admin/reports/report/")
            wait_live_connected(list_page)
            list_bar = list_page.locator(f'[data-ytcms-report="{report_id}"]')
            seen["list_bar_before"] = list_bar.get_attribute("title")

            video_page = context.new_page()
            video_page.goto(f"{base}/admin/videos/video/")
            seen["list_indicator"] = wait_live_connected(video_page)
            video_page.evaluate("window.__sameDocument = true")
            row = video_page.locator("tr", has=video_page.locator('[data-ytcms-video="a1song00001"]'))
            seen["title_before"] = row.locator(".field-title a").inner_text()

            # Server-side, as the task worker would: run the import; its frames move the bar.
            seen["import_status"] = asgi_server.call(report_ingest_now, report_id)
            report_page.wait_for_selector('.ytcms-bar[aria-valuenow="100"]', timeout=TIMEOUT_MS)
            report_page.wait_for_selector(".ytcms-report-summary:not([hidden])", timeout=TIMEOUT_MS)
            report_page.wait_for_selector("#ytcms-report-errors tr.ytcms-row-new", timeout=TIMEOUT_MS)
            seen["summary"] = report_page.inner_text(".ytcms-report-summary")
            seen["status_text"] = report_page.inner_text(".ytcms-report-status")
            seen["live_error_rows"] = report_page.locator("#ytcms-report-errors tr.ytcms-row-new").count()
            seen["rows_read"] = report_page.inner_text('#ytcms-report-live [data-count="rows_read"]')
            seen["status_field"] = report_page.inner_text(".field-status .readonly")
            seen["report_same_document"] = report_page.evaluate("window.__sameDocument === true")
            # The run's times follow too (they read "-" until a reload did), as a reload shows them.
            times = ("started_at", "finished_at")
            seen["times_live"] = [
                report_page.inner_text(f".fieldBox.field-{name} .readonly") for name in times
            ]
            report_page.screenshot(path=str(ARTIFACTS / "report-page-done.png"), full_page=True)
            expect(list_bar).to_have_attribute("title", "100%", timeout=TIMEOUT_MS)
            list_row = list_page.locator("tr", has=list_bar)
            seen["list_status"] = list_row.locator(".field-status").inner_text()
            seen["list_rows_read"] = list_row.locator(".field-rows_read").inner_text()
            # Every count the list shows follows live, as a reload would show it.
            columns = ("rows_read", "imported_rows", "rows_unchanged", "rows_rejected", "created_videos")
            seen["list_row_live"] = [list_row.locator(f".field-{name}").inner_text() for name in columns]
            list_page.reload()
            reloaded_row = list_page.locator(
                "tr", has=list_page.locator(f'[data-ytcms-report="{report_id}"]')
            )
            seen["list_row_reloaded"] = [
                reloaded_row.locator(f".field-{name}").inner_text() for name in columns
            ]

            # Server-side edit of a video (as another person's admin save would do).
            asgi_server.call(_rename_video, "a1song00001", "Midnight Song (Live at Dawn)", "alice")
            expect(row.locator(".field-title a")).to_have_text(
                "Midnight Song (Live at Dawn)", timeout=TIMEOUT_MS
            )
            seen["title_after"] = row.locator(".field-title a").inner_text()
            seen["badge_after"] = row.locator("[data-ytcms-video]").get_attribute("data-sync-status")
            seen["pending_after"] = row.locator(".field-pending_marker").inner_text()
            seen["notification"] = video_page.wait_for_selector(
                ".ytcms-live-note", timeout=TIMEOUT_MS
            ).inner_text()
            seen["list_same_document"] = video_page.evaluate("window.__sameDocument === true")
            seen["list_indicator_after"] = video_page.inner_text("#ytcms-live .ytcms-live-label")
            video_page.screenshot(path=str(ARTIFACTS / "video-list-updated.png"), full_page=True)
            report_page.reload()
            seen["times_reloaded"] = [
                report_page.inner_text(f".fieldBox.field-{name} .readonly") for name in times
            ]
        finally:
            browser.close()

    assert seen["index_indicator"] == "connected"
    assert "-" not in seen["times_live"] and seen["times_live"] == seen["times_reloaded"]
    assert seen["dashboard_figures"].startswith("Public: ")
    assert seen["progress_before"] == "0"
    assert seen["import_status"] == "done"
    assert seen["report_same_document"] and seen["list_same_document"]
    assert seen["status_text"] == "Done"
    assert seen["rows_read"] == "8"
    assert seen["status_field"] == "Done"  # the read-only fields follow too
    assert seen["list_bar_before"] == "0%"
    assert (seen["list_status"], seen["list_rows_read"]) == ("Done", "8")  # the report list, in place
    assert seen["list_row_live"] == seen["list_row_reloaded"]
    assert "8 rows read" in seen["summary"] and "6 videos created" in seen["summary"]
    assert "2 rows rejected" in seen["summary"]
    assert seen["live_error_rows"] == 2
    assert seen["title_before"] == "Midnight Song"
    assert seen["title_after"] == "Midnight Song (Live at Dawn)"
    assert seen["badge_after"] == "pending"
    assert "title" in seen["pending_after"]
    assert "Midnight Song (Live at Dawn)" in seen["notification"]
    assert seen["report_indicator"] == seen["list_indicator"] == seen["list_indicator_after"] == "connected"
    assert [error for error in console_errors if "Content Security Policy" in error] == []


def test_charlie_does_not_see_alices_video_change(asgi_server, alice, charlie, catalogue):
    """A rights manager of another owner keeps a quiet page: the event never reaches his socket."""
    from playwright.sync_api import expect, sync_playwright

    charlie.set_password("charlie-password")
    charlie.save()
    base = asgi_server.url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            sign_in_browser(page, base, "charlie", "charlie-password")
            page.goto(f"{base}/admin/videos/video/")
            wait_live_connected(page)
            page.evaluate(
                "window.__frames = []; window.ytcmsLive.on('*', (frame) => window.__frames.push(frame.type))"
            )
            asgi_server.call(_rename_video, "a1song00001", "Not for Charlie", "alice")
            # Then an event he may see, so that waiting for it proves the first one had its chance.
            asgi_server.call(_rename_video, "b1secret001", "Secret Midnight Demo (v2)", "charlie")
            secret_row = page.locator("tr", has=page.locator('[data-ytcms-video="b1secret001"]'))
            expect(secret_row.locator(".field-title a")).to_have_text(
                "Secret Midnight Demo (v2)", timeout=TIMEOUT_MS
            )
            frames = page.evaluate("window.__frames")
            titles = page.locator(".field-title a").all_inner_texts()
        finally:
            browser.close()

    assert frames.count("video_update") == 1
    assert "Secret Midnight Demo (v2)" in titles and "Not for Charlie" not in titles


def _push_meets_a_conflict(item_id: int) -> None:
    """What the push does when YouTube changed a field since the edit began: settle, then publish."""
    from syncs.events import publish_changeset_update, publish_sync_status
    from syncs.models import ChangeSet, ChangeSetItem

    item = ChangeSetItem.objects.select_related("changeset").get(pk=item_id)
    item.status = ChangeSetItem.Status.CONFLICT
    item.theirs_value = "Midnight Song (Studio edit)"
    item.save(update_fields=["status", "theirs_value"])
    ChangeSet.objects.filter(pk=item.changeset_id).update(status=ChangeSet.Status.HAS_CONFLICTS)
    item.changeset.refresh_from_db()
    publish_sync_status([item])
    publish_changeset_update(item.changeset)


def _spend_quota(units: int) -> None:
    """What the YouTube door does before a call: charge the ledger, then tell the dashboards."""
    from syncs.events import publish_quota_update
    from syncs.models import QuotaLedger
    from syncs.youtube.quota_clock import pacific_day

    day = pacific_day()
    QuotaLedger.objects.update_or_create(
        project="live-project",
        api="youtube",
        day=day,
        defaults={"units_used": units, "budget": 10000, "reserve": 500},
    )
    publish_quota_update("live-project", "youtube", day)


def test_change_set_conflicts_and_dashboard_counts_arrive_live(asgi_server, alice, catalogue):
    from playwright.sync_api import expect, sync_playwright

    from syncs.models import ChangeSet, ChangeSetItem

    alice.set_password("alice-password")
    alice.save()
    changeset = ChangeSet.objects.create(
        created_by=alice, status=ChangeSet.Status.PUSHING, title="Night titles"
    )
    item = ChangeSetItem.objects.create(
        changeset=changeset,
        video=catalogue["a1_song"],
        field="title",
        base_value="Midnight Song",
        new_value="Midnight Song (Remastered)",
        status=ChangeSetItem.Status.PUSHING,
    )
    base = asgi_server.url
    seen = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            dashboard = context.new_page()
            sign_in_browser(dashboard, base, "alice", "alice-password")
            wait_live_connected(dashboard)
            expect(dashboard.locator('[data-figure="pending"]')).to_have_text("0", timeout=TIMEOUT_MS)
            changeset_page = context.new_page()
            changeset_page.goto(f"{base}/admin/syncs/changeset/{changeset.pk}/change/")
            wait_live_connected(changeset_page)
            status_cell = f'tr[data-item-id="{item.pk}"] .ytcms-item-status'
            seen["item_before"] = changeset_page.get_attribute(status_cell, "data-status")

            asgi_server.call(_push_meets_a_conflict, item.pk)
            changeset_page.wait_for_selector(f'{status_cell}[data-status="conflict"]', timeout=TIMEOUT_MS)
            changeset_page.wait_for_selector("#ytcms-conflicts li", timeout=TIMEOUT_MS)
            seen["conflict"] = changeset_page.inner_text("#ytcms-conflicts li")
            seen["theirs"] = changeset_page.inner_text(f'tr[data-item-id="{item.pk}"] .ytcms-item-theirs')
            seen["changeset_status"] = changeset_page.inner_text(".ytcms-changeset-status")
            seen["status_field"] = changeset_page.inner_text(".field-status .readonly")
            changeset_page.screenshot(path=str(ARTIFACTS / "changeset-conflict.png"), full_page=True)

            # An edit elsewhere: the dashboard hears the video_update and fetches its figures again.
            asgi_server.call(_rename_video, "a1live00001", "Live at Dusk", "alice")
            expect(dashboard.locator('[data-figure="pending"]')).to_have_text("1", timeout=TIMEOUT_MS)
            seen["pending_figure"] = dashboard.inner_text('[data-figure="pending"]')

            # quota_update frames move the quota card at once, without a refetch.
            asgi_server.call(_spend_quota, 1250)
            quota_entry = dashboard.locator('#dash-quota li[data-key="live-project/youtube"]')
            expect(quota_entry).to_have_text(
                "live-project · youtube: 1,250 of 9,500 units used", timeout=TIMEOUT_MS
            )
            dashboard.screenshot(path=str(ARTIFACTS / "dashboard-live.png"), full_page=True)
        finally:
            browser.close()

    assert seen["item_before"] == "pushing"
    assert "Conflict on a1song00001 · title" in seen["conflict"]
    assert (
        "Midnight Song (Studio edit)" in seen["conflict"] and "Midnight Song (Remastered)" in seen["conflict"]
    )
    assert seen["theirs"] == "Midnight Song (Studio edit)"
    assert seen["changeset_status"] == seen["status_field"] == "Has conflicts"
    assert seen["pending_figure"] == "1"


def test_the_indicator_says_reconnecting_and_comes_back_after_a_server_restart(asgi_server, alice, catalogue):
    from playwright.sync_api import expect, sync_playwright

    alice.set_password("alice-password")
    alice.save()
    base = asgi_server.url
    states = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        replacement = None
        try:
            page = browser.new_page()
            sign_in_browser(page, base, "alice", "alice-password")
            page.goto(f"{base}/admin/videos/video/")
            wait_live_connected(page)
            page.evaluate(
                "window.__sameDocument = true; window.__states = [];"
                "window.ytcmsLive.onState((s) => window.__states.push(s))"
            )
            indicator = page.locator("#ytcms-live")

            asgi_server.stop()
            expect(indicator).to_have_attribute("data-state", "reconnecting", timeout=TIMEOUT_MS)
            states.append(page.inner_text("#ytcms-live .ytcms-live-label"))
            replacement = AsgiServer(port=asgi_server.port).start()
            expect(indicator).to_have_attribute("data-state", "connected", timeout=TIMEOUT_MS)
            states.append(page.inner_text("#ytcms-live .ytcms-live-label"))
            states.append(page.evaluate("window.__states"))
            states.append(page.evaluate("window.__sameDocument === true"))
        finally:
            browser.close()
            if replacement is not None:
                replacement.stop()

    reconnecting_label, connected_label, history, same_document = states
    assert re.fullmatch(r"reconnecting in \d+ s", reconnecting_label)
    assert connected_label == "connected"
    assert history[0] == "connected" and "reconnecting" in history and history[-1] == "connected"
    assert same_document  # reconnected without a reload
