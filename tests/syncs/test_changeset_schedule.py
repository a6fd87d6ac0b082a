"""Release day (#19): a change set scheduled for a moment, planned against its Pacific quota day.

The moment is chosen in a time zone (stored in UTC, the zone kept to show it back); the quota day
is Pacific. The push task is queued for the moment and the worker pushes it then, as any other.
"""

import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from channels_app.models import Role
from core.audit.models import AuditEvent
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.errors import ChangeSetError, ChangeSetStateConflict
from syncs.changesets.quota_plan import push_units, quota_plan, quota_remaining_today
from syncs.changesets.release import (
    ChangeSetOverbooked,
    changeset_release_refusal,
    changeset_schedule,
    changeset_schedule_described,
    changeset_schedule_quota,
    changeset_unschedule,
    schedule_moment,
)
from syncs.changesets.services import changeset_approve
from syncs.models import ChangeSet
from syncs.services.quota import quota_charge
from syncs.youtube.quota_clock import PACIFIC
from tests.conftest import browser, staff_user

from .conftest import DATABASE_TASKS, run_task_worker

BERLIN = "Europe/Berlin"
NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


def _edit(video, user, suffix=" (Official Video)") -> ChangeSet:
    """The user's open draft after a new title for the video (it holds the edit)."""
    video_update(video=video, changes={"title": video.title + suffix}, user=user)
    return ChangeSet.objects.get(created_by=user, status=ChangeSet.Status.DRAFT, items__video=video)


@pytest.fixture
def approved(catalogue, alice) -> ChangeSet:
    """alice's approved change set: a new title for a1song00001 (one video: 51 units)."""
    changeset = _edit(catalogue["a1_song"], alice)
    return changeset_approve(changeset=changeset, user=alice)


@pytest.fixture
def second(catalogue, alice, approved) -> ChangeSet:
    """Another approved change set of alice's (a1live00001), made after the first was approved."""
    changeset = _edit(catalogue["a1_live"], alice)
    assert changeset.pk != approved.pk
    return changeset_approve(changeset=changeset, user=alice)


# ---------------------------------------------------------------------------- the moment


def test_a_moment_across_the_berlin_dst_change_keeps_its_wall_clock_time():
    # 2027-03-28: Berlin goes from CET (+1) to CEST (+2) at 02:00.
    before = schedule_moment(day=date(2027, 3, 28), clock=time(0, 0), tz=BERLIN)
    after = schedule_moment(day=date(2027, 3, 28), clock=time(12, 0), tz=BERLIN)
    assert before.astimezone(UTC) == datetime(2027, 3, 27, 23, 0, tzinfo=UTC)
    assert after.astimezone(UTC) == datetime(2027, 3, 28, 10, 0, tzinfo=UTC)


def test_a_time_the_dst_change_skips_is_refused():
    with pytest.raises(ChangeSetError, match="does not exist in Europe/Berlin"):
        schedule_moment(day=date(2027, 3, 28), clock=time(2, 30), tz=BERLIN)


def test_a_repeated_time_takes_the_first_and_the_described_schedule_says_so(approved, alice, settings):
    # 2027-11-07: New York goes back from EDT (-4) to EST (-5) at 02:00, so 01:30 happens twice.
    at = schedule_moment(day=date(2027, 11, 7), clock=time(1, 30), tz="America/New_York")
    assert at.astimezone(UTC) == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)
    changeset_schedule(changeset=approved, at=at, tz="America/New_York", user=alice, now=NOW)
    approved.refresh_from_db()

    assert changeset_schedule_described(changeset=approved, now=NOW).startswith(
        "Scheduled for 2027-11-07 01:30 America/New_York (01:30 EDT, the first of the two 01:30s "
        "(the clocks go back then); 2027-11-06 22:30 Pacific, quota day 2027-11-06:"
    )
    # The second 01:30 (given with its offset, as the API allows) is told apart.
    second = datetime(2027, 11, 7, 6, 30, tzinfo=UTC)
    changeset_schedule(changeset=approved, at=second, tz="America/New_York", user=alice, now=NOW)
    approved.refresh_from_db()
    assert "(01:30 EST, the second of the two 01:30s" in changeset_schedule_described(
        changeset=approved, now=NOW
    )
    # An hour that happens once says nothing of it.
    changeset_schedule(
        changeset=approved, at=second + timedelta(hours=2), tz="America/New_York", user=alice, now=NOW
    )
    approved.refresh_from_db()
    assert "of the two" not in changeset_schedule_described(changeset=approved, now=NOW)


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ChangeSetError, match="Unknown time zone"):
        schedule_moment(day=date(2027, 1, 15), clock=time(0, 0), tz="Europe/Atlantis")


