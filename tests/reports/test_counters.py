"""A run's counters have one home (reports/counters.py): the page, the frames and the pipeline read it."""

import dataclasses
import re

import pytest
from django.urls import reverse

from reports.counters import LIVE_COUNTERS, MERGE_COUNTERS, RUN_COUNTERS, SHOWN_COUNTERS
from reports.events import ReportProgress
from reports.models import Report
from reports.services import report_create_from_upload
from reports.staging import ChunkResult
from tests.reports.test_admin_reports import _readonly_value, report_bytes, row
from tests.reports.test_ingest_helpers import immediate_tasks_fixture, upload  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


@pytest.fixture
def imported(owner_a, channel_a1, alice) -> Report:
    data = report_bytes(row("abcdefghij1"), row("abcdefghij2"), row("bad-id"))
    report = report_create_from_upload(uploaded_file=upload("a.csv", data), user=alice, content_owner=owner_a)
    report.refresh_from_db()
    return report


def test_the_report_page_names_the_counters_its_live_panel_updates(client, alice, imported):
    """live-report.js keeps no list of its own: it reads these names off the live panel."""
    client.force_login(alice)

    page = client.get(reverse("admin:reports_report_change", args=[imported.pk])).content.decode()

    panel = re.search(r'<div [^>]*id="ytcms-report-live"[^>]*>', page).group(0)
    assert re.search(r'data-counters="([^"]*)"', panel).group(1).split() == list(LIVE_COUNTERS)
    for name in LIVE_COUNTERS:  # each has the read-only field the script rewrites
        assert _readonly_value(page, name) == f"{getattr(imported, name):,}", name


def test_every_counter_the_page_shows_live_is_in_every_processing_update(imported):
    progress = ReportProgress(imported)

    payload = progress.numbers({name: 7 for name in LIVE_COUNTERS})

    assert {name: payload[name] for name in LIVE_COUNTERS} == dict.fromkeys(LIVE_COUNTERS, 7)


def test_the_counters_are_the_reports_own_whole_number_fields():
    for name in {*RUN_COUNTERS, *SHOWN_COUNTERS}:
        assert Report._meta.get_field(name).get_internal_type().endswith("IntegerField"), name
    assert set(LIVE_COUNTERS) <= set(RUN_COUNTERS) and set(MERGE_COUNTERS) <= set(RUN_COUNTERS)


def test_a_chunk_counts_exactly_the_merge_counters():
    counted = {field.name for field in dataclasses.fields(ChunkResult) if field.type in (int, "int")}

    assert counted == set(MERGE_COUNTERS) == set(ChunkResult.COUNTERS)
