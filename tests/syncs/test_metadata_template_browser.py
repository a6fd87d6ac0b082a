"""Metadata templates clicked as a person clicks them (#19), in Debian's Chromium against the real site.

alice adds a footer block and a description template using it in the admin (typing line breaks,
which the browser sends as CRLF), ticks 20 videos, picks "Apply template…", chooses the template,
clicks Preview, reads the 20 old → new descriptions (one too long, listed first with its byte
count) and adds them to her draft. The draft holds the 19 that fit, with LF line breaks.

All ORM work happens outside the Playwright block (its event loop makes the ORM refuse to run).
"""

import re

from syncs.models import ChangeSet
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


def test_alice_writes_a_template_with_a_footer_block_and_applies_it_to_20_videos(
    asgi_server,  # noqa: F811
    alice,
    channel_a1,
    make_video,
):
    from playwright.sync_api import sync_playwright

    chosen = [make_video(channel_a1, title=f"Night Session {n:02d}") for n in range(1, SELECTED + 1)]
    # "é" is two bytes: this title makes the description 5,001 bytes long.
    too_long = chosen[-1]
    Video.objects.filter(pk=too_long.pk).update(title="é" * 100)
    alice.set_password("alice-password")
    alice.save()
    base = asgi_server.url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # 4,825 bytes of footer (the form strips its last space): with a 16-character title the
    # description is 4,843 bytes, with the 100 "é" (200 bytes) 5,027.
    links = "https://northwind.example/stream " * 146
    seen: dict = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            sign_in_browser(page, base, "alice", "alice-password")

            page.goto(f"{base}/admin/syncs/templateblock/add/")
            page.select_option("#id_content_owner", "owner-a")
            page.fill("#id_name", "footer")
            page.fill("#id_body", "Listen:\n" + links)
            page.click('input[name="_save"]')
            page.wait_for_url(re.compile(r".*/admin/syncs/templateblock/$"), timeout=TIMEOUT_MS)

            page.goto(f"{base}/admin/syncs/metadatatemplate/add/")
            page.select_option("#id_content_owner", "owner-a")
            page.fill("#id_name", "Release description")
            page.select_option("#id_field", "description")
            page.fill("#id_body", "{title}\n\n{block:footer}")
            page.click('input[name="_save"]')
            page.wait_for_url(re.compile(r".*/admin/syncs/metadatatemplate/$"), timeout=TIMEOUT_MS)
            seen["templates"] = page.locator("#result_list .field-name").all_inner_texts()

            page.goto(f"{base}/admin/videos/video/")
            for video in chosen:
                page.locator(f'input.action-select[value="{video.pk}"]').check()
            page.select_option('select[name="action"]', "apply_template")
            page.click('button[name="index"]')
            page.wait_for_selector("#apply-template-form", timeout=TIMEOUT_MS)
            page.select_option("#id_template", label="Release description (description, v1)")
            page.get_by_role("button", name="Preview", exact=True).click()
            page.wait_for_selector("#template-preview", timeout=TIMEOUT_MS)
            rows = page.locator("#template-preview tbody tr")
            seen["rows"] = [row.get_attribute("data-video") for row in rows.all()]
            seen["first_row"] = rows.first.inner_text()
            page.screenshot(path=str(ARTIFACTS / "template-apply-preview.png"), full_page=True)

            page.get_by_role("button", name="Add to my draft change set").click()
            page.wait_for_url(re.compile(r".*/admin/videos/video/(\?.*)?$"), timeout=TIMEOUT_MS)
            seen["messages"] = page.locator("ul.messagelist li").all_inner_texts()
        finally:
            browser.close()

    assert seen["templates"] == ["Release description"]
    assert len(seen["rows"]) == SELECTED and seen["rows"][0] == too_long.pk
    assert "description is 5,027 bytes; YouTube allows 5,000." in seen["first_row"]
    assert any("applied to 19 videos" in message for message in seen["messages"])
    draft = ChangeSet.objects.get(created_by=alice, status=ChangeSet.Status.DRAFT)
    items = {item.video_id: item.new_value for item in draft.items.all()}
    assert set(items) == {video.pk for video in chosen[:-1]}
    assert items[chosen[0].pk] == "Night Session 01\n\nListen:\n" + links.strip()
    assert not any("\r" in value for value in items.values())
