"""/api/v1/reports: upload (multipart, size and type limits, content owner checked) → a queued
import (202); status and counts; row errors in cursor pages; the failed-rows CSV; re-run. alice
manages owner A, vera views owner A, bob views only channel A1 (reports span the whole owner, so
he sees none), charlie manages owner B and sees nothing of A."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reports.models import Report
from tests.api.conftest import error_codes, ids
from tests.conftest import channel_id
from tests.reports.test_ingest_helpers import IMMEDIATE

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/"
HEADER = "video_id,channel_id,video_title,video_privacy_status,embedding_allowed\n"


def report_bytes(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\n" for row in rows)).encode()


def good_row(video_id="abcdefghij1", title="A title") -> str:
    return f"{video_id},{channel_id('a')},{title},public,True"


def bad_rows(count: int) -> list[str]:
    return [f"bad{n:03d},,,," for n in range(count)]


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploaded reports are stored: keep them out of var/media.
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def immediate(settings):
    """Imports run inline (ImmediateBackend), so a test can read the finished report."""
    settings.TASKS = IMMEDIATE


def post_report(client, name="a4.csv", data=None, **fields):
    body = {"file": upload(name, data if data is not None else report_bytes(good_row())), **fields}
    return client.post(URL, body, format="multipart")


@pytest.fixture
def imported_report(immediate, channel_a1, owner_a, alice_api):
    """alice's finished import of owner A: 1 good row and 60 rejected ones (lines 3 to 62)."""
    response = post_report(alice_api, data=report_bytes(good_row(), *bad_rows(60)), content_owner=owner_a.pk)
    assert response.status_code == 202, response.content
    return Report.objects.get(pk=response.json()["id"])


# ---- upload


def test_upload_stores_the_file_and_queues_the_import(channel_a1, owner_a, alice, alice_api):
    from django_tasks_db.models import DBTaskResult

    response = post_report(alice_api, content_owner=owner_a.pk)

    assert response.status_code == 202, response.content
    body = response.json()
    report = Report.objects.get()
    assert body["id"] == report.pk and body["status"] == "queued" and body["is_finished"] is False
    assert body["content_owner"] == "owner-a" and body["created_by"] == "alice" and body["dry_run"] is False
    assert report.file.read() == report_bytes(good_row())
    (task,) = DBTaskResult.objects.all()
    assert task.task_path == "reports.tasks.report_ingest_task" and task.args_kwargs["args"] == [report.pk]
    assert report.task_id == str(task.id)


def test_the_queued_import_runs_and_reports_status_counts_and_progress(imported_report, alice_api):
    body = alice_api.get(f"{URL}{imported_report.pk}/").json()

    assert body["status"] == "done" and body["is_finished"] is True
    assert body["counts"]["rows_read"] == 61
    assert body["counts"]["rows_imported"] == 1 and body["counts"]["rows_rejected"] == 60
    assert body["counts"]["videos_created"] == 1
    assert body["progress"]["percent"] == 100 and body["progress"]["attempts"] == 1
    assert body["layout"] and "61 rows read" in body["message"]


def test_upload_as_preview_writes_nothing(immediate, channel_a1, owner_a, alice_api):
    from videos.models import Video

    response = post_report(alice_api, content_owner=owner_a.pk, dry_run="true")

    assert response.status_code == 202, response.content
    report = Report.objects.get()
    assert report.dry_run and report.status == Report.Status.DONE
    assert not Video.objects.filter(pk="abcdefghij1").exists()


def test_an_upload_over_the_limit_is_413_and_stores_nothing(channel_a1, owner_a, alice_api, settings):
    settings.REPORTS_MAX_UPLOAD_BYTES = 100
    data = report_bytes(good_row(), *bad_rows(20))
    assert len(data) > 100

    response = post_report(alice_api, data=data, content_owner=owner_a.pk)

    assert response.status_code == 413
    assert error_codes(response) == [(None, "body_too_large")]
    assert "REPORTS_MAX_UPLOAD_BYTES" in response.json()["errors"][0]["message"]
    assert not Report.objects.exists()


def test_an_upload_declaring_a_body_far_over_the_limit_is_refused_before_it_is_read(
    channel_a1, owner_a, alice_api, settings
):
    # More than the limit + 64 KiB of multipart overhead: the handler stops at the declared length.
    settings.REPORTS_MAX_UPLOAD_BYTES = 100
    data = report_bytes(*bad_rows(7000))
    assert len(data) > 100 + 64 * 1024

    response = post_report(alice_api, data=data, content_owner=owner_a.pk)

    assert response.status_code == 413
    assert error_codes(response) == [(None, "body_too_large")]
    assert not Report.objects.exists()


