"""The quota ledger books what Google charges for each answer (#16 item 6).

Before the answer the full price is booked (the safe side); once Google answered, a 401 or a 5xx
is booked at the one unit Google documents as the floor of any request (syncs/youtube/costs.py
answer_units), the same count the emulator keeps (devtools/youtube_emulator/__init__.py). So after a day of
retries the ledger, the per-call rows and the planner's "left today" agree with Google's count.
"""

import io
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum

from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.quota_plan import quota_remaining_today
from syncs.models import ApiCall, ChangeSet, QuotaLedger
from syncs.youtube.costs import answer_units
from syncs.youtube.errors import RetryableError
from syncs.youtube.gateway import YouTubeSession
from syncs.youtube.quota_clock import pacific_day

from .conftest import CLIENT_ID, PROJECT, api_requests, subprocess_database_url, subprocess_env

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SPENDABLE = 10000 - 500  # the emulator fixture's YOUTUBE_DAILY_QUOTA minus YOUTUBE_QUOTA_RESERVE


def _booked() -> int:
    return QuotaLedger.objects.get(project=CLIENT_ID, api="youtube", day=pacific_day()).units_used


def _update(session, title):
    return session.youtube.videos().update(
        part="snippet",
        body={"id": "a1song00001", "snippet": {"title": title, "categoryId": "10"}},
        **session.owner_params(),
    )


