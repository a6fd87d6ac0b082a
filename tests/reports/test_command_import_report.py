"""manage.py import_report: local files, summary line, progress, exit status on unreadable files."""

import io

import pytest
from django.core.management import CommandError, call_command

from reports.models import Report
from reports.services import report_summary
from tests.reports.test_ingest_helpers import FIXTURES, generated_fixture, immediate_tasks_fixture  # noqa: F401
from videos.models import Video

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]
A4 = FIXTURES / "content_owner_video_metadata_a4.synthetic.csv"


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_report", *args, stdout=out)
    return out.getvalue()


def test_a_local_file_is_imported_with_a_one_line_summary():
    output = run(str(A4))
    report = Report.objects.get()
    assert report.status == Report.Status.DONE
    summary = output.strip().splitlines()[-1]
    assert summary.startswith(f"Report #{report.pk}: {report.rows_read:,} rows read:")
    assert f"videos {report.videos_created:,} created" in summary and "claims upserted" in summary
    assert "rejected" in summary


def test_rejected_rows_still_exit_zero_and_point_to_the_errors(generated):
    output = run(str(generated("cmd-dirty.csv", videos=200, seed=4, bad_rate=0.1)))
    report = Report.objects.get()
    assert report.rows_rejected > 0
    assert f"{report.rows_rejected:,} rows were rejected" in output


def test_dry_run_writes_nothing():
    output = run(str(A4), "--dry-run")
    assert "Preview (nothing written)" in output and "would be created" in output
    assert not Video.objects.exists()


def test_plain_progress_lines_when_not_a_terminal(generated, settings):
    settings.REPORTS_CHUNK_ROWS = 100
    output = run(str(generated("cmd-progress.csv", videos=400, seed=9)))
    assert "rows/s" in output.splitlines()[0]


def test_content_owner_must_exist():
    with pytest.raises(CommandError, match="no content owner with id 'nope'"):
        run(str(A4), "--content-owner", "nope")


def test_content_owner_is_recorded(owner_a):
    run(str(A4), "--content-owner", owner_a.pk)
    assert Report.objects.get().content_owner == owner_a


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(str(tmp_path / "nothing.csv"))


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.csv", b"", "The file is empty"),
        ("report.xlsx", b"PK\x03\x04junk", "could not be imported"),
        ("noheader.csv", b"title,views\nx,1\n", "video_id"),
    ],
)
def test_an_unreadable_file_exits_non_zero_with_the_reason(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CommandError, match=message):
        run(str(path))
    assert Report.objects.get().status == Report.Status.FAILED


def test_the_summary_counts_one_of_a_thing_in_the_singular():
    report = Report(rows_read=1, rows_imported=1, claims_upserted=1, claims_deactivated=2, assets_created=1)
    report.channels_created = 1
    summary = report_summary(report)
    assert summary.startswith("1 row read:")
    assert "1 claim upserted, 2 claims deactivated" in summary
    assert summary.endswith("1 asset and 1 channel created.")
