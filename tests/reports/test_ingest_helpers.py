"""Fixtures and builders shared by the ingestion, admin, command, S3 and reaper tests.

Imported explicitly (`from tests.reports.test_ingest_helpers import ...`) so that the parser's
own tests in this folder are not affected.
"""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from channels_app.models import Channel
from reports.models import Report
from reports.services import report_create_from_path
from videos.models import Asset, Claim, Policy, Video

GENERATORS = Path(__file__).parent / "generators"
FIXTURES = Path(__file__).parent / "fixtures"
IMMEDIATE = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "reports", "syncs"],
    }
}

postgres_only = pytest.mark.skipif(
    not django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="needs DATABASE_URL pointing at PostgreSQL (the set-based merge and the worker kill test)",
)

sqlite_only = pytest.mark.skipif(
    not django_settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="the set-based SQLite merge runs on SQLite only",
)


@pytest.fixture(name="immediate_tasks")
def immediate_tasks_fixture(settings, tmp_path):
    """Run tasks inline (ImmediateBackend) and keep stored files in a temporary media root."""
    settings.TASKS = IMMEDIATE
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings


@pytest.fixture(name="generated", scope="session")
def generated_fixture(tmp_path_factory):
    """generated(name, generator="a4", **options) -> Path of a generated report (cached per session)."""
    folder = tmp_path_factory.mktemp("generated")
    cache: dict = {}

    def make(name: str, *, generator: str = "a4", **options) -> Path:
        key = (name, generator, tuple(sorted(options.items())))
        if key in cache:
            return cache[key]
        out = folder / name
        args = [sys.executable, str(GENERATORS / f"gen_{generator}_report.py"), "--out", str(out)]
        stats = folder / f"{name}.stats.json"
        if generator == "a4":
            args += ["--stats", str(stats)]
        for option, value in options.items():
            flag = "--" + option.replace("_", "-")
            args += [flag] if value is True else [flag, str(value)]
        subprocess.run(args, check=True, capture_output=True)
        cache[key] = out
        return out

    return make


def generator_stats(path: Path) -> dict:
    return json.loads(Path(f"{path}.stats.json").read_text())


def import_file(path, **kwargs) -> Report:
    """Store a file as a report and import it with the task (inline with ImmediateBackend)."""
    report = report_create_from_path(path=str(path), **kwargs)
    report.refresh_from_db()
    return report


def write_csv(path: Path, rows, *, encoding="utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def assert_accounted(report: Report) -> None:
    assert report.rows_read == report.rows_imported + report.rows_unchanged + report.rows_rejected, (
        report.message
    )
    assert report.row_errors.count() == report.rows_rejected


def catalogue_dump() -> dict:
    """Every row the import writes, without the timestamps that differ between two runs."""
    skip = {"created_at", "updated_at", "remote_fetched_at", "drift_detected_at"}

    def rows(model):
        names = [f.attname for f in model._meta.concrete_fields if f.name not in skip]
        return {row[0]: row[1:] for row in model.objects.order_by("pk").values_list(*names)}

    dump = {model.__name__: rows(model) for model in (Video, Channel, Asset, Claim, Policy)}
    dump["drift_marked"] = sorted(
        Video.objects.filter(drift_detected_at__isnull=False).values_list("pk", flat=True)
    )
    return dump


def report_counts(report: Report) -> dict:
    names = (
        "rows_read rows_imported rows_unchanged rows_rejected videos_created videos_updated videos_unchanged "
        "channels_created claims_upserted assets_created"
    ).split()
    return {name: getattr(report, name) for name in names}


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"
