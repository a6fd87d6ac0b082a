"""A claim's policy in ytcms follows YouTube and reads as a person reads it (#16 follow-up, a trial's
findings B1, C5, C10).

- The claim form's Policy goes to the draft change set like the "Change claim policy…" action; the
  catalogue's claim keeps YouTube's policy until the push.
- What YouTube answers (a push, a conflict's read, Keep YouTube's, youtube_pull) moves the claim's
  policy column and the video's effective policy; rules never show as a saved policy.
- A policy is shown by its name or its rules in words on the change-set page, the claim page, the
  video's history and in messages; the claim page says which change set a policy change waits in.
"""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from syncs.changesets.services import changeset_add_claim_policy
from syncs.models import ChangeSet, ChangeSetItem
from tests.conftest import browser
from tests.videos.form_posting import post_change_form
from videos.models import Claim, Policy, Video
from videos.policies import claim_policy_text

from .conftest import studio_claim_policy
from .test_changeset_page import messages_of, page_of, press, text_of
from .test_claim_policy_base import MONETIZE, NORTH_AMERICA, _push

pytestmark = pytest.mark.django_db

CLAIM_PAGE = reverse("admin:videos_claim_change", args=["C1"])
CLAIMS = reverse("admin:videos_claim_changelist")


@pytest.fixture
def track_policy(emulator, owner_a) -> Policy:
    """A second saved policy of owner A, known to YouTube and to the catalogue."""
    emulator.state.load(
        {
            "policies": [
                {
                    "id": "P-track",
                    "contentOwner": "owner-a",
                    "name": "Track worldwide",
                    "rules": [{"action": "track"}],
                }
            ]
        }
    )
    return Policy.objects.create(id="P-track", content_owner=owner_a, name="Track worldwide")


@pytest.fixture
def connected(claimed, owner_a, connect):
    connect(owner_a)
    Video.objects.filter(pk="a1song00001").update(effective_policy="Monetize")
    return claimed


def _claim_row(page: str) -> str:
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*?/videos/claim/C1/change/(.*?)</tr>", page, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


# ---------------------------------------------------------------------- B1: the form goes to the draft


def test_saving_the_claim_form_with_another_policy_adds_a_claims_patch_to_the_draft(
    connected, track_policy, root, emulator
):
    client = browser(root)
    unchanged = post_change_form(client, CLAIM_PAGE, form_id="claim_form")
    assert unchanged.status_code == 302 and not ChangeSetItem.objects.exists()

    response = post_change_form(client, CLAIM_PAGE, form_id="claim_form", edits={"policy": "P-track"})

    assert response.status_code == 302
    item = ChangeSetItem.objects.get()
    assert (item.kind, item.field, item.base_value, item.new_value) == (
        ChangeSetItem.Kind.CLAIM_PATCH,
        "claim:C1",
        {"id": "P-monetize"},
        {"id": "P-track"},
    )
    assert (item.changeset.created_by, item.changeset.status) == (root, ChangeSet.Status.DRAFT)
    link = f'<a href="{page_of(item.changeset)}">{item.changeset}</a>'
    assert any(
        f"Your policy change is in your draft change set {link}" in message
        for message in messages_of(response)
    )
    # Nothing changed locally nor at YouTube until the push: the claim still says what YouTube has,
    # and its history does not list the policy as changed.
    assert Claim.objects.get(pk="C1").policy_id == "P-monetize"
    history = text_of(client.get(reverse("admin:videos_claim_history", args=["C1"])))
    assert "Changed Policy" not in history
    assert emulator.state.claim("C1")["policy"] == {"id": "P-monetize"}

    _push(root)
    claim = Claim.objects.get(pk="C1")
    assert (claim.policy_id, claim.remote_policy) == ("P-track", {"id": "P-track"})
    assert emulator.state.claim("C1")["policy"] == {"id": "P-track"}
    assert Video.objects.get(pk="a1song00001").effective_policy == "Track worldwide"


# ---------------------------------------------------------------------- B1: YouTube's answer moves the claim


def test_keep_youtubes_saved_policy_moves_the_claims_policy_and_the_videos_effective_policy(
    connected, track_policy, alice, emulator
):
    changeset_add_claim_policy(user=alice, claim=connected, rules=[{"action": "block"}])
    studio_claim_policy(emulator, "C1", {"id": "P-track"})
    changeset = _push(alice)
    item = changeset.items.get()
    assert item.status == ChangeSetItem.Status.CONFLICT

    response = press(browser(alice), changeset, "keep_theirs", item=str(item.pk))

    assert messages_of(response) == ["1 conflict resolved: YouTube's values kept."]
    claim = Claim.objects.get(pk="C1")
    assert (claim.remote_policy, claim.policy_id) == ({"id": "P-track"}, "P-track")
    assert Video.objects.get(pk="a1song00001").effective_policy == "Track worldwide"
    assert "Track worldwide" in _claim_row(browser(alice).get(CLAIMS).content.decode())
    assert "Policy on YouTube: Track worldwide" in text_of(browser(alice).get(CLAIM_PAGE))


