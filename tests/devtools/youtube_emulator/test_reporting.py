"""Reporting API: system-managed jobs → reports → media download, through the real client."""

import io

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseDownload

from .conftest import SAMPLE_CSV, reporting, user_credentials


def _download(client, url, **kwargs) -> bytes:
    request = client.media().download_media(resourceName="")
    request.uri = url  # as Google's sample does with report["downloadUrl"]
    buffer = io.BytesIO()
    downloader = MediaIoBaseDownload(buffer, request, **kwargs)
    done = False
    while not done:
        _, done = downloader.next_chunk()
    return buffer.getvalue()


def test_system_managed_jobs_are_listed_only_when_asked(server):
    client = reporting(server)

    listed = client.jobs().list(includeSystemManaged=True, onBehalfOfContentOwner="owner-a").execute()
    hidden = client.jobs().list(onBehalfOfContentOwner="owner-a").execute()

    assert [(j["id"], j["reportTypeId"], j["systemManaged"]) for j in listed["jobs"]] == [
        ("job-a4", "content_owner_video_metadata_a4", True)
    ]
    assert hidden == {}


def test_reports_point_at_the_emulators_media_endpoint(server):
    answer = (
        reporting(server).jobs().reports().list(jobId="job-a4", onBehalfOfContentOwner="owner-a").execute()
    )

    reports = answer["reports"]
    assert [r["id"] for r in reports] == ["r-new", "r-old"]
    assert reports[0]["startTime"] == "2026-11-25T08:00:00Z"
    assert reports[0]["downloadUrl"] == (
        f"{server.url}/v1/media/CONTENT_OWNER/owner-a/jobs/job-a4/reports/r-new?alt=media"
    )


def test_reports_filter_on_created_after(server):
    answer = (
        reporting(server)
        .jobs()
        .reports()
        .list(jobId="job-a4", onBehalfOfContentOwner="owner-a", createdAfter="2026-11-26T00:00:00Z")
        .execute()
    )

    assert [r["id"] for r in answer["reports"]] == ["r-new"]


@pytest.mark.parametrize("chunksize", [100 * 1024 * 1024, 40, -1])
def test_media_download_serves_the_csv_bytes(server, chunksize):
    client = reporting(server)
    url = (
        client.jobs()
        .reports()
        .get(jobId="job-a4", reportId="r-new", onBehalfOfContentOwner="owner-a")
        .execute()["downloadUrl"]
    )

    body = _download(client, url, chunksize=chunksize)

    assert body == SAMPLE_CSV.encode("utf-8")


def test_media_download_via_resource_name(server):
    client = reporting(server)
    request = client.media().download_media(resourceName="CONTENT_OWNER/owner-a/jobs/job-a4/reports/r-old")

    assert request.execute() == b"video_id\nold\n"


def test_another_owners_reports_are_forbidden(server):
    client = reporting(server, user_credentials(server, "1//charlie"))

    with pytest.raises(HttpError) as listing:
        client.jobs().reports().list(jobId="job-a4", onBehalfOfContentOwner="owner-a").execute()
    with pytest.raises(HttpError) as download:
        client.media().download_media(
            resourceName="CONTENT_OWNER/owner-a/jobs/job-a4/reports/r-new"
        ).execute()

    assert listing.value.status_code == 403
    assert download.value.status_code == 403


def test_reporting_calls_are_logged_with_their_own_quota(server):
    reporting(server).jobs().list(includeSystemManaged=True, onBehalfOfContentOwner="owner-a").execute()

    assert server.state.quota_used("project-1", api="youtubereporting") == 1
    assert server.state.quota_used("project-1", api="youtube") == 0
