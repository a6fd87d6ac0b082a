"""A report of the catalogue's own state imports as unchanged (issue #15).

The emulator publishes its Reporting API "Daily video metadata" (a4) report of the catalogue it was
seeded with from ytcms's tables (devtools/youtube_emulator_seed.py, as `make run` seeds it); the pull
downloads it and the import must find every row unchanged and write nothing.
"""

from datetime import date

import pytest

from devtools.demo import DEMO_OWNER_ID, demo_catalogue_load
from devtools.youtube_emulator import reporting as emulator_reporting
from devtools.youtube_emulator_seed import emulator_refresh_token, emulator_seed_from_db
from reports.models import Report
from reports.services import report_create_from_path, report_ingest
from reports.youtube_pull import youtube_reports_pull
from videos.models import Asset, Claim, Policy, Video
from videos.selectors import effective_policy_labels

from .conftest import CHANNEL_A1, CHANNEL_B1, CLIENT_ID, CLIENT_SECRET

DEMO_VIDEOS = 400


def catalogue_state(owner_id: str) -> dict:
    """Every value an import could write, per table (timestamps that only record a write left out)."""
    video_fields = [
        f.attname for f in Video._meta.concrete_fields if f.attname not in ("updated_at", "remote_fetched_at")
    ]
    claim_fields = [f.attname for f in Claim._meta.concrete_fields if f.attname != "updated_at"]
    asset_fields = [f.attname for f in Asset._meta.concrete_fields if f.attname != "updated_at"]
    policy_fields = [f.attname for f in Policy._meta.concrete_fields if f.attname != "updated_at"]
    return {
        "videos": list(
            Video.objects.filter(channel__content_owner_id=owner_id).order_by("pk").values_list(*video_fields)
        ),
        "claims": list(Claim.objects.order_by("pk").values_list(*claim_fields)),
        "assets": list(Asset.objects.order_by("pk").values_list(*asset_fields)),
        "policies": list(Policy.objects.order_by("pk").values_list(*policy_fields)),
    }


def seed_emulator_from_catalogue(emulator) -> None:
    """The emulator as `make run` seeds it: YouTube holds what ytcms holds."""
    emulator.state.reset()
    emulator.state.load(emulator_seed_from_db(client_id=CLIENT_ID, client_secret=CLIENT_SECRET))


def pull_and_import(emulator, owner_id: str) -> Report:
    emulator_reporting.publish_report(emulator.state, {"contentOwner": owner_id})
    result = youtube_reports_pull(owner_id=owner_id)
    assert result.ok, result.summary()
    (report,) = Report.objects.filter(source=Report.Source.REPORTING_API, content_owner_id=owner_id)
    report_ingest(report_id=report.pk)
    report.refresh_from_db()
    return report


A4_HEADER = (
    "video_id,channel_id,claim_id,asset_id,custom_id,category,channel_display_name,claim_origin,"
    "claimed_by_this_owner,comments,content_type,effective_policy,embedding_allowed,"
    "is_made_for_kids_effective_setting,is_made_for_kids_user_selection,isrc,other_owners_claiming,"
    "time_published,video_length,video_privacy_status,video_title,views"
)
MIXED = "Monetize in US; Track elsewhere"


def small_catalogue(tmp_path, owner, channel: str, rows: list[str]) -> None:
    """A catalogue loaded as the demo's is: through an uploaded a4 report, its policies saved first."""
    path = tmp_path / f"{owner.pk}.csv"
    path.write_text("\n".join([A4_HEADER, *rows]) + "\n", encoding="utf-8")
    report = report_ingest(
        report_id=report_create_from_path(path=str(path), content_owner=owner, enqueue=False).pk
    )
    assert report.status == Report.Status.DONE and report.rows_rejected == 0, report.message


