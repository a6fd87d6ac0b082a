"""The one way to write the audit log: call inside the transaction of the change it records."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.audit.models import AuditEvent

BULK_WRITE_BATCH = 500


@dataclass(frozen=True)
class AuditEntry:
    """One row to write; audit_events_record takes many (a bulk edit's one per video)."""

    event_type: str
    object_type: str
    object_id: str | int
    content_owner_id: str | None = None
    channel_id: str | None = None
    object_repr: str = ""
    old: Any = None
    new: Any = None
    extra: dict = field(default_factory=dict)


def _checked_user(acting_user):
    # An anonymous user (a request without a session) is no one to name.
    return acting_user if acting_user is not None and getattr(acting_user, "pk", None) else None


def _row(entry: AuditEntry, *, acting_user, actor_label: str, created_at: datetime) -> AuditEvent:
    if entry.event_type not in AuditEvent.Type.values:
        raise ValueError(f"Unknown audit event type {entry.event_type!r}.")
    return AuditEvent(
        created_at=created_at,
        acting_user=acting_user,
        actor_label=actor_label[:100],
        content_owner_id=entry.content_owner_id or "",
        channel_id=entry.channel_id or "",
        event_type=entry.event_type,
        object_type=entry.object_type,
        object_id=str(entry.object_id),
        object_repr=str(entry.object_repr)[:200],
        old=entry.old,
        new=entry.new,
        extra=entry.extra,
    )


def audit_event_record(
    *,
    event_type: str,
    object_type: str,
    object_id: str | int,
    acting_user=None,
    actor_label: str = "",
    content_owner_id: str | None = None,
    channel_id: str | None = None,
    object_repr: str = "",
    old: Any = None,
    new: Any = None,
    extra: dict | None = None,
    created_at: datetime | None = None,
) -> AuditEvent:
    """Append one row: who (a user, or a label for commands and tasks), what, old and new values.

    Must run inside the caller's transaction (like Zulip's actions): the row commits with the
    change it records or not at all. Broadcasting is the caller's, after commit.
    """
    _require_transaction()
    entry = AuditEntry(
        event_type=event_type,
        object_type=object_type,
        object_id=object_id,
        content_owner_id=content_owner_id,
        channel_id=channel_id,
        object_repr=object_repr,
        old=old,
        new=new,
        extra=extra or {},
    )
    row = _row(
        entry,
        acting_user=_checked_user(acting_user),
        actor_label=actor_label,
        created_at=created_at or timezone.now(),
    )
    row.save(force_insert=True)
    return row


def audit_events_record(
    *,
    entries: Iterable[AuditEntry],
    acting_user=None,
    actor_label: str = "",
    created_at: datetime | None = None,
) -> int:
    """Append many rows of one action (one moment, one actor) in batched INSERTs; returns how many."""
    _require_transaction()
    moment = created_at or timezone.now()
    user = _checked_user(acting_user)
    rows = [_row(entry, acting_user=user, actor_label=actor_label, created_at=moment) for entry in entries]
    AuditEvent.objects.bulk_create(rows, batch_size=BULK_WRITE_BATCH)
    return len(rows)


def _require_transaction() -> None:
    if transaction.get_autocommit():
        raise RuntimeError(
            "audit_event_record runs inside the transaction of the change it records "
            "(wrap the change and the call in transaction.atomic)."
        )
