"""What youtube_push and youtube_pull print, read as a new user reads it (a Chromium trial's findings).

Each command is run as it is typed: call_command with the words of the command line, or
the command's run_from_argv for argparse's own errors (exit 2), as manage.py runs it.
"""

import io

import pytest
from django.core.management import CommandError, call_command, load_command_class
from django_tasks_db.models import DBTaskResult

from syncs.models import ChangeSet

from . import test_changeset_resume as resume
from . import test_credential_unreadable as credential

# The fixtures of those modules, used here as they are there.
two_edits = resume.two_edits
unreadable, other_key = credential.unreadable, credential.other_key
AFTERNOON, RESET, SECOND = resume.AFTERNOON, resume.RESET, resume.SECOND

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _run(name: str, *argv: str) -> list[str]:
    out = io.StringIO()
    call_command(name, *argv, stdout=out)
    return out.getvalue().splitlines()


# ---------------------------------------------------------------------- youtube_push


def test_push_with_no_schedule_does_not_say_it_resumes(two_edits, clock, settings):
    clock.set(AFTERNOON)
    resume._leave_units_for_one_video(settings)

    lines = _run("youtube_push", "--changeset", str(two_edits.pk), "--no-schedule")

    assert DBTaskResult.objects.count() == 0
    assert "Resumes at" not in lines[-1], lines
    assert lines[-1].endswith("Nothing resumes by itself: what waits comes due at 2026-12-08 08:00 UTC."), (
        lines
    )


def test_a_second_push_the_same_day_counts_what_still_waits_and_its_task_already_scheduled(
    two_edits, clock, settings
):
    clock.set(AFTERNOON)
    resume._leave_units_for_one_video(settings)
    first = _run("youtube_push", "--changeset", str(two_edits.pk))
    assert "0 failed, 1 waiting;" in first[-1], first
    (task,) = DBTaskResult.objects.all()

    clock.set(AFTERNOON + SECOND)
    second = _run("youtube_push")

    assert "0 fields done, 0 conflicts, 0 failed, 1 waiting (0 deferred by this run);" in second[-1], second
    assert second[-1].endswith("Resumes at 2026-12-08 08:00 UTC."), second
    assert (
        f"Change set {two_edits.pk}: push task {task.id} already scheduled at 2026-12-08 08:00 UTC"
        in "\n".join(second)
    ), second
    assert DBTaskResult.objects.get().run_after == RESET


def test_dry_run_names_the_drafts_it_leaves_alone(two_edits, catalogue, bob, alice):
    lines = _run("youtube_push", "--dry-run")

    assert lines == [
        f"Dry run: 0 change sets, nothing sent. 1 draft is not queued: push it with --changeset {two_edits.pk}."
    ]
    lines = _run("youtube_push", "--dry-run", "--changeset", str(two_edits.pk))
    assert lines[-1] == "Dry run: 1 change set, nothing sent."
    assert lines[-2].startswith(
        "  2 videos to update: 101 quota units (100 update + 1 read), 0 Content ID calls;"
    )
    assert lines[-2].endswith(" left today; needs 1 Pacific day."), lines


def test_dry_run_of_one_video_and_a_big_budget_reads_as_english(two_edits, catalogue, alice):
    changeset = ChangeSet.objects.get()
    changeset.items.filter(video_id="a1live00001").delete()

    lines = _run("youtube_push", "--dry-run", "--changeset", str(changeset.pk))

    assert lines[-2] == (
        "  1 video to update: 51 quota units (50 update + 1 read), 0 Content ID calls; "
        "9,500 left today; needs 1 Pacific day."
    ), lines


def test_push_progress_says_one_video_and_one_item(two_edits, clock, settings, emulator):
    clock.set(AFTERNOON)
    resume._leave_units_for_one_video(settings)

    lines = _run("youtube_push", "--changeset", str(two_edits.pk))

    assert any(line.startswith("  owner-a: 1 video, 1 item handled |") for line in lines), lines
    assert any(
        "(100 units left, 1 video fits)" in line
        for line in ChangeSet.objects.get().items.values_list("error_message", flat=True)
        if line
    ), list(ChangeSet.objects.get().items.values_list("error_message", flat=True))


# ---------------------------------------------------------------------- youtube_pull


def test_pull_names_the_videos_youtube_did_not_find(emulator, catalogue, owner_a, connect):
    connect(owner_a)
    emulator.state.videos.pop("a1live00001")

    lines = _run("youtube_pull", "--video", "a1song00001", "a1live00001")

    assert lines[-1].startswith("Read 1 video (1 not found on YouTube: a1live00001) in 1 call"), lines


def test_a_dash_id_after_a_space_is_refused_with_how_to_write_it(emulator, catalogue, capsys):
    with pytest.raises(SystemExit) as exited:
        # manage.py's own path past django.setup(), which a second time would point the logging
        # handlers at this test's captured stderr, closed after it.
        load_command_class("syncs", "youtube_pull").run_from_argv(
            ["manage.py", "youtube_pull", "--video", "-4jwUQsoLVs"]
        )

    assert exited.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error == (
        "manage.py youtube_pull: error: argument --video: expected at least one video id "
        "(an id starting with '-' is attached with '=': --video=-AbCdEfGhIj)"
    )


def test_pull_with_an_unreadable_credential_says_why_once_in_its_last_line(unreadable, catalogue):
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("youtube_pull", "--video", "a1song00001", stdout=out)

    message = str(raised.value)
    assert message.startswith("owner-a waits: Credential unreadable — check ENCRYPTION_KEYS"), message
    assert "\n" not in message and message.count("Credential unreadable") == 1
    assert "So far: Read 0 videos in 0 calls, 0 quota units." in message
    assert "Credential unreadable" not in out.getvalue(), out.getvalue()
    assert "owner-a: skipped, it waits" in out.getvalue()