def test_a_push_with_401s_and_503s_books_what_google_counted(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    call_command("youtube_pull", "--video", "a1song00001", stdout=io.StringIO())  # stores a token
    for video, title in (
        (catalogue["a1_song"], "Midnight Song (Remastered)"),
        (catalogue["a1_live"], "Live at Dawn (Remastered)"),
        (catalogue["a2_clip"], "Studio Clip (Remastered)"),
    ):
        video_update(video=video, changes={"title": title}, user=alice)
    changeset = ChangeSet.objects.get(created_by=alice)
    # Google's side expired the stored token, then its backend fails an update twice and refuses
    # the retry's token once.
    emulator.state.expire_access_tokens()
    emulator.state.fail_next({"status": 503, "match": "youtube.videos.update"}, count=2)
    emulator.state.fail_next({"reason": "authError", "match": "youtube.videos.update"})
    out = io.StringIO()

    call_command("youtube_push", "--changeset", str(changeset.pk), stdout=out)

    answers = [(r["operation"], r["status"], r["quotaCost"]) for r in api_requests(emulator)]
    assert answers == [
        ("youtube.videos.list", 200, 1),  # the pull
        ("youtube.videos.list", 401, 1),
        ("youtube.videos.list", 200, 1),
        ("youtube.videos.update", 503, 1),
        ("youtube.videos.update", 503, 1),
        ("youtube.videos.update", 401, 1),
        ("youtube.videos.update", 200, 50),
        ("youtube.videos.update", 200, 50),
        ("youtube.videos.update", 200, 50),
    ]
    counted = emulator.state.quota_used(PROJECT)
    assert counted == 156
    assert _booked() == counted  # was 1 + 2 + 3 × 50 + 150 = 303
    assert ApiCall.objects.filter(method__startswith="youtube.").aggregate(units=Sum("quota_units")) == {
        "units": counted
    }
    assert "155 quota units" in out.getvalue().splitlines()[-1]  # the push's own calls
    # The planner: the next push's preview counts from what Google charged.
    assert quota_remaining_today() == (SPENDABLE - counted, SPENDABLE)
    video_update(video=catalogue["a1_song"], changes={"description": "New notes"}, user=alice)
    draft = ChangeSet.objects.get(created_by=alice, status=ChangeSet.Status.DRAFT)
    preview = io.StringIO()
    call_command("youtube_push", "--changeset", str(draft.pk), "--dry-run", stdout=preview)
    assert f"{SPENDABLE - counted:,} left today" in preview.getvalue()


def test_an_update_that_keeps_failing_503_books_one_unit_per_answer(emulator, owner_a, connect, settings):
    settings.YOUTUBE_MAX_RETRIES = 4
    connect(owner_a)
    session = YouTubeSession.for_owner(owner_a)
    emulator.state.fail_next(503, count=5)

    with pytest.raises(RetryableError):
        session.execute(_update(session, "Never written"))

    assert emulator.state.quota_used(PROJECT) == 5
    assert _booked() == 5  # was 5 × 50
    call = ApiCall.objects.get()
    assert (call.http_status, call.retries, call.quota_units) == (503, 4, 5)
    assert session.units_spent == 5


@pytest.mark.slow  # a youtube_push process, killed
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_push_killed_with_an_update_in_flight_leaves_its_full_price_booked(
    emulator, catalogue, owner_a, alice, connect, monkeypatch, tmp_path
):
    """kill -9 of `manage.py youtube_push` between booking an update and reading Google's answer."""
    connect(owner_a)
    video_update(video=catalogue["a1_song"], changes={"title": "Midnight Song (Remastered)"}, user=alice)
    changeset = ChangeSet.objects.get(created_by=alice)
    emulator.state.fail_next({"status": 503, "match": "youtube.videos.update"})
    # The emulator holds the second update (the retry after the 503) until the push is dead.
    updates, arrived, release, answered = [], threading.Event(), threading.Event(), threading.Event()
    handle = emulator.app.handle

    def handling(request):
        is_update = request.method == "PUT" and request.path == "/youtube/v3/videos"
        if is_update:
            updates.append(request)
            if len(updates) == 2:
                arrived.set()
                release.wait(60)
        response = handle(request)
        if is_update and len(updates) == 2:
            answered.set()
        return response

    monkeypatch.setattr(emulator.app, "handle", handling)
    database_url = subprocess_database_url(tmp_path)
    log = tmp_path / "push.log"
    push = subprocess.Popen(
        [sys.executable, "manage.py", "youtube_push", "--changeset", str(changeset.pk)],
        cwd=ROOT,
        env=subprocess_env(tmp_path, database_url, emulator),
        stdout=open(log, "wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        assert arrived.wait(60), log.read_text()[-3000:]
        # In flight: the read (1), the 503 settled to its one unit, the retry's full 50.
        assert _booked_in(database_url) == 1 + 1 + 50  # was 1 + 50 + 50
        os.kill(push.pid, signal.SIGKILL)
        push.wait(10)
    finally:
        release.set()
        if push.poll() is None:
            push.kill()
            push.wait(10)
    assert answered.wait(30)

    # Google served the update nobody read the answer of and charged it: the booking was right.
    assert emulator.state.video("a1song00001")["snippet"]["title"] == "Midnight Song (Remastered)"
    assert emulator.state.quota_used(PROJECT) == _booked_in(database_url) == 52


def _booked_in(database_url: str) -> int:
    """Today's Data API units in the ledger of the subprocesses' database (on SQLite, the file)."""
    sql = f"SELECT units_used FROM {QuotaLedger._meta.db_table} WHERE project = %s AND api = %s AND day = %s"
    args = [CLIENT_ID, "youtube", str(pacific_day())]
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as file:
            (row,) = file.execute(sql.replace("%s", "?"), args).fetchall()
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            (row,) = cursor.fetchall()
    return row[0]


@pytest.mark.parametrize(
    ("status", "units"),
    [
        (200, 50),
        (None, 50),  # no answer: it may have reached Google
        (400, 50),  # invalidTitle: rejected by the method, not priced lower anywhere
        (401, 1),
        (403, 50),
        (404, 50),
        (429, 50),
        (499, 50),
        (500, 1),
        (503, 1),
    ],
)
def test_what_an_answer_to_videos_update_costs(status, units):
    assert answer_units("youtube.videos.update", status) == units


def test_a_failed_read_costs_its_price_of_one_unit():
    assert answer_units("youtube.videos.list", 503) == answer_units("youtube.videos.list", 200) == 1
