"""The daily scheduler: each job is enqueued once per UTC day, whatever the number of schedulers."""

import os
import threading
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django_tasks_db.models import DBTaskResult

from tests.ytcms_site.test_settings import SETTINGS_VARIABLES, read_settings, run
from ytcms_site.models import ScheduledRun
from ytcms_site.scheduler import scheduler_tick

REPORT_TASK = "reports.tasks.reports_pull_from_youtube"
OPS_TASK = "ytcms_site.tasks.ops_daily_task"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def enqueued(task_path: str) -> int:
    return DBTaskResult.objects.filter(task_path=task_path).count()


@pytest.fixture
def hours(settings):
    settings.REPORT_PULL_HOUR_UTC = 9
    settings.OPS_DAILY_HOUR_UTC = 3
    return settings


@pytest.mark.django_db
def test_nothing_is_enqueued_before_the_jobs_hour(hours):
    tick = scheduler_tick(now=at(27, 2, 59))

    assert tick.enqueued == [] and set(tick.not_due) == {"reports_pull", "ops_daily"}
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_each_job_is_enqueued_from_its_hour_on(hours):
    ops = scheduler_tick(now=at(27, 3, 0))
    both = scheduler_tick(now=at(27, 9, 0))

    assert [run.job for run in ops.enqueued] == ["ops_daily"] and ops.not_due == ["reports_pull"]
    assert [run.job for run in both.enqueued] == ["reports_pull"] and both.already == ["ops_daily"]
    assert enqueued(REPORT_TASK) == 1 and enqueued(OPS_TASK) == 1
    run = ScheduledRun.objects.get(job="reports_pull")
    assert str(run.day) == "2026-11-27" and run.task_id == str(
        DBTaskResult.objects.get(task_path=REPORT_TASK).id
    )


@pytest.mark.django_db
def test_a_job_runs_once_per_day_and_again_the_next_day(hours):
    for minute in (0, 1, 30):
        scheduler_tick(now=at(27, 23, minute))
    scheduler_tick(now=at(28, 10))

    assert enqueued(REPORT_TASK) == 2 and enqueued(OPS_TASK) == 2
    assert sorted(
        str(d) for d in ScheduledRun.objects.filter(job="ops_daily").values_list("day", flat=True)
    ) == [
        "2026-11-27",
        "2026-11-28",
    ]


@pytest.mark.django_db
def test_a_job_set_off_is_never_enqueued(hours):
    hours.REPORT_PULL_HOUR_UTC = None

    tick = scheduler_tick(now=at(27, 23))

    assert [run.job for run in tick.enqueued] == ["ops_daily"] and enqueued(REPORT_TASK) == 0


@pytest.mark.django_db
def test_two_once_runs_in_a_row_enqueue_each_job_once(settings, capsys):
    settings.REPORT_PULL_HOUR_UTC = 0
    settings.OPS_DAILY_HOUR_UTC = 0

    call_command("scheduler", "--once")
    first = capsys.readouterr().out
    call_command("scheduler", "--once")
    second = capsys.readouterr().out

    assert "enqueued reports_pull" in first and "ops_daily" in first
    assert "enqueued nothing" in second and "already run today: reports_pull, ops_daily" in second
    assert enqueued(REPORT_TASK) == 1 and enqueued(OPS_TASK) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_schedulers_enqueue_each_job_once(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): concurrent writers")
    settings.REPORT_PULL_HOUR_UTC = 0
    settings.OPS_DAILY_HOUR_UTC = 0
    start = threading.Barrier(4)
    errors = []

    def work():
        try:
            start.wait()
            call_command("scheduler", "--once", stdout=open("/dev/null", "w"))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert enqueued(REPORT_TASK) == 1 and enqueued(OPS_TASK) == 1
    assert ScheduledRun.objects.count() == 2


@pytest.mark.django_db
def test_the_loop_ticks_until_stopped(hours, monkeypatch):
    from ytcms_site import scheduler

    stop = threading.Event()
    ticks = []

    def on_tick(tick):
        ticks.append(tick)
        if len(ticks) == 2:
            stop.set()

    monkeypatch.setattr(scheduler.timezone, "now", lambda: at(27, 12))
    # Closing "old" connections would close the test's own transaction on PostgreSQL.
    monkeypatch.setattr(scheduler, "close_old_connections", lambda: None)
    failures = []
    monkeypatch.setattr(scheduler.logger, "exception", lambda *args: (failures.append(args), stop.set()))
    scheduler.scheduler_loop(interval=0.01, stop=stop, on_tick=on_tick)

    assert failures == []

    assert [len(t.enqueued) for t in ticks] == [2, 0]
    assert enqueued(REPORT_TASK) == 1


@pytest.mark.django_db
def test_ops_daily_task_runs_the_command(monkeypatch):
    from ytcms_site.management.commands import ops_daily
    from ytcms_site.tasks import ops_daily_task

    calls = []

    def fake_handle(self, *args, **options):
        calls.append(options["verbosity"])
        self.stdout.write("ops_daily: fake backup verified")

    monkeypatch.setattr(ops_daily.Command, "handle", fake_handle)

    output = ops_daily_task.call()

    assert calls == [1] and "fake backup verified" in output


@pytest.fixture
def environ(tmp_path):
    """A fresh process's environment without any ytcms variable (as tests/ytcms_site/test_settings.py)."""
    ours = {"REPORT_PULL_HOUR_UTC", "OPS_DAILY_HOUR_UTC"}
    env = {name: value for name, value in os.environ.items() if name not in SETTINGS_VARIABLES | ours}
    env["DJANGO_SETTINGS_MODULE"] = "ytcms_site.settings"
    env["DEBUG"] = "true"  # development, as bin/run and bin/test run; DEBUG off needs a SECRET_KEY
    env["YTCMS_VAR_DIR"] = str(tmp_path / "var")
    return env


def test_hours_come_from_the_environment_and_off_disables(environ):
    environ.update(REPORT_PULL_HOUR_UTC="off", OPS_DAILY_HOUR_UTC="0")

    read = read_settings(environ, "REPORT_PULL_HOUR_UTC", "OPS_DAILY_HOUR_UTC", "REPORT_PULL_ONLY_NEWEST")

    assert read == {"REPORT_PULL_HOUR_UTC": None, "OPS_DAILY_HOUR_UTC": 0, "REPORT_PULL_ONLY_NEWEST": True}


@pytest.mark.parametrize("value", ["24", "-1", "9am"])
def test_a_bad_hour_stops_the_start_with_the_variables_name(environ, value):
    environ["REPORT_PULL_HOUR_UTC"] = value

    result = run(["-c", "from django.conf import settings; settings.REPORT_PULL_HOUR_UTC"], environ)

    assert result.returncode != 0
    assert f"REPORT_PULL_HOUR_UTC={value!r}: give an hour of the UTC day, 0 to 23, or off." in result.stderr
