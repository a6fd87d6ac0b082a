"""A stored credential that no key of ENCRYPTION_KEYS opens (#16, item 2).

The credential is encrypted with the test key, then ENCRYPTION_KEYS is changed so that no key opens
it, as when a key is dropped before `rotate_keys` ran. Every path that uses it marks the owner
*credential unreadable*, parks or skips its work like a revoked grant, and says what to do: commands
end with one line (no traceback), tasks finish, the owner's page explains.
"""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.urls import reverse

from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.push import changeset_push
from syncs.changesets.services import changeset_queue
from syncs.models import ChangeSet, ChangeSetItem, YouTubeCredential
from syncs.youtube.gateway import YouTubeSession
from tests.conftest import browser

from .conftest import (
    ACCOUNT_B,
    ENCRYPTION_KEY,
    REFRESH_TOKEN_A,
    REFRESH_TOKEN_B,
    api_requests,
    subprocess_database_url,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
UNREADABLE = "Credential unreadable — check ENCRYPTION_KEYS"
DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "reports", "syncs"]}
}


@pytest.fixture
def other_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def unreadable(emulator, owner_a, connect, settings, other_key):
    """Owner A connected (secrets encrypted with the test key), then a key ring without that key."""
    connect(owner_a)
    settings.ENCRYPTION_KEYS = [other_key]
    return owner_a


def _edit(video, user, **changes) -> ChangeSet:
    video_update(video=video, changes=changes, user=user)
    changeset = ChangeSet.objects.get(created_by=user, status=ChangeSet.Status.DRAFT)
    changeset_queue(changeset=changeset, user=user, enqueue=False)
    return changeset


def _status_changes():
    # Imported here so that each test fails on its own point on code without the audit (#16).
    from syncs.models import CredentialStatusChange

    return CredentialStatusChange.objects


def _unreadable_error():
    from syncs.youtube.errors import CredentialUnreadable

    return CredentialUnreadable


def _assert_marked_unreadable(owner) -> None:
    credential = YouTubeCredential.objects.defer(*YouTubeCredential.SECRET_FIELDS).get(owner=owner)
    assert credential.status == YouTubeCredential.Status.UNREADABLE
    assert credential.get_status_display() == UNREADABLE
    assert credential.last_error.startswith(UNREADABLE)
    # One audit row for the change, however many paths found it.
    change = _status_changes().filter(new_status=YouTubeCredential.Status.UNREADABLE).get()
    assert (change.content_owner_id, change.old_status) == (owner.pk, YouTubeCredential.Status.OK)


def _command_error(name: str, *args) -> str:
    with pytest.raises(CommandError) as raised:
        call_command(name, *args, stdout=io.StringIO(), stderr=io.StringIO())
    return str(raised.value)


def _one_line_error(name: str, *args) -> str:
    message = _command_error(name, *args)
    assert "\n" not in message, message
    return message


# ---------------------------------------------------------------------- commands


def test_youtube_pull_of_the_owner_ends_with_one_line_saying_what_to_do(unreadable, catalogue):
    message = _one_line_error("youtube_pull", "--owner", "owner-a")

    assert f"owner-a waits: {UNREADABLE}" in message
    assert "rotate_keys" in message and "youtube_connect --owner owner-a" in message
    _assert_marked_unreadable(unreadable)


def test_youtube_pull_of_the_owners_videos_ends_with_one_line(unreadable, catalogue, emulator):
    message = _one_line_error("youtube_pull", "--video", "a1song00001")

    assert f"owner-a waits: {UNREADABLE}" in message
    assert api_requests(emulator) == []
    _assert_marked_unreadable(unreadable)


def test_youtube_pull_reports_ends_with_one_line_per_owner(unreadable, emulator):
    # Its summary has a line per owner, then the totals.
    owner_line, totals = _command_error("youtube_pull_reports", "--owner", "owner-a").splitlines()

    assert owner_line.startswith(f"owner-a: {UNREADABLE}") and "rotate_keys" in owner_line
    assert totals.startswith("0 reports imported")
    assert api_requests(emulator) == []
    _assert_marked_unreadable(unreadable)


