"""Small things a new user met in the first hour (#15), in a real browser (Debian's Chromium).

- Swagger UI draws its icons as data: images, which the Content Security Policy blocked.
- Every admin page asked for /favicon.ico, a 404.
- The action pages (bulk edit, claim with asset, edit-sheet import) were unstyled and their
  primary button was a plain grey button beside a styled Cancel.
Screenshots for a person go to var/test-artifacts/. ORM work happens before the Playwright block.
"""

import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.live.test_browser_live import CHROMIUM, CHROMIUM_ARGS, sign_in_browser
from tests.ops.test_csp_browser import RECORD_VIOLATIONS

ARTIFACTS = Path(django_settings.BASE_DIR) / "var" / "test-artifacts"
VIEWPORT = {"width": 1280, "height": 900}

pytestmark = [
    pytest.mark.skipif(
        not shutil.which(CHROMIUM),
        reason="needs Debian's Chromium at /usr/bin/chromium (bin/test installs it)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.slow,  # Chromium
]

# The submit row as a person sees it, beside what Django's own primary button looks like in it
# (the <input type="submit" class="default"> of a change form's submit row), drawn by a probe.
SUBMIT_ROW = """() => {
  const row = document.querySelector(".submit-row");
  const primary = row.querySelector(".default");
  const cancel = row.querySelector(".cancel-link");
  const probe = document.createElement("input");
  probe.type = "submit";
  probe.className = "default";
  probe.value = "probe";
  row.appendChild(probe);
  const looks = (element) => element && {
    background: getComputedStyle(element).backgroundColor,
    height: Math.round(element.getBoundingClientRect().height),
  };
  const django_primary = looks(probe);
  probe.remove();
  return {
    row_display: getComputedStyle(row).display,
    primary_text: primary ? primary.innerText.trim() : null,
    primary: looks(primary),
    cancel: looks(cancel),
    django_primary,
  };
}"""


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def test_swagger_ui_draws_its_icons_under_the_csp(live_server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.add_init_script(RECORD_VIOLATIONS)
            response = page.goto(f"{live_server.url}/api/docs/")
            page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)
            page.click(".swagger-ui .opblock-summary")  # open one operation: more icons
            page.wait_for_timeout(300)
            violations = page.evaluate("window.__cspViolations")
            header = response.headers["content-security-policy"]
            page.screenshot(path=str(ARTIFACTS / "api-docs-1280.png"))
        finally:
            browser.close()

    assert violations == []
    # Narrowly: data: images, nothing else from elsewhere; scripts as strict as before.
    assert "img-src 'self' data:;" in header + ";"
    script_src = next(part for part in header.split("; ") if part.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src


def test_admin_pages_have_a_favicon_and_no_favicon_404(live_server, alice, caplog):
    from playwright.sync_api import sync_playwright

    alice.set_password("alice-password")
    alice.save()
    caplog.set_level("WARNING", logger="django.request")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            sign_in_browser(page, live_server.url, "alice", "alice-password")
            page.goto(f"{live_server.url}/admin/videos/video/")
            page.wait_for_timeout(500)  # the browser asks for the icon after the page loads
            icon_href = page.get_attribute('link[rel="icon"]', "href")
            icon = page.request.get(f"{live_server.url}{icon_href}")
            icon_status, icon_type = icon.status, icon.headers.get("content-type", "")
        finally:
            browser.close()

    assert icon_href.endswith("/ytcms/favicon.svg")
    assert (icon_status, icon_type.split(";")[0]) == (200, "image/svg+xml")
    assert [record.getMessage() for record in caplog.records if "favicon" in record.getMessage()] == []


def test_action_pages_use_the_admins_submit_row_and_primary_button(
    live_server, alice, channel_a1, channel_b1, make_video
):
    from playwright.sync_api import sync_playwright

    alice.set_password("alice-password")
    alice.save()
    for number in range(2):
        make_video(channel_a1, video_id=f"action{number:05d}", title=f"Action page video {number}")
    make_video(channel_b1, video_id="actionb0001", title="Charlie's video")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    seen = {}
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            sign_in_browser(page, live_server.url, "alice", "alice-password")
            for action, screenshot in (
                ("bulk_edit", "bulk-edit-1280.png"),
                ("claim_with_asset", "claim-with-asset-1280.png"),
            ):
                # What a person does: tick every row, pick the action, Run.
                page.goto(f"{live_server.url}/admin/videos/video/")
                page.click("#action-toggle")
                page.select_option('select[name="action"]', action)
                page.click('button[name="index"]')
                page.wait_for_selector(".submit-row")
                # Computed styles need the stylesheets: under load the row is there before they are.
                page.wait_for_load_state("load")
                seen[action] = page.evaluate(SUBMIT_ROW)
                page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
            page.goto(f"{live_server.url}/admin/reports/report/")
            page.click("text=Import edit sheet")
            page.wait_for_selector(".submit-row")
            page.wait_for_load_state("load")
            seen["edit_sheet"] = page.evaluate(SUBMIT_ROW)
            page.screenshot(path=str(ARTIFACTS / "edit-sheet-import-1280.png"), full_page=True)
        finally:
            browser.close()

    assert {name: figures["primary_text"] for name, figures in seen.items()} == {
        "bulk_edit": "PREVIEW",
        "claim_with_asset": "ADD TO MY DRAFT CHANGE SET",
        "edit_sheet": "PREVIEW",
    }
    for name, figures in seen.items():
        assert figures["row_display"] == "flex", (name, figures)  # forms.css's submit row
        assert figures["primary"] == figures["django_primary"], (name, figures)
        if figures["cancel"] is not None:
            # Cancel is as tall, and not in the primary's colour.
            assert figures["cancel"]["height"] == figures["primary"]["height"], (name, figures)
            assert figures["cancel"]["background"] != figures["primary"]["background"], (name, figures)
