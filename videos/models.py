from django.core.validators import RegexValidator
from django.db import models

from channels_app.models import Channel, ContentOwner

# videos#id: 11 characters of the URL-safe base64 alphabet.
VIDEO_ID_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9_-]{11}$", "A YouTube video id is exactly 11 characters of A-Z, a-z, 0-9, _ and -."
)


class VideoCategory(models.Model):
    """One row of videoCategories.list for a region; only assignable ids may be set on a video."""

    region_code = models.CharField(max_length=2, default="US")
    category_id = models.CharField(max_length=4)
    title = models.CharField(max_length=100)
    assignable = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "video categories"
        ordering = ["region_code", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["region_code", "category_id"], name="videocategory_unique_region_id"
            )
        ]

    def __str__(self):
        return f"{self.title} ({self.category_id})"


class Policy(models.Model):
    """A saved Content ID policy (policies.list): what happens to claimed videos."""

    id = models.CharField(primary_key=True, max_length=64)
    content_owner = models.ForeignKey(
        ContentOwner, null=True, blank=True, on_delete=models.CASCADE, related_name="policies"
    )
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    rules = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "policies"
        ordering = ["name"]

    def __str__(self):
        return self.name


class Asset(models.Model):
    class Type(models.TextChoices):
        ART_TRACK = "art_track_video", "Art track video"
        COMPOSITION = "composition", "Composition"
        EPISODE = "episode", "Episode"
        GENERAL = "general", "General"
        MOVIE = "movie", "Movie"
        MUSIC_VIDEO = "music_video", "Music video"
        SEASON = "season", "Season"
        SHOW = "show", "Show"
        SOUND_RECORDING = "sound_recording", "Sound recording"
        VIDEO_GAME = "video_game", "Video game"
        WEB = "web", "Web"

    id = models.CharField(primary_key=True, max_length=64, help_text="Content ID asset id (A…).")
    content_owner = models.ForeignKey(
        ContentOwner, null=True, blank=True, on_delete=models.CASCADE, related_name="assets"
    )
    title = models.CharField(max_length=255, blank=True)
    asset_type = models.CharField(max_length=20, choices=Type.choices, default=Type.WEB)
    isrc = models.CharField("ISRC", max_length=12, blank=True)
    custom_id = models.CharField(max_length=255, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        # Meta indexes, not db_index=True: on PostgreSQL db_index also builds a varchar_pattern_ops
        # twin, which only LIKE 'prefix%' uses; these columns are only ever matched exactly.
        indexes = [
            models.Index(fields=["isrc"], name="asset_isrc"),
            models.Index(fields=["custom_id"], name="asset_custom_id"),
        ]

    def __str__(self):
        return f"{self.title or self.id}"


class Video(models.Model):
    """A YouTube video: what YouTube has (remote_snapshot) and what we want (the editable fields).

    The editable fields hold the values we want YouTube to have. `remote_snapshot` holds the last
    state read from YouTube (a report or the API), keyed by the same field names. A writable field
    whose wanted value differs from the snapshot is a *pending change*; change sets, conflict
    checks, drift and revert all depend on keeping the two apart.
    """

    class Privacy(models.TextChoices):
        PUBLIC = "public", "Public"
        UNLISTED = "unlisted", "Unlisted"
        PRIVATE = "private", "Private"

    class License(models.TextChoices):
        YOUTUBE = "youtube", "Standard YouTube License"
        CREATIVE_COMMON = "creativeCommon", "Creative Commons"

    class ClaimedStatus(models.TextChoices):
        CLAIMED = "claimed", "Claimed"
        CLAIMED_BY_OTHERS = "others", "Claimed by other owners only"
        UNCLAIMED = "unclaimed", "Not claimed"
        UNKNOWN = "", "Unknown"

    class SnapshotSource(models.TextChoices):
        REPORT = "report", "CMS report"
        API = "api", "YouTube Data API"
        DEMO = "demo", "Demo catalogue"

    id = models.CharField(primary_key=True, max_length=11, validators=[VIDEO_ID_VALIDATOR])
    # No index of its own: video_channel_published leads with channel_id and serves every lookup.
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="videos", db_index=False)

    # --- What we want: the fields YouTube lets us write (videos.update, settable properties).
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    category_id = models.CharField("category", max_length=4, blank=True)
    default_language = models.CharField(max_length=35, blank=True)
    privacy_status = models.CharField(max_length=10, choices=Privacy.choices, default=Privacy.PUBLIC)
    embeddable = models.BooleanField(default=True)
    public_stats_viewable = models.BooleanField(default=True)
    license = models.CharField(max_length=16, choices=License.choices, default=License.YOUTUBE)
    self_declared_made_for_kids = models.BooleanField(null=True, blank=True)
    publish_at = models.DateTimeField(null=True, blank=True)
    contains_synthetic_media = models.BooleanField(null=True, blank=True)
    localizations = models.JSONField(
        default=dict, blank=True, help_text='{"fr": {"title": "…", "description": "…"}, …}'
    )

    # --- Read-only YouTube state (not writable through the API).
    made_for_kids = models.BooleanField(
        null=True, blank=True, help_text="Effective made-for-kids value (status.madeForKids)."
    )
    published_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    definition = models.CharField(max_length=2, blank=True)
    caption = models.BooleanField(null=True, blank=True)
    view_count = models.BigIntegerField(null=True, blank=True)
    like_count = models.BigIntegerField(null=True, blank=True)
    comment_count = models.BigIntegerField(null=True, blank=True)
    upload_status = models.CharField(max_length=16, blank=True)

    # --- Rights.
    claimed_status = models.CharField(max_length=10, choices=ClaimedStatus.choices, blank=True)
    effective_policy = models.CharField(max_length=255, blank=True)

    # --- Our own metadata (never sent to YouTube).
    artists = models.JSONField(default=list, blank=True)
    genres = models.JSONField(default=list, blank=True)
    isrc = models.CharField("ISRC", max_length=12, blank=True)
    custom_id = models.CharField(max_length=255, blank=True)
    notes = models.TextField(blank=True)

    # --- What YouTube has.
    remote_snapshot = models.JSONField(null=True, blank=True)
    remote_etag = models.CharField(max_length=64, blank=True)
    remote_source = models.CharField(max_length=10, choices=SnapshotSource.choices, blank=True)
    remote_fetched_at = models.DateTimeField(null=True, blank=True)

    # --- Derived, kept current by videos.services so lists can filter without reading JSON.
    pending_fields = models.JSONField(default=list, blank=True)
    has_pending_changes = models.BooleanField(default=False)
    # Writable fields YouTube changed between two reads without us (someone edited in Studio).
    # Kept until a person acknowledges them; a push updates the snapshot, so it never drifts.
    drifted_fields = models.JSONField(default=list, blank=True)
    has_drift = models.BooleanField(default=False)
    drift_detected_at = models.DateTimeField(null=True, blank=True)
    # Tags, artists and genres as one upper-cased string: one trigram index serves their search.
    # The search's trigram GINs (on UPPER(ytcms_unaccent(title)) and ytcms_unaccent(search_keywords),
    # accent-insensitive) are raw SQL in migration 0008: PostgreSQL only, on a function of ours.
    search_keywords = models.TextField(blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    # No index of its own: video_updated_id leads with updated_at.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            # Sorting by published date (the default) walks this index backwards.
            models.Index(fields=["published_at", "id"], name="video_published_id"),
            models.Index(fields=["channel", "published_at", "id"], name="video_channel_published"),
            # Sorting the admin list by title at 10^6 rows: 1.5-2 s without it, < 1 ms with it.
            models.Index(fields=["title", "id"], name="video_title_id"),
            # The API's cursor pages by last change ("what changed since"): the id breaks ties,
            # so a page starts at an exact index position however many rows share a time.
            models.Index(fields=["updated_at", "id"], name="video_updated_id"),
            models.Index(fields=["category_id"], name="video_category"),
            # The admin's sorts by these columns (videos.selectors.video_list_ordering) read a page
            # from either end of (column, id); the column alone leaves ~10^5 equal keys to sort
            # (0.2-1 s at 10^6 rows). The same indexes serve the filters on the column.
            models.Index(fields=["privacy_status", "id"], name="video_privacy_id"),
            models.Index(fields=["claimed_status", "id"], name="video_claimed_status_id"),
            models.Index(fields=["effective_policy", "id"], name="video_effective_policy_id"),
            models.Index(fields=["has_pending_changes", "id"], name="video_pending_id"),
            # Meta indexes, not db_index=True, for the same reason as Asset's: no pattern_ops twin.
            models.Index(fields=["isrc"], name="video_isrc"),
            models.Index(fields=["custom_id"], name="video_custom_id"),
            models.Index(
                fields=["has_pending_changes"],
                condition=models.Q(has_pending_changes=True),
                name="video_pending",
            ),
            models.Index(fields=["has_drift"], condition=models.Q(has_drift=True), name="video_drift"),
        ]

    def __str__(self):
        return f"{self.title} ({self.id})"


