"""Claims a newer report no longer lists are marked inactive (kept), on SQLite and PostgreSQL,
through every merge engine (fixture "engine").

The rule (reports.staging): a report with claim_id and asset_id columns, imported for a content
owner, is the complete list of claims of every video it covers; a video with a rejected row in
the same chunk is not covered; videos the report does not mention keep their claims as they are.
"""

import pytest

from reports.models import Report
from tests.reports.test_import_tenancy import engine  # noqa: F401  (fixture "engine")
from tests.reports.test_ingest_helpers import (
    assert_accounted,
    immediate_tasks_fixture,  # noqa: F401  (fixture "immediate_tasks")
    import_file,
)
from tests.reports.test_ingest_pipeline import a4, small_report
from videos.models import Claim

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "engine")]

FIRST = [
    a4("vidAAAAAAA1", claim="c-a1", asset="A1", policy="Monetize"),
    a4("vidAAAAAAA1", claim="c-a2", asset="A2", policy="Track"),
    a4("vidBBBBBBB1", claim="c-b1", asset="B1", policy="Monetize"),
    a4("vidBBBBBBB1", claim="c-b2", asset="B2", policy="Monetize"),
    a4("vidCCCCCCC1", claim="c-c1", asset="C1", policy="Block"),
]


def statuses() -> dict[str, str]:
    return dict(Claim.objects.values_list("id", "status"))


@pytest.fixture
def imported(tmp_path, owner_a):
    report = import_file(small_report(tmp_path, FIRST, name="day1.csv"), content_owner=owner_a)
    assert report.status == Report.Status.DONE, report.message
    assert set(statuses().values()) == {"active"}
    return report


def test_claims_missing_from_the_newer_report_become_inactive_and_are_counted(tmp_path, owner_a, imported):
    day2 = [row for row in FIRST if row[2] not in ("c-a2", "c-b1")]

    report = import_file(small_report(tmp_path, day2, name="day2.csv"), content_owner=owner_a)

    assert report.claims_deactivated == 2
    assert statuses() == {
        "c-a1": "active",
        "c-a2": "inactive",
        "c-b1": "inactive",
        "c-b2": "active",
        "c-c1": "active",
    }
    assert "2 claims deactivated" in report.message
    assert_accounted(report)
    again = import_file(small_report(tmp_path, day2, name="day2-again.csv"), content_owner=owner_a)
    assert again.claims_deactivated == 0 and again.rows_imported == 0


def test_claims_of_videos_absent_from_the_report_are_not_touched(tmp_path, owner_a, imported):
    only_a = [row for row in FIRST if row[0] == "vidAAAAAAA1"][:1]

    report = import_file(small_report(tmp_path, only_a, name="only-a.csv"), content_owner=owner_a)

    assert report.claims_deactivated == 1
    assert statuses() == {
        "c-a1": "active",
        "c-a2": "inactive",
        "c-b1": "active",
        "c-b2": "active",
        "c-c1": "active",
    }


def test_a_listed_claim_comes_back_active(tmp_path, owner_a, imported):
    import_file(small_report(tmp_path, FIRST[:1], name="gone.csv"), content_owner=owner_a)
    assert statuses()["c-a2"] == "inactive"

    report = import_file(small_report(tmp_path, FIRST[:2], name="back.csv"), content_owner=owner_a)

    assert statuses()["c-a2"] == "active"
    assert report.claims_upserted == 1 and report.claims_deactivated == 0


def test_other_statuses_are_left_alone(tmp_path, owner_a, imported):
    Claim.objects.filter(pk="c-b1").update(status=Claim.Status.DISPUTED)

    import_file(small_report(tmp_path, [FIRST[3]], name="b2.csv"), content_owner=owner_a)

    assert statuses()["c-b1"] == "disputed"


def test_a_video_with_a_rejected_row_keeps_its_claims(tmp_path, owner_a, imported):
    bad = a4("vidAAAAAAA1", claim="c-a2", asset="A2", policy="Track", length="forever")

    report = import_file(small_report(tmp_path, [FIRST[0], bad], name="bad.csv"), content_owner=owner_a)

    assert report.rows_rejected == 1
    assert report.claims_deactivated == 0
    assert statuses()["c-a2"] == "active"


def test_a_dry_run_counts_without_writing(tmp_path, owner_a, imported):
    report = import_file(
        small_report(tmp_path, FIRST[:1], name="dry.csv"), content_owner=owner_a, dry_run=True
    )

    assert report.claims_deactivated == 1
    assert "1 claim would be deactivated" in report.message
    assert set(statuses().values()) == {"active"}


def test_without_a_content_owner_nothing_is_deactivated(tmp_path, owner_a, imported):
    report = import_file(small_report(tmp_path, FIRST[:1], name="no-owner.csv"))

    assert report.claims_deactivated == 0
    assert set(statuses().values()) == {"active"}


def test_a_listed_claim_keeps_its_status_when_its_policy_changes_and_an_inactive_one_is_active_again(
    tmp_path, owner_a, imported
):
    """A report says nothing of a claim's status (disputed, appealed): only "listed again" moves
    an inactive claim back to active; the other statuses stay whatever else the claim changes."""
    Claim.objects.filter(pk="c-a1").update(status="disputed")
    Claim.objects.filter(pk="c-b1").update(status="inactive")
    day2 = [
        a4("vidAAAAAAA1", claim="c-a1", asset="A1", policy="Block"),
        *FIRST[1:],
    ]

    report = import_file(small_report(tmp_path, day2, name="day2.csv"), content_owner=owner_a)

    assert report.status == Report.Status.DONE, report.message
    assert report.claims_upserted == 2
    assert statuses() == {
        "c-a1": "disputed",
        "c-a2": "active",
        "c-b1": "active",
        "c-b2": "active",
        "c-c1": "active",
    }
    assert Claim.objects.get(pk="c-a1").policy.name == "Block"
