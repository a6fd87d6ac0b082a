"""import_report and youtube_push show progress with the numbers the live frames carry."""

import io

import pytest
from django.core.management import call_command

from reports.models import Report
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.events import changeset_numbers
from syncs.models import ChangeSet

pytestmark = pytest.mark.django_db


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_import_report_draws_a_bar_on_a_terminal(generated, immediate_tasks):
    immediate_tasks.REPORTS_CHUNK_ROWS = 50
    out = Terminal()

    call_command("import_report", str(generated("live-bar.csv", videos=200, seed=5)), stdout=out)

    report = Report.objects.get()
    text = out.getvalue()
    bars = [part for part in text.split("\r") if part.startswith("[")]
    assert len(bars) >= 3
    assert all("rows/s" in bar and "rejected" in bar for bar in bars)
    percents = [int(bar.split("]")[1].split("%")[0]) for bar in bars]
    assert percents == sorted(percents) and all(0 <= p <= 99 for p in percents)
    rows = [int(bar.split("%")[1].split("rows")[0].replace(",", "")) for bar in bars]
    assert rows == sorted(rows) and rows[-1] == report.rows_read  # the last chunk's count is the total
    assert text.rstrip().splitlines()[-1].startswith(f"Report #{report.pk}:")


def test_import_report_prints_plain_lines_elsewhere(generated, immediate_tasks):
    immediate_tasks.REPORTS_CHUNK_ROWS = 50
    out = io.StringIO()

    call_command("import_report", str(generated("live-plain.csv", videos=120, seed=6)), stdout=out)

    first = out.getvalue().splitlines()[0]
    assert "\r" not in out.getvalue() and "[" not in first
    assert first.split("%")[0].strip().isdigit() and "rows/s" in first


def test_youtube_push_shows_the_change_set_numbers(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    video_update(video=catalogue["a1_song"], changes={"title": "One"}, user=alice)
    video_update(video=catalogue["a2_clip"], changes={"title": "Two"}, user=alice)
    changeset = ChangeSet.objects.get(created_by=alice)
    out = io.StringIO()

    call_command("youtube_push", "--changeset", str(changeset.pk), stdout=out)

    numbers = changeset_numbers(changeset.pk)
    assert numbers == {"counts": {"done": 2}, "total": 2, "progress": 100}
    progress_lines = [line for line in out.getvalue().splitlines() if "% of " in line]
    assert progress_lines[-1].endswith("| 100% of 2 items: 2 done")


def test_youtube_push_draws_a_bar_on_a_terminal(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    video_update(video=catalogue["a1_song"], changes={"title": "One"}, user=alice)
    changeset = ChangeSet.objects.get(created_by=alice)
    out = Terminal()

    call_command("youtube_push", "--changeset", str(changeset.pk), stdout=out)

    assert "[" + "#" * 30 + "] 100%  1 done" in out.getvalue()
