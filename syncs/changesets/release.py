"""Release day (#19): a change set's push scheduled for a moment, planned against its quota day.

A module of its own rather than more of services.py: scheduling reads the quota planner and the
task queue, which the edit and approval services do not need, and the push task asks it one
question at the moment (changeset_release_refusal).

The moment is stored in UTC with the IANA time zone the person chose, to show it back as they
said it. The push task is queued for the moment through changeset_schedule_push, so the worker
pushes the change set like any other. A change set may be scheduled while a draft: it must be
approved (four-eyes when on) before the moment, or it is not pushed.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from core.audit.models import AuditEvent
from syncs.changesets.errors import ChangeSetError, ChangeSetStateConflict
from syncs.changesets.quota_plan import (
    SCHEDULED_STATUSES,
    WAITING_ITEM_STATUSES,
    changeset_push_videos,
    push_units,
    quota_remaining_today,
    scheduled_units_on,
)
from syncs.changesets.scheduling import changeset_cancel_waiting_push, changeset_schedule_push
from syncs.changesets.selectors import changesets_visible_to
from syncs.changesets.services import changeset_audit
from syncs.events import publish_changeset_update
from syncs.models import ChangeSet, ChangeSetItem
from syncs.youtube.quota_clock import PACIFIC, pacific_day

# pg_advisory_xact_lock key of schedulers ("ytcmssch" in ASCII): one checks a day's budget at a time.
SCHEDULE_LOCK_KEY = 0x7974636D73736368


def _one_scheduler_at_a_time() -> None:
    """Two people scheduling onto one day at once would each see the other's units as free: on
    PostgreSQL the second waits for the first's commit (SQLite, for development, is not guarded)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEDULE_LOCK_KEY])


class ChangeSetOverbooked(ChangeSetError):
    """The push would not fit its Pacific day's budget next to the change sets already scheduled."""

    code = "quota_overbooked"


def time_zone_names() -> list[str]:
    """The IANA names a person may choose from (the admin's select), sorted."""
    return sorted(available_timezones())


def schedule_moment(*, day: date, clock: time, tz: str) -> datetime:
    """The aware moment of a wall-clock date and time in an IANA zone.

    A time that does not exist there (the hour skipped when the clocks go forward) is refused
    rather than moved: a release at 02:30 Europe/Berlin on 2027-03-28 is a mistake to be told about.
    A repeated hour (clocks going back) takes its first occurrence, and the described schedule
    (the success message, the page, the API's `described`) says so.
    """
    zone = time_zone(tz)
    moment = datetime.combine(day, clock, tzinfo=zone)
    if moment.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None) != moment.replace(
        tzinfo=None
    ):
        raise ChangeSetError(f"{day} {clock:%H:%M} does not exist in {tz} (the clocks go forward then).")
    return moment


def time_zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ChangeSetError(
            f"Unknown time zone {tz!r}: choose an IANA name such as Europe/Berlin."
        ) from None


@dataclass(frozen=True)
class ScheduleQuota:
    """The Pacific day a scheduled push falls into and what that day already holds."""

    day: date
    units: int  # this change set's push
    committed: int  # other change sets scheduled on that day
    budget: int  # the day's spendable units (today: what is left of today)
    day_budget: int  # a whole day's spendable units (YOUTUBE_DAILY_QUOTA − YOUTUBE_QUOTA_RESERVE)

    @property
    def fits(self) -> bool:
        return self.committed + self.units <= self.budget

    def described(self) -> str:
        """ "quota day 2026-12-07: 501 units committed to scheduled pushes; 9,499 of the day's 9,500
        left": each number says what it counts. The second is not the day's budget (it falls as
        the day's units are spent), so the budget is named beside it."""
        return (
            f"quota day {self.day}: {self.committed + self.units:,} units committed to scheduled pushes; "
            f"{self.budget:,} of the day's {self.day_budget:,} left"
        )


def changeset_schedule_quota(
    *, changeset: ChangeSet, at: datetime, now: datetime | None = None
) -> ScheduleQuota:
    """What scheduling the change set at `at` would commit on its Pacific day (the preview says it)."""
    now = now or timezone.now()
    day = pacific_day(at)
    spendable = max(settings.YOUTUBE_DAILY_QUOTA - settings.YOUTUBE_QUOTA_RESERVE, 0)
    committed = scheduled_units_on(day=day, now=now, exclude_id=changeset.pk)
    if day == pacific_day(now):
        # Today: what the ledger has left (quota_remaining_today less the day's reservations, which
        # are given back here since `committed` counts them).
        budget = quota_remaining_today(now)[0] + scheduled_units_on(day=day, now=now)
    else:
        budget = spendable
    videos = changeset_push_videos(changeset_id=changeset.pk)
    return ScheduleQuota(
        day=day,
        units=push_units(videos) if videos else 0,
        committed=committed,
        budget=budget,
        day_budget=spendable,
    )


