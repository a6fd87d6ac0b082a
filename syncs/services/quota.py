"""The quota ledger: reserve before every request, settle once Google answered, refuse once the
day's budget is spent."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from syncs.events import publish_quota_update
from syncs.models import QuotaLedger
from syncs.youtube.errors import QuotaExhausted
from syncs.youtube.quota_clock import next_quota_reset, pacific_day


def _ledger_row(*, project: str, api: str, now) -> QuotaLedger:
    row, _ = QuotaLedger.objects.get_or_create(
        project=project,
        api=api,
        day=pacific_day(now),
        defaults={"budget": settings.YOUTUBE_DAILY_QUOTA, "reserve": settings.YOUTUBE_QUOTA_RESERVE},
    )
    return row


@dataclass(frozen=True)
class QuotaReservation:
    """Units booked for one request before it was sent: what quota_settle corrects."""

    project: str
    api: str
    day: date
    units: int


def quota_charge(*, project: str, api: str, units: int, now=None) -> QuotaReservation:
    """Book `units` for a request about to be sent, or raise QuotaExhausted (nothing booked).

    The booking commits at once and stays whole until quota_settle corrects it: a process that
    dies with the request in flight leaves the full price booked, the safe side.

    One conditional UPDATE books the units, so two processes can never together spend past the
    budget: on PostgreSQL the second UPDATE waits for the first and re-checks its WHERE on the
    new row; SQLite runs one writer at a time.
    """
    now = now or timezone.now()
    budget, reserve = settings.YOUTUBE_DAILY_QUOTA, settings.YOUTUBE_QUOTA_RESERVE
    row = _ledger_row(project=project, api=api, now=now)
    booked = QuotaLedger.objects.filter(
        pk=row.pk, exhausted_at__isnull=True, units_used__lte=budget - reserve - units
    ).update(units_used=F("units_used") + units, budget=budget, reserve=reserve, updated_at=now)
    if not booked:
        row.refresh_from_db()
        reset_at = next_quota_reset(now)
        if row.exhausted_at:
            why = f"Google answered quotaExceeded at {row.exhausted_at:%H:%M} UTC"
        else:
            why = (
                f"{row.units_used:,} of {budget - reserve:,} units spent "
                f"(budget {budget:,} minus reserve {reserve:,}); this call needs {units}"
            )
        raise QuotaExhausted(
            f"The daily YouTube quota of project {project} ({api}) is spent: {why}. "
            f"It resets at midnight Pacific time ({reset_at:%Y-%m-%d %H:%M} UTC).",
            reset_at=reset_at,
            project=project,
            api=api,
            reason="quotaBudgetSpent",
        )
    publish_quota_update(project, api, row.day)
    return QuotaReservation(project=project, api=api, day=row.day, units=units)


def quota_settle(*, reservation: QuotaReservation, units: int, now=None) -> None:
    """Google's answer is known: book `units`, what it charges for that answer (costs.answer_units),
    in place of the reservation; 0 when the request never left.

    Only ever gives back, and on the day the units were booked (a call may end after midnight).
    """
    _give_back(
        project=reservation.project,
        api=reservation.api,
        day=reservation.day,
        units=reservation.units - units,
        now=now or timezone.now(),
    )


def quota_refund(*, project: str, api: str, units: int, now=None) -> None:
    """Give back units booked today for a request that was never sent."""
    now = now or timezone.now()
    _give_back(project=project, api=api, day=pacific_day(now), units=units, now=now)


def _give_back(*, project: str, api: str, day: date, units: int, now) -> None:
    if units <= 0:
        return
    # A day Google declared spent (quotaExceeded) stays spent: quota_mark_exhausted booked it whole.
    QuotaLedger.objects.filter(project=project, api=api, day=day, exhausted_at__isnull=True).update(
        units_used=Greatest(F("units_used") - units, 0), updated_at=now
    )
    publish_quota_update(project, api, day)


def quota_mark_exhausted(*, project: str, api: str, now=None) -> None:
    """Google said quotaExceeded: nothing more goes out for this project and API today."""
    now = now or timezone.now()
    row = _ledger_row(project=project, api=api, now=now)
    QuotaLedger.objects.filter(pk=row.pk, exhausted_at__isnull=True).update(
        exhausted_at=now, units_used=Greatest(F("units_used"), F("budget")), updated_at=now
    )
    publish_quota_update(project, api, row.day)
