"""Every deferral resumes (#16 item 3): what a push defers is pushed after the Pacific reset.

`manage.py youtube_push` schedules the push task for when what waits comes due (or, with
--no-schedule, says what to run and when); the Push button and the API leave exactly one waiting
push task however often they are pressed. The clock is moved past midnight Pacific for ytcms and
the emulator together, and `manage.py db_worker --batch` runs what is due, as a worker would.
"""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from channels_app.authentication import api_token_create
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.models import ChangeSet, ChangeSetItem
from syncs.services.quota import quota_charge
from syncs.youtube.quota_clock import PACIFIC
from tests.api.conftest import client_with_token
from tests.conftest import browser

from .conftest import CLIENT_ID, DATABASE_TASKS, PROJECT, api_requests, run_task_worker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

AFTERNOON = datetime(2026, 12, 7, 15, 0, tzinfo=PACIFIC)  # 23:00 UTC
RESET = datetime(2026, 12, 8, 8, 0, tzinfo=UTC)  # midnight Pacific (PST, UTC-8)
SECOND = timedelta(seconds=1)


@pytest.fixture
def two_edits(emulator, catalogue, owner_a, alice, connect, settings) -> ChangeSet:
    """alice's draft: new titles for a1live00001 and a1song00001 (pushed in that order, by id)."""
    settings.TASKS = DATABASE_TASKS
    connect(owner_a)
    for video in (catalogue["a1_song"], catalogue["a1_live"]):
        video_update(video=video, changes={"title": video.title + " (new)"}, user=alice)
    return ChangeSet.objects.get()


def _leave_units_for_one_video(settings) -> None:
    """Spend today's budget in our ledger down to 100 units: one update and its read fit, two do not."""
    spendable = settings.YOUTUBE_DAILY_QUOTA - settings.YOUTUBE_QUOTA_RESERVE
    quota_charge(project=CLIENT_ID, api="youtube", units=spendable - 100)


def _youtube_push(*args) -> str:
    out = io.StringIO()
    call_command("youtube_push", *args, stdout=out)
    return out.getvalue()


def _waiting_tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(status="READY"))


def _titles(emulator) -> dict:
    return {i: emulator.state.video(i)["snippet"]["title"] for i in ("a1live00001", "a1song00001")}


def test_youtube_push_schedules_what_waits_and_the_worker_pushes_it_after_the_pacific_reset(
    two_edits, emulator, clock, settings
):
    clock.set(AFTERNOON)
    _leave_units_for_one_video(settings)

    out = _youtube_push("--changeset", str(two_edits.pk))

    (task,) = DBTaskResult.objects.all()
    assert (task.task_path, task.args_kwargs["kwargs"]) == (
        "syncs.tasks.changeset_push_task",
        {"changeset_id": two_edits.pk},
    )
    assert task.status == "READY" and task.run_after == RESET
    assert (
        f"Change set {two_edits.pk}: push task {task.id} scheduled to run at 2026-12-08 08:00 UTC "
        "(2026-12-08 00:00 PST)" in out
    ), out
    assert ChangeSetItem.objects.get(video_id="a1song00001").status == ChangeSetItem.Status.DEFERRED
    assert _titles(emulator) == {"a1live00001": "Live at Dawn (new)", "a1song00001": "Midnight Song"}

    # A second before midnight Pacific the worker has nothing due.
    clock.set(RESET - SECOND)
    run_task_worker()
    assert [t.pk for t in _waiting_tasks()] == [task.pk]
    assert _titles(emulator)["a1song00001"] == "Midnight Song"

    clock.set(RESET + SECOND)
    run_task_worker()

    task.refresh_from_db()
    assert task.status == "SUCCESSFUL", task.traceback
    assert _titles(emulator) == {"a1live00001": "Live at Dawn (new)", "a1song00001": "Midnight Song (new)"}
    assert set(ChangeSetItem.objects.values_list("status", flat=True)) == {ChangeSetItem.Status.DONE}
    two_edits.refresh_from_db()
    assert two_edits.status == ChangeSet.Status.DONE
    assert _waiting_tasks() == []
    assert [r["body"]["id"] for r in api_requests(emulator, "youtube.videos.update")] == [
        "a1live00001",
        "a1song00001",
    ]


def test_youtube_push_no_schedule_says_what_to_run_and_when_and_that_run_pushes_the_rest(
    two_edits, emulator, clock, settings
):
    clock.set(AFTERNOON)
    _leave_units_for_one_video(settings)

    out = _youtube_push("--changeset", str(two_edits.pk), "--no-schedule")

    assert DBTaskResult.objects.count() == 0
    assert (
        f"Change set {two_edits.pk}: nothing scheduled (--no-schedule). What waits comes due at "
        f"2026-12-08 08:00 UTC (2026-12-08 00:00 PST): run `manage.py youtube_push --changeset {two_edits.pk}` "
        "then." in out
    ), out

    clock.set(RESET + SECOND)
    out = _youtube_push("--changeset", str(two_edits.pk), "--no-schedule")

    assert "nothing scheduled" not in out and "1 field done" in out, out
    assert _titles(emulator)["a1song00001"] == "Midnight Song (new)"
    two_edits.refresh_from_db()
    assert two_edits.status == ChangeSet.Status.DONE


def test_a_scheduled_push_that_finds_its_change_set_pushed_by_hand_ends_without_failing(
    two_edits, emulator, clock, settings
):
    clock.set(AFTERNOON)
    _leave_units_for_one_video(settings)
    _youtube_push("--changeset", str(two_edits.pk))
    (task,) = DBTaskResult.objects.all()

    clock.set(RESET + SECOND)
    _youtube_push("--changeset", str(two_edits.pk))  # by hand, before any worker ran
    run_task_worker()

    task.refresh_from_db()
    assert task.status == "SUCCESSFUL", task.traceback
    assert task.return_value == f"Nothing pushed: Change set {two_edits.pk} is Done; queue it before pushing."
    assert len(api_requests(emulator, "youtube.videos.update")) == 2