def changeset_schedule_described(*, changeset: ChangeSet, now: datetime | None = None) -> str:
    """ "Scheduled for 2027-01-15 00:00 Europe/Berlin (2027-01-14 15:00 Pacific, quota day …)"."""
    if changeset.scheduled_for is None:
        return "Not scheduled."
    zone = time_zone(changeset.scheduled_tz or "UTC")
    local = changeset.scheduled_for.astimezone(zone)
    pacific = changeset.scheduled_for.astimezone(PACIFIC)
    quota = changeset_schedule_quota(changeset=changeset, at=changeset.scheduled_for, now=now)
    repeated = _repeated_hour_note(local)
    return (
        f"Scheduled for {local:%Y-%m-%d %H:%M} {changeset.scheduled_tz or 'UTC'} "
        f"({repeated + '; ' if repeated else ''}{pacific:%Y-%m-%d %H:%M} Pacific, {quota.described()})"
    )


def _repeated_hour_note(local: datetime) -> str:
    """ "01:30 EDT, the first of the two 01:30s (the clocks go back then)" when the wall-clock time
    happens twice in its zone, else "". schedule_moment takes the first without asking; saying so
    (with the zone's abbreviation, which tells the two apart) lets the person see which it was."""
    wall = local.replace(tzinfo=None)
    first = wall.replace(tzinfo=local.tzinfo, fold=0)
    second = wall.replace(tzinfo=local.tzinfo, fold=1)
    if first.utcoffset() == second.utcoffset():
        return ""
    which = "second" if local.fold else "first"
    return f"{local:%H:%M} {local.tzname()}, the {which} of the two {local:%H:%M}s (the clocks go back then)"


@dataclass(frozen=True)
class ScheduleResult:
    changeset: ChangeSet
    quota: ScheduleQuota
    warning: str = ""  # CHANGESET_SCHEDULE_OVERBOOK=warn: the day is overbooked, scheduled anyway


@transaction.atomic
def changeset_schedule(
    *, changeset: ChangeSet, at: datetime, tz: str, user, now: datetime | None = None
) -> ScheduleResult:
    """Schedule the change set's push for `at` (aware), chosen in the IANA zone `tz`.

    Refused when the moment is past, the change set is neither a draft with items nor approved, or
    (CHANGESET_SCHEDULE_OVERBOOK=refuse) its Pacific day cannot pay for it next to the change sets
    already scheduled that day. Scheduling again moves the moment.
    """
    now = now or timezone.now()
    time_zone(tz)
    if timezone.is_naive(at):
        raise ChangeSetError("The moment needs a time zone.")
    if at <= now:
        raise ChangeSetError("A change set can only be scheduled for a moment in the future.")
    _one_scheduler_at_a_time()
    changeset = ChangeSet.objects.select_for_update().get(pk=changeset.pk)
    if changeset.status not in SCHEDULED_STATUSES:
        raise ChangeSetStateConflict(
            f"A change set that is {changeset.get_status_display()} cannot be scheduled: only a draft "
            "(approved before the moment) or an approved one."
        )
    if not changeset.items.exists():
        raise ChangeSetStateConflict("This change set has no items: there is nothing to schedule.")
    quota = changeset_schedule_quota(changeset=changeset, at=at, now=now)
    warning = ""
    if not quota.fits:
        message = (
            f"The push needs {quota.units:,} units on quota day {quota.day} (Pacific), where other scheduled "
            f"change sets already commit {quota.committed:,} of {quota.budget:,}."
        )
        if settings.CHANGESET_SCHEDULE_OVERBOOK == "refuse":
            raise ChangeSetOverbooked(f"{message} Choose another day, or split the change set.")
        warning = f"{message} Scheduled anyway: what the day cannot pay for waits for the next reset."
    old = {"scheduled_for": _iso(changeset.scheduled_for), "scheduled_tz": changeset.scheduled_tz}
    changeset.scheduled_for = at.astimezone(ZoneInfo("UTC"))
    changeset.scheduled_tz = tz
    changeset.save(update_fields=["scheduled_for", "scheduled_tz", "updated_at"])
    _audit(
        changeset=changeset,
        event_type=AuditEvent.Type.CHANGESET_SCHEDULED,
        user=user,
        old=old,
        new={"scheduled_for": _iso(changeset.scheduled_for), "scheduled_tz": tz},
        extra={"quota_day": quota.day.isoformat(), "units": quota.units, "committed": quota.committed,
               "budget": quota.budget, "warning": warning},
    )  # fmt: skip
    publish_changeset_update(changeset)
    moment = changeset.scheduled_for

    def queue() -> None:
        # A push task waiting for the old moment would run then: it goes, and one waits for the new.
        changeset_cancel_waiting_push(changeset=changeset)
        changeset_schedule_push(changeset=changeset, at=moment)

    transaction.on_commit(queue)
    return ScheduleResult(changeset=changeset, quota=quota, warning=warning)


