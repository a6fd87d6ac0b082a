"""What YouTube hands to content owner B never rewrites content owner A's claims, assets, channels
or policies: neither a Reporting API report pulled for B (it feeds the report import) nor B's
assets, channels or policies pull."""

import logging

import pytest

from channels_app.models import Channel
from devtools.youtube_emulator import reporting as emulator_reporting
from reports.models import Report
from reports.services import report_ingest
from reports.youtube_pull import youtube_reports_pull
from syncs.services.pull import owner_pull
from tests.reports.helpers import a4_bytes, a4_row
from videos.models import Asset, Claim, Policy

from .conftest import CHANNEL_A1, CHANNEL_B1, REFRESH_TOKEN_B, api_requests

pytestmark = pytest.mark.django_db


def _state(instance) -> dict:
    instance.refresh_from_db()
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@pytest.fixture
def as_claim(catalogue, owner_a):
    """A's asset A111 claims A's video under A's saved policy."""
    asset = Asset.objects.create(id="A111", content_owner=owner_a, title="A's recording", isrc="GBAAA2600001")
    policy = Policy.objects.create(id="P-monetize", content_owner=owner_a, name="Monetize")
    return Claim.objects.create(
        id="C-a-1", video=catalogue["a1_song"], asset=asset, content_type="audiovisual", policy=policy
    )


def test_a_pulled_report_for_b_naming_as_claim_and_asset_leaves_them_alone(
    emulator, as_claim, owner_b, connect
):
    connect(owner_b, refresh_token=REFRESH_TOKEN_B)
    claim_before, asset_before = _state(as_claim), _state(as_claim.asset)
    body = a4_bytes(
        a4_row(
            "b1secret001",
            channel_id=CHANNEL_B1,
            claim_id="C-a-1",
            asset_id="B-own-1",
            effective_policy="Block",
        ),
        a4_row("b1secret001", channel_id=CHANNEL_B1, claim_id="C-b-2", asset_id="A111", custom_id="STOLEN"),
        a4_row("b1secret001", channel_id=CHANNEL_B1, claim_id="C-b-3", asset_id="B-own-3"),
    )
    emulator_reporting.publish_report(emulator.state, {"contentOwner": "owner-b", "csv": body.decode()})

    youtube_reports_pull(owner_id="owner-b")
    for report in Report.objects.filter(status=Report.Status.QUEUED):
        report_ingest(report_id=report.pk)

    report = Report.objects.get()
    assert (report.content_owner_id, report.status, report.rows_rejected) == (
        "owner-b",
        Report.Status.DONE,
        2,
    )
    assert list(report.row_errors.order_by("line_number").values_list("column", "reason")) == [
        ("claim_id", "claim_id 'C-a-1' is not a claim of this report's content owner; not imported."),
        ("asset_id", "asset_id 'A111' is not an asset of this report's content owner; not imported."),
    ]
    assert _state(as_claim) == claim_before
    assert _state(as_claim.asset) == asset_before
    assert Claim.objects.get(pk="C-b-3").asset.content_owner_id == "owner-b"


def test_bs_assets_pull_neither_asks_for_nor_writes_as_asset(emulator, catalogue, as_claim, owner_b, connect):
    """A claim of B's that names A's asset (as an unchecked import could leave it) is no way in."""
    connect(owner_b, refresh_token=REFRESH_TOKEN_B)
    b_asset = Asset.objects.create(id="B222", content_owner=owner_b, title="old")
    b_video = catalogue["b1_secret"]
    Claim.objects.create(id="C-b-1", video=b_video, asset=b_asset, content_type="audio")
    Claim.objects.create(id="C-b-2", video=b_video, asset=as_claim.asset, content_type="audio")
    asset_before = _state(as_claim.asset)
    # YouTube answers both ids for B (an emulator of a YouTube that would).
    emulator.state.load(
        {
            "assets": [
                {
                    "id": "A111",
                    "contentOwner": "owner-b",
                    "type": "web",
                    "metadata": {"title": "Taken", "isrc": ""},
                },
                {"id": "B222", "contentOwner": "owner-b", "type": "web", "metadata": {"title": "B's asset"}},
            ]
        }
    )

    result = owner_pull(owner=owner_b, videos=False)

    assert _state(as_claim.asset) == asset_before
    assert Asset.objects.get(pk="B222").title == "B's asset"
    assert result.assets == 1
    asked = [request["params"]["id"] for request in api_requests(emulator, "youtubePartner.assets.list")]
    assert asked == ["B222"]


def test_bs_channels_pull_leaves_as_channel_that_youtube_lists_for_b(
    emulator, catalogue, channel_a1, owner_b, connect, caplog
):
    """A YouTube (or a stand-in) that lists A's channel id as managed by B does not hand it to B."""
    connect(owner_b, refresh_token=REFRESH_TOKEN_B)
    channel_before = _state(channel_a1)
    emulator.state.load(
        {
            "channels": [
                {"id": CHANNEL_A1, "contentOwner": "owner-b", "snippet": {"title": "Taken by B"}},
                {"id": CHANNEL_B1, "contentOwner": "owner-b", "snippet": {"title": "B One (YouTube)"}},
            ]
        }
    )

    with caplog.at_level(logging.WARNING, logger="ytcms.youtube.pull"):
        result = owner_pull(owner=owner_b, videos=False)

    assert _state(channel_a1) == channel_before
    assert Channel.objects.get(pk=CHANNEL_B1).title == "B One (YouTube)"
    assert (result.channels, result.channels_skipped) == (1, [CHANNEL_A1])
    assert "1 channels (1 skipped, not this owner's)" in result.summary()
    warning = next(r for r in caplog.records if r.name == "ytcms.youtube.pull")
    assert CHANNEL_A1 in warning.getMessage() and "A One" not in warning.getMessage()


def test_bs_policies_pull_leaves_as_policy_that_youtube_lists_for_b(emulator, as_claim, owner_b, connect):
    connect(owner_b, refresh_token=REFRESH_TOKEN_B)
    policy_before = _state(as_claim.policy)
    emulator.state.load(
        {
            "policies": [
                {
                    "id": "P-monetize",
                    "contentOwner": "owner-b",
                    "name": "Taken",
                    "rules": [{"action": "block"}],
                }
            ]
        }
    )

    result = owner_pull(owner=owner_b, videos=False)

    assert _state(as_claim.policy) == policy_before
    assert Policy.objects.get(pk="P-b").content_owner_id == "owner-b"
    assert (result.policies, result.policies_skipped) == (1, ["P-monetize"])
    assert "1 policies (1 skipped, not this owner's)" in result.summary()


def test_an_owner_less_channel_and_policy_listed_for_b_are_adopted_by_b(
    emulator, catalogue, owner_b, connect
):
    """A row no owner holds (made by an import without a content owner) is nobody's to protect."""
    connect(owner_b, refresh_token=REFRESH_TOKEN_B)
    loose_channel = "UC" + "z" * 22
    Channel.objects.create(id=loose_channel, title="Loose")
    Policy.objects.create(id="P-loose", name="Loose")
    emulator.state.load(
        {
            "channels": [{"id": loose_channel, "contentOwner": "owner-b", "snippet": {"title": "Now B's"}}],
            "policies": [{"id": "P-loose", "contentOwner": "owner-b", "name": "Now B's"}],
        }
    )

    result = owner_pull(owner=owner_b, videos=False)

    assert Channel.objects.get(pk=loose_channel).content_owner_id == "owner-b"
    assert Policy.objects.get(pk="P-loose").content_owner_id == "owner-b"
    assert result.channels_skipped == result.policies_skipped == []
    assert "skipped" not in result.summary()