def _press_push_in_the_admin(user, changeset):
    client = browser(user)
    client.get(reverse("admin:index"))
    return client.post(
        reverse("admin:syncs_changeset_act", args=[changeset.pk, "push"]),
        {"csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )


def _press_push_in_the_api(user, changeset):
    _, key = api_token_create(user=user, name="tests")
    return client_with_token(key).post(f"/api/v1/changesets/{changeset.pk}/push/")


@pytest.mark.parametrize(
    ("press", "accepted", "refused"),
    [(_press_push_in_the_admin, 302, 404), (_press_push_in_the_api, 202, 404)],
    ids=["admin", "api"],
)
def test_quota_exceeded_leaves_one_resumption_however_often_push_is_pressed(
    press, accepted, refused, two_edits, emulator, clock, alice, charlie
):
    clock.set(AFTERNOON)
    emulator.state.set_quota_used(PROJECT, 10000)  # Google answers quotaExceeded today

    for _ in range(2):  # pressed, the worker runs, pressed again: nothing went out
        assert press(alice, two_edits).status_code == accepted
        run_task_worker()

    (waiting,) = _waiting_tasks()
    assert waiting.run_after == RESET and waiting.args_kwargs["kwargs"] == {"changeset_id": two_edits.pk}
    assert {i.deferred_until for i in ChangeSetItem.objects.all()} == {RESET}
    assert api_requests(emulator, "youtube.videos.update") == []
    # charlie (owner B) cannot push A's change set: nothing more is scheduled.
    assert press(charlie, two_edits).status_code == refused
    assert [t.pk for t in _waiting_tasks()] == [waiting.pk]

    clock.set(RESET + SECOND)
    run_task_worker()

    waiting.refresh_from_db()
    assert waiting.status == "SUCCESSFUL", waiting.traceback
    assert _titles(emulator) == {"a1live00001": "Live at Dawn (new)", "a1song00001": "Midnight Song (new)"}
    assert _waiting_tasks() == []


@pytest.mark.parametrize(
    ("afternoon", "reset"),
    [
        # Spring forward (2026-03-08 02:00 PST → 03:00 PDT): the night before resets at 00:00 PST,
        # the 23-hour day itself at 00:00 PDT.
        (datetime(2026, 3, 7, 15, 0, tzinfo=PACIFIC), datetime(2026, 3, 8, 8, 0, tzinfo=UTC)),
        (datetime(2026, 3, 8, 15, 0, tzinfo=PACIFIC), datetime(2026, 3, 9, 7, 0, tzinfo=UTC)),
        # Fall back (2026-11-01 02:00 PDT → 01:00 PST): 00:00 PDT, then the 25-hour day's 00:00 PST.
        (datetime(2026, 10, 31, 15, 0, tzinfo=PACIFIC), datetime(2026, 11, 1, 7, 0, tzinfo=UTC)),
        (datetime(2026, 11, 1, 0, 30, tzinfo=PACIFIC), datetime(2026, 11, 2, 8, 0, tzinfo=UTC)),
    ],
    ids=["before-spring-forward", "spring-forward-day", "before-fall-back", "fall-back-day"],
)
def test_the_resumption_is_midnight_in_los_angeles_across_a_dst_change(
    afternoon, reset, two_edits, emulator, clock, settings
):
    clock.set(afternoon)
    _leave_units_for_one_video(settings)

    out = _youtube_push("--changeset", str(two_edits.pk))

    (task,) = _waiting_tasks()
    assert task.run_after == reset
    midnight = reset.astimezone(PACIFIC)
    assert (midnight.hour, midnight.minute) == (0, 0)
    assert f"{reset:%Y-%m-%d %H:%M} UTC ({midnight:%Y-%m-%d} 00:00 {midnight:%Z})" in out, out

    clock.set(reset - SECOND)
    run_task_worker()
    assert _titles(emulator)["a1song00001"] == "Midnight Song"

    clock.set(reset + SECOND)
    run_task_worker()
    assert _titles(emulator)["a1song00001"] == "Midnight Song (new)"


def test_what_waited_for_a_revoked_grant_is_pushed_once_the_owner_is_connected_again(
    two_edits, emulator, clock, owner_a, connect
):
    from syncs.services.credentials import credential_mark_needs_reauthorisation

    clock.set(AFTERNOON)
    credential_mark_needs_reauthorisation(
        credential=owner_a.youtube_credential, detail="invalid_grant: revoked"
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="owner-a waits:") as refused:  # a person must act: exit 1
        call_command("youtube_push", "--changeset", str(two_edits.pk), stdout=out)
    out = out.getvalue()
    assert "scheduled" not in out and "scheduled" not in str(refused.value), out
    assert (
        f"Change set {two_edits.pk}: what waits for owner-a is pushed by the task worker as soon as it is "
        "connected again (`manage.py youtube_connect` or its content owner page)." in out
    ), out
    assert {i.deferred_until for i in ChangeSetItem.objects.all()} == {None}
    assert _waiting_tasks() == []

    connect(owner_a)  # youtube_connect's service: the owner is connected again
    (task,) = _waiting_tasks()
    run_task_worker()

    task.refresh_from_db()
    assert task.status == "SUCCESSFUL", task.traceback
    assert _titles(emulator) == {"a1live00001": "Live at Dawn (new)", "a1song00001": "Midnight Song (new)"}
    assert connect(owner_a) and _waiting_tasks() == []  # nothing parked any more: nothing scheduled