@transaction.atomic
def changeset_unschedule(
    *, changeset: ChangeSet, user=None, actor_label: str = "", reason: str = ""
) -> ChangeSet:
    """Drop the change set's schedule and its waiting push task."""
    changeset = ChangeSet.objects.select_for_update().get(pk=changeset.pk)
    if changeset.scheduled_for is None:
        raise ChangeSetStateConflict("This change set is not scheduled.")
    if changeset.status not in SCHEDULED_STATUSES:
        raise ChangeSetStateConflict(
            f"This change set is {changeset.get_status_display()}: its scheduled push has started."
        )
    old = {"scheduled_for": _iso(changeset.scheduled_for), "scheduled_tz": changeset.scheduled_tz}
    changeset.scheduled_for = None
    changeset.scheduled_tz = ""
    changeset.save(update_fields=["scheduled_for", "scheduled_tz", "updated_at"])
    _audit(
        changeset=changeset,
        event_type=AuditEvent.Type.CHANGESET_UNSCHEDULED,
        user=user,
        actor_label=actor_label,
        old=old,
        new={"scheduled_for": None, "scheduled_tz": ""},
        extra={"reason": reason} if reason else None,
    )
    publish_changeset_update(changeset)
    transaction.on_commit(lambda: changeset_cancel_waiting_push(changeset=changeset))
    return changeset


def changeset_release_refusal(*, changeset: ChangeSet, now: datetime | None = None) -> str | None:
    """At the push task's run: why a scheduled change set is not pushed now; None to push it.

    A task that runs before the moment (the schedule was moved later) does nothing. A change set
    still a draft at its moment (never approved) is not pushed: an audit row says why, and the
    schedule stays on the change set to show the moment it missed (it reserves nothing any more).
    """
    now = now or timezone.now()
    changeset.refresh_from_db(fields=["status", "scheduled_for", "scheduled_tz", "needs_approval"])
    if changeset.scheduled_for is None:
        return None
    if changeset.scheduled_for > now and changeset.status in SCHEDULED_STATUSES:
        return f"Not due: scheduled for {changeset.scheduled_for:%Y-%m-%d %H:%M} UTC."
    if changeset.status == ChangeSet.Status.DRAFT:
        reason = "It was not approved by its scheduled moment."
        with transaction.atomic():
            ChangeSet.objects.filter(pk=changeset.pk).update(updated_at=now)
            _audit(
                changeset=changeset,
                event_type=AuditEvent.Type.CHANGESET_SCHEDULE_MISSED,
                actor_label="push task",
                old={"scheduled_for": _iso(changeset.scheduled_for), "scheduled_tz": changeset.scheduled_tz},
                new={"status": changeset.status},
                extra={"reason": reason},
            )
            publish_changeset_update(changeset)
        return f"Not pushed: {reason}"
    return None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _audit(*, changeset: ChangeSet, event_type: str, user=None, actor_label: str = "", **values) -> None:
    changeset_audit(changeset=changeset, event_type=event_type, user=user, actor_label=actor_label, **values)


# How many of the next scheduled pushes the dashboard lists: one bounded query, whatever the backlog.
SCHEDULED_NEXT = 10


@dataclass(frozen=True)
class ScheduledPushShown:
    """One of the next scheduled pushes as the dashboard lists it."""

    changeset: ChangeSet
    videos: int  # videos the push writes (metadata items waiting)
    units: int  # Data API units reserved on its Pacific quota day

    @property
    def local(self) -> str:
        """ "2027-01-15 00:00 Europe/Berlin": the moment as its scheduler chose it."""
        zone = self.changeset.scheduled_tz or "UTC"
        return f"{self.changeset.scheduled_for.astimezone(time_zone(zone)):%Y-%m-%d %H:%M} {zone}"

    @property
    def pacific(self) -> str:
        return f"{self.changeset.scheduled_for.astimezone(PACIFIC):%Y-%m-%d %H:%M} Pacific"

    @property
    def approval(self) -> str:
        """ "approved", or what must happen before the moment for it to be pushed."""
        if self.changeset.status == ChangeSet.Status.APPROVED:
            return "approved"
        who = "a second manager's approval" if self.changeset.needs_approval else "approval"
        return f"needs {who} before {self.local}"