def test_scheduling_across_the_dst_change_stores_utc_and_shows_the_chosen_zone(approved, alice):
    at = schedule_moment(day=date(2027, 3, 28), clock=time(12, 0), tz=BERLIN)

    changeset_schedule(changeset=approved, at=at, tz=BERLIN, user=alice, now=NOW)

    approved.refresh_from_db()
    assert approved.scheduled_for == datetime(2027, 3, 28, 10, 0, tzinfo=UTC)
    assert approved.scheduled_tz == BERLIN
    # Los Angeles is on PDT (-7) since 2027-03-14.
    assert changeset_schedule_described(changeset=approved, now=NOW).startswith(
        "Scheduled for 2027-03-28 12:00 Europe/Berlin (2027-03-28 03:00 Pacific, quota day 2027-03-28:"
    )


def test_the_quota_day_is_the_pacific_day_not_the_chosen_zones(approved, alice, settings):
    # Midnight in Berlin on the 15th is still the afternoon of the 14th in Los Angeles.
    at = schedule_moment(day=date(2027, 1, 15), clock=time(0, 0), tz=BERLIN)

    changeset_schedule(changeset=approved, at=at, tz=BERLIN, user=alice, now=NOW)

    approved.refresh_from_db()
    spendable = settings.YOUTUBE_DAILY_QUOTA - settings.YOUTUBE_QUOTA_RESERVE
    assert changeset_schedule_described(changeset=approved, now=NOW) == (
        "Scheduled for 2027-01-15 00:00 Europe/Berlin (2027-01-14 15:00 Pacific, "
        f"quota day 2027-01-14: {push_units(1)} units committed to scheduled pushes; "
        f"{spendable:,} of the day's {spendable:,} left)"
    )
    # Nine hours later it is midnight Pacific: the next quota day.
    later = schedule_moment(day=date(2027, 1, 15), clock=time(9, 0), tz=BERLIN)
    assert later.astimezone(PACIFIC) == datetime(2027, 1, 15, 0, 0, tzinfo=PACIFIC)
    assert changeset_schedule_quota(changeset=approved, at=later, now=NOW).day == date(2027, 1, 15)
    assert changeset_schedule_quota(changeset=approved, at=later - timedelta(seconds=1), now=NOW).day == date(
        2027, 1, 14
    )


def test_a_moment_in_the_past_is_refused(approved, alice):
    with pytest.raises(ChangeSetError, match="in the future"):
        changeset_schedule(changeset=approved, at=NOW - timedelta(minutes=1), tz="UTC", user=alice, now=NOW)
    with pytest.raises(ChangeSetError, match="in the future"):
        changeset_schedule(changeset=approved, at=NOW, tz="UTC", user=alice, now=NOW)


def test_a_pushed_change_set_cannot_be_scheduled(approved, alice):
    ChangeSet.objects.filter(pk=approved.pk).update(status=ChangeSet.Status.DONE)
    with pytest.raises(ChangeSetStateConflict, match="cannot be scheduled"):
        changeset_schedule(changeset=approved, at=NOW + timedelta(days=1), tz="UTC", user=alice, now=NOW)


