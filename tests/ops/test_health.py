"""/healthz and /readyz tell the truth: up and down, per check."""

import datetime
import uuid

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from channels_app.models import ContentOwner
from core.env import database_from_url
from ytcms_site import health

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _health_files_in_tmp(media_in_tmp):
    """The storage check writes under MEDIA_ROOT/health/: keep it out of var/."""


def task_row(**fields) -> DBTaskResult:
    values = {
        "args_kwargs": {"args": [], "kwargs": {}},
        "task_path": "tests.ops.test_health.nothing",
        "queue_name": "default",
        "backend_name": "default",
        "run_after": get_date_max(),
        "exception_class_path": "",
        "traceback": "",
    }
    values.update(fields)
    return DBTaskResult.objects.create(**values)


def waiting_task(*, seconds: int) -> DBTaskResult:
    task = task_row()
    DBTaskResult.objects.filter(pk=task.pk).update(
        enqueued_at=timezone.now() - datetime.timedelta(seconds=seconds)
    )
    return task


def test_healthz_answers_ok_without_a_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz_is_200_when_every_check_passes(client):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "channel_layer": "ok",
        "storage": "ok",
        "worker": "ok",
        "youtube_credentials": "ok",
    }


def test_readyz_storage_check_leaves_no_file_behind(client, media_in_tmp):
    client.get("/readyz")
    assert list((media_in_tmp / "health").iterdir()) == []


def test_readyz_with_a_broken_database_url_is_503(client, monkeypatch, tmp_path):
    from django.db.utils import ConnectionHandler

    broken = database_from_url("postgres://ytcms@127.0.0.1:1/ytcms?connect_timeout=2", base_dir=tmp_path)
    monkeypatch.setattr(health, "connections", ConnectionHandler({"default": broken}))
    try:
        response = client.get("/readyz")
    finally:
        health.connections.close_all()
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "error"
    database = body["checks"]["database"]
    assert (database["status"], database["error"]) == ("error", "OperationalError")
    assert "127.0.0.1:1" not in response.content.decode()  # details go to the log, not to the prober


