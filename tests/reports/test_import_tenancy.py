"""Tenant isolation of report imports: a report imported for content owner B never touches what
belongs to content owner A, through any merge engine (the ORM reference and the set-based merges).

A claim is A's when its video is on one of A's channels; an asset is A's when its content_owner is
A, or, having no content owner, when one of its claims is not B's (videos.selectors). A row that
names one of them is rejected, counted, and leaves everything of A as it was; a preview (dry run)
words the rejection so that it does not tell B whether the id exists under someone else.
"""

import pytest

from reports import merge_postgres, pipeline
from reports.models import Report
from tests.reports.test_ingest_helpers import (
    assert_accounted,
    immediate_tasks_fixture,  # noqa: F401  (fixture "immediate_tasks")
    import_file,
    postgres_only,
    sqlite_only,
)
from tests.reports.test_ingest_pipeline import a4, small_report
from videos.models import Asset, Claim, Policy, Video

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

A_CLAIM, A_ASSET = "claim-of-a-0001", "A-asset-of-a-01"


@pytest.fixture(
    params=[
        "python",
        pytest.param("sql", marks=[postgres_only, pytest.mark.postgres]),
        pytest.param("sqlite", marks=sqlite_only),
    ],
)
def engine(request, settings):
    """Each test runs with the ORM merge, and with the set-based merge of its database too."""
    settings.REPORTS_MERGE_ENGINE = "python" if request.param == "python" else "auto"
    assert pipeline.merge_engine() == request.param
    return request.param


@pytest.fixture
def a_catalogue(owner_a, channel_a1, make_video):
    """A's video, claimed by A's asset under A's saved policy."""
    video = make_video(channel_a1, video_id="aVideo00001", title="A's song")
    policy = Policy.objects.create(id="P-a-monetize", content_owner=owner_a, name="Monetize")
    asset = Asset.objects.create(
        id=A_ASSET, content_owner=owner_a, title="A's recording", isrc="GBAAA2400001", custom_id="A-CUSTOM"
    )
    claim = Claim.objects.create(
        id=A_CLAIM,
        video=video,
        asset=asset,
        content_type="audiovisual",
        policy=policy,
        origin="Partner uploaded",
    )
    return {"video": video, "asset": asset, "claim": claim, "policy": policy}


def _state(instance) -> dict:
    """Every column of the row as the database holds it now."""
    instance.refresh_from_db()
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _errors(report) -> list[tuple]:
    return list(report.row_errors.order_by("line_number").values_list("line_number", "column", "reason"))


def test_a_report_for_b_naming_as_claim_and_asset_is_rejected_and_leaves_them_alone(
    tmp_path, engine, owner_b, channel_b1, a_catalogue
):
    claim_before, asset_before = _state(a_catalogue["claim"]), _state(a_catalogue["asset"])
    rows = [
        # A's claim moved onto B's video, with a policy of B's report.
        a4("bVideo00001", channel=channel_b1.pk, claim=A_CLAIM, asset="B-asset-00001", policy="Block all"),
        # A's asset under a new claim of B's, with another ISRC and custom id.
        a4(
            "bVideo00001",
            channel=channel_b1.pk,
            claim="claim-of-b-0002",
            asset=A_ASSET,
            policy="Monetize",
            custom_id="STOLEN",
        ),
        # B's own rows in the same file.
        a4(
            "bVideo00001",
            channel=channel_b1.pk,
            claim="claim-of-b-0003",
            asset="B-asset-00003",
            policy="Track",
        ),
        a4("bVideo00002", channel=channel_b1.pk, title="B's other video"),
    ]
    report = import_file(small_report(tmp_path, rows, name="b.csv"), content_owner=owner_b)

    assert report.status == Report.Status.DONE, report.message
    assert _errors(report) == [
        (2, "claim_id", f"claim_id '{A_CLAIM}' is not a claim of this report's content owner; not imported."),
        (
            3,
            "asset_id",
            f"asset_id '{A_ASSET}' is not an asset of this report's content owner; not imported.",
        ),
    ]
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (4, 2, 2)
    assert_accounted(report)
    assert "2 rejected" in report.message
    # Nothing of A changed: the claim's video, asset, policy and status, the asset's every value.
    assert _state(a_catalogue["claim"]) == claim_before
    assert _state(a_catalogue["asset"]) == asset_before
    assert not Policy.objects.filter(name="Block all").exists()
    assert not Claim.objects.filter(pk="claim-of-b-0002").exists()
    # B's legitimate rows are imported.
    claim = Claim.objects.select_related("asset", "policy", "video__channel").get(pk="claim-of-b-0003")
    assert (claim.video_id, claim.asset.content_owner_id, claim.policy.name) == (
        "bVideo00001",
        "owner-b",
        "Track",
    )
    assert Video.objects.get(pk="bVideo00002").channel.content_owner_id == "owner-b"


