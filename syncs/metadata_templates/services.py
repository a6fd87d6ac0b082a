"""Saving templates and blocks, and applying a template: each write records one audit row."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from channels_app.selectors import content_owners_edited_by
from core.api import CODE_NAMES
from core.audit.models import AuditEvent
from core.audit.services import audit_event_record
from core.errors import DomainError
from syncs.changesets.edits import video_edit_in_changeset
from syncs.metadata_templates.models import MetadataTemplate, TemplateBlock, TemplatedField
from syncs.metadata_templates.selectors import (
    metadata_template_preview,
    metadata_template_rerender_plan,
    metadata_template_videos,
    metadata_templates_using_block,
    metadata_templates_visible_to,
)
from videos.models import Video
from videos.selectors import videos_editable_by


class TemplateError(DomainError):
    """A template or block that cannot be saved or applied; the API answers 400 with its messages."""

    # The code of a message that carries none: DRF's own codes for these statuses.
    DEFAULT_CODES = {400: "invalid", 403: "permission_denied", 404: "not_found"}

    def __init__(
        self, messages: dict[str, list[str]], *, status: int = 400, codes: dict[str, list[str]] | None = None
    ):
        self.messages = messages
        # Per field, the code of each message in the same order (rendering's: unknown_field,
        # unknown_block, template_syntax…); a missing one falls back to the status's.
        self.codes = codes or {}
        self.api_status = status
        super().__init__("; ".join(message for values in messages.values() for message in values))

    def api_errors(self) -> list[dict]:
        default = self.DEFAULT_CODES.get(self.api_status, "invalid")
        errors = []
        for name, values in self.messages.items():
            codes = self.codes.get(name, [])
            for index, message in enumerate(values):
                code = codes[index] if index < len(codes) and codes[index] else default
                errors.append(
                    {
                        "field": None if name == "__all__" else name,
                        "code": CODE_NAMES.get(code, code),
                        "message": message,
                    }
                )
        return errors


def _clean(instance) -> None:
    try:
        instance.full_clean(validate_unique=True)
    except ValidationError as error:
        codes = {name: [part.code or "" for part in parts] for name, parts in error.error_dict.items()}
        raise TemplateError(error.message_dict, codes=codes) from error


def _template_state(template: MetadataTemplate) -> dict:
    return {
        "name": template.name,
        "field": template.field,
        "body": template.body,
        "version": template.version,
    }


@transaction.atomic
def metadata_template_save(
    *, template: MetadataTemplate, user, channel_ids: Iterable[str] | None = None
) -> MetadataTemplate:
    """Create or change a template after checking it (unknown fields and blocks are refused); a new
    field or body raises its version. `channel_ids` (None: leave them) limits it to channels."""
    if not (user.is_superuser or template.content_owner_id in _edited_owner_ids(user)):
        raise TemplateError(
            {"content_owner": ["You cannot change this content owner's templates."]}, status=403
        )
    _clean(template)
    old = None
    if template.pk is not None:
        stored = MetadataTemplate.objects.select_for_update().get(pk=template.pk)
        old = _template_state(stored)
        if (stored.field, stored.body) != (template.field, template.body):
            template.version = stored.version + 1
    template.save()
    if channel_ids is not None:
        channel_ids = list(channel_ids)
        outside = set(channel_ids) - set(
            template.content_owner.channels.filter(pk__in=channel_ids).values_list("pk", flat=True)
        )
        if outside:
            raise TemplateError({"channels": ["A template's channels must be its content owner's."]})
        template.channels.set(channel_ids)
    new = _template_state(template)
    if old != new:
        audit_event_record(
            event_type=AuditEvent.Type.TEMPLATE_CHANGED,
            object_type="template",
            object_id=template.pk,
            object_repr=str(template)[:200],
            acting_user=user,
            content_owner_id=template.content_owner_id,
            old=old,
            new=new,
        )
    # No live frame: nothing on a page shows templates as they change.
    return template


@transaction.atomic
def template_block_save(*, block: TemplateBlock, user) -> TemplateBlock:
    """Create or change a block after checking it (fields only; a block uses no other block).

    A block renamed while templates use it is refused (they would name a block that no longer
    exists). A new body raises the version of every template using it, so that their re-render
    (metadata_template_rerender_plan) offers the videos they wrote: a footer changed once is
    every template's change."""
    if not (user.is_superuser or block.content_owner_id in _edited_owner_ids(user)):
        raise TemplateError({"content_owner": ["You cannot change this content owner's blocks."]}, status=403)
    _clean(block)
    old = None
    using: list[MetadataTemplate] = []
    if block.pk is not None:
        stored = TemplateBlock.objects.select_for_update().get(pk=block.pk)
        old = {"name": stored.name, "body": stored.body}
        using = list(
            metadata_templates_using_block(
                content_owner_id=stored.content_owner_id, name=stored.name
            ).select_for_update()
        )
        if stored.name != block.name and using:
            raise TemplateError(
                {
                    "name": [
                        f"{stored} is used by the templates {', '.join(t.name for t in using)}; "
                        "edit them first."
                    ]
                },
                codes={"name": ["block_in_use"]},
            )
    block.save()
    new = {"name": block.name, "body": block.body}
    if old != new:
        audit_event_record(
            event_type=AuditEvent.Type.TEMPLATE_CHANGED,
            object_type="template_block",
            object_id=block.pk,
            object_repr=str(block),
            acting_user=user,
            content_owner_id=block.content_owner_id,
            old=old,
            new=new,
        )
    if old is not None and old["body"] != block.body:
        for template in using:
            template_old = _template_state(template)
            template.version += 1
            template.save(update_fields=["version", "updated_at"])
            audit_event_record(
                event_type=AuditEvent.Type.TEMPLATE_CHANGED,
                object_type="template",
                object_id=template.pk,
                object_repr=str(template)[:200],
                acting_user=user,
                content_owner_id=template.content_owner_id,
                old=template_old,
                new=_template_state(template),
                extra={"block": block.name},
            )
    return block