def test_oversized_form_fields_are_413_too(channel_a1, owner_a, alice_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = post_report(alice_api, content_owner=owner_a.pk + "x" * 2000)
    assert response.status_code == 413
    assert error_codes(response) == [(None, "body_too_large")]
    assert "DATA_UPLOAD_MAX_MEMORY_SIZE" in response.json()["errors"][0]["message"]


def test_an_upload_at_the_limit_is_accepted(channel_a1, owner_a, alice_api, settings):
    data = report_bytes(good_row())
    settings.REPORTS_MAX_UPLOAD_BYTES = len(data)

    assert post_report(alice_api, data=data, content_owner=owner_a.pk).status_code == 202


@pytest.mark.parametrize("name", ["notes.txt", "report.xlsx", "report.csv.exe", "report"])
def test_a_file_that_is_not_a_report_is_refused(name, channel_a1, owner_a, alice_api):
    response = post_report(alice_api, name=name, content_owner=owner_a.pk)

    assert response.status_code == 400
    assert error_codes(response) == [("file", "invalid_file_type")]
    assert not Report.objects.exists()


@pytest.mark.parametrize("name", ["a4.CSV", "a4.csv.gz", "a4.zip", "a4.gz"])
def test_report_suffixes_are_accepted(name, channel_a1, owner_a, alice_api):
    assert post_report(alice_api, name=name, content_owner=owner_a.pk).status_code == 202


def test_an_empty_file_is_refused(channel_a1, owner_a, alice_api):
    response = post_report(alice_api, data=b"", content_owner=owner_a.pk)
    assert response.status_code == 400
    assert error_codes(response) == [("file", "empty")]


def test_upload_without_a_file_is_refused(owner_a, alice_api):
    response = alice_api.post(URL, {"content_owner": owner_a.pk}, format="multipart")
    assert response.status_code == 400
    assert error_codes(response) == [("file", "required")]


def test_unknown_upload_fields_are_refused(channel_a1, owner_a, alice_api):
    response = post_report(alice_api, content_owner=owner_a.pk, status="done", created_by="root")

    assert response.status_code == 400
    assert sorted(error_codes(response)) == [("created_by", "unknown_field"), ("status", "unknown_field")]
    assert not Report.objects.exists()


def test_a_json_body_is_not_an_upload(owner_a, alice_api):
    response = alice_api.post(URL, {"content_owner": owner_a.pk}, format="json")
    assert response.status_code == 415
    assert error_codes(response) == [(None, "unsupported_media_type")]


def test_the_content_owner_must_be_one_the_uploader_may_import_into(
    channel_a1, owner_a, owner_b, alice_api, charlie_api
):
    for client, owner_id in (
        (alice_api, owner_b.pk),
        (charlie_api, owner_a.pk),
        (alice_api, "no-such-owner"),
    ):
        response = post_report(client, content_owner=owner_id)
        assert response.status_code == 400, owner_id
        assert error_codes(response) == [("content_owner", "not_found")]
    # The same answer for another owner's id and for an id that exists nowhere.
    assert (
        post_report(charlie_api, content_owner=owner_a.pk).json()["errors"][0]["message"].split("'")[2]
        == post_report(charlie_api, content_owner="no-such-owner")
        .json()["errors"][0]["message"]
        .split("'")[2]
    )
    response = post_report(alice_api)
    assert error_codes(response) == [("content_owner", "required")]
    assert not Report.objects.exists()


def test_a_superuser_may_upload_without_a_content_owner(root_api):
    response = post_report(root_api)
    assert response.status_code == 202, response.content
    assert response.json()["content_owner"] is None


def test_viewers_may_not_upload(channel_a1, owner_a, bob_api, vera_api):
    for client in (bob_api, vera_api):
        response = post_report(client, content_owner=owner_a.pk)
        assert response.status_code == 403
        assert error_codes(response) == [(None, "permission_denied")]
    assert not Report.objects.exists()


# ---- who sees which reports


def test_reports_are_visible_to_members_of_their_content_owner_only(
    imported_report, alice_api, vera_api, bob_api, charlie_api
):
    assert ids(alice_api.get(URL)) == [imported_report.pk]
    assert ids(vera_api.get(URL)) == [imported_report.pk]
    # bob views one channel of A: a report spans the whole owner, so he sees none (as in the admin).
    assert ids(bob_api.get(URL)) == []
    assert ids(charlie_api.get(URL)) == []


@pytest.mark.parametrize("suffix", ["", "errors/", "failed-rows.csv/"])
def test_another_owners_report_is_a_404_like_an_unknown_id(
    suffix, imported_report, charlie_api, bob_api, vera_api
):
    assert vera_api.get(f"{URL}{imported_report.pk}/{suffix}").status_code == 200
    for client in (charlie_api, bob_api):
        response = client.get(f"{URL}{imported_report.pk}/{suffix}")
        assert response.status_code == 404
        assert error_codes(response) == [(None, "not_found")]
    unknown = charlie_api.get(f"{URL}{imported_report.pk + 1000}/{suffix}")
    assert unknown.status_code == 404
    assert unknown.json() == charlie_api.get(f"{URL}{imported_report.pk}/{suffix}").json()


def test_malformed_report_ids_are_404(imported_report, alice_api):
    for bad in ("abc", "-1", "9" * 30, "1.5"):
        assert alice_api.get(f"{URL}{bad}/").status_code == 404, bad
    assert alice_api.get(f"{URL}{'9' * 30}/errors/").status_code == 404


def test_the_list_filters_by_status_owner_and_mode(imported_report, owner_a, alice_api):
    assert ids(alice_api.get(URL, {"status": "done"})) == [imported_report.pk]
    assert ids(alice_api.get(URL, {"status": "failed"})) == []
    assert ids(alice_api.get(URL, {"content_owner": owner_a.pk, "dry_run": "false"})) == [imported_report.pk]
    assert ids(alice_api.get(URL, {"dry_run": "true"})) == []
    response = alice_api.get(URL, {"status": "finished"})
    assert response.status_code == 400 and error_codes(response) == [("status", "invalid_choice")]


# ---- row errors and failed rows


def test_row_errors_come_in_cursor_pages_by_line(imported_report, alice_api):
    lines, url, pages = [], f"{URL}{imported_report.pk}/errors/?page_size=25", 0
    while url:
        response = alice_api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        lines += [row["line_number"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    assert pages == 3
    assert lines == list(range(3, 63))
    first = alice_api.get(f"{URL}{imported_report.pk}/errors/?page_size=1").json()["results"][0]
    assert first["raw"] == ["bad000", "", "", "", ""] and first["reason"]


def test_failed_rows_csv_streams_the_rejected_rows_with_their_error(imported_report, alice_api):
    response = alice_api.get(f"{URL}{imported_report.pk}/failed-rows.csv/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == f'attachment; filename="failed-rows-{imported_report.pk}-a4.csv"'
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["error", *HEADER.strip().split(",")]
    assert [row[1] for row in rows[1:]] == [f"bad{n:03d}" for n in range(60)]
    assert all(row[0] for row in rows[1:])  # each says what was wrong


# ---- re-run


def test_rerun_queues_a_finished_report_again(imported_report, alice_api):
    response = alice_api.post(f"{URL}{imported_report.pk}/rerun/", {"dry_run": True})

    assert response.status_code == 202, response.content
    imported_report.refresh_from_db()
    # The immediate backend ran it again at once, this time as a preview.
    assert imported_report.dry_run and imported_report.status == Report.Status.DONE
    assert imported_report.attempts == 2 and response.json()["dry_run"] is True


def test_rerun_of_a_queued_report_is_a_409(channel_a1, owner_a, alice_api):
    report_id = post_report(alice_api, content_owner=owner_a.pk).json()["id"]  # stays queued: no worker

    response = alice_api.post(f"{URL}{report_id}/rerun/")

    assert response.status_code == 409
    assert error_codes(response) == [(None, "invalid_state")]
    assert "already queued" in response.json()["errors"][0]["message"]


def test_rerun_refuses_unknown_fields_and_non_booleans(imported_report, alice_api):
    response = alice_api.post(f"{URL}{imported_report.pk}/rerun/", {"status": "queued"})
    assert response.status_code == 400 and error_codes(response) == [("status", "unknown_field")]
    response = alice_api.post(f"{URL}{imported_report.pk}/rerun/", {"dry_run": "yes"})
    assert response.status_code == 400 and error_codes(response) == [("dry_run", "invalid_type")]


def test_viewers_may_not_rerun_and_outsiders_get_404(imported_report, vera_api, charlie_api):
    response = vera_api.post(f"{URL}{imported_report.pk}/rerun/")
    assert response.status_code == 403
    assert charlie_api.post(f"{URL}{imported_report.pk}/rerun/").status_code == 404
    imported_report.refresh_from_db()
    assert imported_report.attempts == 1


def test_reports_refuse_other_methods(imported_report, alice_api):
    assert alice_api.delete(f"{URL}{imported_report.pk}/").status_code == 405
    assert alice_api.patch(f"{URL}{imported_report.pk}/", {"status": "failed"}).status_code == 405
