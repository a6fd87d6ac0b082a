"""Reporting API: system-managed jobs that exist by themselves, reports published by tests, error bodies."""

import csv
import gzip
import io

import pytest
from googleapiclient.errors import HttpError

from .conftest import CHANNEL_A1, access_token, http, reporting


@pytest.fixture
def owner_c(server):
    """A content owner whose seed lists no report jobs, with alice as its CMS user."""
    server.state.load(
        {
            "contentOwners": [{"id": "owner-c", "displayName": "Label C"}],
            "accounts": [{"id": "alice@example.com", "contentOwners": ["owner-c"]}],
        }
    )
    return "owner-c"


def publish(server, **spec):
    status, _, body = http("POST", f"{server.url}/_emulator/reporting/reports", json_body=spec)
    assert status == 200, body
    return body


def test_every_owner_has_system_managed_jobs_without_jobs_create(server, owner_c):
    client = reporting(server)

    listed = client.jobs().list(includeSystemManaged=True, onBehalfOfContentOwner=owner_c).execute()
    again = client.jobs().list(includeSystemManaged=True, onBehalfOfContentOwner=owner_c).execute()

    jobs = {job["reportTypeId"]: job for job in listed["jobs"]}
    assert set(jobs) == {"content_owner_video_metadata_a4", "content_owner_active_claims_a3"}
    assert all(job["systemManaged"] is True for job in jobs.values())
    assert listed == again  # the same jobs, not new ones per call
    assert client.jobs().list(onBehalfOfContentOwner=owner_c).execute() == {}


def test_jobs_create_refuses_a_system_managed_type(server, owner_c):
    with pytest.raises(HttpError) as refused:
        reporting(server).jobs().create(
            onBehalfOfContentOwner=owner_c, body={"reportTypeId": "content_owner_video_metadata_a4"}
        ).execute()

    assert refused.value.status_code == 400


def test_a_published_report_holds_the_owners_catalogue_as_an_a4_csv(server):
    server.state.load(
        {
            "claims": [
                {
                    "id": "C1",
                    "contentOwner": "owner-a",
                    "assetId": "A1",
                    "videoId": "vApublic001",
                    "contentType": "audiovisual",
                    "policy": {"id": "P-track"},
                },
                {
                    "id": "C2",
                    "contentOwner": "owner-a",
                    "assetId": "A2",
                    "videoId": "vApublic001",
                    "contentType": "audio",
                    "policy": {"rules": [{"action": "monetize"}]},
                },
            ]
        }
    )
    published = publish(server, contentOwner="owner-a", id="r-cat")

    body = (
        reporting(server)
        .media()
        .download_media(resourceName="CONTENT_OWNER/owner-a/jobs/job-a4/reports/r-cat")
        .execute()
    )

    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert published["jobId"] == "job-a4" and published["size"] == len(body)
    by_video = {}
    for row in rows:
        by_video.setdefault(row["video_id"], []).append(row)
    assert "vBpublic001" not in by_video  # owner B's video
    assert by_video["vApublic001"][0]["channel_id"] == CHANNEL_A1
    # One row per (video, claim), each naming its claim's policy as reports do: a saved policy by its
    # name, a claim's own rules in the same words (never a bare action, which no filter offers).
    assert sorted(row["claim_id"] for row in by_video["vApublic001"]) == ["C1", "C2"]
    policies = {row["claim_id"]: row["effective_policy"] for row in by_video["vApublic001"]}
    assert policies == {"C1": "Track", "C2": "Monetize in all countries"}
    assert all(row["claimed_by_this_owner"] == "True" for row in by_video["vApublic001"])
    unclaimed = [rows for video_id, rows in by_video.items() if video_id != "vApublic001"]
    assert unclaimed and all(len(rows) == 1 and rows[0]["claim_id"] == "" for rows in unclaimed)
    assert all(row["video_length"].isdigit() or row["video_length"] == "" for row in rows)
    assert all(row["time_published"][4] == "/" for row in rows if row["time_published"])