def test_readyz_with_the_channel_layer_down_is_503(client, monkeypatch, settings):
    from channels_redis.core import RedisChannelLayer

    monkeypatch.setattr(
        health, "get_channel_layer", lambda: RedisChannelLayer(hosts=["redis://127.0.0.1:1/0"])
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"]["status"] == "error"


def test_readyz_with_storage_failing_is_503(client, monkeypatch):
    def refuse(alias="default"):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(health, "check_storage", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    storage = response.json()["checks"]["storage"]
    assert (storage["status"], storage["error"]) == ("error", "PermissionError")


def test_a_task_waiting_longer_than_the_threshold_with_no_worker_activity_is_503(admin_client, settings):
    settings.READYZ_WORKER_MAX_AGE_SECONDS = 120
    waiting_task(seconds=121)
    response = admin_client.get("/readyz")
    worker = response.json()["checks"]["worker"]
    assert response.status_code == 503
    assert worker["status"] == "error" and worker["oldest_waiting_seconds"] >= 121
    assert "no worker has started one" in worker["detail"]


def test_a_task_waiting_less_than_the_threshold_is_still_ready(client, settings):
    settings.READYZ_WORKER_MAX_AGE_SECONDS = 120
    waiting_task(seconds=100)
    assert client.get("/readyz").status_code == 200


def test_a_worker_that_finished_a_task_recently_is_ok_even_with_a_backlog(admin_client, settings):
    settings.READYZ_WORKER_MAX_AGE_SECONDS = 120
    waiting_task(seconds=600)
    now = timezone.now()
    task_row(status="SUCCESSFUL", started_at=now - datetime.timedelta(seconds=5), finished_at=now)
    response = admin_client.get("/readyz")
    worker = response.json()["checks"]["worker"]
    assert response.status_code == 200 and worker["status"] == "ok" and worker["last_activity"]


def test_a_task_scheduled_for_later_is_not_waiting(client, settings):
    settings.READYZ_WORKER_MAX_AGE_SECONDS = 120
    task = task_row(run_after=timezone.now() + datetime.timedelta(hours=1))
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=timezone.now() - datetime.timedelta(days=1))
    assert client.get("/readyz").status_code == 200


def test_an_idle_queue_is_ready_and_says_idle(client):
    worker = client.get("/readyz").json()["checks"]["worker"]
    assert worker["status"] == "ok" and worker["detail"] == "idle"


def credential(owner_id: str, status: str):
    from django.apps import apps

    model = apps.get_model("syncs", "YouTubeCredential")
    owner = ContentOwner.objects.create(id=owner_id, name=owner_id)
    return model.objects.create(owner=owner, kind="oauth", status=status)


@pytest.mark.parametrize("unusable", ["needs_reauthorisation", "unreadable"])
def test_youtube_credentials_that_cannot_be_used_are_reported_but_do_not_fail_readiness(client, unusable):
    credential("owner-ok", "ok")
    credential("owner-revoked", unusable)
    response = client.get("/readyz")
    youtube = response.json()["checks"]["youtube_credentials"]
    assert response.status_code == 200
    assert youtube["status"] == "degraded"
    # A probe gets the bare status: counts and owner ids span every content owner.
    assert set(youtube) == {"status", "duration_ms"}


def test_superusers_see_the_credential_state_per_owner(client, admin_user):
    credential("owner-ok", "ok")
    credential("owner-revoked", "needs_reauthorisation")
    client.force_login(admin_user)
    youtube = client.get("/readyz").json()["checks"]["youtube_credentials"]
    assert youtube["status"] == "degraded"
    assert youtube["counts"] == {"ok": 1, "needs_reauthorisation": 1}
    assert youtube["owners"] == {"owner-ok": "ok", "owner-revoked": "needs_reauthorisation"}


def test_staff_who_are_not_superusers_get_the_bare_status(client, charlie):
    credential("owner-ok", "ok")
    credential("owner-revoked", "needs_reauthorisation")
    client.force_login(charlie)
    response = client.get("/readyz")
    youtube = response.json()["checks"]["youtube_credentials"]
    assert response.status_code == 200
    assert youtube["status"] == "degraded"
    assert set(youtube) == {"status", "duration_ms"}
    body = response.content.decode()
    assert "owner-ok" not in body and "owner-revoked" not in body and "owner-b" not in body


@pytest.mark.parametrize("signed_in", [False, True])
def test_only_a_superuser_reads_when_the_worker_last_ran(client, charlie, settings, signed_in):
    settings.READYZ_WORKER_MAX_AGE_SECONDS = 120
    waiting_task(seconds=121)
    if signed_in:
        client.force_login(charlie)
    response = client.get("/readyz")
    worker = response.json()["checks"]["worker"]
    assert response.status_code == 503 and worker["status"] == "error"
    assert "no worker has started one" in worker["detail"]
    assert "last_activity" not in worker and "oldest_waiting_seconds" not in worker


def test_with_every_credential_connected_the_bare_status_is_ok(client, charlie):
    credential("owner-ok", "ok")
    client.force_login(charlie)
    assert client.get("/readyz").json()["checks"]["youtube_credentials"]["status"] == "ok"


def test_without_the_credential_model_the_check_is_skipped(client, monkeypatch):
    def no_model(app_label, model_name):
        raise LookupError(model_name)

    monkeypatch.setattr(health.apps, "get_model", no_model)
    youtube = client.get("/readyz").json()["checks"]["youtube_credentials"]
    assert youtube["status"] == "skipped"


def test_readyz_shows_no_secret(client, settings):
    settings.SECRET_KEY = "secret-" + uuid.uuid4().hex * 2
    body = client.get("/readyz").content.decode()
    assert settings.SECRET_KEY not in body and "PASSWORD" not in body


@pytest.mark.parametrize("url", ["/healthz", "/readyz"])
def test_probes_are_not_redirected_to_https(client, settings, url):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(url).status_code in (200, 503)
    assert client.get("/admin/login/").status_code == 301


def test_probes_only_answer_safe_methods(client):
    assert client.post("/healthz").status_code == 405
