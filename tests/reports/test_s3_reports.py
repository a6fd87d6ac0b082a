"""S3: listing, importing and the errors, against moto in server mode over real HTTP."""

import gzip
import io
import logging
import uuid
import zipfile

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from django.core.management import CommandError, call_command
from django.urls import reverse
from moto.server import ThreadedMotoServer

from reports import s3
from reports.models import Report
from reports.services import report_create_from_s3
from tests.reports.test_ingest_helpers import FIXTURES, immediate_tasks_fixture  # noqa: F401
from videos.models import Video

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

PREFIX = "cms-reports/"
A4 = (FIXTURES / "content_owner_video_metadata_a4.synthetic.csv").read_bytes()


@pytest.fixture(scope="session")
def moto_url():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(moto_url, settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # boto3 caches the credentials it found
    name = f"cms-{uuid.uuid4().hex[:12]}"
    settings.AWS_S3_ENDPOINT_URL = moto_url
    settings.AWS_REGION = "us-east-1"
    settings.AWS_S3_ADDRESSING_STYLE = "path"
    settings.S3_BUCKET_NAME = name
    settings.S3_REPORTS_PREFIX = PREFIX
    client = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    client.name = name
    return client


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("content_owner_video_metadata_a4.csv", data)
    return buffer.getvalue()


def test_the_s3_page_lists_report_files_under_the_prefix_and_what_was_imported(admin_client, bucket):
    bucket.put_object(Bucket=bucket.name, Key=f"{PREFIX}2024/a4.csv", Body=A4)
    bucket.put_object(Bucket=bucket.name, Key=f"{PREFIX}2024/a4.csv.gz", Body=gzip.compress(A4))
    bucket.put_object(Bucket=bucket.name, Key=f"{PREFIX}notes.txt", Body=b"hello")
    bucket.put_object(Bucket=bucket.name, Key="elsewhere/other.csv", Body=A4)
    bucket.put_object(Bucket=bucket.name, Key=f"{PREFIX}../../etc/passwd.csv", Body=b"x")
    report_create_from_s3(key=f"{PREFIX}2024/a4.csv")
    page = admin_client.get(reverse("admin:reports_report_s3")).content.decode()
    assert f"{PREFIX}2024/a4.csv</code>" in page and f"{PREFIX}2024/a4.csv.gz</code>" in page
    assert "notes.txt" not in page and "elsewhere" not in page and "passwd" not in page
    imported = Report.objects.get(s3_key=f"{PREFIX}2024/a4.csv")
    assert f"#{imported.pk} Done" in page


@pytest.mark.parametrize("suffix, body", [(".csv", A4), (".csv.gz", gzip.compress(A4)), (".zip", _zip(A4))])
def test_selected_files_are_imported_by_streaming_them_from_s3(admin_client, bucket, suffix, body):
    key = f"{PREFIX}a4{suffix}"
    bucket.put_object(Bucket=bucket.name, Key=key, Body=body)
    response = admin_client.post(reverse("admin:reports_report_s3"), {"key": [key], "mode": "import"})
    assert response.status_code == 302
    report = Report.objects.get(s3_key=key)
    assert report.status == Report.Status.DONE, report.message
    assert report.source == Report.Source.S3 and not report.file  # read in place, never copied
    assert report.s3_etag and report.bytes_total == len(body)
    assert report.rows_imported > 0 and Video.objects.count() == report.videos_created


def test_import_report_command_reads_an_s3_url(bucket, capsys):
    bucket.put_object(Bucket=bucket.name, Key=f"{PREFIX}a4.csv", Body=A4)
    call_command("import_report", f"s3://{bucket.name}/{PREFIX}a4.csv")
    assert "videos" in capsys.readouterr().out
    assert Report.objects.get().status == Report.Status.DONE


def test_a_missing_bucket_is_said_plainly(admin_client, bucket, settings):
    settings.S3_BUCKET_NAME = "no-such-bucket-here"
    page = admin_client.get(reverse("admin:reports_report_s3")).content.decode()
    assert "The S3 bucket &#x27;no-such-bucket-here&#x27; does not exist" in page
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_report", "s3://no-such-bucket-here/cms-reports/a.csv")


def test_a_missing_key_is_said_plainly(bucket):
    with pytest.raises(CommandError, match=r"There is no file s3://.*/cms-reports/missing.csv"):
        call_command("import_report", f"s3://{bucket.name}/{PREFIX}missing.csv")


def test_a_file_deleted_before_its_import_runs_fails_the_report_with_the_reason(bucket, settings):
    bucket.put_object(Bucket=bucket.name, Key=f"{PREFIX}gone.csv", Body=A4)
    report = report_create_from_s3(key=f"{PREFIX}gone.csv", enqueue=False)
    bucket.delete_object(Bucket=bucket.name, Key=f"{PREFIX}gone.csv")
    from reports.services import report_ingest

    report = report_ingest(report_id=report.pk)
    assert report.status == Report.Status.FAILED
    assert "There is no file" in report.message


def test_access_denied_by_iam_is_said_plainly(moto_url, bucket, monkeypatch, admin_client):
    # moto enforces IAM when its "initial no-auth action count" is 0: a user without any policy
    # is then refused every S3 action, over the same HTTP interface as AWS.
    iam = boto3.client("iam", endpoint_url=moto_url, region_name="us-east-1")
    user = f"denied-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    previous = requests.post(f"{moto_url}/moto-api/reset-auth", data=b"0").json()[
        "PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"
    ]
    try:
        page = admin_client.get(reverse("admin:reports_report_s3")).content.decode()
        with pytest.raises(CommandError, match="was denied"):
            call_command("import_report", f"s3://{bucket.name}/{PREFIX}a4.csv")
    finally:
        requests.post(f"{moto_url}/moto-api/reset-auth", data=str(previous).encode())
    assert "was denied: the AWS credentials ytcms uses lack permission" in page


