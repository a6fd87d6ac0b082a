"""manage.py youtube_push [--changeset ID] [--dry-run] [--no-schedule]: push queued change sets to YouTube.

What waits (today's quota is spent, a retry) is scheduled: the push task runs again when it comes
due, in the task worker. With --no-schedule the command says what to run by hand, and when.
"""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import ngettext

from core.progress import progress_bar
from core.text import listed
from syncs.changesets.preview import changeset_preview
from syncs.changesets.push import PushResult, changeset_push
from syncs.changesets.scheduling import changeset_schedule_push
from syncs.changesets.services import ChangeSetError, changeset_queue
from syncs.events import changeset_numbers
from syncs.models import ChangeSet
from syncs.youtube.quota_clock import PACIFIC

# Who the audit log names for what this command queues and pushes.
PUSH_ACTOR = "youtube_push command"


class Command(BaseCommand):
    help = "Push change sets to YouTube (read-modify-write, three-way conflict checks)."

    def add_arguments(self, parser):
        parser.add_argument("--changeset", type=int, help="Only this change set (a draft is queued first).")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show what would be pushed and its quota cost; send nothing.",
        )
        parser.add_argument(
            "--no-schedule",
            action="store_true",
            help="Schedule no task for what waits (a quota reset, a retry); print what to run, and when.",
        )

    def handle(self, *args, changeset=None, dry_run=False, no_schedule=False, **options):
        if changeset is not None:
            found = ChangeSet.objects.filter(pk=changeset).first()
            if found is None:
                raise CommandError(f"No change set {changeset}.")
            changesets = [found]
        else:
            changesets = list(
                ChangeSet.objects.filter(
                    status__in=[ChangeSet.Status.QUEUED, ChangeSet.Status.PUSHING, ChangeSet.Status.APPROVED]
                )
                # A change set scheduled for a moment still ahead waits for it (#19); --changeset
                # pushes one now all the same.
                .exclude(status=ChangeSet.Status.APPROVED, scheduled_for__gt=timezone.now())
                .order_by("pk")
            )
        # Without --changeset a draft is not pushed; say so rather than leave "0 change sets" unexplained.
        drafts = self._drafts_note() if changeset is None else ""
        if dry_run:
            for item in changesets:
                self._preview(item)
            self.stdout.write(
                f"Dry run: {len(changesets):,} {ngettext('change set', 'change sets', len(changesets))}, "
                f"nothing sent.{drafts}"
            )
            return
        total = PushResult()
        scheduled = True
        for item in changesets:
            try:
                if item.status == ChangeSet.Status.DRAFT:
                    changeset_queue(
                        changeset=item, user=item.created_by, enqueue=False, actor_label=PUSH_ACTOR
                    )
                self.stdout.write(f"Change set {item.pk}: {item}")
                result = changeset_push(
                    changeset=item, progress=self._progress_of(item), actor_label=PUSH_ACTOR
                )
                self._end_bar()
            except ChangeSetError as error:
                raise CommandError(f"Change set {item.pk}: {error}") from None
            if result.next_run_at is not None:
                line, resumes = self._resumption(item, result.next_run_at, schedule=not no_schedule)
                self.stdout.write(line)
                scheduled = scheduled and resumes
            for owner_id in [o for o in result.owners_waiting if o != "(no content owner)"]:
                self.stdout.write(
                    f"Change set {item.pk}: what waits for {owner_id} is pushed by the task worker as soon as "
                    "it is connected again (`manage.py youtube_connect` or its content owner page)."
                )
            total = total.merge(result)
        if total.owners_waiting:
            # A person must act (reconnect, fix ENCRYPTION_KEYS) before those items can go out.
            raise CommandError(total.summary(scheduled=scheduled))
        self.stdout.write(total.summary(scheduled=scheduled) + drafts)

    def _drafts_note(self) -> str:
        """' N drafts are not queued …' for the drafts a run without --changeset leaves alone."""
        draft_ids = list(
            ChangeSet.objects.filter(status=ChangeSet.Status.DRAFT)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not draft_ids:
            return ""
        if len(draft_ids) == 1:
            return f" 1 draft is not queued: push it with --changeset {draft_ids[0]}."
        return (
            f" {len(draft_ids):,} drafts are not queued ({listed(draft_ids)}): push one with --changeset ID."
        )

    def _resumption(self, changeset: ChangeSet, at: datetime, *, schedule: bool) -> tuple[str, bool]:
        """Schedule the push of what waits, or say what to run by hand and when; and whether a task will."""
        when = f"{at:%Y-%m-%d %H:%M} UTC ({at.astimezone(PACIFIC):%Y-%m-%d %H:%M %Z})"
        scheduled = changeset_schedule_push(changeset=changeset, at=at) if schedule else None
        if scheduled is None:
            why = "--no-schedule" if not schedule else "the task backend cannot run a task later"
            return (
                f"Change set {changeset.pk}: nothing scheduled ({why}). What waits comes due at {when}: "
                f"run `manage.py youtube_push --changeset {changeset.pk}` then."
            ), False
        if not scheduled.created and scheduled.run_after != at:
            earlier = (
                f"at {scheduled.run_after:%Y-%m-%d %H:%M} UTC"
                if scheduled.run_after
                else "as soon as a worker is free"
            )
            return (
                f"Change set {changeset.pk}: its push task {scheduled.task_id} already waits to run {earlier}; "
                f"what it leaves waiting is scheduled again then (next due at {when})."
            ), True
        if scheduled.created:
            done = "scheduled to run"
        elif scheduled.moved:
            done = "moved to run"
        else:
            done = "already scheduled"
        return (
            f"Change set {changeset.pk}: push task {scheduled.task_id} {done} at {when}; "
            "the task worker (`manage.py db_worker --queue-name '*'`) pushes what waits then."
        ), True

    def _progress_of(self, changeset: ChangeSet):
        """Per batch: the push's line, and the numbers the live changeset_update frames carry."""
        tty = self.stdout.isatty()

        def progress(line: str) -> None:
            numbers = changeset_numbers(changeset.pk)
            counts = ", ".join(f"{n:,} {status}" for status, n in sorted(numbers["counts"].items()))
            if tty:
                bar = f"{progress_bar(numbers['progress'])} {numbers['progress']:3d}%  {counts}"
                self.stdout.write(f"\r{' ' * 120}\r  {line}\n{bar}", ending="")
                self.stdout.flush()
                self._bar_open = True
            else:
                self.stdout.write(
                    f"  {line} | {numbers['progress']}% of {numbers['total']:,} items: {counts}"
                )

        return progress

    def _end_bar(self) -> None:
        if getattr(self, "_bar_open", False):
            self.stdout.write("")
            self._bar_open = False

    def _preview(self, changeset: ChangeSet) -> None:
        preview = changeset_preview(changeset=changeset)
        self.stdout.write(f"Change set {changeset.pk}: {changeset} ({changeset.get_status_display()})")
        for row in preview.rows:
            item = row.item
            line = f"  {item.video_id} {item.field}: {item.base_value!r} → {item.new_value!r} [{item.status}]"
            if row.violations:
                line += " BREAKS " + "; ".join(v.message for v in row.violations)
            self.stdout.write(line)
        self.stdout.write(
            f"  {preview.videos:,} {ngettext('video', 'videos', preview.videos)} to update: "
            f"{preview.quota_units:,} quota {ngettext('unit', 'units', preview.quota_units)} "
            f"({preview.update_units:,} update + {preview.read_units:,} read), "
            f"{preview.content_id_calls:,} Content ID {ngettext('call', 'calls', preview.content_id_calls)}; "
            f"{preview.remaining_today:,} left today; needs {preview.days_needed:,} Pacific "
            f"{ngettext('day', 'days', preview.days_needed)}."
        )
        if preview.also_waiting_summary:
            self.stdout.write(f"  {preview.also_waiting_summary}")
