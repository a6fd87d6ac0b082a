"""A claim policy's conflict, live in a real browser (trial C5): the line the change-set page adds
when the push meets Studio's change names the policies, never {"id": …} or {"rules": […]}."""

import pytest

from tests.live.test_browser_live import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    asgi_server,  # noqa: F401 - the fixture
    pytestmark,  # noqa: F401 - Chromium and transactional tests, as there
    sign_in_browser,
    wait_live_connected,
)


def _push(changeset_id: int) -> None:
    from syncs.changesets.push import changeset_push
    from syncs.models import ChangeSet

    changeset_push(changeset=ChangeSet.objects.get(pk=changeset_id))


@pytest.fixture
def claim_conflict_ready(emulator, catalogue, owner_a, alice, connect):
    """C1 has the saved policy Monetize; alice asked for the rule "block"; Studio set P-track."""
    from syncs.changesets.services import changeset_add_claim_policy, changeset_queue
    from tests.syncs.conftest import studio_claim_policy
    from videos.models import Asset, Claim, Policy

    emulator.state.load(
        {
            "policies": [{"id": "P-track", "contentOwner": "owner-a", "name": "Track worldwide"}],
            "claims": [
                {
                    "id": "C1",
                    "contentOwner": "owner-a",
                    "assetId": "A111",
                    "videoId": "a1song00001",
                    "contentType": "audiovisual",
                    "policy": {"id": "P-monetize"},
                }
            ],
        }
    )
    asset = Asset.objects.create(id="A111", content_owner=owner_a, title="Midnight Song (asset)")
    monetize = Policy.objects.create(id="P-monetize", content_owner=owner_a, name="Monetize")
    Policy.objects.create(id="P-track", content_owner=owner_a, name="Track worldwide")
    claim = Claim.objects.create(
        id="C1", video=catalogue["a1_song"], asset=asset, policy=monetize, content_type="audiovisual"
    )
    connect(owner_a)
    changeset = changeset_add_claim_policy(user=alice, claim=claim, rules=[{"action": "block"}]).changeset
    changeset_queue(changeset=changeset, user=alice, enqueue=False)
    studio_claim_policy(emulator, "C1", {"id": "P-track"})
    alice.set_password("alice-password")
    alice.save()
    return changeset


def test_a_claim_policy_conflict_arrives_live_in_words(asgi_server, claim_conflict_ready):  # noqa: F811
    from playwright.sync_api import sync_playwright

    changeset = claim_conflict_ready
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            sign_in_browser(page, asgi_server.url, "alice", "alice-password")
            page.goto(f"{asgi_server.url}/admin/syncs/changeset/{changeset.pk}/change/")
            wait_live_connected(page)

            asgi_server.call(_push, changeset.pk)
            page.wait_for_selector("#ytcms-conflicts li", timeout=TIMEOUT_MS)
            line = page.inner_text("#ytcms-conflicts li")
            page.wait_for_selector("tr[data-conflict-item]", timeout=TIMEOUT_MS)
            row = page.inner_text("tr[data-conflict-item]")
            page.screenshot(path=str(ARTIFACTS / "changeset-claim-conflict.png"), full_page=True)
        finally:
            browser.close()

    assert line == (
        "Conflict on a1song00001 · claim:C1: YouTube now has “Track worldwide” (was “Monetize” when the "
        "edit began); we want “Custom rules: Block in all countries”."
    )
    assert "Track worldwide" in row and "Custom rules: Block in all countries" in row