def test_a_published_report_carries_the_tests_csv(server):
    publish(server, contentOwner="owner-a", id="r-own", csv="video_id\nx1\n")

    body = (
        reporting(server)
        .media()
        .download_media(resourceName="CONTENT_OWNER/owner-a/jobs/job-a4/reports/r-own")
        .execute()
    )

    assert body == b"video_id\nx1\n"


def test_published_reports_come_newest_first_and_filter_on_created_after(server, owner_c):
    first = publish(server, contentOwner=owner_c, id="r-1", csv="video_id\n")
    second = publish(server, contentOwner=owner_c, id="r-2", csv="video_id\n")
    client = reporting(server)

    listed = client.jobs().reports().list(jobId=first["jobId"], onBehalfOfContentOwner=owner_c).execute()
    after = (
        client.jobs()
        .reports()
        .list(jobId=first["jobId"], onBehalfOfContentOwner=owner_c, createdAfter=first["createTime"])
        .execute()
    )

    assert second["createTime"] > first["createTime"]
    assert [r["id"] for r in listed["reports"]] == ["r-2", "r-1"]
    assert [r["id"] for r in after["reports"]] == ["r-2"]


def test_reports_page_with_page_size_and_token(server, owner_c):
    for n in range(5):
        job_id = publish(server, contentOwner=owner_c, id=f"r-{n}", csv="video_id\n")["jobId"]
    client = reporting(server)

    first = client.jobs().reports().list(jobId=job_id, onBehalfOfContentOwner=owner_c, pageSize=2).execute()
    rest = (
        client.jobs()
        .reports()
        .list(jobId=job_id, onBehalfOfContentOwner=owner_c, pageSize=10, pageToken=first["nextPageToken"])
        .execute()
    )

    assert [r["id"] for r in first["reports"]] == ["r-4", "r-3"]
    assert [r["id"] for r in rest["reports"]] == ["r-2", "r-1", "r-0"] and "nextPageToken" not in rest


def test_download_is_gzip_encoded_only_when_asked(server):
    publish(server, contentOwner="owner-a", id="r-gz", csv="video_id\n" + "abc\n" * 1000)
    token = access_token(server)
    url = f"{server.url}/v1/media/CONTENT_OWNER/owner-a/jobs/job-a4/reports/r-gz?alt=media"

    _, zipped_headers, zipped = http(
        "GET", url, headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    )
    _, plain_headers, plain = http("GET", url, headers={"Authorization": f"Bearer {token}"})

    assert zipped_headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped) == plain
    assert "Content-Encoding" not in plain_headers and plain.startswith(b"video_id\n")


def test_errors_have_the_one_platform_shape(server):
    token = access_token(server, account="charlie@example.com")
    base = f"{server.url}/v1"

    anonymous = http("GET", f"{base}/jobs?includeSystemManaged=true&onBehalfOfContentOwner=owner-a")
    other_owner = http(
        "GET",
        f"{base}/jobs?includeSystemManaged=true&onBehalfOfContentOwner=owner-a",
        headers={"Authorization": f"Bearer {token}"},
    )
    unknown_job = http(
        "GET",
        f"{base}/jobs/nope/reports?onBehalfOfContentOwner=owner-b",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert anonymous[0] == 401 and anonymous[2]["error"]["status"] == "UNAUTHENTICATED"
    assert other_owner[0] == 403 and other_owner[2]["error"] == {
        "code": 403,
        "message": "The caller does not have permission",
        "status": "PERMISSION_DENIED",
    }
    assert unknown_job[0] == 404 and unknown_job[2]["error"]["status"] == "NOT_FOUND"
    assert "errors" not in unknown_job[2]["error"]


def test_publishing_for_an_unknown_owner_is_a_clear_400(server):
    status, _, body = http(
        "POST", f"{server.url}/_emulator/reporting/reports", json_body={"contentOwner": "who"}
    )

    assert status == 400 and "unknown content owner 'who'" in body["error"]