class Claim(models.Model):
    class ContentType(models.TextChoices):
        AUDIO = "audio", "Audio"
        VIDEO = "video", "Video"
        AUDIOVISUAL = "audiovisual", "Audiovisual"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        APPEALED = "appealed", "Appealed"
        DISPUTED = "disputed", "Disputed"
        INACTIVE = "inactive", "Inactive"
        PENDING = "pending", "Pending"
        POTENTIAL = "potential", "Potential"
        TAKEDOWN = "takedown", "Takedown"
        UNKNOWN = "unknown", "Unknown"

    id = models.CharField(primary_key=True, max_length=64, help_text="Content ID claim id.")
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="claims")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="claims")
    content_type = models.CharField(max_length=12, choices=ContentType.choices)
    policy = models.ForeignKey(
        Policy, null=True, blank=True, on_delete=models.SET_NULL, related_name="claims"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    origin = models.CharField(
        max_length=64, blank=True, help_text="How the claim was made (e.g. Partner uploaded)."
    )
    is_partner_uploaded = models.BooleanField(default=False)
    # What YouTube has: the policy is a saved policy or the claim's own rules, and `policy` above
    # holds only a saved policy the catalogue knows (or a report's label of it).
    remote_policy = models.JSONField(
        null=True,
        blank=True,
        help_text=(
            'The claim\'s policy as YouTube last answered it: {"id": saved policy} or {"rules": [...]}; '
            "empty when ytcms has not read the claim through the API. A policy change's base."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.id} · {self.asset_id} on {self.video_id}"
