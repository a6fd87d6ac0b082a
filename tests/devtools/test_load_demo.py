"""manage.py load_demo: a deterministic, valid, idempotent demo catalogue, loaded through a report import."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from channels_app.models import Channel, ContentOwner, Membership, Role
from devtools.demo import (
    DEMO_MANAGER_USERNAME,
    DEMO_OWNER_ID,
    DEMO_VIEWER_USERNAME,
    demo_catalogue,
)
from reports.models import Report
from reports.services import report_ingest, report_rerun
from videos.models import Asset, Claim, Policy, Video
from videos.selectors import assignable_category_ids, videos_editable_by, videos_visible_to
from videos.services import OWN_FIELDS, WRITABLE_FIELDS, video_refresh_derived, video_wanted_state
from videos.validation import validate_video_metadata

DEMO_VIDEOS = 300
# Most restrictive last: the policy that applies when our claims on a video conflict.
POLICY_ORDER = [
    "Monetize in all countries",
    "Monetize in US; Track elsewhere",
    "Track in all countries",
    "Block in all countries",
]


def load_demo(*args) -> str:
    out = StringIO()
    call_command("load_demo", "--videos", str(DEMO_VIDEOS), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def demo_videos():
    return Video.objects.filter(channel__content_owner_id=DEMO_OWNER_ID)


def catalogue_fingerprint() -> dict:
    """Every value the seed decides, per video (timestamps of the load itself left out)."""
    compared = ("channel_id", "title", "description", "tags", "category_id", "privacy_status",
                "license", "published_at", "view_count", "claimed_status", "effective_policy",
                "isrc", "custom_id", "pending_fields", "remote_etag")  # fmt: skip
    return {
        "videos": {row[0]: row[1:] for row in demo_videos().values_list("id", *compared)},
        "claims": set(Claim.objects.values_list("id", "video_id", "asset_id", "policy__name", "status")),
        "assets": set(Asset.objects.values_list("id", "asset_type", "isrc", "custom_id")),
        "channels": set(Channel.objects.values_list("id", "title", "country")),
    }


@pytest.fixture
def demo(db):
    return load_demo()


@pytest.mark.django_db
def test_summary_line_counts_what_was_loaded():
    output = load_demo()

    match = re.search(
        r"Loaded demo catalogue: 1 content owner, (\d+) channels, ([\d,]+) videos "
        r"\(([\d,]+) with pending changes\), ([\d,]+) claims on ([\d,]+) assets in [\d.]+ s",
        output,
    )
    assert match, output
    channels, videos, pending, claims, assets = (int(g.replace(",", "")) for g in match.groups())
    assert channels == Channel.objects.filter(content_owner_id=DEMO_OWNER_ID).count()
    assert 4 <= channels <= 6
    assert videos == demo_videos().count() == DEMO_VIDEOS
    assert pending == demo_videos().filter(has_pending_changes=True).count()
    assert claims == Claim.objects.count()
    assert assets == Asset.objects.filter(content_owner_id=DEMO_OWNER_ID).count()


@pytest.mark.django_db
def test_reset_with_the_same_seed_gives_the_same_catalogue(demo):
    first = catalogue_fingerprint()

    load_demo("--reset")

    assert catalogue_fingerprint() == first


@pytest.mark.django_db
def test_another_seed_gives_other_ids(demo):
    first = set(demo_videos().values_list("id", flat=True))

    load_demo("--reset", "--seed", "7")

    assert first.isdisjoint(demo_videos().values_list("id", flat=True))


@pytest.mark.django_db
def test_second_run_without_reset_adds_nothing(demo):
    counts = [m.objects.count() for m in (ContentOwner, Channel, Video, Asset, Claim, Policy)]

    output = load_demo()

    assert output.strip() == f"Demo catalogue already loaded ({DEMO_VIDEOS:,} videos)"
    assert [m.objects.count() for m in (ContentOwner, Channel, Video, Asset, Claim, Policy)] == counts


@pytest.mark.django_db
def test_reset_leaves_other_owners_alone(catalogue):
    load_demo()

    load_demo("--reset")

    assert Video.objects.filter(pk__in=[v.pk for v in catalogue.values()]).count() == len(catalogue)
    assert demo_videos().count() == DEMO_VIDEOS


@pytest.mark.django_db
def test_ids_look_like_youtube_and_content_id_ids(demo):
    for channel_id in Channel.objects.values_list("id", flat=True):
        assert re.fullmatch(r"UC[A-Za-z0-9_-]{22}", channel_id)
    for video_id in demo_videos().values_list("id", flat=True):
        assert re.fullmatch(r"[A-Za-z0-9_-]{11}", video_id)
    for asset_id in Asset.objects.values_list("id", flat=True):
        assert re.fullmatch(r"A\d{15}", asset_id)
    for policy_id in Policy.objects.values_list("id", flat=True):
        assert re.fullmatch(r"P\d+", policy_id)
    assert set(Policy.objects.values_list("name", flat=True)) == set(POLICY_ORDER)


@pytest.mark.django_db
def test_videos_are_spread_unevenly_over_the_channels(demo):
    per_channel = sorted(
        Channel.objects.filter(content_owner_id=DEMO_OWNER_ID).values_list("video_count", flat=True)
    )
    assert sum(per_channel) == DEMO_VIDEOS
    assert per_channel[0] > 0
    assert per_channel[-1] >= 2 * per_channel[0]
    assert all(Channel.objects.filter(content_owner_id=DEMO_OWNER_ID).values_list("is_linked", flat=True))


@pytest.mark.django_db
def test_every_demo_video_passes_youtube_limits(demo):
    categories = assignable_category_ids()
    assert categories  # the US table from the data migration

    for video in demo_videos():
        values = {name: getattr(video, name) for name in WRITABLE_FIELDS + OWN_FIELDS}
        assert validate_video_metadata(values, assignable_category_ids=categories) == [], video.pk


@pytest.mark.django_db
def test_catalogue_mixes_scripts_privacy_licenses_and_schedules(demo):
    text = " ".join(demo_videos().values_list("title", flat=True)) + " ".join(
        demo_videos().values_list("description", flat=True)
    )
    for script, pattern in {
        "Spanish accents": r"[áéíóúñ]",
        "Japanese": r"[\u3040-\u30ff]",
        "Korean": r"[\uac00-\ud7af]",
        "Arabic": r"[\u0600-\u06ff]",
        "Cyrillic": r"[\u0400-\u04ff]",
        "emoji": r"[\U0001F300-\U0001FAFF]",
    }.items():
        assert re.search(pattern, text), script
    privacy = set(demo_videos().values_list("privacy_status", flat=True))
    assert privacy == {"public", "unlisted", "private"}
    assert set(demo_videos().values_list("license", flat=True)) == {"youtube", "creativeCommon"}
    scheduled = demo_videos().exclude(publish_at=None)
    assert scheduled.exists()
    assert set(scheduled.values_list("privacy_status", flat=True)) == {"private"}
    assert demo_videos().exclude(localizations={}).exists()
    assert demo_videos().filter(published_at__year__lte=2010).exists()


@pytest.mark.django_db
def test_about_one_video_in_twenty_has_pending_changes(demo):
    pending = demo_videos().filter(has_pending_changes=True).count()

    assert 0.03 * DEMO_VIDEOS <= pending <= 0.08 * DEMO_VIDEOS


@pytest.mark.django_db
def test_pending_videos_differ_from_their_snapshot_in_exactly_the_pending_fields(demo):
    for video in demo_videos():
        wanted = video_wanted_state(video)
        differing = [name for name in WRITABLE_FIELDS if wanted[name] != video.remote_snapshot[name]]
        assert video.remote_source == "demo"
        assert set(video.remote_snapshot) == set(WRITABLE_FIELDS)
        assert video.pending_fields == differing, video.pk
        assert video.has_pending_changes == bool(differing)


@pytest.mark.django_db
def test_every_generated_edit_shows_as_pending(demo):
    generated = demo_catalogue(seed=42, video_count=DEMO_VIDEOS, today=timezone.now().date())
    expected = {
        spec.id: [name for name in WRITABLE_FIELDS if name in spec.pending_changes]
        for spec in generated.videos
    }

    assert dict(demo_videos().values_list("id", "pending_fields")) == expected


@pytest.mark.django_db
def test_derived_fields_survive_the_database_round_trip(demo):
    for video in demo_videos():
        stored = (video.pending_fields, video.has_pending_changes, video.search_keywords)

        video_refresh_derived(video)

        assert (video.pending_fields, video.has_pending_changes, video.search_keywords) == stored


@pytest.mark.django_db
def test_claimed_status_and_effective_policy_follow_our_claims(demo):
    videos = demo_videos().prefetch_related("claims__policy", "claims__asset")
    statuses = set()
    for video in videos:
        statuses.add(video.claimed_status)
        claims = list(video.claims.all())
        active = [c for c in claims if c.status == Claim.Status.ACTIVE]
        if video.claimed_status == Video.ClaimedStatus.CLAIMED:
            assert active, video.pk
            strictest = max((c.policy.name for c in active), key=POLICY_ORDER.index)
            assert video.effective_policy == strictest, video.pk
        else:
            # "others": only other owners claim it, and their claims are not ours to see.
            assert video.claimed_status in ("others", "unclaimed")
            assert claims == [], video.pk
            assert video.effective_policy == ""
        for claim in claims:
            assert claim.asset.content_owner_id == DEMO_OWNER_ID
            assert claim.policy.content_owner_id == DEMO_OWNER_ID
    assert statuses == {"claimed", "others", "unclaimed"}


@pytest.mark.django_db
def test_music_metadata_on_music_videos(demo):
    music = demo_videos().exclude(isrc="")
    assert music.exists()
    assert demo_videos().exclude(custom_id="").exists()
    assert not demo_videos().filter(artists=[]).exists()
    for isrc in Asset.objects.filter(asset_type=Asset.Type.SOUND_RECORDING).values_list("isrc", flat=True):
        assert re.fullmatch(r"[A-Z]{2}[A-Z0-9]{3}\d{7}", isrc)
    assert set(Asset.objects.values_list("asset_type", flat=True)) == {
        "sound_recording",
        "music_video",
        "web",
    }


@pytest.mark.django_db
def test_with_users_creates_working_memberships(demo):
    output = load_demo("--with-users")

    passwords = dict(re.findall(r"Created (\S+) .*password: (\S+)", output))
    manager = authenticate(username=DEMO_MANAGER_USERNAME, password=passwords[DEMO_MANAGER_USERNAME])
    viewer = authenticate(username=DEMO_VIEWER_USERNAME, password=passwords[DEMO_VIEWER_USERNAME])
    assert manager is not None and manager.is_staff
    assert viewer is not None and viewer.is_staff
    assert list(manager.groups.values_list("name", flat=True)) == ["Rights manager"]
    assert list(viewer.groups.values_list("name", flat=True)) == ["Viewer"]
    assert videos_visible_to(user=manager).count() == DEMO_VIDEOS
    assert videos_editable_by(user=manager).count() == DEMO_VIDEOS
    membership = Membership.objects.get(user=viewer)
    assert membership.role == Role.VIEWER
    seen = videos_visible_to(user=viewer)
    assert 0 < seen.count() < DEMO_VIDEOS
    assert set(seen.values_list("channel_id", flat=True)) == {membership.channel_id}
    assert not videos_editable_by(user=viewer).exists()


@pytest.mark.django_db
def test_with_users_twice_keeps_the_passwords(demo, django_user_model):
    load_demo("--with-users")

    output = load_demo("--with-users")

    assert "password:" not in output
    assert "demo-manager already exists" in output
    assert django_user_model.objects.filter(username__startswith="demo-").count() == 2
    assert Membership.objects.filter(user__username__startswith="demo-").count() == 2


@pytest.mark.django_db
def test_with_users_audits_each_grant_once(demo):
    """Roles granted by the command are in the audit log like roles granted in the admin; running it
    again grants nothing new and writes nothing."""
    from core.audit.models import AuditEvent

    load_demo("--with-users")
    load_demo("--with-users")

    grants = AuditEvent.objects.filter(event_type=AuditEvent.Type.MEMBERSHIP_ADDED).order_by("pk")
    assert [(event.new["user"], event.new["role"]) for event in grants] == [
        (DEMO_MANAGER_USERNAME, Role.MANAGER),
        (DEMO_VIEWER_USERNAME, Role.VIEWER),
    ]
    assert all(event.acting_user_id is None for event in grants)


@pytest.mark.django_db
def test_reset_gives_demo_users_their_memberships_back(demo):
    load_demo("--with-users")

    output = load_demo("--reset")

    assert "password:" not in output
    manager = Membership.objects.get(user__username=DEMO_MANAGER_USERNAME)
    assert (manager.content_owner_id, manager.role) == (DEMO_OWNER_ID, Role.MANAGER)
    viewer = Membership.objects.get(user__username=DEMO_VIEWER_USERNAME)
    assert viewer.channel.content_owner_id == DEMO_OWNER_ID


@pytest.mark.django_db
def test_negative_video_count_is_refused():
    with pytest.raises(CommandError, match="--videos"):
        call_command("load_demo", "--videos", "-1", stdout=StringIO())


@pytest.mark.django_db
def test_the_catalogue_arrives_through_a_report_import(demo):
    report = Report.objects.get(content_owner_id=DEMO_OWNER_ID)
    active_per_video = {
        video.pk: sum(claim.status == Claim.Status.ACTIVE for claim in video.claims.all())
        for video in demo_videos().prefetch_related("claims")
    }

    assert f"imported from report #{report.pk}" in demo
    assert (report.status, report.layout, report.rows_rejected) == (Report.Status.DONE, "reporting_api", 0)
    assert report.rows_read == sum(max(1, active) for active in active_per_video.values())
    assert report.videos_created == DEMO_VIDEOS
    assert report.claims_upserted == sum(active_per_video.values())
    assert report.channels_created == 0  # the owner's channels were there before the report
    assert report.assets_created == 0  # so were its assets


@pytest.mark.django_db
def test_reset_replaces_the_demo_report(demo):
    first = Report.objects.get(content_owner_id=DEMO_OWNER_ID)

    load_demo("--reset")

    assert list(Report.objects.filter(content_owner_id=DEMO_OWNER_ID).values_list("pk", flat=True)) != [
        first.pk
    ]
    assert Report.objects.filter(content_owner_id=DEMO_OWNER_ID).count() == 1
    assert not Report.objects.filter(pk=first.pk).exists()


@pytest.mark.django_db
def test_reimporting_the_demo_report_changes_no_video(demo):
    # The report's custom_id and isrc are the claimed asset's (custom_id is in the a4 primary key,
    # one row per claim); the import fills a video's empty isrc/custom_id from them, so the demo must
    # hold what its own report gives, or a re-import or a pull of the demo would change them.
    report = Report.objects.get(content_owner_id=DEMO_OWNER_ID)
    fields = [
        f.attname for f in Video._meta.concrete_fields if f.attname not in ("updated_at", "remote_fetched_at")
    ]
    before = list(demo_videos().order_by("pk").values_list(*fields))
    assert demo_videos().filter(claims__asset__asset_type=Asset.Type.SOUND_RECORDING).exists()
    assert demo_videos().filter(claims__asset__asset_type=Asset.Type.WEB).exists()

    report_rerun(report=report)
    report_ingest(report_id=report.pk)
    report.refresh_from_db()

    assert (report.status, report.rows_rejected) == (Report.Status.DONE, 0), report.message
    assert report.rows_unchanged == report.rows_read > 0
    assert (report.videos_created, report.videos_updated, report.videos_unchanged) == (0, 0, DEMO_VIDEOS)
    assert list(demo_videos().order_by("pk").values_list(*fields)) == before
