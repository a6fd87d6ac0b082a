"""Who sees which templates, what a video gives a template, and the preview of applying one."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from channels_app.selectors import content_owners_edited_by, content_owners_visible_to
from syncs.metadata_templates.models import MetadataTemplate, TemplateBlock, TemplatedField
from syncs.metadata_templates.rendering import template_placeholders, template_render
from videos.models import Claim, Video
from videos.selectors import videos_editable_by
from videos.services import video_normalise_changes
from videos.validation import (
    Violation,
    join_tags,
    split_tags,
    tags_length,
    text_measure,
    validate_video_metadata,
)


def metadata_templates_visible_to(*, user) -> QuerySet[MetadataTemplate]:
    """Templates of the owners the user sees (a channel's member sees its owner's templates)."""
    return MetadataTemplate.objects.filter(content_owner__in=content_owners_visible_to(user=user))


def metadata_templates_editable_by(*, user) -> QuerySet[MetadataTemplate]:
    return MetadataTemplate.objects.filter(content_owner__in=content_owners_edited_by(user=user))


def template_blocks_visible_to(*, user) -> QuerySet[TemplateBlock]:
    return TemplateBlock.objects.filter(content_owner__in=content_owners_visible_to(user=user))


def template_blocks_editable_by(*, user) -> QuerySet[TemplateBlock]:
    return TemplateBlock.objects.filter(content_owner__in=content_owners_edited_by(user=user))


def metadata_templates_using_block(*, content_owner_id: str, name: str) -> QuerySet[MetadataTemplate]:
    """The owner's templates whose text uses {block:<name>}: a block they use may not go or be renamed."""
    return MetadataTemplate.objects.filter(
        content_owner_id=content_owner_id, body__contains=f"{{block:{name}}}"
    ).order_by("pk")


def metadata_template_videos(*, template: MetadataTemplate, videos: QuerySet[Video]) -> QuerySet[Video]:
    """The videos of `videos` a template may be applied to: its owner's, on its channels if it names any."""
    videos = videos.filter(channel__content_owner_id=template.content_owner_id)
    channel_ids = list(template.channels.values_list("pk", flat=True))
    if channel_ids:
        videos = videos.filter(channel_id__in=channel_ids)
    return videos


def video_template_values(video: Video) -> dict[str, str]:
    """What a video gives each template field (rendering.FIELDS says what each means)."""
    album = ""
    # Claims come prefetched with their assets by metadata_template_preview: no query per video.
    for claim in video.claims.all():
        metadata = claim.asset.metadata or {}
        if isinstance(metadata.get("album"), str) and metadata["album"]:
            album = metadata["album"]
            break
    return {
        "title": video.title,
        "artist": ", ".join(video.artists),
        "album": album,
        "isrc": video.isrc,
        "custom_id": video.custom_id,
        "channel": video.channel.title,
        "release_date": video.published_at.date().isoformat() if video.published_at else "",
    }


def metadata_template_blocks(*, template: MetadataTemplate) -> dict[str, str]:
    """{name: body} of the owner's blocks the template uses."""
    _, names, _ = template_placeholders(template.body)
    return dict(
        TemplateBlock.objects.filter(content_owner_id=template.content_owner_id, name__in=names).values_list(
            "name", "body"
        )
    )


def metadata_template_render(*, template: MetadataTemplate, video: Video, blocks: dict[str, str]):
    """The field's new value for one video (a list for tags), as every door stores it."""
    values = video_template_values(video)
    rendered_blocks = {name: template_render(body, values=values) for name, body in blocks.items()}
    text = template_render(template.body, values=values, blocks=rendered_blocks)
    value = split_tags(text) if template.field == MetadataTemplate.Field.TAGS else text
    return video_normalise_changes({template.field: value})[template.field]


def template_measure(field_name: str, value) -> tuple[int, str]:
    """The size YouTube counts for the field and its unit: characters, UTF-8 bytes, tag characters."""
    if field_name == MetadataTemplate.Field.TAGS:
        return tags_length(value), "tag characters"
    return text_measure(field_name, value), "bytes" if field_name == "description" else "characters"


@dataclass
class TemplatePreviewRow:
    video: Video
    old: object
    new: object
    measure: int
    unit: str
    violations: list[Violation] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return self.old != self.new

    @property
    def is_valid(self) -> bool:
        return not self.violations

    @property
    def measure_shown(self) -> str:
        return f"{self.measure:,} {self.unit}"

    @property
    def old_shown(self) -> str:
        return join_tags(self.old) if isinstance(self.old, list) else self.old

    @property
    def new_shown(self) -> str:
        return join_tags(self.new) if isinstance(self.new, list) else self.new


@dataclass
class TemplatePreview:
    template: MetadataTemplate
    rows: list[TemplatePreviewRow]  # videos that break a YouTube limit first, then the others in order

    @property
    def invalid(self) -> list[TemplatePreviewRow]:
        return [row for row in self.rows if not row.is_valid]

    @property
    def changing(self) -> list[TemplatePreviewRow]:
        return [row for row in self.rows if row.is_valid and row.changes]

    @property
    def unchanged_count(self) -> int:
        return sum(1 for row in self.rows if row.is_valid and not row.changes)


def metadata_template_preview(*, template: MetadataTemplate, videos: Iterable[Video]) -> TemplatePreview:
    """Per video: the field's old and new value and its measure; a video whose new value breaks a
    YouTube limit (videos.validation) comes first, with the violation naming its measure."""
    if isinstance(videos, QuerySet):
        videos = videos.select_related("channel").prefetch_related(
            Prefetch("claims", queryset=Claim.objects.select_related("asset").order_by("id"))
        )
    blocks = metadata_template_blocks(template=template)
    rows = []
    for video in videos:
        new = metadata_template_render(template=template, video=video, blocks=blocks)
        measure, unit = template_measure(template.field, new)
        rows.append(
            TemplatePreviewRow(
                video=video,
                old=getattr(video, template.field),
                new=new,
                measure=measure,
                unit=unit,
                violations=validate_video_metadata({template.field: new}),
            )
        )
    # sorted() is stable: each group keeps the selection's order.
    return TemplatePreview(template=template, rows=sorted(rows, key=lambda row: row.is_valid))


@dataclass
class TemplateRerenderPlan:
    """The videos an older version of the template wrote: those to render again, and those whose
    field was changed since (by hand, or on YouTube), which a re-render leaves alone."""

    template: MetadataTemplate
    to_render: list[Video]
    diverged: list[Video]


def metadata_template_rerender_plan(*, template: MetadataTemplate, user) -> TemplateRerenderPlan:
    """Videos the user may edit whose field an older version of this template wrote."""
    written = (
        TemplatedField.objects.filter(
            template=template,
            field=template.field,
            template_version__lt=template.version,
            video__in=metadata_template_videos(template=template, videos=videos_editable_by(user=user)),
        )
        .select_related("video")
        .order_by("video_id")
    )
    to_render, diverged = [], []
    for row in written:
        (to_render if getattr(row.video, template.field) == row.value else diverged).append(row.video)
    return TemplateRerenderPlan(template=template, to_render=to_render, diverged=diverged)
