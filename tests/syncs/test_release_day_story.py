"""Release day, end to end (#19), as a rights manager clicks it in Debian's Chromium.

alice writes a footer block and a description template that uses it in the admin, ticks 20 videos
in the video list and picks "Apply template…", reads the preview (old → new), adds the new
descriptions to her draft, opens the draft change set, approves it and schedules its push through
"Schedule push…" for the next minute but one in Berlin time. Then she only watches: the task
worker pushes it at the moment, and the open change-set page says "Done" without a reload. The
YouTube emulator holds the 20 new descriptions afterwards.

The processes `make run` starts, started the same way (tests/live/test_browser_worker.py): uvicorn
serving ytcms_site.asgi and `manage.py db_worker`, on one database every process shares (a SQLite
file, or a PostgreSQL database of the test's own), no Redis (the worker's frames reach the page
through the outbox the web server relays), the emulator over HTTP (tests/syncs/conftest.py). The
wait for the moment is real time (about a minute or two); nothing asserts on how long it took.

Screenshots (1280 x 800) go to var/test-artifacts/release-day/; with YTCMS_DOC_SCREENSHOTS=1 also
to docs/img/release-day/, the pictures of docs/release-day.md.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.live.test_browser_live import (
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    sign_in_browser,
    wait_live_connected,
)
from tests.live.test_browser_worker import start_worker, stop_worker
from tests.live.test_two_processes import (  # noqa: F401 (shared_database is a fixture)
    ROOT,
    manage_shell,
    shared_database,
    start_servers,
)
from tests.syncs.conftest import CHANNEL_A1, _video, emulator_seed, subprocess_env

pytestmark = [
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's Chromium at /usr/bin/chromium"),
    pytest.mark.slow,  # Chromium, a uvicorn server, a db_worker process and a minute of real time
]

VIEWPORT = {"width": 1280, "height": 800}
ARTIFACTS = ROOT / "var" / "test-artifacts" / "release-day"
DOC_IMAGES = ROOT / "docs" / "img" / "release-day"
BERLIN = "Europe/Berlin"
VIDEOS = [f"release{n:04d}" for n in range(1, 21)]
TITLES = {video_id: f"Night Session {n:02d}" for n, video_id in enumerate(VIDEOS, start=1)}
FOOTER = "Stream {title} everywhere: https://northwind.example/night-sessions\nFollow {channel} for more."
TEMPLATE = "{title}, live at the Northwind studio.\n\n{block:footer}"
# Up to two minutes: the moment is a whole minute (the form's time has no seconds) at least one
# minute ahead. The worker polls every second.
PUSHED_TIMEOUT_MS = 240_000

SETUP = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from channels_app.models import Channel, ContentOwner, Membership
from syncs.services.connect import youtube_connect_refresh_token
from tests.conftest import remote_state
from tests.syncs.conftest import REFRESH_TOKEN_A
from videos.services import video_create

owner = ContentOwner.objects.create(id="owner-a", name="Northwind Records")
channel = Channel.objects.create(id=%(channel)r, title="Northwind Live", content_owner=owner)
for video_id, title in json.loads(%(titles)r).items():
    video_create(channel=channel, video_id=video_id, remote=remote_state(title=title), source="api")
youtube_connect_refresh_token(owner=owner, refresh_token=REFRESH_TOKEN_A)
alice = get_user_model().objects.create_user(username="alice", password="pw", is_staff=True)
alice.groups.add(Group.objects.get(name="Rights manager"))
Membership.objects.create(user=alice, content_owner=owner, role="manager")
print("ready")
"""


