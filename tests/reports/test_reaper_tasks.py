"""The stale-task reaper: killed workers' tasks are requeued (same task, same arguments) or failed."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core.tasks_reaper import STALE_ERROR_PATH, reap_stale_tasks
from reports.models import Report
from reports.services import report_enqueue

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "reports", "syncs"]}
}


@task()
def harmless_task(n: int, *, label: str = "") -> int:
    return n


@pytest.fixture(autouse=True)
def database_tasks(settings):
    settings.TASKS = DATABASE_TASKS
    settings.TASKS_STALE_AFTER_SECONDS = 900


def _claim(result_id, *, minutes_ago: int) -> DBTaskResult:
    """What a worker does when it takes a task (and then leaves it if SIGKILLed)."""
    row = DBTaskResult.objects.get(pk=result_id)
    row.claim("worker-that-died")
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - timedelta(minutes=minutes_ago))
    return DBTaskResult.objects.get(pk=row.pk)


def _running_report(*, progress_minutes_ago: int) -> Report:
    report = Report.objects.create(
        original_name="r.csv", status=Report.Status.QUEUED, checkpoint_line=5000, attempts=1
    )
    report_enqueue(report=report)
    _claim(report.task_id, minutes_ago=60)
    Report.objects.filter(pk=report.pk).update(
        status=Report.Status.RUNNING, progress_at=timezone.now() - timedelta(minutes=progress_minutes_ago)
    )
    return Report.objects.get(pk=report.pk)


def test_a_stale_import_is_failed_requeued_with_its_arguments_and_its_report_queued_again():
    report = _running_report(progress_minutes_ago=30)
    result = reap_stale_tasks()
    assert len(result.requeued) == 1
    old = DBTaskResult.objects.get(pk=report.task_id)
    assert old.status == "FAILED" and old.exception_class_path == STALE_ERROR_PATH
    assert "most likely killed" in old.traceback and "worker-that-died" in old.traceback
    new = DBTaskResult.objects.get(pk=result.requeued[0][1])
    assert new.status == "READY" and new.args_kwargs == old.args_kwargs
    assert (new.task_path, new.queue_name) == ("reports.tasks.report_ingest_task", "reports")
    report.refresh_from_db()
    assert report.status == Report.Status.QUEUED and report.task_id == str(new.pk)
    assert "resumes after line 5,000" in report.message


def test_a_long_import_that_still_commits_progress_is_left_alone():
    report = _running_report(progress_minutes_ago=1)
    result = reap_stale_tasks()
    assert result.alive == [(report.task_id, "reports.tasks.report_ingest_task")]
    assert DBTaskResult.objects.get(pk=report.task_id).status == "RUNNING"


def test_a_task_not_known_to_be_safe_to_rerun_is_failed_not_requeued():
    result_id = harmless_task.enqueue(3, label="x").id
    _claim(result_id, minutes_ago=30)
    reaped = reap_stale_tasks()
    assert reaped.failed == [(str(result_id), "tests.reports.test_reaper_tasks.harmless_task")]
    assert DBTaskResult.objects.get(pk=result_id).status == "FAILED"
    assert DBTaskResult.objects.count() == 1


def test_requeues_stop_after_the_limit(settings):
    settings.TASKS_REQUEUE_ON_STALE = ["tests.reports.test_reaper_tasks.harmless_task"]
    settings.TASKS_MAX_REQUEUES = 2
    result_id = harmless_task.enqueue(7).id
    for _ in range(3):
        _claim(result_id, minutes_ago=30)
        reaped = reap_stale_tasks()
        result_id = reaped.requeued[0][1] if reaped.requeued else None
        if result_id is None:
            break
    assert result_id is None and len(reaped.failed) == 1
    assert DBTaskResult.objects.filter(exception_class_path=STALE_ERROR_PATH).count() == 3


def test_recent_running_tasks_are_not_touched():
    result_id = harmless_task.enqueue(1).id
    _claim(result_id, minutes_ago=1)
    assert reap_stale_tasks().summary().startswith("0 stale task(s) requeued, 0 failed")
    assert DBTaskResult.objects.get(pk=result_id).status == "RUNNING"


def test_a_report_left_running_without_a_task_goes_back_to_the_queue():
    report = Report.objects.create(
        original_name="r.csv",
        status=Report.Status.RUNNING,
        checkpoint_line=42,
        progress_at=timezone.now() - timedelta(hours=1),
    )
    result = reap_stale_tasks()
    report.refresh_from_db()
    assert result.orphans and report.status == Report.Status.QUEUED
    assert DBTaskResult.objects.get(pk=report.task_id).status == "READY"


def test_the_command_prints_what_it_did():
    report = _running_report(progress_minutes_ago=30)
    out = io.StringIO()
    call_command("reap_stale_tasks", "--dry-run", stdout=out)
    assert "Dry run: 1 stale task(s) requeued" in out.getvalue()
    assert DBTaskResult.objects.get(pk=report.task_id).status == "RUNNING"
    out = io.StringIO()
    call_command("reap_stale_tasks", stdout=out)
    assert f"requeued reports.tasks.report_ingest_task {report.task_id} as " in out.getvalue()


def test_a_running_backup_is_alive_for_ops_daily_max_seconds_then_failed(settings):
    from ytcms_site.tasks import ops_daily_task

    settings.OPS_DAILY_MAX_SECONDS = 3 * 3600
    result_id = ops_daily_task.enqueue().id
    _claim(result_id, minutes_ago=120)  # stale for ordinary tasks (900 s), not for a dump
    assert reap_stale_tasks().summary().startswith("0 stale task(s) requeued, 0 failed")
    assert DBTaskResult.objects.get(pk=result_id).status == "RUNNING"

    _claim(result_id, minutes_ago=181)
    reaped = reap_stale_tasks()
    assert reaped.failed == [(str(result_id), "ytcms_site.tasks.ops_daily_task")]
