"""kill -9 of a real `manage.py db_worker` in the middle of a push, then the reaper and a second worker.

The worker pushes to the emulator (over HTTP, videos.update slowed down) and is SIGKILLed after
some writes. The reaper (a subprocess too) frees its leases and requeues the push; a second worker
finishes it. Every video is written exactly once (the emulator counts), a write that landed
without its answer being recorded is not sent again, and a change made on YouTube after the kill
is merged, not overwritten with what the dead worker had read.

Runs on both databases: on PostgreSQL the subprocesses use the test database; on SQLite (whose
test database lives in memory) the committed test data is copied to a file with VACUUM INTO.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.services import changeset_queue
from syncs.models import ChangeSet

from .conftest import CHANNEL_A1, subprocess_database_url, subprocess_env

ROOT = Path(__file__).resolve().parents[2]
VIDEOS = 60  # one batch of 50 (killed half-way), then 10
KILL_AFTER_WRITES = 20
UPDATE_LATENCY_MS = 40
DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "reports", "syncs"]}
}


def _manage(env, tmp_path, *args, log: str, wait: bool = True):
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=open(tmp_path / log, "wb"),
        stderr=subprocess.STDOUT,
    )
    if wait:
        try:
            assert process.wait(60) == 0, (tmp_path / log).read_text()[-3000:]
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
    return process


def _counters(emulator, operation: str) -> dict:
    with urllib.request.urlopen(
        f"{emulator.url}/_emulator/counters?operation={operation}", timeout=10
    ) as answer:
        return json.load(answer)


def _database_state(database_url: str, changeset_id: int) -> dict:
    """Item and task states as the database the subprocesses use holds them (raw SQL: on SQLite
    that is the file, not the test's in-memory database)."""
    from django_tasks_db.models import DBTaskResult

    from syncs.models import ChangeSetItem

    queries = {
        "status": (f"SELECT status FROM {ChangeSet._meta.db_table} WHERE id = %s", [changeset_id]),
        "items": (
            f"SELECT video_id, status, lease_token FROM {ChangeSetItem._meta.db_table} WHERE changeset_id = %s",
            [changeset_id],
        ),
        "tasks": (f"SELECT status, exception_class_path FROM {DBTaskResult._meta.db_table}", []),
    }
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as file:
            rows = {
                name: file.execute(sql.replace("%s", "?"), args).fetchall()
                for name, (sql, args) in queries.items()
            }
    else:
        with connection.cursor() as cursor:
            rows = {}
            for name, (sql, args) in queries.items():
                cursor.execute(sql, args)
                rows[name] = cursor.fetchall()
    return {
        "status": rows["status"][0][0],
        "items": {video_id: (status, token) for video_id, status, token in rows["items"]},
        "tasks": sorted(status for status, _ in rows["tasks"]),
        "stale": [path for status, path in rows["tasks"] if status == "FAILED"],
    }


@pytest.mark.slow  # db_worker processes, one killed mid-push
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_push_resumes_without_writing_any_video_twice(
    emulator, channel_a1, owner_a, make_video, connect, django_user_model, settings, tmp_path
):
    settings.TASKS = DATABASE_TASKS
    connect(owner_a)
    editor = django_user_model.objects.create_user(username="editor", password="pw", is_staff=True)
    ids = [f"kill{n:07d}" for n in range(VIDEOS)]
    emulator.state.load(
        {
            "videos": [
                {
                    "id": i,
                    "snippet": {"channelId": CHANNEL_A1, "title": i, "categoryId": "10", "description": "d"},
                }
                for i in ids
            ]
        }
    )
    for video_id in ids:
        video = make_video(channel_a1, video_id=video_id, title=video_id, description="d")
        video_update(video=video, changes={"title": video_id + " new"}, user=editor)
    changeset = ChangeSet.objects.get()
    changeset_queue(changeset=changeset, user=editor)  # enqueues changeset_push_task on commit
    emulator.state.set_faults(operation_latency_ms={"youtube.videos.update": UPDATE_LATENCY_MS})
    database_url = subprocess_database_url(tmp_path)
    env = subprocess_env(tmp_path, database_url, emulator)

    worker = _manage(env, tmp_path, "db_worker", "--queue-name", "syncs", "--interval", "0.1", "--no-reload",
                     "--no-startup-delay", log="worker.log", wait=False)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while emulator.state.operation_counts("youtube.videos.update")["total"] < KILL_AFTER_WRITES:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the worker did not start pushing"
            time.sleep(0.02)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
    time.sleep(UPDATE_LATENCY_MS / 1000 * 2)  # a write in flight at the kill lands without its answer
    written_before = emulator.state.operation_counts("youtube.videos.update")["byResource"]
    assert KILL_AFTER_WRITES <= len(written_before) < 50

    killed = _database_state(database_url, changeset.pk)
    assert killed["status"] == ChangeSet.Status.PUSHING and killed["tasks"] == ["RUNNING"]
    leased = [
        video_id for video_id, (status, token) in killed["items"].items() if status == "pushing" and token
    ]
    done = {video_id for video_id, (status, _) in killed["items"].items() if status == "done"}
    assert leased and done and done <= set(written_before)
    # Changed in Studio after the kill: a video the dead worker had read and leased but not written.
    untouched = next(video_id for video_id in sorted(leased) if video_id not in written_before)
    studio = emulator.state.video(untouched)
    studio["snippet"]["description"] = "Edited in Studio after the kill"
    emulator.state.load({"videos": [studio]})

    _manage(env, tmp_path, "reap_stale_tasks", "--stale-after", "0", log="reaper.log")
    assert "1 stale task(s) requeued" in (tmp_path / "reaper.log").read_text()
    _manage(env, tmp_path, "db_worker", "--queue-name", "syncs", "--interval", "0.1", "--no-reload",
            "--no-startup-delay", "--batch", log="rerun.log")  # fmt: skip

    finished = _database_state(database_url, changeset.pk)
    assert finished["status"] == ChangeSet.Status.DONE, (tmp_path / "rerun.log").read_text()[-3000:]
    assert {status for status, _ in finished["items"].values()} == {"done"}
    assert finished["tasks"] == ["FAILED", "SUCCESSFUL"]
    assert finished["stale"] == ["core.tasks_reaper.StaleTaskError"]
    counts = _counters(emulator, "youtube.videos.update")
    assert counts["total"] == VIDEOS and counts["byResource"] == {video_id: 1 for video_id in ids}
    assert all(emulator.state.video(i)["snippet"]["title"] == i + " new" for i in ids)
    assert emulator.state.video(untouched)["snippet"]["description"] == "Edited in Studio after the kill"


@pytest.mark.django_db
def test_a_push_left_by_a_killed_command_is_pushed_again_by_the_reaper(
    emulator, catalogue, owner_a, alice, connect, settings
):
    """`manage.py youtube_push` killed mid-push: no task to reap, the change set is an orphan."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from core.tasks_reaper import reap_stale_tasks
    from syncs.models import ChangeSetItem
    from syncs.tasks import changeset_push_task

    settings.TASKS = DATABASE_TASKS
    connect(owner_a)
    video_update(video=catalogue["a1_song"], changes={"title": "Ours"}, user=alice)
    changeset = ChangeSet.objects.get()
    changeset_queue(changeset=changeset, user=alice, enqueue=False)
    # What the dead command left: the change set pushing, its item leased, nothing moving.
    long_ago = timezone.now() - timedelta(hours=1)
    ChangeSet.objects.update(status=ChangeSet.Status.PUSHING, updated_at=long_ago)
    ChangeSetItem.objects.update(
        status=ChangeSetItem.Status.PUSHING,
        lease_token="dead-command",
        leased_until=timezone.now() + timedelta(minutes=5),
        updated_at=long_ago,
    )

    reaped = reap_stale_tasks()

    assert reaped.orphans == [f"change set {changeset.pk} ({changeset}): left pushing, pushed again"]
    (task,) = DBTaskResult.objects.all()
    assert (task.task_path, task.args_kwargs["kwargs"]) == (
        "syncs.tasks.changeset_push_task",
        {"changeset_id": changeset.pk},
    )
    assert reap_stale_tasks().orphans == []  # already queued: not again
    changeset_push_task.call(changeset_id=changeset.pk)
    assert ChangeSetItem.objects.get().status == ChangeSetItem.Status.DONE
    assert emulator.state.operation_counts("youtube.videos.update")["byResource"] == {"a1song00001": 1}
