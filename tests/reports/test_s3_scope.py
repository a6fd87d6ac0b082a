"""The S3 folder-scope rule lives in the service (report_create_from_s3 → report_s3_key_check), so
every path that creates an S3 import obeys it, not only the admin's S3 page."""

import pytest
from django.core.management import CommandError, call_command

from reports import s3
from reports.models import Report
from reports.selectors import report_s3_folders
from reports.services import report_create_from_s3
from tests.reports.test_s3_reports import A4, PREFIX, bucket, moto_url  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def folders(bucket, owner_a, owner_b):  # noqa: F811
    for key in (
        f"{PREFIX}{owner_a.pk}/a4.csv",
        f"{PREFIX}{owner_b.pk}/secret-label-b.csv",
        "elsewhere/a4.csv",
    ):
        bucket.put_object(Bucket=bucket.name, Key=key, Body=A4)
    return bucket


def test_each_persona_may_import_only_from_its_owners_folder(
    folders, alice, bob, charlie, root, owner_a, owner_b
):
    assert report_s3_folders(user=alice) == [f"{PREFIX}{owner_a.pk}/"]
    assert report_s3_folders(user=charlie) == [f"{PREFIX}{owner_b.pk}/"]
    assert report_s3_folders(user=bob) == []  # a channel member imports no reports
    assert report_s3_folders(user=root) == report_s3_folders(user=None) == [PREFIX]


def test_the_service_refuses_another_owners_folder_without_the_admin(folders, alice, owner_a, owner_b):
    with pytest.raises(s3.S3Error, match="is not in the folder of"):
        report_create_from_s3(
            key=f"{PREFIX}{owner_b.pk}/secret-label-b.csv", user=alice, content_owner=owner_a, enqueue=False
        )
    with pytest.raises(s3.S3Error, match="may not import reports for that content owner"):
        report_create_from_s3(
            key=f"{PREFIX}{owner_b.pk}/secret-label-b.csv", user=alice, content_owner=owner_b, enqueue=False
        )
    with pytest.raises(s3.S3Error, match="may not import reports for that content owner"):
        report_create_from_s3(key=f"{PREFIX}{owner_a.pk}/a4.csv", user=alice, enqueue=False)
    with pytest.raises(s3.S3Error, match="from the S3 bucket"):
        report_create_from_s3(
            key=f"{PREFIX}{owner_a.pk}/a4.csv",
            bucket="another-bucket",
            user=alice,
            content_owner=owner_a,
            enqueue=False,
        )
    assert not Report.objects.exists()

    report = report_create_from_s3(
        key=f"{PREFIX}{owner_a.pk}/a4.csv", user=alice, content_owner=owner_a, enqueue=False
    )
    assert (report.content_owner, report.created_by) == (owner_a, alice)


def test_the_command_refuses_a_key_outside_the_prefix(folders):
    with pytest.raises(CommandError, match="is not under"):
        call_command("import_report", f"s3://{folders.name}/elsewhere/a4.csv")
    assert not Report.objects.exists()
