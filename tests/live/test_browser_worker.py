"""`make run` without Redis: a report the task worker imports moves the open report page to 100 %.

The processes bin/run starts, started the same way: uvicorn serving ytcms_site.asgi and
`manage.py db_worker`, both on one SQLite file (a PostgreSQL database of the test's own when
DATABASE_URL is set), no REDIS_URL (the in-memory layer: the worker's frames reach the page through
the outbox the web server relays). alice uploads a report in Chromium; the worker is started only
once her report page is connected at 0 %, so only live frames can move it, and every count on it
(the panel, the read-only fields, the rejected rows' heading) ends at the file's numbers without a
reload. charlie, a manager of another owner, keeps the report list open and hears nothing of it.
Screenshot (1280 px wide): var/test-artifacts/live/report-imported-by-worker.png.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live.test_browser_live import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    sign_in_browser,
    wait_live_connected,
)
from tests.live.test_two_processes import (  # noqa: F401 (fixtures)
    ROOT,
    report_csv,
    server_env,
    shared_database,
    start_servers,
)

pytestmark = [
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's Chromium at /usr/bin/chromium"),
    pytest.mark.slow,  # Chromium, a uvicorn server and a db_worker process
]
VIEWPORT = {"width": 1280, "height": 900}
# The worker starts Django and polls every second: allow for both on a busy machine.
IMPORT_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def site_env(server_env):  # noqa: F811 (the fixture imported above)
    """bin/run's environment: the database task backend (the worker runs imports), no Redis."""
    env = {**server_env, "REPORTS_CHUNK_ROWS": "5"}
    env.pop("TASKS_BACKEND")
    env.pop("REDIS_URL", None)
    return env


@pytest.fixture(scope="module")
def web_server(site_env):
    yield from start_servers(site_env, 1, Path(site_env["YTCMS_VAR_DIR"]).parent)


def start_worker(env: dict, log_path: Path) -> tuple[subprocess.Popen, object]:
    log = open(log_path, "wb")  # noqa: SIM115 (closed by stop_worker)
    command = [
        sys.executable,
        "manage.py",
        "db_worker",
        "--queue-name",
        "*",
        "--interval",
        "1",
        "--no-reload",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log


def stop_worker(worker: subprocess.Popen, log) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    log.close()


def test_a_report_imported_by_the_task_worker_moves_the_open_report_page_to_100(
    web_server, site_env, tmp_path
):
    from playwright.sync_api import expect, sync_playwright

    (port,) = web_server
    base = f"http://127.0.0.1:{port}"
    csv_path = report_csv(tmp_path / "worker-report.csv", videos=20)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    worker = None
    seen = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            charlie_page = browser.new_context(viewport=VIEWPORT).new_page()
            sign_in_browser(charlie_page, base, "charlie", "pw")
            charlie_page.goto(f"{base}/admin/reports/report/")
            wait_live_connected(charlie_page)
            charlie_page.evaluate(
                "window.__frames = []; window.ytcmsLive.on('*', (frame) => window.__frames.push(frame.type))"
            )

            page = browser.new_context(viewport=VIEWPORT).new_page()
            sign_in_browser(page, base, "alice", "pw")
            page.goto(f"{base}/admin/reports/report/upload/")
            page.select_option("#id_content_owner", "owner-a")
            page.set_input_files("#id_file", str(csv_path))
            page.click('button[name="mode"][value="import"]')
            page.wait_for_url(re.compile(r".*/admin/reports/report/\d+/change/$"))
            wait_live_connected(page)
            seen["progress_before"] = page.get_attribute(".ytcms-bar", "aria-valuenow")
            seen["status_before"] = page.inner_text(".ytcms-report-status")
            page.evaluate("window.__sameDocument = true")  # a reload would lose it

            worker = start_worker(site_env, tmp_path / "db_worker.log")
            expect(page.locator(".ytcms-bar")).to_have_attribute(
                "aria-valuenow", "100", timeout=IMPORT_TIMEOUT_MS
            )
            expect(page.locator(".ytcms-report-summary")).to_be_visible(timeout=TIMEOUT_MS)
            seen["status_after"] = page.inner_text(".ytcms-report-status")
            seen["rows_read"] = page.inner_text('#ytcms-report-live [data-count="rows_read"]')
            seen["rejected"] = page.inner_text('#ytcms-report-live [data-count="rows_rejected"]')
            seen["created"] = page.inner_text('#ytcms-report-live [data-count="videos_created"]')
            seen["summary"] = page.inner_text(".ytcms-report-summary")
            # The read-only fields below the panel and the rejected rows' heading follow too.
            seen["fields"] = {
                name: page.inner_text(f".fieldBox.field-{name} .readonly")
                for name in (
                    "rows_read",
                    "rows_imported",
                    "rows_unchanged",
                    "rows_rejected",
                    "videos_created",
                )
            }
            seen["rejected_heading"] = page.inner_text("#report-row-errors h2")
            seen["bytes"] = [
                page.inner_text(f".fieldBox.field-{name} .readonly")
                for name in ("bytes_processed", "bytes_total")
            ]
            seen["same_document"] = page.evaluate("window.__sameDocument === true")
            page.screenshot(path=str(ARTIFACTS / "report-imported-by-worker.png"), full_page=True)
            seen["charlie_frames"] = charlie_page.evaluate("window.__frames")
        finally:
            browser.close()
            if worker is not None:
                stop_worker(*worker)

    assert (seen["progress_before"], seen["status_before"]) == ("0", "Queued")
    assert seen["same_document"]
    assert seen["status_after"] == "Done"
    assert (seen["rows_read"], seen["rejected"], seen["created"]) == ("21", "1", "20")
    assert seen["summary"].startswith("Done: 21 rows read")
    assert seen["fields"] == {
        "rows_read": "21",
        "rows_imported": "20",
        "rows_unchanged": "0",
        "rows_rejected": "1",
        "videos_created": "20",
    }
    assert seen["rejected_heading"] == "Rejected rows (1)"
    # All of the file read, written as the admin writes a number after a reload (1,420, grouped).
    assert seen["bytes"][0] == seen["bytes"][1] and re.fullmatch(r"\d{1,3}(,\d{3})*", seen["bytes"][0])
    assert "processing_update" not in seen["charlie_frames"]