def test_a_preview_for_b_rejects_the_same_rows_and_writes_nothing(
    tmp_path, engine, owner_b, channel_b1, a_catalogue
):
    claim_before, asset_before = _state(a_catalogue["claim"]), _state(a_catalogue["asset"])
    rows = [
        a4("bVideo00001", channel=channel_b1.pk, claim=A_CLAIM, asset="B-asset-00001", policy="Block all"),
        a4("bVideo00001", channel=channel_b1.pk, claim="claim-of-b-0002", asset=A_ASSET, custom_id="STOLEN"),
        a4("bVideo00002", channel=channel_b1.pk),
    ]
    report = import_file(small_report(tmp_path, rows, name="b.csv"), content_owner=owner_b, dry_run=True)

    assert report.status == Report.Status.DONE, report.message
    assert [(line, column) for line, column, _ in _errors(report)] == [(2, "claim_id"), (3, "asset_id")]
    assert (report.rows_imported, report.rows_rejected, report.claims_upserted) == (1, 2, 0)
    assert _state(a_catalogue["claim"]) == claim_before
    assert _state(a_catalogue["asset"]) == asset_before
    assert not Video.objects.filter(pk__startswith="bVideo").exists()


def test_a_claim_already_moved_to_bs_catalogue_is_not_taken_back_by_as_report(
    tmp_path, engine, owner_a, channel_a1, owner_b, channel_b1, make_video
):
    """The rule holds both ways: A's report cannot take B's claim either."""
    b_video = make_video(channel_b1, video_id="bVideo00001")
    asset = Asset.objects.create(id="B-asset-00001", content_owner=owner_b)
    Claim.objects.create(id="claim-of-b-0001", video=b_video, asset=asset, content_type="audio")
    report = import_file(
        small_report(
            tmp_path, [a4("aVideo00001", channel=channel_a1.pk, claim="claim-of-b-0001", asset="A-new")]
        ),
        content_owner=owner_a,
    )
    assert report.rows_rejected == 1 and _errors(report)[0][1] == "claim_id"
    claim = Claim.objects.get(pk="claim-of-b-0001")
    assert (claim.video_id, claim.asset_id, claim.content_type) == ("bVideo00001", "B-asset-00001", "audio")


def test_an_asset_without_owner_claimed_on_as_video_is_as(tmp_path, engine, owner_b, channel_b1, a_catalogue):
    """An asset made by an import without a content owner belongs to the owner of its claims."""
    Asset.objects.filter(pk=A_ASSET).update(content_owner=None)
    rows = [
        a4("bVideo00001", channel=channel_b1.pk, claim="claim-of-b-0002", asset=A_ASSET, custom_id="STOLEN")
    ]
    report = import_file(small_report(tmp_path, rows), content_owner=owner_b)
    assert _errors(report) == [
        (2, "asset_id", f"asset_id '{A_ASSET}' is not an asset of this report's content owner; not imported.")
    ]
    assert Asset.objects.get(pk=A_ASSET).custom_id == "A-CUSTOM"


def test_an_asset_without_owner_nor_claims_may_be_filled_in_by_bs_report(
    tmp_path, engine, owner_b, channel_b1
):
    Asset.objects.create(id="A-unowned-0001", content_owner=None)
    rows = [
        a4(
            "bVideo00001",
            channel=channel_b1.pk,
            claim="claim-of-b-0001",
            asset="A-unowned-0001",
            custom_id="B-1",
        )
    ]
    report = import_file(small_report(tmp_path, rows), content_owner=owner_b)
    assert report.rows_rejected == 0, _errors(report)
    assert Asset.objects.get(pk="A-unowned-0001").custom_id == "B-1"
    assert Claim.objects.get(pk="claim-of-b-0001").video_id == "bVideo00001"


def test_bs_own_claims_and_assets_are_updated_as_before(tmp_path, engine, owner_b, channel_b1, make_video):
    video = make_video(channel_b1, video_id="bVideo00001")
    asset = Asset.objects.create(id="B-asset-00001", content_owner=owner_b)
    Claim.objects.create(id="claim-of-b-0001", video=video, asset=asset, content_type="audio")
    rows = [
        a4(
            "bVideo00001",
            channel=channel_b1.pk,
            claim="claim-of-b-0001",
            asset="B-asset-00001",
            custom_id="B-1",
        )
    ]
    report = import_file(small_report(tmp_path, rows), content_owner=owner_b)
    assert report.rows_rejected == 0, _errors(report)
    assert Claim.objects.get(pk="claim-of-b-0001").content_type == "audiovisual"
    assert Asset.objects.get(pk="B-asset-00001").custom_id == "B-1"