def test_youtube_push_parks_the_owners_items_and_ends_with_one_line(unreadable, catalogue, alice, emulator):
    _edit(catalogue["a1_song"], alice, title="Ours")

    message = _one_line_error("youtube_push")

    assert f"owner-a waits: {UNREADABLE}" in message
    item = ChangeSetItem.objects.get()
    assert (item.status, item.error_reason, item.deferred_until) == (
        ChangeSetItem.Status.DEFERRED,
        "credentialUnreadable",
        None,
    )
    assert item.error_message.startswith(UNREADABLE)
    assert api_requests(emulator) == []
    _assert_marked_unreadable(unreadable)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_youtube_pull_run_in_a_shell_exits_1_without_a_traceback(
    emulator, owner_a, connect, tmp_path, other_key
):
    connect(owner_a)
    env = {
        **os.environ,
        "DATABASE_URL": subprocess_database_url(tmp_path),
        "ENCRYPTION_KEYS": other_key,
        "YTCMS_VAR_DIR": str(tmp_path),
        "LOG_TO_FILE": "false",
        "YOUTUBE_API_ENDPOINT": emulator.url + "/",
        "YOUTUBE_TOKEN_URI": emulator.token_uri,
    }
    env.pop("TEST_DATABASE_NAME", None)

    run = subprocess.run(
        [sys.executable, "manage.py", "youtube_pull", "--owner", "owner-a"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert "SecretDecryptionError" not in run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("CommandError: ") and UNREADABLE in line


# ---------------------------------------------------------------------- tasks


def test_the_push_task_parks_the_items_and_finishes(unreadable, catalogue, alice, emulator, settings):
    from django_tasks_db.models import DBTaskResult

    from syncs.tasks import changeset_push_task

    settings.TASKS = DATABASE_TASKS
    changeset = _edit(catalogue["a1_song"], alice, title="Ours", tags=["night", "remaster"])

    summary = changeset_push_task.call(changeset_id=changeset.pk)

    assert f"owner-a waits: {UNREADABLE}" in summary
    assert {(i.field, i.status, i.error_reason) for i in ChangeSetItem.objects.all()} == {
        ("tags", ChangeSetItem.Status.DEFERRED, "credentialUnreadable"),
        ("title", ChangeSetItem.Status.DEFERRED, "credentialUnreadable"),
    }
    # Parked like a revoked grant: nothing is scheduled, the items wait for a person.
    assert not DBTaskResult.objects.exists()
    assert api_requests(emulator) == []
    _assert_marked_unreadable(unreadable)


def test_the_refresh_task_says_the_owner_waits(unreadable, catalogue, alice, emulator):
    from syncs.tasks import videos_refresh

    summary = videos_refresh.call(video_ids=["a1song00001", "a1live00001"], user_id=alice.pk)

    assert f"owner-a waits: {UNREADABLE}" in summary
    assert api_requests(emulator) == []
    _assert_marked_unreadable(unreadable)


def test_the_scheduled_reports_pull_runs_to_its_end_for_the_other_owners(
    unreadable, owner_b, connect, emulator, settings, other_key
):
    from django.tasks.signals import task_finished

    from ytcms_site.scheduler import DAILY_JOBS, scheduler_tick

    # The task runs as the scheduler enqueues it (inline), and reports how it finished.
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "reports", "syncs"],
        }
    }
    finished = []

    def on_finished(sender, task_result, **kwargs):
        finished.append(task_result)

    task_finished.connect(on_finished)
    connect(owner_b, REFRESH_TOKEN_B)  # encrypted with the key in use now
    settings.ENCRYPTION_KEYS = [other_key]
    settings.REPORT_PULL_HOUR_UTC = 0

    try:
        tick = scheduler_tick(jobs=[job for job in DAILY_JOBS if job.name == "reports_pull"])
    finally:
        task_finished.disconnect(on_finished)

    (run,) = tick.enqueued
    (result,) = finished
    assert (result.id, result.status) == (run.task_id, "SUCCESSFUL"), result.errors
    assert f"owner-a: {UNREADABLE}" in result.return_value
    assert "owner-b" in result.return_value
    assert {r["account"] for r in api_requests(emulator)} == {ACCOUNT_B}
    _assert_marked_unreadable(unreadable)


# ---------------------------------------------------------------------- the way back