def _edited_owner_ids(user) -> set[str]:
    return set(content_owners_edited_by(user=user).values_list("pk", flat=True))


@dataclass
class TemplateApplyResult:
    updated: int
    skipped_invalid: int
    unchanged: int


def metadata_template_scoped_videos(
    *, template: MetadataTemplate, video_ids: Iterable[str], user
) -> QuerySet[Video]:
    """The selected videos the user may apply the template to; raises TemplateError naming the others.

    A template the user cannot see is "not found" (404), as a video outside their scope is.
    """
    if not metadata_templates_visible_to(user=user).filter(pk=template.pk).exists():
        raise TemplateError({"__all__": ["No template matches the given query."]}, status=404)
    video_ids = list(dict.fromkeys(video_ids))
    videos = metadata_template_videos(
        template=template, videos=videos_editable_by(user=user).filter(pk__in=video_ids)
    )
    found = set(videos.values_list("pk", flat=True))
    outside = [video_id for video_id in video_ids if video_id not in found]
    if outside:
        raise TemplateError(
            {
                "video_ids": [
                    f"{len(outside)} video(s) are not editable by you with this template "
                    f"(its content owner{' and channels' if template.channels.exists() else ''}): "
                    f"{', '.join(outside[:10])}{'…' if len(outside) > 10 else ''}."
                ]
            }
        )
    return videos.order_by("pk")


@transaction.atomic
def template_apply(
    *, template: MetadataTemplate, videos: Iterable[Video], user, diverged: Iterable[str] = ()
) -> TemplateApplyResult:
    """Render the template for each video and record the new values in the user's draft change set
    (the one edit use case); a video whose new value breaks a YouTube limit is skipped. Each video
    given the template's value remembers the template and version (TemplatedField); `diverged`
    (a re-render's videos left alone) is named in the audit row."""
    preview = metadata_template_preview(template=template, videos=videos)
    for row in preview.changing:
        video_edit_in_changeset(video=row.video, changes={template.field: row.new}, user=user)
    written = [row for row in preview.rows if row.is_valid]
    for start in range(0, len(written), 500):
        batch = written[start : start + 500]
        TemplatedField.objects.filter(
            field=template.field, video__in=[row.video.pk for row in batch]
        ).delete()
        TemplatedField.objects.bulk_create(
            TemplatedField(
                video=row.video,
                field=template.field,
                template=template,
                template_version=template.version,
                value=row.new,
            )
            for row in batch
        )
    result = TemplateApplyResult(
        updated=len(preview.changing), skipped_invalid=len(preview.invalid), unchanged=preview.unchanged_count
    )
    audit_event_record(
        event_type=AuditEvent.Type.TEMPLATE_APPLIED,
        object_type="template",
        object_id=template.pk,
        object_repr=str(template)[:200],
        acting_user=user,
        content_owner_id=template.content_owner_id,
        new={"field": template.field, "version": template.version},
        extra={
            "updated": [row.video.pk for row in preview.changing][:1000],
            "skipped_invalid": [row.video.pk for row in preview.invalid][:1000],
            "unchanged": result.unchanged,
            **({"diverged": list(diverged)[:1000]} if diverged else {}),
        },
    )
    return result


@dataclass
class TemplateRerenderResult:
    applied: TemplateApplyResult
    diverged: list[str]


@transaction.atomic
def template_rerender(*, template: MetadataTemplate, user) -> TemplateRerenderResult:
    """Render the template's current version again for every video an older version wrote, as one
    set of edits in the user's draft; videos whose field changed since are left alone and listed."""
    plan = metadata_template_rerender_plan(template=template, user=user)
    diverged = [video.pk for video in plan.diverged]
    applied = template_apply(template=template, videos=plan.to_render, user=user, diverged=diverged)
    return TemplateRerenderResult(applied=applied, diverged=diverged)


@transaction.atomic
def metadata_template_delete(*, template: MetadataTemplate, user) -> None:
    if not (user.is_superuser or template.content_owner_id in _edited_owner_ids(user)):
        raise TemplateError(
            {"content_owner": ["You cannot change this content owner's templates."]}, status=403
        )
    audit_event_record(
        event_type=AuditEvent.Type.TEMPLATE_CHANGED,
        object_type="template",
        object_id=template.pk,
        object_repr=str(template)[:200],
        acting_user=user,
        content_owner_id=template.content_owner_id,
        old=_template_state(template),
        new=None,
    )
    template.delete()


@transaction.atomic
def template_block_delete(*, block: TemplateBlock, user) -> None:
    """Delete a block no template of its owner uses (a template naming a missing block cannot render)."""
    if not (user.is_superuser or block.content_owner_id in _edited_owner_ids(user)):
        raise TemplateError({"content_owner": ["You cannot change this content owner's blocks."]}, status=403)
    users = metadata_templates_using_block(
        content_owner_id=block.content_owner_id, name=block.name
    ).values_list("name", flat=True)
    if users:
        raise TemplateError(
            {"__all__": [f"{block} is used by the templates {', '.join(users)}; edit them first."]},
            codes={"__all__": ["block_in_use"]},
        )
    audit_event_record(
        event_type=AuditEvent.Type.TEMPLATE_CHANGED,
        object_type="template_block",
        object_id=block.pk,
        object_repr=str(block),
        acting_user=user,
        content_owner_id=block.content_owner_id,
        old={"name": block.name, "body": block.body},
        new=None,
    )
    block.delete()
