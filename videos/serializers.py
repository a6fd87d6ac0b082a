"""The API's shapes of the catalogue. Serializers only read JSON into Python types; YouTube's limits
are checked by videos/validation.py (through the services), never here.
"""

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from videos.models import Asset, Claim, Policy
from videos.selection import SelectionTooLarge, selection_check
from videos.selectors import VIDEO_ID_PATTERN
from videos.services import BulkEdit
from videos.validation import (
    LANGUAGE_PATTERN,
    LICENSES,
    PRIVACY_STATUSES,
    TITLE_MAX_CHARS,
    normalise_video_texts,
    validate_description,
    validate_title,
)

# ----------------------------------------------------------------------------- strict JSON types


class TextField(serializers.CharField):
    """A JSON string, as sent: no number coerced to text, no whitespace trimmed, blank allowed
    (whether blank is acceptable is the validation module's rule, e.g. "title is empty")."""

    default_error_messages = {"invalid_type": "{name} must be text."}

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_type", name=self.field_name or "value")
        return data


@extend_schema_field({"type": "string", "maxLength": TITLE_MAX_CHARS})
class TitleField(TextField):
    """Documents YouTube's limit in the schema; the limit itself is checked by videos.validation."""


class StrictBooleanField(serializers.BooleanField):
    """true or false only: "yes", 1 or "0" are more likely a client's bug than a wish."""

    default_error_messages = {"invalid_type": "{name} must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid_type", name=self.field_name or "value")
        return data


class TextListField(serializers.ListField):
    child = TextField()
    default_error_messages = {"invalid_type": "{name} must be a list of text values."}

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("invalid_type", name=self.field_name or "value")
        return super().to_internal_value(data)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "properties": {
                "title": {"type": "string", "maxLength": TITLE_MAX_CHARS},
                "description": {"type": "string"},
            },
            "additionalProperties": False,
        },
        "example": {"fr": {"title": "Chanson de minuit", "description": "…"}},
    }
)
class LocalizationsField(serializers.Field):
    """{"fr": {"title": …, "description": …}}; errors name their path: localizations.fr.title."""

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            raise ValidationError(
                [ErrorDetail("localizations must map languages to texts.", code="invalid_type")]
            )
        # Measured as YouTube measures them: after CRLF and CR became LF (as the service stores them).
        data = normalise_video_texts({"localizations": data})["localizations"]
        errors: dict = {}
        for language, texts in data.items():
            problems = localization_problems(language, texts)
            if problems:
                errors[language] = problems
        if errors:
            raise ValidationError(errors)
        return {language: dict(texts) for language, texts in data.items()}

    def to_representation(self, value):
        return value


def localization_problems(language: str, texts) -> list | dict:
    """The validation module's checks of one localization, each with its own path."""
    if not LANGUAGE_PATTERN.fullmatch(language):
        return [ErrorDetail(f"{language[:40]!r} is not a language code.", code="invalid_language")]
    if not isinstance(texts, Mapping) or set(texts) - {"title", "description"}:
        return [
            ErrorDetail(
                f"localization {language!r} must have only a title and a description.",
                code="invalid_type",
            )
        ]
    problems = {}
    for name, check in (("title", validate_title), ("description", validate_description)):
        if name not in texts:
            continue
        value = texts[name]
        if isinstance(value, str) and "\x00" in value:
            problems[name] = [
                ErrorDetail(
                    f"{language} {name} contains a NUL character.", code="null_characters_not_allowed"
                )
            ]
            continue
        violations = check(value, field=f"localizations.{language}.{name}", label=f"{language} {name}")
        if violations:
            problems[name] = [ErrorDetail(v.message, code=v.code) for v in violations]
    return problems


