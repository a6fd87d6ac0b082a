"""The admin works under the Content Security Policy, in a real browser (Debian's Chromium).

Sign-in, the video changelist (actions JavaScript: "select all") and a video's change form
(calendar shortcuts, jsi18n) must run with no CSP violation reported by the page or the console.
All ORM work happens outside the Playwright block (stack notes, pitfall 7).
"""

import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.skipif(
        not shutil.which(CHROMIUM),
        reason="needs Debian's Chromium at /usr/bin/chromium (bin/test installs it)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.slow,  # Chromium
]

# Records every violation the page itself reports, before any of its scripts run.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def test_admin_pages_run_under_the_content_security_policy(live_server, catalogue, django_user_model):
    from playwright.sync_api import sync_playwright

    django_user_model.objects.create_superuser("csp-admin", "csp@example.com", "csp-password")
    video = catalogue["a1_song"]
    change_url = f"{live_server.url}/admin/videos/video/{video.pk}/change/"

    console_errors: list[str] = []
    violations: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page()
            page.add_init_script(RECORD_VIOLATIONS)
            page.on(
                "console", lambda message: message.type == "error" and console_errors.append(message.text)
            )

            response = page.goto(f"{live_server.url}/admin/login/?next=/admin/")
            header = response.headers["content-security-policy"]
            page.fill("#id_username", "csp-admin")
            page.fill("#id_password", "csp-password")
            page.click("input[type=submit]")
            page.wait_for_url(f"{live_server.url}/admin/")
            violations["login"] = page.evaluate("window.__cspViolations")

            page.goto(f"{live_server.url}/admin/videos/video/")
            page.click("#action-toggle")  # admin/js/actions.js: select every row
            checked = page.locator("input.action-select:checked").count()
            selected_text = page.locator(".action-counter").inner_text()
            violations["changelist"] = page.evaluate("window.__cspViolations")

            page.goto(change_url)
            page.wait_for_load_state("load")
            translations_loaded = page.evaluate("typeof window.gettext === 'function'")
            calendar_shortcuts = page.locator(".datetimeshortcuts").count()
            title = page.input_value("#id_title")
            violations["change form"] = page.evaluate("window.__cspViolations")
        finally:
            browser.close()

    assert "script-src 'self' 'nonce-" in header
    assert checked >= 1 and "selected" in selected_text
    assert translations_loaded and calendar_shortcuts >= 1
    assert title == "Midnight Song"
    assert violations == {"login": [], "changelist": [], "change form": []}
    assert [error for error in console_errors if "Content Security Policy" in error] == []
