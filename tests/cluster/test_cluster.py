"""ytcms as a cluster: two web servers and two workers that share only PostgreSQL, Redis and S3.

(a) a report uploaded through web server A is imported by a worker and its progress arrives on a
    websocket connected to web server B;
(b) a change set of 500 edits pushed by both workers reaches YouTube exactly once per video;
(c) a worker killed with SIGKILL in the middle of a push: the reaper requeues its task and the
    other worker finishes, nothing lost and nothing written twice.
"""

import importlib.util
import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.cluster import actions
from tests.cluster.conftest import BUCKET, ROOT, skip_reason

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.slow,
    pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or ""),
]

UNSETTLED = ("pending", "pushing", "deferred")


def wait_for(condition, *, timeout: float, what: str, cluster, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{cluster.logs()}")


def item_counts(cluster, changeset_id: int) -> dict:
    rows = cluster.query(
        "SELECT status, count(*) FROM syncs_changesetitem WHERE changeset_id = %s GROUP BY status",
        (changeset_id,),
    )
    return dict(rows)


def push_tasks(cluster, changeset_id: int) -> list[tuple]:
    """(id, status, worker ids, exception path) of the push tasks of one change set, oldest first."""
    return cluster.query(
        "SELECT id, status, worker_ids, exception_class_path FROM django_tasks_database_dbtaskresult "
        "WHERE task_path = 'syncs.tasks.changeset_push_task' AND args_kwargs -> 'kwargs' ->> 'changeset_id' = %s "
        "ORDER BY enqueued_at",
        (str(changeset_id),),
    )


def tag_updates(emulator, tag: str) -> Counter:
    """videos.update requests the emulator answered that add `tag`, per video."""
    counts = Counter()
    for request in emulator.state.requests(operation="youtube.videos.update"):
        body = request.get("body") or {}
        if tag in (body.get("snippet", {}).get("tags") or []) and request["status"] == 200:
            counts[body["id"]] += 1
    return counts


def update_calls_logged(cluster, name: str) -> int:
    """videos.update calls the gateway logged as answered in one process's log."""
    text = cluster.processes[name].log.read_text(errors="replace")
    return len(re.findall(r"ytcms\.youtube .* youtube\.videos\.update .* ok in ", text))


def sign_in(base: str):
    import requests

    session = requests.Session()
    session.get(f"{base}/admin/login/", timeout=10).raise_for_status()
    answer = session.post(
        f"{base}/admin/login/",
        data={
            "username": "admin",
            "password": actions.ADMIN_PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "next": "/admin/",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text[:500]
    assert "sessionid" in session.cookies
    return session


def test_report_uploaded_on_a_streams_progress_to_a_websocket_on_b(cluster, tmp_path):
    if importlib.util.find_spec("ytcms_site.live.consumers") is None:
        pytest.skip("live consumer missing (ytcms_site/live/consumers.py)")
    from websockets.sync.client import connect

    report_path = tmp_path / "cluster-report.csv"
    stats_path = tmp_path / "stats.json"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests/reports/generators/gen_a4_report.py"),
            *("--videos", "10000", "--seed", "9", "--out", str(report_path), "--stats", str(stats_path)),
        ],
        check=True,
        capture_output=True,
    )
    stats = json.loads(stats_path.read_text())
    web_a, web_b = cluster.web
    session = sign_in(web_a)
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    ws_b = web_b.replace("http://", "ws://") + "/ws/live/"
    frames = []
    with connect(ws_b, origin=web_b, additional_headers={"Cookie": cookie}, open_timeout=10) as socket_b:
        hello = json.loads(socket_b.recv(timeout=10))
        assert hello["type"] == "connection_status" and hello["user"] == "admin"

        with report_path.open("rb") as upload:
            answer = session.post(
                f"{web_a}/admin/reports/report/upload/",
                data={
                    "csrfmiddlewaretoken": session.cookies["csrftoken"],
                    "content_owner": actions.OWNER_ID,
                    "mode": "import",
                },
                files={"file": ("cluster-report.csv", upload, "text/csv")},
                headers={"Referer": f"{web_a}/admin/reports/report/upload/"},
                allow_redirects=False,
                timeout=60,
            )
        assert answer.status_code == 302, answer.text[:1000]
        report_id = int(re.search(r"/report/(\d+)/change/", answer.headers["Location"]).group(1))

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            frame = json.loads(socket_b.recv(timeout=max(0.1, deadline - time.monotonic())))
            if frame.get("type") == "processing_update" and frame.get("report_id") == report_id:
                frames.append(frame)
                if frame.get("done"):
                    break
        else:
            raise AssertionError(f"no final processing_update for report {report_id}\n{cluster.logs()}")

    final = frames[-1]
    assert final["done"] is True and final["status"] == "done", final
    assert final["rows_read"] == stats["rows"], (final, stats)
    assert final["progress"] == 100
    progress = [frame["progress"] for frame in frames]
    assert progress == sorted(progress), "progress went backwards"
    # The import ran in a worker, the upload came through A, the frames through B: the worker's
    # events crossed processes on Redis.
    ((status, rows_read, file_name),) = cluster.query(
        "SELECT status, rows_read, file FROM reports_report WHERE id = %s", (report_id,)
    )
    assert (status, rows_read) == ("done", stats["rows"])
    # The upload is in S3, where the worker read it; no process kept it on local disk.
    keys = [item["Key"] for item in cluster.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert file_name in keys
    local = [p for p in Path(cluster.root).rglob("*") if p.is_file() and p.name.startswith("cluster-report")]
    assert local == [], f"report files on local disk: {local}"


def test_two_workers_push_500_edits_exactly_once(cluster):
    result = cluster.action("edit_and_queue", tag="pushed-v1", videos=cluster.videos, push_tasks=2)
    changeset_id = result["changeset"]
    assert result["items"] == result["edited"] == cluster.videos

    wait_for(
        lambda: (
            not any(item_counts(cluster, changeset_id).get(s) for s in UNSETTLED)
            and all(task[1] in ("SUCCESSFUL", "FAILED") for task in push_tasks(cluster, changeset_id))
        ),
        timeout=150,
        what="the change set to be pushed",
        cluster=cluster,
    )
    assert item_counts(cluster, changeset_id) == {"done": cluster.videos}
    tasks = push_tasks(cluster, changeset_id)
    assert [task[1] for task in tasks] == ["SUCCESSFUL", "SUCCESSFUL"], tasks
    # Both workers took one of the two push tasks and both sent updates (the gateway logs one
    # line per call, in the log of the process that made it).
    assert {worker for task in tasks for worker in task[2]} == {"w1", "w2"}, tasks
    sent = {name: update_calls_logged(cluster, name) for name in ("w1", "w2")}
    assert sum(sent.values()) == cluster.videos and min(sent.values()) > 0, sent
    updates = tag_updates(cluster.emulator, "pushed-v1")
    assert set(updates) == set(actions.video_ids(cluster.videos))
    assert set(updates.values()) == {1}, {video: n for video, n in updates.items() if n != 1}
    records = cluster.query(
        "SELECT count(*), count(DISTINCT video_id) FROM syncs_syncrecord WHERE changeset_id = %s",
        (changeset_id,),
    )
    assert records == [(cluster.videos, cluster.videos)]


def test_worker_killed_mid_push_is_reaped_and_the_other_finishes(cluster):
    videos = actions.video_ids(200)
    # 50 ms more per YouTube call: a batch of 50 videos takes seconds, so the test can kill a
    # worker while it holds leased items.
    cluster.emulator.state.set_faults(latency_ms=50)
    try:
        result = cluster.action("edit_and_queue", tag="pushed-v2", videos=len(videos), push_tasks=2)
        changeset_id = result["changeset"]
        assert result["items"] == len(videos)

        def w1_is_pushing():
            counts = item_counts(cluster, changeset_id)
            running_on_w1 = any(t[1] == "RUNNING" and "w1" in t[2] for t in push_tasks(cluster, changeset_id))
            return running_on_w1 and counts.get("done", 0) >= 5 and counts.get("pending", 0) >= 50

        wait_for(
            w1_is_pushing, timeout=60, what="w1 to be in the middle of a push", cluster=cluster, interval=0.02
        )
        cluster.kill("w1")
        killed_at = item_counts(cluster, changeset_id)

        # w2 goes on until nothing is left that it may claim; w1's leased items stay "pushing".
        wait_for(
            lambda: (
                not item_counts(cluster, changeset_id).get("pending")
                and not any(t[1] == "RUNNING" and "w2" in t[2] for t in push_tasks(cluster, changeset_id))
            ),
            timeout=150,
            what="w2 to finish what it could claim",
            cluster=cluster,
        )
        stuck = item_counts(cluster, changeset_id).get("pushing", 0)
        assert stuck > 0, "w1 held no items when it was killed; the test killed it too late"
        assert [t[1] for t in push_tasks(cluster, changeset_id)].count("RUNNING") == 1  # w1's, forever

        # Production waits LEASE_SECONDS (10 min) for the dead worker's leases to lapse; here the
        # clock is moved instead of waiting, then the reaper runs as cron would.
        cluster.query(
            "UPDATE syncs_changesetitem SET leased_until = now() - interval '1 second' "
            "WHERE changeset_id = %s AND status = 'pushing'",
            (changeset_id,),
        )
        time.sleep(2.5)  # TASKS_STALE_AFTER_SECONDS=2
        reaped = cluster.manage("reap_stale_tasks", name="reaper")
        assert "requeued syncs.tasks.changeset_push_task" in reaped, reaped

        wait_for(
            lambda: (
                item_counts(cluster, changeset_id) == {"done": len(videos)}
                and not any(t[1] in ("READY", "RUNNING") for t in push_tasks(cluster, changeset_id))
            ),
            timeout=150,
            what="the survivor to push what the killed worker held",
            cluster=cluster,
        )
    finally:
        cluster.emulator.state.set_faults(latency_ms=0)

    tasks = push_tasks(cluster, changeset_id)
    assert [t[1] for t in tasks].count("FAILED") == 1, tasks
    assert next(t for t in tasks if t[1] == "FAILED")[3] == "core.tasks_reaper.StaleTaskError"
    assert all("w2" in t[2] for t in tasks if t[1] == "SUCCESSFUL"), tasks
    # Nothing lost, nothing doubled: every video got exactly one title write, even those whose
    # write w1 may have sent just before it died (the requeued push re-reads and finds them done).
    updates = tag_updates(cluster.emulator, "pushed-v2")
    assert set(updates) == set(videos), killed_at
    assert set(updates.values()) == {1}, {video: n for video, n in updates.items() if n != 1}
    assert all("pushed-v2" in cluster.emulator.state.video(v)["snippet"]["tags"] for v in videos)