class StrictSerializer(serializers.Serializer):
    """A JSON object whose keys must all be known: no mass assignment through an extra key."""

    # Names a client may know from responses but never write, with the reason.
    read_only_reasons: dict[str, str] = {}
    default_error_messages = {"not_object": "The body must be a JSON object."}

    def run_validation(self, data=serializers.empty):
        if data is None and not self.allow_null:
            self._not_an_object()
        return super().run_validation(data)

    def _not_an_object(self):
        raise ValidationError(
            {"non_field_errors": [ErrorDetail(self.error_messages["not_object"], code="invalid_type")]}
        )

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            self._not_an_object()
        unknown = [key for key in data if key not in self.fields or self.fields[key].read_only]
        if unknown:
            raise ValidationError(
                {
                    key[:100]: [ErrorDetail(self._unknown_message(key[:100]), code="unknown_field")]
                    for key in unknown
                }
            )
        return super().to_internal_value(data)

    def _unknown_message(self, key: str) -> str:
        if key in self.read_only_reasons:
            return f"{key} is read-only: {self.read_only_reasons[key]}"
        return f"{key} is not a field that can be written here."


# ----------------------------------------------------------------------------- videos

# Everything a video shows that no client may write, and why (for the unknown_field message).
_YOUTUBE_STATE = "it comes from YouTube."
VIDEO_READ_ONLY_REASONS = {
    "id": "a video's id is YouTube's.",
    "channel": "a video stays on its channel.",
    "content_owner": "it follows the channel.",
    **dict.fromkeys(
        (
            "made_for_kids published_at duration_seconds definition caption view_count like_count "
            "comment_count upload_status claimed_status effective_policy remote_snapshot remote_etag "
            "remote_source remote_fetched_at remote"
        ).split(),
        _YOUTUBE_STATE,
    ),
    **dict.fromkeys(
        "pending_fields has_pending_changes drifted_fields has_drift drift_detected_at".split(),
        "it is worked out from what we want and what YouTube has.",
    ),
    **dict.fromkeys(("created_at", "updated_at"), "ytcms keeps it."),
    "search_keywords": "ytcms keeps it.",
}

# The list shows these; the detail adds the rest. Lists select only these columns.
VIDEO_LIST_FIELDS = (
    "id",
    "channel",
    "title",
    "privacy_status",
    "category_id",
    "license",
    "tags",
    "artists",
    "genres",
    "isrc",
    "custom_id",
    "claimed_status",
    "effective_policy",
    "published_at",
    "view_count",
    "pending_fields",
    "has_pending_changes",
    "drifted_fields",
    "has_drift",
    "updated_at",
)


class VideoSummarySerializer(serializers.Serializer):
    id = serializers.CharField(read_only=True)
    channel = serializers.CharField(source="channel_id", read_only=True)
    title = serializers.CharField(read_only=True)
    privacy_status = serializers.ChoiceField(choices=PRIVACY_STATUSES, read_only=True)
    category_id = serializers.CharField(read_only=True)
    license = serializers.ChoiceField(choices=LICENSES, read_only=True)
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    artists = serializers.ListField(child=serializers.CharField(), read_only=True)
    genres = serializers.ListField(child=serializers.CharField(), read_only=True)
    isrc = serializers.CharField(read_only=True)
    custom_id = serializers.CharField(read_only=True)
    claimed_status = serializers.CharField(
        read_only=True, help_text="claimed, others (claimed by other owners only), unclaimed, or empty."
    )
    effective_policy = serializers.CharField(read_only=True)
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)
    view_count = serializers.IntegerField(read_only=True, allow_null=True)
    pending_fields = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Fields whose wanted value differs from YouTube's: what a push would send.",
    )
    has_pending_changes = serializers.BooleanField(read_only=True)
    drifted_fields = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Fields YouTube changed outside ytcms, until acknowledged.",
    )
    has_drift = serializers.BooleanField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class RemoteStateSerializer(serializers.Serializer):
    snapshot = serializers.JSONField(
        source="remote_snapshot", read_only=True, allow_null=True, help_text="What YouTube has."
    )
    etag = serializers.CharField(source="remote_etag", read_only=True)
    source = serializers.CharField(source="remote_source", read_only=True)
    fetched_at = serializers.DateTimeField(source="remote_fetched_at", read_only=True, allow_null=True)