def test_scheduling_writes_one_audit_row_with_the_quota_day(approved, alice):
    at = datetime(2027, 1, 15, 0, 0, tzinfo=ZoneInfo(BERLIN))

    changeset_schedule(changeset=approved, at=at, tz=BERLIN, user=alice, now=NOW)
    changeset_unschedule(changeset=approved, user=alice)

    scheduled, unscheduled = AuditEvent.objects.filter(
        event_type__in=[AuditEvent.Type.CHANGESET_SCHEDULED, AuditEvent.Type.CHANGESET_UNSCHEDULED]
    ).order_by("pk")
    assert scheduled.event_type == AuditEvent.Type.CHANGESET_SCHEDULED
    assert (scheduled.acting_user, scheduled.object_id) == (alice, str(approved.pk))
    assert scheduled.new == {"scheduled_for": "2027-01-14T23:00:00+00:00", "scheduled_tz": BERLIN}
    assert scheduled.extra["quota_day"] == "2027-01-14"
    assert unscheduled.old == scheduled.new
    approved.refresh_from_db()
    assert (approved.scheduled_for, approved.scheduled_tz) == (None, "")


# ---------------------------------------------------------------------------- quota planned ahead


def test_the_second_of_two_change_sets_that_do_not_fit_one_day_is_refused(approved, second, alice, settings):
    settings.YOUTUBE_DAILY_QUOTA, settings.YOUTUBE_QUOTA_RESERVE = 150, 50  # 100 spendable: one push of 51
    at = datetime(2027, 1, 15, 0, 0, tzinfo=ZoneInfo(BERLIN))
    changeset_schedule(changeset=approved, at=at, tz=BERLIN, user=alice, now=NOW)

    with pytest.raises(ChangeSetOverbooked, match="already commit 51 of 100"):
        changeset_schedule(changeset=second, at=at + timedelta(hours=1), tz=BERLIN, user=alice, now=NOW)

    second.refresh_from_db()
    assert second.scheduled_for is None
    # The next Pacific day has room.
    changeset_schedule(changeset=second, at=at + timedelta(hours=9), tz=BERLIN, user=alice, now=NOW)


def test_overbooking_warns_and_schedules_when_set_to_warn(approved, second, alice, settings):
    settings.YOUTUBE_DAILY_QUOTA, settings.YOUTUBE_QUOTA_RESERVE = 150, 50
    settings.CHANGESET_SCHEDULE_OVERBOOK = "warn"
    at = datetime(2027, 1, 15, 0, 0, tzinfo=ZoneInfo(BERLIN))
    changeset_schedule(changeset=approved, at=at, tz=BERLIN, user=alice, now=NOW)

    result = changeset_schedule(changeset=second, at=at, tz=BERLIN, user=alice, now=NOW)

    assert "Scheduled anyway" in result.warning
    second.refresh_from_db()
    assert second.scheduled_for == at


def test_an_ad_hoc_push_today_cannot_spend_units_reserved_for_a_change_set_scheduled_today(approved, alice):
    spendable_before, _ = quota_remaining_today(NOW)
    changeset_schedule(changeset=approved, at=NOW + timedelta(hours=2), tz="UTC", user=alice, now=NOW)

    assert quota_remaining_today(NOW)[0] == spendable_before - push_units(1)
    # At its moment the reservation is its own push's to spend.
    assert quota_remaining_today(NOW + timedelta(hours=2))[0] == spendable_before


def test_units_spent_today_lower_what_is_left_not_the_days_budget_in_the_sentence(approved, alice, settings):
    # The trial read "501 units of 9,499 committed" as a budget of 9,499: the sentence names both.
    spendable = settings.YOUTUBE_DAILY_QUOTA - settings.YOUTUBE_QUOTA_RESERVE
    quota_charge(project="p", api="youtube", units=1, now=NOW)

    quota = changeset_schedule_quota(changeset=approved, at=NOW + timedelta(hours=2), now=NOW)

    assert quota.described() == (
        f"quota day {quota.day}: {push_units(1)} units committed to scheduled pushes; "
        f"{spendable - 1:,} of the day's {spendable:,} left"
    )


