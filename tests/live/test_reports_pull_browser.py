"""A newcomer clicks "Fetch reports from YouTube now" and the owner's page says what the fetch
found, here nothing, without a reload.

The processes `make run` starts (tests/live/test_browser_worker.py): uvicorn serving
ytcms_site.asgi and `manage.py db_worker` on one shared database, no Redis (the worker's frame
reaches the page through the outbox the web server relays), the YouTube emulator over HTTP with
no report published. The worker is started only once the page the button redirects to is
connected and still says "Never fetched", so only the live frame can change its line. charlie,
on his own owner's page, hears nothing of it.
Screenshot (1280 px wide): var/test-artifacts/live/reports-pull-found-nothing.png.
"""

import re
import shutil

import pytest

from tests.live.test_browser_live import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    sign_in_browser,
    wait_live_connected,
)
from tests.live.test_browser_worker import start_worker, stop_worker
from tests.live.test_two_processes import manage_shell, shared_database, start_servers  # noqa: F401
from tests.syncs.test_release_day_story import release_env  # noqa: F401 (the migrated processes' env)

pytestmark = [
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's Chromium at /usr/bin/chromium"),
    pytest.mark.slow,  # Chromium, a uvicorn server and a db_worker process
]
VIEWPORT = {"width": 1280, "height": 900}
# The worker starts Django and polls every second: allow for both on a busy machine.
PULL_TIMEOUT_MS = 60_000

SETUP = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from channels_app.models import ContentOwner, Membership
from syncs.services.connect import youtube_connect_refresh_token
from tests.syncs.conftest import REFRESH_TOKEN_A

owner = ContentOwner.objects.create(id="owner-a", name="Northwind Records")
other = ContentOwner.objects.create(id="owner-b", name="Label B")
youtube_connect_refresh_token(owner=owner, refresh_token=REFRESH_TOKEN_A)
for name, of in (("alice", owner), ("charlie", other)):
    user = get_user_model().objects.create_user(username=name, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Rights manager"))
    Membership.objects.create(user=user, content_owner=of, role="manager")
print("ready")
"""


@pytest.fixture
def pull_site(release_env, youtube_emulator, tmp_path):  # noqa: F811
    """The emulator with owner A and no report, ytcms with A connected, the web server (no worker yet)."""
    from tests.syncs.conftest import emulator_seed

    youtube_emulator.state.reset()
    youtube_emulator.state.load(emulator_seed())
    assert manage_shell(release_env, SETUP) == "ready"
    for (port,) in start_servers(release_env, 1, tmp_path):
        yield f"http://127.0.0.1:{port}"


def test_fetch_reports_now_that_finds_nothing_says_so_on_the_page_without_a_reload(
    pull_site,
    release_env,  # noqa: F811 (the fixture imported above)
    tmp_path,
):
    from playwright.sync_api import expect, sync_playwright

    base = pull_site
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    worker = None
    seen: dict = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            charlie_page = browser.new_context(viewport=VIEWPORT).new_page()
            sign_in_browser(charlie_page, base, "charlie", "pw")
            charlie_page.goto(f"{base}/admin/channels_app/contentowner/owner-b/change/")
            wait_live_connected(charlie_page)
            charlie_page.evaluate(
                "window.__frames = []; window.ytcmsLive.on('*', (frame) => window.__frames.push(frame.type))"
            )

            page = browser.new_context(viewport=VIEWPORT).new_page()
            sign_in_browser(page, base, "alice", "pw")
            page.goto(f"{base}/admin/channels_app/contentowner/owner-a/change/")
            page.get_by_role("button", name="Fetch reports from YouTube now").click()
            page.wait_for_url(f"{base}/admin/channels_app/contentowner/owner-a/change/", timeout=TIMEOUT_MS)
            wait_live_connected(page)
            seen["message"] = page.locator("ul.messagelist li").first.inner_text()
            seen["line_before"] = page.inner_text("#ytcms-reports-pull")
            page.evaluate("window.__sameDocument = true")  # a reload would lose it

            worker = start_worker(release_env, tmp_path / "db_worker.log")
            line = page.locator("#ytcms-reports-pull")
            expect(line).to_contain_text("imported nothing", timeout=PULL_TIMEOUT_MS)
            seen["line_after"] = line.inner_text()
            seen["note"] = page.locator("#ytcms-live-notes .ytcms-live-note").last.inner_text()
            seen["same_document"] = page.evaluate("window.__sameDocument === true")
            page.screenshot(path=str(ARTIFACTS / "reports-pull-found-nothing.png"))
            seen["charlie_frames"] = charlie_page.evaluate("window.__frames")
        finally:
            browser.close()
            if worker is not None:
                stop_worker(*worker)

    assert "What the fetch found (also when it finds nothing) will appear on this page." in seen["message"]
    assert seen["line_before"] == "Last fetch from YouTube: Never fetched"
    assert seen["same_document"]
    assert re.fullmatch(
        r"Last fetch from YouTube: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC — "
        r"owner-a: 0 new reports listed; imported nothing\.",
        seen["line_after"],
    )
    assert seen["note"] == "Fetched from YouTube: owner-a: 0 new reports listed; imported nothing."
    assert "reports_pull_finished" not in seen["charlie_frames"]
