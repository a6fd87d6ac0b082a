"""The change-set page before and after its scheduled moment (#19).

Before: the moment in words and a countdown element (changeset-countdown.js counts it down). After:
what happened at it — pushed, deferred (why, until when), conflicts, failed, or not pushed because
it was not approved in time — on the page and in its live parts, which live-changeset.js fetches
when a changeset_update frame arrives or the countdown reaches the moment.
"""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.release import changeset_release_outcome, changeset_schedule
from syncs.changesets.services import changeset_approve
from syncs.models import ChangeSet, ChangeSetItem
from tests.conftest import browser

pytestmark = pytest.mark.django_db

MOMENT = datetime(2099, 1, 14, 23, 0, tzinfo=UTC)  # 2099-01-15 00:00 Europe/Berlin


@pytest.fixture
def release(catalogue, alice) -> ChangeSet:
    video_update(video=catalogue["a1_song"], changes={"title": "Midnight Song (Official Video)"}, user=alice)
    video_update(video=catalogue["a1_live"], changes={"title": "Live at Dawn (Official Video)"}, user=alice)
    changeset = ChangeSet.objects.get()
    changeset_schedule(changeset=changeset, at=MOMENT, tz="Europe/Berlin", user=alice)
    return changeset


def _moment_passed(changeset, **changes):
    """The moment is a minute ago (2099 moved back), with the change set as the push left it."""
    ChangeSet.objects.filter(pk=changeset.pk).update(
        scheduled_for=timezone.now() - timedelta(minutes=1), **changes
    )
    changeset.refresh_from_db()


def _schedule_part(client, changeset) -> str:
    parts = client.get(reverse("admin:syncs_changeset_parts", args=[changeset.pk])).content.decode()
    part = re.search(r'<div id="ytcms-changeset-schedule">.*?</div>', parts, re.S).group(0)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", part)).split())


def test_before_the_moment_the_page_has_the_countdown_and_says_what_it_needs(release, alice):
    page = browser(alice).get(reverse("admin:syncs_changeset_change", args=[release.pk])).content.decode()
    assert 'data-countdown-to="2099-01-14T23:00:00+00:00" data-status="draft"' in page
    assert "ytcms/changeset-countdown.js" in page
    assert "it must be approved before the moment, or it is not pushed" in page
    assert changeset_release_outcome(changeset=release) is None


def test_a_draft_at_its_moment_says_it_was_not_approved_in_time(release, alice):
    _moment_passed(release)
    shown = _schedule_part(browser(alice), release)
    assert re.search(
        r"Not pushed at \d{4}-\d\d-\d\d \d\d:\d\d Europe/Berlin: it was not approved in time\.", shown
    )
    assert "data-countdown-to" not in shown


def test_an_approved_set_past_its_moment_not_yet_pushed_is_due(release, alice):
    changeset_approve(changeset=release, user=alice)
    _moment_passed(release)
    assert changeset_release_outcome(changeset=release).kind == "due"
    assert "waiting for a worker to push it" in _schedule_part(browser(alice), release)


def test_a_pushed_set_says_it_was_pushed(release, alice):
    release.items.update(status=ChangeSetItem.Status.DONE)
    _moment_passed(release, status=ChangeSet.Status.DONE, pushed_at=timezone.now())
    outcome = changeset_release_outcome(changeset=release)
    assert outcome.kind == "pushed"
    assert outcome.text.endswith(": 2 of 2 items pushed.")
    assert "2 of 2 items pushed" in _schedule_part(browser(alice), release)


def test_a_deferred_push_says_why_and_until_when(release, alice):
    until = datetime(2099, 1, 15, 8, 0, tzinfo=UTC)
    first, second = release.items.order_by("pk")
    ChangeSetItem.objects.filter(pk=first.pk).update(status=ChangeSetItem.Status.DONE)
    ChangeSetItem.objects.filter(pk=second.pk).update(
        status=ChangeSetItem.Status.DEFERRED,
        deferred_until=until,
        error_reason="overDailyBudget",
        error_message="Today's quota pays for 1 video: deferred to the reset.",
    )
    _moment_passed(release, status=ChangeSet.Status.QUEUED, pushed_at=timezone.now())

    outcome = changeset_release_outcome(changeset=release)

    assert outcome.kind == "pushing"  # still queued: the deferred item resumes by itself
    assert "1 of 2 items pushed so far (pushing)" in outcome.text
    assert (
        "1 deferred until 2099-01-15 00:00 Pacific (2099-01-15 08:00 UTC): Today's quota pays for 1 video"
        in outcome.text
    )
    ChangeSet.objects.filter(pk=release.pk).update(status=ChangeSet.Status.PARTLY_FAILED)
    release.refresh_from_db()
    assert changeset_release_outcome(changeset=release).kind == "deferred"


def test_conflicts_and_failures_are_said(release, alice):
    first, second = release.items.order_by("pk")
    ChangeSetItem.objects.filter(pk=first.pk).update(status=ChangeSetItem.Status.CONFLICT)
    ChangeSetItem.objects.filter(pk=second.pk).update(status=ChangeSetItem.Status.FAILED)
    _moment_passed(release, status=ChangeSet.Status.HAS_CONFLICTS, pushed_at=timezone.now())

    outcome = changeset_release_outcome(changeset=release)

    assert outcome.kind == "conflicts"
    assert "0 of 2 items pushed; 1 conflict: YouTube changed this field since the edit began" in outcome.text
    assert "1 failed" in outcome.text


def test_charlie_gets_no_parts_of_alices_release(release, charlie):
    _moment_passed(release)
    answer = browser(charlie).get(reverse("admin:syncs_changeset_parts", args=[release.pk]))
    assert answer.status_code == 404