def test_rules_at_youtube_are_never_shown_as_a_saved_policy(connected, alice, emulator):
    changeset_add_claim_policy(user=alice, claim=connected, rules=[{"action": "block"}])
    studio_claim_policy(emulator, "C1", NORTH_AMERICA)
    changeset = _push(alice)
    press(browser(alice), changeset, "keep_theirs", item=str(changeset.items.get().pk))

    claim = Claim.objects.get(pk="C1")
    assert claim.policy_id is None
    words = "Custom rules: Block everywhere except CA, US; Monetize in CA, US"
    assert words in _claim_row(browser(alice).get(CLAIMS).content.decode())
    assert Video.objects.get(pk="a1song00001").effective_policy == words


def test_youtube_pull_of_the_owner_corrects_the_claims_policy_and_effective_policy(
    connected, track_policy, emulator
):
    studio_claim_policy(emulator, "C1", {"id": "P-track"})

    call_command("youtube_pull", "--owner", "owner-a", stdout=io.StringIO())

    claim = Claim.objects.get(pk="C1")
    assert (claim.remote_policy, claim.policy_id) == ({"id": "P-track"}, "P-track")
    assert Video.objects.get(pk="a1song00001").effective_policy == "Track worldwide"

    studio_claim_policy(emulator, "C1", MONETIZE)
    call_command("youtube_pull", "--owner", "owner-a", stdout=io.StringIO())

    claim.refresh_from_db()
    assert (claim.remote_policy, claim.policy_id) == (MONETIZE, None)
    assert Video.objects.get(pk="a1song00001").effective_policy == "Custom rules: Monetize in all countries"


# ---------------------------------------------------------------------- C5: policies in words


def test_claim_policy_text():
    names = {"P-track": "Track worldwide"}
    assert claim_policy_text({"id": "P-track"}, names=names) == "Track worldwide"
    assert claim_policy_text({"id": "P9156"}, names=names) == "Saved policy P9156"
    assert claim_policy_text(MONETIZE, names={}) == "Custom rules: Monetize in all countries"
    assert claim_policy_text(
        {
            "rules": [
                {
                    "action": "block",
                    "conditions": {"requiredTerritories": {"type": "include", "territories": ["US", "CA"]}},
                },
                {"action": "track", "conditions": {"matchPercent": [{"low": 10, "high": 100}]}},
            ]
        },
        names={},
    ) == ("Custom rules: Block in US, CA; Track in all countries (with match conditions)")
    assert claim_policy_text(None, names={}) == "(not read from YouTube)"


def test_the_conflict_box_preview_and_history_name_the_policies(connected, track_policy, alice, emulator):
    changeset_add_claim_policy(user=alice, claim=connected, rules=[{"action": "block"}])
    studio_claim_policy(emulator, "C1", {"id": "P-track"})
    changeset = _push(alice)

    page = browser(alice).get(page_of(changeset)).content.decode()
    conflict = re.search(r"<tr data-conflict-item=.*?</tr>", page, re.S).group(0)
    conflict_text = " ".join(re.sub(r"<[^>]+>", " ", conflict).split())
    assert "Monetize Track worldwide Custom rules: Block in all countries" in conflict_text
    preview = re.search(r"<tr data-item-id=.*?</tr>", page, re.S).group(0)
    preview_text = " ".join(re.sub(r"<[^>]+>", " ", preview).split())
    assert "Monetize Custom rules: Block in all countries Track worldwide" in preview_text
    assert "id: P-" not in page and "rules: action" not in page

    video_page = text_of(browser(alice).get(reverse("admin:videos_video_change", args=["a1song00001"])))
    assert (
        "changed on YouTube Monetize → Track worldwide; ours not sent: Custom rules: Block in all countries"
        in video_page
    )


# ---------------------------------------------------------------------- C10: the queued change on the claim page


def test_the_claim_page_names_the_change_set_a_policy_change_waits_in(connected, alice):
    before = text_of(browser(alice).get(CLAIM_PAGE))
    assert "None: no change of this claim waits to be pushed to YouTube." in before

    item = changeset_add_claim_policy(user=alice, claim=connected, rules=[{"action": "block"}])

    page = browser(alice).get(CLAIM_PAGE).content.decode()
    assert f'<a href="{page_of(item.changeset)}">{item.changeset}</a> (Draft, by alice)' in page
    assert "Policy on YouTube: Monetize" in text_of(browser(alice).get(CLAIM_PAGE))


# ---------------------------------------------------------------------- tenancy


def test_charlie_can_neither_see_nor_post_as_claim_form_nor_its_draft(
    connected, alice, charlie, track_policy
):
    item = changeset_add_claim_policy(user=alice, claim=connected, rules=[{"action": "block"}])
    as_charlie = browser(charlie)

    assert as_charlie.get(CLAIM_PAGE).status_code == 404
    # Its link, not the bare "C1": a page's random CSRF token may hold those two characters.
    assert CLAIM_PAGE not in as_charlie.get(CLAIMS).content.decode()
    assert as_charlie.get(page_of(item.changeset)).status_code == 404
    as_charlie.get(reverse("admin:index"))
    token = as_charlie.cookies["csrftoken"].value
    posted = as_charlie.post(CLAIM_PAGE, {"csrfmiddlewaretoken": token, "policy": "P-track", "_save": "Save"})
    assert posted.status_code in (403, 404)
    assert ChangeSetItem.objects.count() == 1
    assert Claim.objects.get(pk="C1").policy_id == "P-monetize"
