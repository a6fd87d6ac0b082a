"""The import of a pulled Reporting API report shows honest progress (issue #15).

A 3,356-row report took 112 s with its bar at 0 % throughout: it was smaller than one chunk
(REPORTS_CHUNK_ROWS), and progress is only committed per chunk.
"""

import random

import pytest

from devtools.youtube_emulator import reporting as emulator_reporting
from reports.models import Report
from reports.services import report_ingest
from reports.youtube_pull import youtube_reports_pull
from tests.syncs.conftest import CHANNEL_A1

ROWS = 3356  # the report of the issue


def a4_csv(rows: int) -> str:
    """An a4 report of `rows` new videos on channel A1, with titles that do not compress away."""
    rng = random.Random(15)
    words = ["Live", "Session", "Acoustic", "Remix", "Night", "東京", "música", "Café", "Official", "Demo"]
    lines = ["video_id,channel_id,video_title,video_privacy_status,category,views,video_length"]
    for n in range(rows):
        title = " ".join(rng.choice(words) for _ in range(6)) + f" {rng.randrange(10**9)}"
        lines.append(
            f"p{n:010d},{CHANNEL_A1},{title},public,10,{rng.randrange(10**6)},{rng.randrange(30, 600)}"
        )
    return "\n".join(lines) + "\n"


@pytest.mark.django_db
def test_pulled_report_smaller_than_a_chunk_shows_progress_as_it_goes(emulator, pull_ready_owner, settings):
    assert ROWS < settings.REPORTS_CHUNK_ROWS
    emulator_reporting.publish_report(emulator.state, {"contentOwner": "owner-a", "csv": a4_csv(ROWS)})
    youtube_reports_pull(owner_id="owner-a")
    report = Report.objects.get(source=Report.Source.REPORTING_API)
    assert report.original_name.endswith(".csv.gz")  # stored as YouTube sent it
    seen = []

    def on_progress(counters: dict) -> None:
        # What the reports list shows at that moment (its bar and "N%").
        shown = Report.objects.get(pk=report.pk)
        seen.append((shown.progress_percent, counters["rows_read"]))

    report_ingest(report_id=report.pk, on_progress=on_progress)

    report.refresh_from_db()
    assert report.status == Report.Status.DONE and report.rows_read == ROWS, report.message
    during = [percent for percent, _ in seen[:-1]]
    assert len(during) >= 5 and all(0 < percent < 100 for percent in during), seen
    assert [percent for percent, _ in seen] == sorted(percent for percent, _ in seen)
    # The bar follows the rows done, not just the bytes read ahead.
    assert all(abs(percent - 100 * rows / ROWS) <= 12 for percent, rows in seen), seen
    assert seen[-1][1] == ROWS and report.progress_percent == 100