# ---------------------------------------------------------------------------- what a preview tells


def _reasons_without_ids(report, *ids) -> list[tuple]:
    out = []
    for line, column, reason in _errors(report):
        for value in ids:
            reason = reason.replace(value, "ID")
        out.append((line, column, reason))
    return out


def test_a_preview_words_as_video_id_exactly_as_an_id_that_does_not_exist(
    tmp_path, engine, owner_b, a_catalogue
):
    """Rows without channel_id: one names A's video, one an id nobody has; B sees one sentence."""
    rows = [a4("aVideo00001", channel=""), a4("noSuchVid01", channel="")]
    report = import_file(small_report(tmp_path, rows), content_owner=owner_b, dry_run=True)
    errors = _reasons_without_ids(report, "aVideo00001", "noSuchVid01")
    assert errors[0][1:] == errors[1][1:]
    assert errors[0][2] == (
        "video_id 'ID' is not a video of this report's content owner, and the row has no channel_id "
        "to create it on; not imported."
    )
    excerpts = dict(report.row_errors.values_list("line_number", "value_excerpt"))
    assert excerpts == {2: "aVideo00001", 3: "noSuchVid01"}


@pytest.mark.parametrize("column", ["claim_id", "asset_id"])
def test_a_preview_words_as_claim_and_asset_ids_without_saying_they_exist(
    tmp_path, engine, owner_b, channel_b1, a_catalogue, column
):
    """The sentence is true of any id that is not B's: it names no owner, video or value of A."""
    claim, asset = (A_CLAIM, "B-asset-00001") if column == "claim_id" else ("claim-of-b-0001", A_ASSET)
    rows = [a4("bVideo00001", channel=channel_b1.pk, claim=claim, asset=asset)]
    report = import_file(small_report(tmp_path, rows), content_owner=owner_b, dry_run=True)
    [(_, got_column, reason)] = _errors(report)
    noun = "a claim" if column == "claim_id" else "an asset"
    value = claim if column == "claim_id" else asset
    assert (got_column, reason) == (
        column,
        f"{column} '{value}' is not {noun} of this report's content owner; not imported.",
    )
    for secret in ("owner-a", "Label A", "aVideo00001", "GBAAA2400001", "A-CUSTOM", "Monetize"):
        assert secret not in reason


# ---------------------------------------------------------------------------- the merges themselves


def test_a_claim_and_asset_that_became_as_after_the_check_fail_the_chunk_untouched(
    tmp_path, engine, owner_b, channel_b1, a_catalogue, monkeypatch
):
    """The feeder checks outside the merge's transaction; A's import may create the claim between.
    The merge refuses to update another owner's claim or asset: the report fails, A keeps both,
    and a re-run (the feeder sees them now) rejects the rows."""
    claim_before, asset_before = _state(a_catalogue["claim"]), _state(a_catalogue["asset"])
    monkeypatch.setattr(pipeline, "claim_ids_of_other_owners", lambda **kwargs: set())
    monkeypatch.setattr(pipeline, "asset_ids_of_other_owners", lambda **kwargs: set())
    chunk_owners = merge_postgres.chunk_owners  # the feeder's form of the same checks on PostgreSQL

    def blind_chunk_owners(**kwargs):
        videos, channels, _, _ = chunk_owners(**kwargs)
        return videos, channels, set(), set()

    monkeypatch.setattr(merge_postgres, "chunk_owners", blind_chunk_owners)
    rows = [
        a4("bVideo00001", channel=channel_b1.pk, claim=A_CLAIM, asset="B-asset-00001", policy="Block all"),
        a4("bVideo00002", channel=channel_b1.pk, claim="claim-of-b-0002", asset=A_ASSET, custom_id="STOLEN"),
    ]
    path = small_report(tmp_path, rows)
    report = import_file(path, content_owner=owner_b)

    assert report.status == Report.Status.FAILED
    assert "not this report's content owner's any more" in report.message
    assert _state(a_catalogue["claim"]) == claim_before
    assert _state(a_catalogue["asset"]) == asset_before
    assert not Video.objects.filter(pk__startswith="bVideo").exists()  # the chunk rolled back whole

    monkeypatch.undo()
    report = import_file(path, content_owner=owner_b)
    assert [column for _, column, _ in _errors(report)] == ["claim_id", "asset_id"]
    assert _state(a_catalogue["claim"]) == claim_before
    assert _state(a_catalogue["asset"]) == asset_before