class VideoDetailSerializer(VideoSummarySerializer):
    content_owner = serializers.CharField(source="channel.content_owner_id", read_only=True, allow_null=True)
    description = serializers.CharField(read_only=True)
    default_language = serializers.CharField(read_only=True)
    localizations = LocalizationsField(read_only=True)
    embeddable = serializers.BooleanField(read_only=True)
    public_stats_viewable = serializers.BooleanField(read_only=True)
    self_declared_made_for_kids = serializers.BooleanField(read_only=True, allow_null=True)
    publish_at = serializers.DateTimeField(read_only=True, allow_null=True)
    contains_synthetic_media = serializers.BooleanField(read_only=True, allow_null=True)
    notes = serializers.CharField(read_only=True)
    made_for_kids = serializers.BooleanField(read_only=True, allow_null=True)
    duration_seconds = serializers.IntegerField(read_only=True, allow_null=True)
    definition = serializers.CharField(read_only=True)
    caption = serializers.BooleanField(read_only=True, allow_null=True)
    like_count = serializers.IntegerField(read_only=True, allow_null=True)
    comment_count = serializers.IntegerField(read_only=True, allow_null=True)
    upload_status = serializers.CharField(read_only=True)
    drift_detected_at = serializers.DateTimeField(read_only=True, allow_null=True)
    remote = RemoteStateSerializer(source="*", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class VideoUpdateSerializer(StrictSerializer):
    """What a PATCH may change: the fields of videos.update plus our own metadata."""

    read_only_reasons = VIDEO_READ_ONLY_REASONS

    title = TitleField(required=False)
    description = TextField(required=False, help_text="At most 5,000 bytes of UTF-8; no < or >.")
    tags = TextListField(
        required=False, help_text="At most 500 characters as YouTube counts them (commas included)."
    )
    category_id = TextField(required=False, help_text="An assignable category of the region.")
    default_language = TextField(required=False, max_length=35)
    privacy_status = serializers.ChoiceField(choices=PRIVACY_STATUSES, required=False)
    embeddable = StrictBooleanField(required=False)
    public_stats_viewable = StrictBooleanField(required=False)
    license = serializers.ChoiceField(choices=LICENSES, required=False)
    self_declared_made_for_kids = StrictBooleanField(required=False, allow_null=True)
    publish_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Only on a private video."
    )
    contains_synthetic_media = StrictBooleanField(required=False, allow_null=True)
    localizations = LocalizationsField(required=False)
    artists = TextListField(required=False)
    genres = TextListField(required=False)
    isrc = TextField(required=False, help_text="12 characters, e.g. USRC17607839 (hyphens allowed).")
    custom_id = TextField(required=False, max_length=255)
    notes = TextField(required=False)


class VideoIdListField(serializers.ListField):
    """Video ids, each exactly 11 characters of A-Z a-z 0-9 _ -; duplicates dropped."""

    child = serializers.CharField()

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise ValidationError(
                [ErrorDetail("video_ids must be a list of video ids.", code="invalid_type")]
            )
        try:
            selection_check(count=len(data), noun="video ids", fix="Split the edit into several requests.")
        except SelectionTooLarge as error:
            raise ValidationError([ErrorDetail(str(error), code=error.code)]) from None
        if not data:
            raise ValidationError([ErrorDetail("video_ids is empty.", code="empty")])
        bad = {
            index: [
                ErrorDetail(
                    "not a video id (11 characters of A-Z, a-z, 0-9, _ and -).", code="invalid_video_id"
                )
            ]
            for index, value in enumerate(data)
            if not (isinstance(value, str) and VIDEO_ID_PATTERN.fullmatch(value))
        }
        if bad:
            # The first few are enough to fix a client; thousands would bury them.
            raise ValidationError(dict(list(bad.items())[:20]))
        return list(dict.fromkeys(data))


