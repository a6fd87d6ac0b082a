"""/healthz and /readyz for load balancers and monitoring.

/healthz says the process answers (no database, nothing else). /readyz runs every check and answers
200 only when the instance can do its work: database, channel layer, file storage, a task worker
that is taking work. The YouTube credential state is reported but never makes readiness fail: a
revoked grant is the same on every instance, and taking them all out of the load balancer would
also take away the admin page where a manager reconnects the owner.

Neither needs a login and neither shows a secret: failed checks name the kind of error; the details
go to the log with the request id. Neither names a content owner or counts their credentials for
anyone but a superuser: a load balancer needs only the status code, and a rights manager of one
owner must not learn how many others there are or which of them lost their grant.
"""

import asyncio
import logging
import time
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connections
from django.db.models import Count, Max
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger("ytcms.health")

OK, ERROR, DEGRADED, SKIPPED = "ok", "error", "degraded", "skipped"


@never_cache
@require_safe
def healthz(request):
    """Answer 200 while the process serves requests; nothing else is checked."""
    return JsonResponse({"status": "ok"})


def check_database(alias: str = "default") -> dict:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": OK}


def check_channel_layer() -> dict:
    layer = get_channel_layer()
    if layer is None:
        return {"status": SKIPPED, "detail": "no channel layer configured"}
    timeout = settings.READYZ_TIMEOUT_SECONDS

    async def round_trip():
        channel = await layer.new_channel()
        token = uuid.uuid4().hex
        await asyncio.wait_for(layer.send(channel, {"type": "health.ping", "token": token}), timeout)
        message = await asyncio.wait_for(layer.receive(channel), timeout)
        if message.get("token") != token:
            raise RuntimeError("the channel layer returned another message")

    async_to_sync(round_trip)()
    return {"status": OK, "backend": type(layer).__name__}


def check_storage(alias: str = "default") -> dict:
    storage = storages[alias]
    name = storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    storage.delete(name)
    return {"status": OK, "backend": type(storage).__name__}


def _uses_database_task_backend() -> bool:
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    return backend.startswith("django_tasks_db")


def check_worker() -> dict:
    """Is a task worker taking work? Judged from the task table, without enqueuing anything.

    django_tasks_db keeps no worker heartbeat, so the evidence is the tasks themselves: the newest
    started_at/finished_at is the worker's last sign of life, and a task that is due but has been
    waiting longer than READYZ_WORKER_MAX_AGE_SECONDS with no sign of life within that time means
    no worker is running. An empty queue with no recent activity is "idle", not a failure: an idle
    worker and a stopped one look alike until work arrives, and then the wait tells them apart.
    """
    if not _uses_database_task_backend():
        return {"status": SKIPPED, "detail": "tasks do not use the database backend"}
    from django_tasks_db.models import DBTaskResult, get_date_max

    max_age = settings.READYZ_WORKER_MAX_AGE_SECONDS
    now = timezone.now()
    activity = DBTaskResult.objects.aggregate(started=Max("started_at"), finished=Max("finished_at"))
    last_activity = max((value for value in activity.values() if value is not None), default=None)
    # A due task has waited since it was enqueued, or since its run_after when that came later.
    oldest_waiting_since = None
    for enqueued_at, run_after in (
        DBTaskResult.objects.ready().order_by("enqueued_at").values_list("enqueued_at", "run_after")[:50]
    ):
        since = enqueued_at if run_after == get_date_max() else max(enqueued_at, run_after)
        oldest_waiting_since = since if oldest_waiting_since is None else min(oldest_waiting_since, since)
    result = {
        "max_age_seconds": max_age,
        "last_activity": last_activity.isoformat() if last_activity else None,
        "oldest_waiting_seconds": round((now - oldest_waiting_since).total_seconds())
        if oldest_waiting_since
        else 0,
    }
    recently_active = last_activity is not None and (now - last_activity).total_seconds() <= max_age
    if recently_active:
        return {"status": OK, **result}
    if result["oldest_waiting_seconds"] > max_age:
        return {
            "status": ERROR,
            "detail": f"tasks have waited more than {max_age} s and no worker has started one",
            **result,
        }
    return {"status": OK, "detail": "idle", **result}


# What every caller of /readyz may read of a check; a signed-in superuser reads everything.
BARE_RESULT_KEYS = frozenset({"status", "detail", "error", "duration_ms"})


def _requester_is_superuser(request) -> bool:
    try:
        user = request.user
        return bool(user.is_authenticated and user.is_active and user.is_staff and user.is_superuser)
    except Exception:  # no session table, no database: treat as anonymous
        return False


def check_youtube_credentials(request) -> dict:
    """Whether a content owner's YouTube credential cannot be used (re-authorisation, or no key of
    ENCRYPTION_KEYS opens it): any status but "ok".

    Everyone gets the bare status (ok or degraded); a signed-in superuser also gets the counts by
    status and each owner's, which span every content owner.
    """
    try:
        credential_model = apps.get_model("syncs", "YouTubeCredential")
    except LookupError:
        return {"status": SKIPPED, "detail": "YouTube credentials are not part of this version"}
    if not _requester_is_superuser(request):
        broken = credential_model.objects.exclude(status="ok").exists()
        return {"status": DEGRADED if broken else OK}
    counts = dict(
        credential_model.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    broken = any(status != "ok" for status in counts)
    return {
        "status": DEGRADED if broken else OK,
        "counts": counts,
        "owners": dict(credential_model.objects.order_by("owner_id").values_list("owner_id", "status")),
    }


def _run(name: str, check) -> dict:
    started = time.monotonic()
    try:
        result = check()
    except Exception as error:
        logger.warning("readiness check %s failed: %s: %s", name, type(error).__name__, error)
        result = {"status": ERROR, "error": type(error).__name__}
    result["duration_ms"] = round((time.monotonic() - started) * 1000)
    return result


@never_cache
@require_safe
def readyz(request):
    """Run every readiness check: 200 when all pass (or are degraded/skipped), else 503."""
    checks = {
        "database": _run("database", check_database),
        "channel_layer": _run("channel_layer", check_channel_layer),
        "storage": _run("storage", check_storage),
        "worker": _run("worker", check_worker),
        "youtube_credentials": _run("youtube_credentials", lambda: check_youtube_credentials(request)),
    }
    if not _requester_is_superuser(request):
        # When the worker last ran tells who is busy on a shared site: the figures are the operator's.
        checks["worker"] = {key: value for key, value in checks["worker"].items() if key in BARE_RESULT_KEYS}
    # YouTube credentials inform, they do not gate (see the module docstring).
    gating = {name: result for name, result in checks.items() if name != "youtube_credentials"}
    ready = all(result["status"] != ERROR for result in gating.values())
    status = 200 if ready else 503
    if not ready:
        failed = sorted(name for name, result in gating.items() if result["status"] == ERROR)
        logger.warning("not ready: %s", ", ".join(failed))
    return JsonResponse({"status": "ok" if ready else "error", "checks": checks}, status=status)
