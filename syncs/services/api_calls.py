"""The record of every call to Google (the seed's log_api_call): never a token, never a URL."""

import logging

from syncs.models import ApiCall

logger = logging.getLogger("ytcms.youtube")


def api_call_record(
    *,
    method: str,
    owner_id: str | None,
    project: str,
    quota_units: int,
    duration_ms: int,
    outcome: str,
    http_status: int | None = None,
    reason: str = "",
    message: str = "",
    retries: int = 0,
) -> ApiCall:
    call = ApiCall.objects.create(
        method=method,
        content_owner_id=owner_id,
        project=project,
        quota_units=quota_units,
        duration_ms=duration_ms,
        outcome=outcome,
        http_status=http_status,
        reason=reason[:100],
        message=message[:2000],
        retries=retries,
    )
    level = logging.INFO if outcome == ApiCall.Outcome.OK else logging.WARNING
    logger.log(
        level,
        "%s owner=%s project=%s units=%d retries=%d %s in %d ms%s",
        method,
        owner_id or "-",
        project,
        quota_units,
        retries,
        outcome,
        duration_ms,
        f": {message}" if message else "",
    )
    return call
