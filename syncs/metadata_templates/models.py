"""A content owner's metadata templates and the named blocks they share (issue #19)."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from channels_app.models import Channel, ContentOwner
from syncs.metadata_templates.rendering import BLOCK_NAME, template_check
from videos.models import Video
from videos.validation import normalise_line_endings


class TemplateBlock(models.Model):
    """A text kept once and used by many templates as {block:<name>}: a footer of links."""

    content_owner = models.ForeignKey(ContentOwner, on_delete=models.CASCADE, related_name="template_blocks")
    name = models.CharField(
        max_length=50,
        validators=[
            RegexValidator(rf"^{BLOCK_NAME.pattern}$", "Lower-case letters, digits and _, from a letter.")
        ],
        help_text="Used in templates as {block:name}.",
    )
    body = models.TextField(
        blank=True, help_text="May use the fields ({title}, {artist}…), not other blocks."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["content_owner_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["content_owner", "name"], name="templateblock_unique_owner_name")
        ]

    def __str__(self):
        return f"{{block:{self.name}}}"

    def clean(self):
        self.body = normalise_line_endings(self.body)
        problems = template_check(self.body, allow_blocks=False)
        if problems:
            raise ValidationError(
                {"body": [ValidationError(str(problem), code=problem.code) for problem in problems]}
            )


class MetadataTemplate(models.Model):
    """A title, description or tag list rendered from each video's own fields."""

    class Field(models.TextChoices):
        TITLE = "title", "Title"
        DESCRIPTION = "description", "Description"
        TAGS = "tags", "Tags (comma-separated)"

    content_owner = models.ForeignKey(
        ContentOwner, on_delete=models.CASCADE, related_name="metadata_templates"
    )
    channels = models.ManyToManyField(
        Channel,
        blank=True,
        related_name="metadata_templates",
        help_text="Leave empty for every channel of the content owner.",
    )
    name = models.CharField(max_length=100)
    field = models.CharField(max_length=12, choices=Field.choices)
    body = models.TextField(
        help_text="Text with {title}, {artist}, {album}, {isrc}, {custom_id}, {channel}, "
        "{release_date} and {block:name}."
    )
    # Raised by metadata_template_save whenever the field or body changes.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["content_owner_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_owner", "name"], name="metadatatemplate_unique_owner_name"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.get_field_display().lower()}, v{self.version})"

    def clean(self):
        self.body = normalise_line_endings(self.body)
        block_names = (
            TemplateBlock.objects.filter(content_owner_id=self.content_owner_id).values_list(
                "name", flat=True
            )
            if self.content_owner_id
            else []
        )
        problems = template_check(self.body, block_names=block_names)
        if problems:
            raise ValidationError(
                {"body": [ValidationError(str(problem), code=problem.code) for problem in problems]}
            )


class TemplatedField(models.Model):
    """Which template (and version) last wrote a video's field, and the value it wrote.

    A field whose value differs from `value` was changed since by hand (or on YouTube): a
    re-render of the template leaves it alone and lists it as diverged.
    """

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="templated_fields")
    field = models.CharField(max_length=12, choices=MetadataTemplate.Field.choices)
    template = models.ForeignKey(MetadataTemplate, on_delete=models.CASCADE, related_name="templated_fields")
    template_version = models.PositiveIntegerField()
    value = models.JSONField()
    applied_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["video", "field"], name="templatedfield_unique_video_field")
        ]
        indexes = [models.Index(fields=["template", "template_version"], name="templatedfield_template")]

    def __str__(self):
        return f"{self.video_id} · {self.field} ← {self.template_id} v{self.template_version}"