def changesets_scheduled_next(
    *, user, now: datetime | None = None, limit: int = SCHEDULED_NEXT
) -> list[ScheduledPushShown]:
    """The next change sets the user may see that are scheduled for a moment still ahead, soonest first.

    One query: the videos each push writes are counted in it (the index on scheduled_for bounds
    the scan to what is ahead).
    """
    now = now or timezone.now()
    waiting = Q(items__kind=ChangeSetItem.Kind.METADATA, items__status__in=WAITING_ITEM_STATUSES)
    rows = (
        changesets_visible_to(user=user)
        .filter(status__in=SCHEDULED_STATUSES, scheduled_for__gt=now)
        .annotate(push_videos=Count("items__video", filter=waiting, distinct=True))
        .only("id", "title", "status", "needs_approval", "scheduled_for", "scheduled_tz", "content_owner_id")
        .order_by("scheduled_for", "pk")[:limit]
    )
    return [
        ScheduledPushShown(
            changeset=row,
            videos=row.push_videos,
            units=push_units(row.push_videos) if row.push_videos else 0,
        )
        for row in rows
    ]


# ------------------------------------------------------------------------------ what happened at the moment


@dataclass(frozen=True)
class ReleaseOutcome:
    """What became of a scheduled change set at its moment, as its page says it."""

    kind: str  # missed, due, pushing, pushed, deferred, conflicts, failed
    text: str


def changeset_release_outcome(*, changeset: ChangeSet, now: datetime | None = None) -> ReleaseOutcome | None:
    """What happened at the change set's scheduled moment; None before it (or when not scheduled).

    From the change set's status and its items' (one grouped query): pushed, deferred (why, until
    when), conflicts, failed, or not pushed because it was not approved in time.
    """
    now = now or timezone.now()
    if changeset.scheduled_for is None or changeset.scheduled_for > now:
        return None
    zone = time_zone(changeset.scheduled_tz or "UTC")
    moment = f"{changeset.scheduled_for.astimezone(zone):%Y-%m-%d %H:%M} {changeset.scheduled_tz or 'UTC'}"
    S = ChangeSet.Status
    if changeset.status == S.DRAFT:
        return ReleaseOutcome("missed", f"Not pushed at {moment}: it was not approved in time.")
    if changeset.status == S.APPROVED and changeset.pushed_at is None:
        return ReleaseOutcome("due", f"Due at {moment}: waiting for a worker to push it.")
    counts = dict(
        changeset.items.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    Item = ChangeSetItem.Status
    total = sum(counts.values())
    parts = [f"{counts.get(Item.DONE, 0):,} of {total:,} item{'' if total == 1 else 's'} pushed"]
    kind = "pushed"
    if changeset.status in (S.QUEUED, S.PUSHING):
        kind = "pushing"
        parts[0] += " so far (pushing)"
    if deferred := counts.get(Item.DEFERRED, 0):
        first = (
            changeset.items.filter(status=Item.DEFERRED)
            .order_by("deferred_until", "pk")
            .only("deferred_until", "error_reason", "error_message")
            .first()
        )
        until = (
            f" until {first.deferred_until.astimezone(PACIFIC):%Y-%m-%d %H:%M} Pacific"
            f" ({first.deferred_until:%Y-%m-%d %H:%M} UTC)"
            if first.deferred_until
            else " until its content owner is connected again"
        )
        why = first.error_message or first.error_reason or "deferred"
        parts.append(f"{deferred:,} deferred{until}: {why}")
        kind = "deferred" if kind == "pushed" else kind
    if conflicts := counts.get(Item.CONFLICT, 0):
        parts.append(
            f"{conflicts:,} conflict{'' if conflicts == 1 else 's'}: YouTube changed "
            f"{'this field' if conflicts == 1 else 'these fields'} since the edit began; resolve below"
        )
        kind = "conflicts" if kind in ("pushed", "deferred") else kind
    if failed := counts.get(Item.FAILED, 0):
        parts.append(f"{failed:,} failed")
        kind = "failed" if kind == "pushed" else kind
    if skipped := counts.get(Item.SKIPPED, 0):
        parts.append(f"{skipped:,} kept YouTube's value")
    if changeset.status == S.REVERTED:
        parts.append("reverted since")
    return ReleaseOutcome(kind, f"At {moment}: " + "; ".join(parts) + ".")
