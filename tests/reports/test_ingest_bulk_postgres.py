"""PostgreSQL only: bulk mode drops the catalogue's secondary indexes and foreign keys for a big
first import and builds them again, with the same catalogue as an import through the indexes;
indexes a killed bulk run left dropped are built by the next import."""

import pytest
from django.db import connection

from channels_app.models import Channel
from reports.merge_postgres import DROPPED_INDEXES, bulk_indexes_drop
from reports.models import Report
from reports.services import report_create_from_path, report_ingest
from tests.reports.test_ingest_helpers import (
    assert_accounted,
    catalogue_dump,
    generated_fixture,  # noqa: F401  (fixture "generated")
    immediate_tasks_fixture,  # noqa: F401  (fixture "immediate_tasks")
    postgres_only,
    report_counts,
)
from videos.models import Asset, Claim, Policy, Video

pytestmark = [postgres_only, pytest.mark.postgres, pytest.mark.usefixtures("immediate_tasks")]

TABLES = ("videos_video", "videos_claim", "videos_asset")


def schema() -> set:
    """Every index and constraint of the catalogue tables, with its definition and validity."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid), indisvalid FROM pg_index
               WHERE indrelid = ANY(%s::regclass[])
               UNION ALL
               SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint
               WHERE conrelid = ANY(%s::regclass[])""",
            [list(TABLES), list(TABLES)],
        )
        return set(cursor.fetchall())


def claims_video_index() -> str:
    """The btree on videos_claim(video_id), found by its definition: Django names it by a hash."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT indexname FROM pg_indexes
               WHERE tablename = 'videos_claim' AND indexdef LIKE '% USING btree (video_id)'"""
        )
        rows = cursor.fetchall()
    assert len(rows) == 1, rows
    return rows[0][0]


def ledger() -> list:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [DROPPED_INDEXES])
        if not cursor.fetchone()[0]:
            return []
        cursor.execute(f"SELECT name FROM {DROPPED_INDEXES}")
        return cursor.fetchall()


def empty_catalogue():
    for model in (Claim, Video, Asset, Policy, Channel):
        model.objects.all().delete()


def run(path) -> Report:
    report = report_create_from_path(path=str(path), enqueue=False)
    return report_ingest(report_id=report.pk)  # outside any transaction: bulk mode is possible


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_bulk_import_gives_the_same_catalogue_and_schema_as_an_indexed_one(generated, settings, caplog):
    settings.REPORTS_CHUNK_ROWS = 300
    path = generated("bulk.csv", videos=2000, seed=41, bad_rate=0.02)
    before = schema()
    settings.REPORTS_BULK_MIN_ROWS = 0  # bulk mode off: the reference
    reference = run(path)
    expected = catalogue_dump()
    empty_catalogue()
    settings.REPORTS_BULK_MIN_ROWS = 100

    caplog.set_level("INFO", logger="reports.pipeline")
    report = run(path)

    assert report.status == Report.Status.DONE, report.message
    assert "bulk mode" in caplog.text and "indexes built" in caplog.text
    assert_accounted(report)
    assert report_counts(report) == report_counts(reference)
    assert catalogue_dump() == expected
    assert schema() == before  # every index back, every foreign key back and validated
    assert ledger() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_bulk_mode_when_the_catalogue_is_already_big(generated, settings, caplog):
    settings.REPORTS_CHUNK_ROWS = 300
    settings.REPORTS_BULK_MIN_ROWS = 100
    path = generated("again.csv", videos=600, seed=43)
    run(path)
    caplog.clear()
    caplog.set_level("INFO", logger="reports.pipeline")

    again = run(path)  # every video exists: nothing to gain from dropping indexes

    assert again.rows_imported == 0
    assert "bulk mode" not in caplog.text


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_indexes_a_killed_bulk_run_left_dropped_are_built_by_the_next_import(generated, settings):
    before = schema()
    kept = claims_video_index()
    dropped = bulk_indexes_drop(report_id=None)  # what a bulk run does before it is killed
    assert "video_title_unaccent_trgm" in dropped and kept not in dropped
    assert schema() != before and len(ledger()) == len(dropped)
    settings.REPORTS_BULK_MIN_ROWS = 0

    report = run(generated("next.csv", videos=50, seed=44))

    assert report.status == Report.Status.DONE, report.message
    assert schema() == before
    assert ledger() == []