@pytest.fixture(scope="module")
def release_env(shared_database, youtube_emulator, tmp_path_factory):  # noqa: F811
    """bin/run's processes on a migrated database: the task worker's backend, no Redis, the emulator."""
    env = subprocess_env(tmp_path_factory.mktemp("release-day"), shared_database, youtube_emulator)
    env.update(
        DEBUG="true", ALLOWED_HOSTS="127.0.0.1,localhost", DJANGO_SETTINGS_MODULE="ytcms_site.settings"
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    return env


@pytest.fixture
def release_site(release_env, youtube_emulator, tmp_path):
    """The emulator holding the 20 videos, ytcms holding them too, the web server and the worker."""
    seed = emulator_seed()
    seed["videos"] = [_video(video_id, CHANNEL_A1, title=title) for video_id, title in TITLES.items()]
    youtube_emulator.state.reset()
    youtube_emulator.state.load(seed)
    assert manage_shell(release_env, SETUP % {"channel": CHANNEL_A1, "titles": json.dumps(TITLES)}) == "ready"
    worker = start_worker(release_env, tmp_path / "db_worker.log")
    try:
        for (port,) in start_servers(release_env, 1, tmp_path):
            yield f"http://127.0.0.1:{port}"
    finally:
        stop_worker(*worker)


def next_moment(now: datetime) -> datetime:
    """The first whole minute at least a minute after `now`, in Berlin time."""
    moment = (now + timedelta(minutes=1)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment.astimezone(ZoneInfo(BERLIN))


def shoot(page, name: str, *, top: str | None = None) -> None:
    """A 1280 x 800 picture of the page, scrolled so that `top` (a selector) heads it."""
    if top:
        page.locator(top).evaluate(
            "node => { node.scrollIntoView({block: 'start'}); window.scrollBy(0, -16); }"
        )
    page.screenshot(path=str(ARTIFACTS / name))
    if os.environ.get("YTCMS_DOC_SCREENSHOTS") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ARTIFACTS / name, DOC_IMAGES / name)


def test_a_template_with_a_footer_applied_to_20_videos_and_scheduled_is_pushed_at_its_moment(
    release_site, youtube_emulator
):
    from playwright.sync_api import expect, sync_playwright

    base = release_site
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    seen: dict = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            sign_in_browser(page, base, "alice", "pw")

            # 1. A footer block, kept once.
            page.goto(f"{base}/admin/syncs/templateblock/add/")
            page.select_option("#id_content_owner", "owner-a")
            page.fill("#id_name", "footer")
            page.fill("#id_body", FOOTER)
            shoot(page, "01-footer-block.png")
            page.click('input[name="_save"]')
            page.wait_for_url(re.compile(r".*/admin/syncs/templateblock/$"), timeout=TIMEOUT_MS)

            # 2. A description template that uses it.
            page.goto(f"{base}/admin/syncs/metadatatemplate/add/")
            page.select_option("#id_content_owner", "owner-a")
            page.fill("#id_name", "Night Sessions description")
            page.select_option("#id_field", "description")
            page.fill("#id_body", TEMPLATE)
            shoot(page, "02-template.png")
            page.click('input[name="_save"]')
            page.wait_for_url(re.compile(r".*/admin/syncs/metadatatemplate/$"), timeout=TIMEOUT_MS)

            # 3. Applied to 20 videos: the preview, old → new.
            page.goto(f"{base}/admin/videos/video/")
            for video_id in VIDEOS:
                page.locator(f'input.action-select[value="{video_id}"]').check()
            page.select_option('select[name="action"]', "apply_template")
            page.click('button[name="index"]')
            page.wait_for_selector("#apply-template-form", timeout=TIMEOUT_MS)
            page.select_option("#id_template", label="Night Sessions description (description, v1)")
            page.get_by_role("button", name="Preview", exact=True).click()
            page.wait_for_selector("#template-preview", timeout=TIMEOUT_MS)
            rows = page.locator("#template-preview tbody tr")
            seen["preview_rows"] = rows.count()
            seen["first_row"] = rows.first.inner_text()
            shoot(page, "03-preview.png")
            page.get_by_role("button", name="Add to my draft change set").click()
            page.wait_for_url(re.compile(r".*/admin/videos/video/(\?.*)?$"), timeout=TIMEOUT_MS)
            seen["applied"] = page.locator("ul.messagelist li").first.inner_text()

            # 4. The draft change set, approved.
            page.locator("ul.messagelist a").first.click()
            page.wait_for_url(re.compile(r".*/admin/syncs/changeset/\d+/change/$"), timeout=TIMEOUT_MS)
            changeset_url = page.url
            shoot(page, "04-draft-changeset.png", top="#ytcms-changeset-live")
            page.locator("#ytcms-changeset-actions").get_by_role("button", name="Approve").click()
            page.wait_for_url(changeset_url, timeout=TIMEOUT_MS)

            # 5. Scheduled for a moment a minute ahead, in Berlin time.
            moment = next_moment(datetime.now(UTC))
            page.click("text=Schedule push…")
            page.fill("#id_day", moment.date().isoformat())
            page.fill("#id_clock", moment.strftime("%H:%M"))
            page.select_option("#id_time_zone", BERLIN)
            shoot(page, "05-schedule-form.png")
            page.click("button:has-text('Schedule push')")
            page.wait_for_url(changeset_url, timeout=TIMEOUT_MS)
            seen["described"] = page.locator(".ytcms-schedule-described").inner_text()
            seen["status_scheduled"] = page.inner_text("#ytcms-changeset-live .ytcms-changeset-status")
            wait_live_connected(page)
            page.evaluate("window.__sameDocument = true")  # a reload would lose it
            shoot(page, "06-scheduled.png", top="#ytcms-changeset-live")

            # 6. The moment: the worker pushes, the page follows without a reload.
            expect(page.locator("#ytcms-changeset-live .ytcms-changeset-status")).to_have_text(
                "Done", timeout=PUSHED_TIMEOUT_MS
            )
            seen["same_document"] = page.evaluate("window.__sameDocument === true")
            seen["item_statuses"] = set(
                page.locator(".ytcms-item-status").evaluate_all("nodes => nodes.map(n => n.dataset.status)")
            )
            shoot(page, "07-pushed.png", top="#ytcms-changeset-live")
        finally:
            browser.close()

    assert seen["preview_rows"] == 20
    assert "Night Session 01, live at the Northwind studio." in seen["first_row"]
    assert "About the song" in seen["first_row"]  # the old description beside the new one
    assert "applied to 20 videos" in seen["applied"]
    assert seen["described"].startswith(f"Scheduled for {moment:%Y-%m-%d %H:%M} {BERLIN}"), seen["described"]
    assert seen["status_scheduled"] == "Approved"
    assert seen["same_document"] is True
    assert seen["item_statuses"] == {"done"}
    descriptions = {
        video_id: youtube_emulator.state.video(video_id)["snippet"]["description"] for video_id in VIDEOS
    }
    assert descriptions == {
        video_id: f"{title}, live at the Northwind studio.\n\n"
        f"Stream {title} everywhere: https://northwind.example/night-sessions\nFollow Northwind Live for more."
        for video_id, title in TITLES.items()
    }