def test_the_plan_puts_a_scheduled_change_set_on_its_pacific_day(approved, alice):
    at = datetime(2027, 1, 15, 0, 0, tzinfo=ZoneInfo(BERLIN))
    changeset_schedule(changeset=approved, at=at, tz=BERLIN, user=alice, now=NOW)

    plan = quota_plan(user=alice, now=NOW)

    by_day = {day.day: day.videos for day in plan.days if day.videos}
    assert by_day == {date(2027, 1, 14): 1}


def test_youtube_push_without_a_changeset_leaves_a_scheduled_one_for_its_moment(approved, alice, settings):
    settings.TASKS = DATABASE_TASKS
    changeset_schedule(changeset=approved, at=datetime(2099, 1, 1, tzinfo=UTC), tz="UTC", user=alice)

    call_command("youtube_push", "--no-schedule", stdout=io.StringIO())

    approved.refresh_from_db()
    assert approved.status == ChangeSet.Status.APPROVED


# ---------------------------------------------------------------------------- the waiting task


def test_scheduling_queues_one_push_task_for_the_moment_and_unscheduling_drops_it(
    approved, alice, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    first = datetime(2099, 1, 15, 0, 0, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):
        changeset_schedule(changeset=approved, at=first, tz=BERLIN, user=alice)
    (task,) = DBTaskResult.objects.filter(status="READY")
    assert (task.args_kwargs["kwargs"], task.run_after) == ({"changeset_id": approved.pk}, first)

    # Moved later: the task for the old moment goes, one waits for the new.
    with django_capture_on_commit_callbacks(execute=True):
        changeset_schedule(changeset=approved, at=first + timedelta(days=1), tz=BERLIN, user=alice)
    assert [t.run_after for t in DBTaskResult.objects.filter(status="READY")] == [first + timedelta(days=1)]

    with django_capture_on_commit_callbacks(execute=True):
        changeset_unschedule(changeset=approved, user=alice)
    assert not DBTaskResult.objects.filter(status="READY").exists()


# ---------------------------------------------------------------------------- the worker at the moment


@pytest.fixture
def release(emulator, connect, owner_a, settings):
    settings.TASKS = DATABASE_TASKS
    connect(owner_a)


def _title(emulator, video_id="a1song00001") -> str:
    return emulator.state.video(video_id)["snippet"]["title"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_pushes_a_scheduled_change_set_at_its_moment_not_before(
    release, catalogue, alice, emulator, clock
):
    start = datetime(2027, 1, 14, 20, 0, tzinfo=UTC)
    clock.set(start)
    changeset = changeset_approve(changeset=_edit(catalogue["a1_song"], alice), user=alice)
    at = datetime(2027, 1, 15, 0, 0, tzinfo=ZoneInfo(BERLIN))
    changeset_schedule(changeset=changeset, at=at, tz=BERLIN, user=alice)

    clock.set(at - timedelta(seconds=1))
    run_task_worker()
    assert _title(emulator) == "Midnight Song"
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.APPROVED

    clock.set(at)
    run_task_worker()
    assert _title(emulator) == "Midnight Song (Official Video)"
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.DONE


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_scheduled_draft_not_approved_by_its_moment_is_not_pushed(
    release, catalogue, alice, emulator, clock
):
    clock.set(datetime(2027, 1, 14, 20, 0, tzinfo=UTC))
    draft = _edit(catalogue["a1_song"], alice)
    at = datetime(2027, 1, 14, 21, 0, tzinfo=UTC)
    changeset_schedule(changeset=draft, at=at, tz="UTC", user=alice)

    clock.set(at + timedelta(minutes=1))
    out = run_task_worker()

    assert _title(emulator) == "Midnight Song"
    draft.refresh_from_db()
    assert draft.status == ChangeSet.Status.DRAFT
    missed = AuditEvent.objects.get(event_type=AuditEvent.Type.CHANGESET_SCHEDULE_MISSED)
    assert missed.object_id == str(draft.pk) and "not approved" in missed.extra["reason"]
    assert "Traceback" not in out


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_edit_after_approval_is_not_pushed_at_the_moment(release, catalogue, alice, emulator, clock):
    # Edits land in the author's open draft only: an approved change set takes no more edits, so
    # what is pushed at the moment is what was approved; the later edit waits in a new draft,
    # which needs its own approval.
    clock.set(datetime(2027, 1, 14, 20, 0, tzinfo=UTC))
    changeset = changeset_approve(changeset=_edit(catalogue["a1_song"], alice), user=alice)
    at = datetime(2027, 1, 14, 21, 0, tzinfo=UTC)
    changeset_schedule(changeset=changeset, at=at, tz="UTC", user=alice)
    catalogue["a1_song"].refresh_from_db()
    later = _edit(catalogue["a1_song"], alice, suffix=" (edited after approval)")

    clock.set(at)
    run_task_worker()

    assert later.pk != changeset.pk
    later.refresh_from_db()
    assert later.status == ChangeSet.Status.DRAFT and later.scheduled_for is None
    assert set(changeset.items.values_list("new_value", flat=True)) == {"Midnight Song (Official Video)"}
    assert _title(emulator) == "Midnight Song (Official Video)"


def _push_through_the_admin(changeset, user) -> None:
    client = browser(user)
    page = reverse("admin:syncs_changeset_change", args=[changeset.pk])
    client.get(page)
    client.post(
        reverse("admin:syncs_changeset_act", args=[changeset.pk, "push"]),
        {"csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )


def _push_through_the_api(changeset, user) -> None:
    from channels_app.authentication import api_token_create
    from tests.api.conftest import client_with_token

    _, key = api_token_create(user=user, name="tests")
    assert client_with_token(key).post(f"/api/v1/changesets/{changeset.pk}/push/").status_code == 202


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("push", [_push_through_the_admin, _push_through_the_api], ids=["admin", "api"])
def test_a_push_by_hand_before_the_moment_takes_the_scheduled_ones_place(
    push, release, catalogue, alice, emulator, clock
):
    clock.set(datetime(2026, 12, 8, 4, 0, tzinfo=UTC))
    changeset = _edit(catalogue["a1_song"], alice)
    at = datetime(2026, 12, 24, 18, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    changeset_schedule(changeset=changeset, at=at, tz="Asia/Tokyo", user=alice)
    changeset = changeset_approve(changeset=changeset, user=alice)

    push(changeset, alice)
    run_task_worker()

    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.DONE
    assert _title(emulator) == "Midnight Song (Official Video)"
    assert (changeset.scheduled_for, changeset.scheduled_tz) == (None, "")
    unscheduled = AuditEvent.objects.get(event_type=AuditEvent.Type.CHANGESET_UNSCHEDULED)
    assert unscheduled.object_id == str(changeset.pk) and "by hand" in unscheduled.extra["reason"]
    # Nothing waits for the old moment, and nothing happens at it.
    assert not DBTaskResult.objects.filter(status="READY").exists()
    clock.set(at + timedelta(minutes=1))
    run_task_worker()
    assert not AuditEvent.objects.filter(event_type=AuditEvent.Type.CHANGESET_SCHEDULE_MISSED).exists()
    shown = browser(alice).get(reverse("admin:syncs_changeset_change", args=[changeset.pk])).content.decode()
    assert "data-countdown-to" not in shown and "Scheduled for" not in shown


def test_a_change_set_pushed_before_its_moment_by_older_code_shows_no_countdown(approved, alice):
    # Rows pushed by hand before this fix kept their schedule: the page does not count down to it.
    changeset_schedule(changeset=approved, at=datetime(2099, 1, 1, tzinfo=UTC), tz="Asia/Tokyo", user=alice)
    ChangeSet.objects.filter(pk=approved.pk).update(status=ChangeSet.Status.DONE)

    shown = browser(alice).get(reverse("admin:syncs_changeset_change", args=[approved.pk])).content.decode()

    assert "data-countdown-to" not in shown and "Scheduled for" not in shown


# ---------------------------------------------------------------------------- the admin page


def _schedule_page(changeset) -> str:
    return reverse("admin:syncs_changeset_schedule", args=[changeset.pk])


def test_the_admin_form_schedules_what_a_browser_posts(approved, alice, settings):
    client = browser(alice)
    form = client.get(_schedule_page(approved))
    assert form.status_code == 200
    html = form.content.decode()
    assert 'name="day"' in html and 'name="clock"' in html
    assert '<option value="Europe/Berlin">Europe/Berlin</option>' in html
    page = reverse("admin:syncs_changeset_change", args=[approved.pk])
    assert "Schedule push…" in client.get(page).content.decode()

    answer = client.post(
        _schedule_page(approved),
        {
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            "day": "2099-01-15",
            "clock": "00:00",
            "time_zone": "Europe/Berlin",
        },
    )

    assert answer.status_code == 302 and answer.url == page
    approved.refresh_from_db()
    assert (approved.scheduled_for, approved.scheduled_tz) == (
        datetime(2099, 1, 14, 23, 0, tzinfo=UTC),
        BERLIN,
    )
    shown = client.get(page).content.decode()
    assert (
        "Scheduled for 2099-01-15 00:00 Europe/Berlin (2099-01-14 15:00 Pacific, quota day 2099-01-14: 51 units"
        in (shown)
    )
    assert 'value="Unschedule"' in shown

    answer = client.post(
        reverse("admin:syncs_changeset_unschedule", args=[approved.pk]),
        {"csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )
    assert answer.status_code == 302
    approved.refresh_from_db()
    assert approved.scheduled_for is None


def test_the_admin_form_shows_a_refusal_and_schedules_nothing(approved, alice):
    client = browser(alice)
    client.get(_schedule_page(approved))

    answer = client.post(
        _schedule_page(approved),
        {
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            "day": "2027-03-28",
            "clock": "02:30",
            "time_zone": "Europe/Berlin",
        },
    )

    assert answer.status_code == 200
    assert "does not exist in Europe/Berlin" in answer.content.decode()
    approved.refresh_from_db()
    assert approved.scheduled_for is None


def test_charlie_gets_no_schedule_page_of_alices_change_set(approved, alice, charlie):
    changeset_schedule(changeset=approved, at=datetime(2099, 1, 15, tzinfo=UTC), tz=BERLIN, user=alice)
    client = browser(charlie)

    assert client.get(_schedule_page(approved)).status_code == 404
    client.get(reverse("admin:index"))
    answer = client.post(
        reverse("admin:syncs_changeset_unschedule", args=[approved.pk]),
        {"csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )
    assert answer.status_code == 404
    approved.refresh_from_db()
    assert approved.scheduled_tz == BERLIN


def test_bob_a_viewer_is_sent_back_with_the_refusal(approved, bob):
    client = browser(bob)
    answer = client.get(_schedule_page(approved))
    assert answer.status_code == 302
    page = reverse("admin:syncs_changeset_change", args=[approved.pk])
    assert "Schedule push…" not in client.get(page).content.decode()


@pytest.fixture
def dora(django_user_model, owner_a):
    """A second manager of owner A."""
    return staff_user(django_user_model, "dora", "Rights manager", content_owner=owner_a, role=Role.MANAGER)


def test_a_four_eyes_draft_scheduled_by_its_author_goes_out_only_once_another_manager_approved(
    catalogue, alice, dora, settings
):
    settings.CHANGESET_FOUR_EYES = True
    video_update(video=catalogue["a1_song"], changes={"privacy_status": "private"}, user=alice)
    draft = ChangeSet.objects.get()
    assert draft.needs_approval
    at = NOW + timedelta(hours=1)
    changeset_schedule(changeset=draft, at=at, tz="UTC", user=alice, now=NOW)

    assert changeset_release_refusal(changeset=draft, now=at) == (
        "Not pushed: It was not approved by its scheduled moment."
    )
    changeset_approve(changeset=draft, user=dora)
    assert changeset_release_refusal(changeset=draft, now=at - timedelta(seconds=1)).startswith("Not due")
    assert changeset_release_refusal(changeset=draft, now=at) is None