@pytest.mark.django_db
def test_report_of_the_catalogues_own_state_imports_unchanged(emulator, tmp_path, owner_a, owner_b, connect):
    # Saved policies, as policies.list brings them: reports name them, ytcms keeps their ids.
    Policy.objects.create(
        id="P-mon", content_owner=owner_a, name="Monetize in all countries", rules=[{"action": "monetize"}]
    )
    Policy.objects.create(
        id="P-mixed",
        content_owner=owner_a,
        name=MIXED,
        rules=[
            {
                "action": "monetize",
                "conditions": {"requiredTerritories": {"type": "include", "territories": ["US"]}},
            },
            {
                "action": "track",
                "conditions": {"requiredTerritories": {"type": "exclude", "territories": ["US"]}},
            },
        ],
    )
    Policy.objects.create(
        id="P-track", content_owner=owner_a, name="Track in all countries", rules=[{"action": "track"}]
    )
    Policy.objects.create(
        id="P-b", content_owner=owner_b, name="Block in all countries", rules=[{"action": "block"}]
    )
    common = "10,{title},Partner uploaded,True,4,{type},{policy},True,False,False,{isrc},{others},2024/05/01 10:00:00,241,public,{title},1200"
    no_claim = (
        ",,,10,{title},,False,4,,,True,False,False,,{others},2024/05/01 10:00:00,241,public,{title},1200"
    )
    small_catalogue(
        tmp_path,
        owner_a,
        CHANNEL_A1,
        [
            # Claimed by us, two claims: a mixed policy and track (track is the more restrictive).
            f"claimed0001,{CHANNEL_A1},C-1,A-1,LBL-1,"
            + common.format(title="A One", type="Audiovisual", policy=MIXED, isrc="GBAAA2600001", others=""),
            f"claimed0001,{CHANNEL_A1},C-2,A-2,,"
            + common.format(title="A One", type="Audio", policy="Track in all countries", isrc="", others=""),
            # Claimed by us and by another owner too.
            f"claimed0002,{CHANNEL_A1},C-3,A-3,,"
            + common.format(
                title="A One", type="Visual", policy="Monetize in all countries", isrc="", others="Cobalt"
            ),
            f"others00001,{CHANNEL_A1}," + no_claim.format(title="A One", others="Cobalt"),
            f"unclaimed01,{CHANNEL_A1}," + no_claim.format(title="A One", others=""),
        ],
    )
    small_catalogue(tmp_path, owner_b, CHANNEL_B1, [
        f"bsecret0001,{CHANNEL_B1},C-B1,A-B1,," + common.format(
            title="B One", type="Audio", policy="Block in all countries", isrc="", others=""),
        f"bothers0001,{CHANNEL_B1}," + no_claim.format(title="B One", others="Cobalt"),
    ])  # fmt: skip
    assert dict(Video.objects.values_list("pk", "effective_policy")) == {
        "claimed0001": "Track in all countries",
        "claimed0002": "Monetize in all countries",
        "others00001": "",
        "unclaimed01": "",
        "bsecret0001": "Block in all countries",
        "bothers0001": "",
    }
    assert Video.objects.get(pk="others00001").claimed_status == Video.ClaimedStatus.CLAIMED_BY_OTHERS
    seed_emulator_from_catalogue(emulator)
    connect(owner_a, refresh_token=emulator_refresh_token("owner-a"))
    Report.objects.all().delete()
    before = {owner: catalogue_state(owner) for owner in ("owner-a", "owner-b")}

    report = pull_and_import(emulator, "owner-a")

    assert report.status == Report.Status.DONE, report.message
    assert (report.rows_read, report.rows_unchanged, report.rows_imported, report.rows_rejected) == (
        5,
        5,
        0,
        0,
    )
    assert (report.videos_updated, report.videos_unchanged, report.claims_upserted) == (0, 4, 0), (
        report.message
    )
    # Owner B's videos are not in A's report, and nothing of B moved.
    assert {owner: catalogue_state(owner) for owner in ("owner-a", "owner-b")} == before
    assert Video.objects.get(pk="others00001").get_claimed_status_display() == "Claimed by other owners only"


@pytest.mark.django_db
def test_demo_catalogue_report_keeps_policies_and_claimed_status(emulator, connect, admin_user):
    demo_catalogue_load(seed=7, video_count=DEMO_VIDEOS, today=date(2026, 3, 1))
    seed_emulator_from_catalogue(emulator)
    owner = Video.objects.filter(channel__content_owner_id=DEMO_OWNER_ID).first().channel.content_owner
    connect(owner, refresh_token=emulator_refresh_token(DEMO_OWNER_ID))
    Report.objects.all().delete()
    demo = Video.objects.filter(channel__content_owner_id=DEMO_OWNER_ID)
    before = dict(demo.values_list("pk", "claimed_status"))
    policies_before = dict(demo.values_list("pk", "effective_policy"))
    tables_before = catalogue_state(DEMO_OWNER_ID)
    # Sound-recording claims (whose asset's custom id is its ISRC) and web-asset claims are among them.
    assert Video.objects.filter(claims__asset__asset_type=Asset.Type.SOUND_RECORDING).exists()
    assert Video.objects.filter(claims__asset__asset_type=Asset.Type.WEB).exists()

    report = pull_and_import(emulator, DEMO_OWNER_ID)

    assert report.status == Report.Status.DONE and report.rows_rejected == 0, report.message
    assert report.rows_unchanged == report.rows_read > DEMO_VIDEOS, report.message
    assert (report.videos_created, report.videos_updated, report.videos_unchanged) == (0, 0, DEMO_VIDEOS)
    assert (report.claims_upserted, report.claims_deactivated, report.assets_created) == (0, 0, 0)
    assert dict(demo.values_list("pk", "claimed_status")) == before
    assert dict(demo.values_list("pk", "effective_policy")) == policies_before
    # No video field moved, isrc and custom_id included (they are filled from the claims' assets).
    assert catalogue_state(DEMO_OWNER_ID) == tables_before
    # Every effective policy is one the policy filter offers: a saved policy's name.
    assert set(effective_policy_labels(user=admin_user)) <= set(Policy.objects.values_list("name", flat=True))