class BulkEditSpecSerializer(StrictSerializer):
    """One edit for every selected video, as the admin's bulk edit form describes it."""

    privacy_status = serializers.ChoiceField(choices=PRIVACY_STATUSES, required=False)
    category_id = TextField(required=False)
    license = serializers.ChoiceField(choices=LICENSES, required=False)
    add_tags = TextListField(required=False)
    remove_tags = TextListField(required=False)
    find = TextField(required=False, help_text="Text to replace in the fields of find_in.")
    replace = TextField(required=False)
    find_in = serializers.ListField(
        child=serializers.ChoiceField(choices=["title", "description"]),
        required=False,
        allow_empty=False,
        help_text='Default ["title", "description"].',
    )
    artists = TextListField(required=False, allow_null=True, help_text="Replaces the artists.")
    genres = TextListField(required=False, allow_null=True, help_text="Replaces the genres.")

    def validate(self, attrs):
        if attrs.get("replace") and not attrs.get("find"):
            raise ValidationError({"replace": [ErrorDetail("replace needs find.", code="requires_find")]})
        edit = self.to_edit(attrs)
        if edit.is_empty():
            raise ValidationError(
                {"non_field_errors": [ErrorDetail("The edit changes nothing.", code="empty_edit")]}
            )
        return attrs

    @staticmethod
    def to_edit(attrs) -> BulkEdit:
        return BulkEdit(
            privacy_status=attrs.get("privacy_status"),
            category_id=attrs.get("category_id"),
            license=attrs.get("license"),
            add_tags=tuple(tag.strip() for tag in attrs.get("add_tags", ()) if tag.strip()),
            remove_tags=tuple(tag.strip() for tag in attrs.get("remove_tags", ()) if tag.strip()),
            find=attrs.get("find", ""),
            replace=attrs.get("replace", ""),
            find_in=tuple(attrs.get("find_in", ("title", "description"))),
            artists=tuple(attrs["artists"]) if attrs.get("artists") is not None else None,
            genres=tuple(attrs["genres"]) if attrs.get("genres") is not None else None,
        )


class BulkEditRequestSerializer(StrictSerializer):
    video_ids = VideoIdListField(help_text="The videos to edit: at most BULK_EDIT_MAX_VIDEOS (10,000).")
    edit = BulkEditSpecSerializer()
    preview = StrictBooleanField(
        required=False, default=True, help_text="true (default): show what would change; false: apply."
    )


class ViolationSerializer(serializers.Serializer):
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "properties": {"old": {}, "new": {}},
            "required": ["old", "new"],
        },
    }
)
class ChangesField(serializers.Field):
    def to_representation(self, value):
        return {name: {"old": old, "new": new} for name, (old, new) in value.items()}


class BulkEditRowSerializer(serializers.Serializer):
    video_id = serializers.CharField(source="video.pk")
    changes = ChangesField(help_text="field → old and new value")
    errors = ViolationSerializer(
        source="violations", many=True, help_text="YouTube limits the new values would break."
    )


class BulkEditResultSerializer(serializers.Serializer):
    preview = serializers.BooleanField(help_text="true: nothing was saved.")
    selected = serializers.IntegerField(help_text="Distinct videos asked for.")
    changing = serializers.IntegerField(help_text="Videos the edit changes.")
    invalid = serializers.IntegerField(help_text="Changing videos whose new values break a limit: skipped.")
    unchanged = serializers.IntegerField(help_text="Videos already as asked.")
    updated = serializers.IntegerField(
        allow_null=True, help_text="Videos saved (pending until pushed); null in a preview."
    )
    rows = BulkEditRowSerializer(
        many=True, help_text="Preview only: changing videos, those that break a limit first."
    )
    rows_truncated = serializers.BooleanField(help_text="More videos change than `rows` lists.")


# ----------------------------------------------------------------------------- rights


class AssetSerializer(serializers.ModelSerializer):
    metadata = serializers.JSONField(read_only=True)

    class Meta:
        model = Asset
        fields = ("id", "content_owner", "title", "asset_type", "isrc", "custom_id", "metadata", "updated_at")
        read_only_fields = fields


class PolicySerializer(serializers.ModelSerializer):
    rules = serializers.JSONField(read_only=True)

    class Meta:
        model = Policy
        fields = ("id", "content_owner", "name", "description", "rules")
        read_only_fields = fields


class ClaimSerializer(serializers.ModelSerializer):
    class Meta:
        model = Claim
        fields = (
            "id",
            "video",
            "asset",
            "content_type",
            "policy",
            "status",
            "origin",
            "is_partner_uploaded",
            "remote_policy",
            "updated_at",
        )
        read_only_fields = fields
