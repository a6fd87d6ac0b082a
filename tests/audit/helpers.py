from core.audit.models import AuditEvent


def events(event_type: str, **filters) -> list[AuditEvent]:
    """The rows of one type, oldest first."""
    return list(AuditEvent.objects.filter(event_type=event_type, **filters).order_by("created_at", "id"))


def only(event_type: str, **filters) -> AuditEvent:
    (event,) = events(event_type, **filters)
    return event