def test_reconnecting_with_youtube_connect_replaces_the_unreadable_credential_and_the_push_resumes(
    unreadable, catalogue, alice, emulator, monkeypatch
):
    changeset = _edit(catalogue["a1_song"], alice, title="Ours")
    changeset_push(changeset=changeset)
    monkeypatch.setattr("sys.stdin", io.StringIO(REFRESH_TOKEN_A))

    call_command("youtube_connect", "--owner", "owner-a", "--refresh-token-file", "-", stdout=io.StringIO())
    changeset_push(changeset=changeset)

    assert YouTubeCredential.objects.get(owner=unreadable).status == YouTubeCredential.Status.OK
    assert ChangeSetItem.objects.get().status == ChangeSetItem.Status.DONE
    assert emulator.state.video("a1song00001")["snippet"]["title"] == "Ours"
    assert list(_status_changes().values_list("old_status", "new_status").order_by("pk")) == [
        ("", "ok"),
        ("ok", "unreadable"),
        ("unreadable", "ok"),
    ]


def test_putting_the_key_back_and_rotate_keys_make_it_readable_again(
    unreadable, catalogue, alice, emulator, settings, other_key
):
    changeset = _edit(catalogue["a1_song"], alice, title="Ours")
    changeset_push(changeset=changeset)
    settings.ENCRYPTION_KEYS = [other_key, ENCRYPTION_KEY]
    out = io.StringIO()

    call_command("rotate_keys", stdout=out)
    changeset_push(changeset=changeset)

    assert "1 content owner's credential, marked unreadable, opens again" in out.getvalue()
    assert YouTubeCredential.objects.get(owner=unreadable).status == YouTubeCredential.Status.OK
    assert _status_changes().first().new_status == YouTubeCredential.Status.OK
    assert emulator.state.video("a1song00001")["snippet"]["title"] == "Ours"


def test_the_change_is_announced_to_the_owners_listeners_after_commit(
    unreadable, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr("core.live.transport.send_now", lambda outgoing, **kwargs: sent.extend(outgoing))

    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(_unreadable_error(), match=UNREADABLE):
            YouTubeSession.for_owner(unreadable)
        assert sent == []  # not before the commit
    for callback in callbacks:
        callback()

    ((groups, frame),) = sent
    assert "live.owner.owner-a" in groups
    assert (frame["type"], frame["content_owner_id"], frame["old_status"], frame["status"]) == (
        "credential_update",
        "owner-a",
        "ok",
        "unreadable",
    )


# ---------------------------------------------------------------------- the admin


def test_the_owner_page_says_what_to_do(unreadable, alice):
    with pytest.raises(_unreadable_error(), match=UNREADABLE):
        YouTubeSession.for_owner(unreadable)
    client = browser(alice)

    page = client.get(reverse("admin:channels_app_contentowner_change", args=["owner-a"])).content.decode()
    listing = client.get(reverse("admin:channels_app_contentowner_changelist")).content.decode()

    assert "⚠ Credential unreadable — check ENCRYPTION_KEYS (none of its keys opens" in page
    assert "manage.py rotate_keys" in page and "manage.py youtube_connect --owner owner-a" in page
    assert "Connected → Credential unreadable — check ENCRYPTION_KEYS" in page
    assert UNREADABLE in listing


def test_fetch_reports_now_refuses_with_what_to_do_and_queues_nothing(unreadable, alice, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_TASKS
    client = browser(alice)
    page = reverse("admin:channels_app_contentowner_change", args=["owner-a"])
    client.get(page)

    done = client.post(
        reverse("admin:channels_app_contentowner_youtube_pull_reports", args=["owner-a"]),
        {"csrfmiddlewaretoken": client.cookies["csrftoken"].value},
        follow=True,
    )

    assert f"Nothing queued. {UNREADABLE}" in done.content.decode()
    assert not DBTaskResult.objects.exists()
    _assert_marked_unreadable(unreadable)


def test_charlie_of_another_owner_sees_nothing_of_it(unreadable, charlie, alice):
    with pytest.raises(_unreadable_error(), match=UNREADABLE):
        YouTubeSession.for_owner(unreadable)
    client = browser(charlie)

    page = client.get(reverse("admin:channels_app_contentowner_change", args=["owner-a"]))
    listing = client.get(reverse("admin:channels_app_contentowner_changelist")).content.decode()
    fetch = client.post(
        reverse("admin:channels_app_contentowner_youtube_pull_reports", args=["owner-a"]),
        {"csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )

    assert page.status_code == 404 and fetch.status_code == 404
    assert UNREADABLE not in listing and "owner-a" not in listing
