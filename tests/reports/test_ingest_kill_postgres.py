"""kill -9 of a real `manage.py db_worker` in the middle of an import, then the reaper and a re-run.

PostgreSQL only: the worker is a separate process on the test database, which SQLite's
in-memory test database cannot share.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from core.tasks_reaper import STALE_ERROR_PATH, reap_stale_tasks
from reports.models import Report
from reports.parsing import ReportReader, ReportRow, RowError
from reports.services import report_create_from_path
from tests.reports.test_ingest_helpers import assert_accounted, generated_fixture, postgres_only  # noqa: F401
from videos.models import Claim, Video

pytestmark = [postgres_only, pytest.mark.postgres, pytest.mark.slow]  # db_worker processes, one killed

ROOT = Path(__file__).resolve().parents[2]
DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "reports", "syncs"]}
}


def _worker(tmp_path, *extra, log="worker.log"):
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "YTCMS_VAR_DIR": str(tmp_path),  # media (the stored report) lives in tmp_path/media
        "REPORTS_CHUNK_ROWS": "800",
        "DB_CONN_MAX_AGE": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("TEST_DATABASE_NAME", None)
    command = [sys.executable, "manage.py", "db_worker", "--queue-name", "reports", "--interval", "0.1",
               "--no-reload", "--no-startup-delay", *extra]  # fmt: skip
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=open(tmp_path / log, "wb"), stderr=subprocess.STDOUT
    )


def _wait(condition, timeout, what, process=None, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None and not condition():
            raise AssertionError(
                f"the worker exited ({process.returncode}) before {what}: {log.read_text()[-2000:]}"
            )
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_killed_worker_is_reaped_and_the_rerun_has_every_video_once_and_every_row_counted(
    generated, settings, tmp_path
):
    settings.TASKS = DATABASE_TASKS
    settings.MEDIA_ROOT = str(tmp_path / "media")
    path = generated("kill.csv", videos=12000, seed=41, bad_rate=0.01)
    with open(path, "rb") as stream:
        items = list(ReportReader(stream, name=path.name))
    valid_videos = {item.video_id for item in items if isinstance(item, ReportRow)}
    claim_ids = {item.claim["id"] for item in items if isinstance(item, ReportRow) and item.claim}
    rejected = sum(isinstance(item, RowError) for item in items)

    report = report_create_from_path(path=str(path))
    first_task = report.task_id
    worker = _worker(tmp_path)
    try:
        _wait(
            lambda: Report.objects.get(pk=report.pk).checkpoint_line > 2400,
            60,
            "the import to commit a few chunks",
            worker,
            tmp_path / "worker.log",
        )
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)

    report.refresh_from_db()
    assert report.status == Report.Status.RUNNING
    assert 0 < report.rows_read < len(items)
    assert_accounted(report)
    assert DBTaskResult.objects.get(pk=first_task).status == "RUNNING"  # what django_tasks_db leaves

    reaped = reap_stale_tasks(stale_after=0)
    assert [(old, path) for old, _, path in reaped.requeued] == [
        (first_task, "reports.tasks.report_ingest_task")
    ]
    stale = DBTaskResult.objects.get(pk=first_task)
    assert stale.status == "FAILED" and stale.exception_class_path == STALE_ERROR_PATH
    assert "killed" in stale.traceback
    report.refresh_from_db()
    assert report.status == Report.Status.QUEUED and report.task_id != first_task

    rerun = _worker(tmp_path, "--batch", log="rerun.log")
    try:
        rerun.wait(120)
    finally:
        if rerun.poll() is None:
            rerun.kill()
            rerun.wait(10)
    report.refresh_from_db()
    assert report.status == Report.Status.DONE, (report.message, (tmp_path / "rerun.log").read_text()[-2000:])
    assert report.attempts == 2
    assert report.rows_read == len(items) and report.rows_rejected == rejected
    assert_accounted(report)
    # Exact counts across the kill: every video created exactly once, no row counted twice.
    assert report.videos_created == len(valid_videos) and report.videos_updated == 0
    assert set(Video.objects.values_list("pk", flat=True)) == valid_videos
    assert Claim.objects.count() == len(claim_ids)
    assert DBTaskResult.objects.get(pk=report.task_id).status == "SUCCESSFUL"