def test_error_mapping_of_hand_built_client_errors():
    def error(code, status):
        return ClientError(
            {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
            "GetObject",
        )

    assert "does not exist" in s3.error_message(error("NoSuchBucket", 404), bucket="b")
    assert "There is no file s3://b/k" in s3.error_message(error("NoSuchKey", 404), bucket="b", key="k")
    assert "was denied" in s3.error_message(error("AccessDenied", 403), bucket="b", key="k")
    assert "credentials were refused" in s3.error_message(error("InvalidAccessKeyId", 403), bucket="b")


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        f"{PREFIX}../../etc/passwd",
        "/etc/passwd",
        f"{PREFIX}./a.csv",
        f"{PREFIX}a\\..\\b.csv",
        "a\x00b",
    ],
)
def test_traversal_shaped_keys_are_refused_everywhere(admin_client, bucket, key, tmp_path):
    with pytest.raises(s3.S3Error):
        s3.check_key(key)
    response = admin_client.post(
        reverse("admin:reports_report_s3"), {"key": [key], "mode": "import"}, follow=True
    )
    assert not Report.objects.exists()
    assert any("refused" in str(m) or "not a plain key" in str(m) for m in response.context["messages"])
    with pytest.raises(CommandError):
        call_command("import_report", f"s3://{bucket.name}/{key}")
    assert not Report.objects.exists()


def test_a_key_outside_the_prefix_cannot_be_imported_from_the_page(admin_client, bucket):
    bucket.put_object(Bucket=bucket.name, Key="elsewhere/a4.csv", Body=A4)
    response = admin_client.post(
        reverse("admin:reports_report_s3"), {"key": ["elsewhere/a4.csv"]}, follow=True
    )
    assert not Report.objects.exists()
    assert any("is not under" in str(m) for m in response.context["messages"])


def test_an_outsider_sees_no_s3_page(client, bucket, bob):
    client.force_login(bob)
    response = client.get(reverse("admin:reports_report_s3"), follow=True)
    assert response.redirect_chain == [(reverse("admin:reports_report_changelist"), 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Importing reports from S3 takes an editing role on a content owner; you have none."
    ]


def test_a_rights_manager_sees_and_imports_only_her_owners_folder(client, alice, owner_a, owner_b, bucket):
    bucket.put_object(Bucket=bucket.name, Key=f"{PREFIX}{owner_a.pk}/a4.csv", Body=A4)
    bucket.put_object(Bucket=bucket.name, Key=f"{PREFIX}{owner_b.pk}/secret-label-b.csv", Body=A4)
    client.force_login(alice)
    page = client.get(reverse("admin:reports_report_s3")).content.decode()
    assert f"{owner_a.pk}/a4.csv" in page and "secret-label-b" not in page
    response = client.post(
        reverse("admin:reports_report_s3"),
        {"key": [f"{PREFIX}{owner_b.pk}/secret-label-b.csv"], "content_owner": owner_a.pk},
        follow=True,
    )
    assert not Report.objects.exists()
    assert any("is not in the folder of" in str(m) for m in response.context["messages"])
    client.post(
        reverse("admin:reports_report_s3"),
        {"key": [f"{PREFIX}{owner_a.pk}/a4.csv"], "content_owner": owner_a.pk},
    )
    report = Report.objects.get()
    assert report.content_owner == owner_a and report.created_by == alice


def test_importing_for_another_content_owner_returns_to_the_page_with_a_message(
    client, alice, owner_b, bucket
):
    """Charlie's owner chosen by alice (a form posted as a browser would, with a forged owner)."""
    bucket.put_object(Bucket=bucket.name, Key=f"{PREFIX}{owner_b.pk}/secret-label-b.csv", Body=A4)
    client.force_login(alice)
    response = client.post(
        reverse("admin:reports_report_s3"),
        {"key": [f"{PREFIX}{owner_b.pk}/secret-label-b.csv"], "content_owner": owner_b.pk, "mode": "import"},
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("admin:reports_report_s3"), 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Nothing was imported: you may not import reports for that content owner."
    ]
    assert not Report.objects.exists()
