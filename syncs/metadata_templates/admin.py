"""The templates' admin pages and the video list's "Apply template…" action (registered by syncs.admin)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from channels_app.selectors import channels_visible_to, content_owners_edited_by
from core.admin_scoping import NotFoundOutsideScopeMixin
from syncs.changesets.selectors import (
    changeset_also_waiting_sets,
    changeset_items_also_waiting,
    changeset_items_visible_to,
    changeset_open_drafts_of,
)
from syncs.metadata_templates.models import MetadataTemplate, TemplateBlock
from syncs.metadata_templates.rendering import FIELDS
from syncs.metadata_templates.selectors import (
    metadata_template_preview,
    metadata_template_rerender_plan,
    metadata_templates_using_block,
    metadata_templates_visible_to,
    template_blocks_visible_to,
)
from syncs.metadata_templates.services import (
    TemplateError,
    metadata_template_delete,
    metadata_template_save,
    metadata_template_scoped_videos,
    template_apply,
    template_block_delete,
    template_block_save,
)
from videos.selectors import videos_editable_by

# Each video is one edit under its row lock; bigger selections belong in several change sets.
TEMPLATE_ACTION_MAX = 1000
# Rows the preview page shows: every over-limit one comes first, so they are shown before the others.
PREVIEW_ROWS_SHOWN = 200

FIELDS_HELP = "Fields: " + ", ".join(f"{{{name}}} ({meaning})" for name, meaning in FIELDS.items())


class OwnerScopedAdmin(NotFoundOutsideScopeMixin, admin.ModelAdmin):
    """Rows of the owners the user sees; changed only by owner-level editors, through the services."""

    list_select_related = ("content_owner",)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return (
            obj is None
            or content_owners_edited_by(user=request.user).filter(pk=obj.content_owner_id).exists()
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.has_change_permission(request, obj)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and content_owners_edited_by(user=request.user).exists()

    def get_readonly_fields(self, request, obj=None):
        return ("content_owner",) if obj else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "content_owner":
            kwargs["queryset"] = content_owners_edited_by(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(MetadataTemplate)
class MetadataTemplateAdmin(OwnerScopedAdmin):
    list_display = ("name", "field", "content_owner", "version", "updated_at")
    list_filter = ("field", ("content_owner", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name",)
    fields = ("content_owner", "name", "field", "channels", "body", "version", "videos_written")
    filter_horizontal = ("channels",)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/rerender/",
                self.admin_site.admin_view(self.rerender_view),
                name="syncs_metadatatemplate_rerender",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="Videos of older versions")
    def videos_written(self, template):
        if template.pk is None:
            return "—"
        url = reverse("admin:syncs_metadatatemplate_rerender", args=[template.pk])
        return format_html(
            '<a href="{}">Which videos an older version wrote, and render them again…</a>', url
        )

    def rerender_view(self, request, object_id):
        """The videos an older version wrote: those to render again go to "Apply template…" (its
        preview, then the confirm); those changed since by hand are listed and left alone."""
        template = self.get_queryset(request).filter(pk=object_id).first() if object_id.isdigit() else None
        if template is None:
            raise Http404("No metadata template matches the given query.")
        plan = metadata_template_rerender_plan(template=template, user=request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Render “{template.name}” v{template.version} again",
            "opts": self.model._meta,
            "template": template,
            "plan": plan,
            "videos_url": reverse("admin:videos_video_changelist"),
            "selected_ids": [video.pk for video in plan.to_render],
            "select_across": "0",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": "apply_template",
            "too_many": len(plan.to_render) > TEMPLATE_ACTION_MAX,
            "action_max": TEMPLATE_ACTION_MAX,
        }
        return TemplateResponse(request, "admin/syncs/template_rerender.html", context)

    def get_queryset(self, request):
        return metadata_templates_visible_to(user=request.user).select_related("content_owner")

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "version", "videos_written")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "channels":
            kwargs["queryset"] = channels_visible_to(user=request.user).filter(
                content_owner__in=content_owners_edited_by(user=request.user)
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.base_fields[
            "body"
        ].help_text = f"{FIELDS_HELP}; and {{block:name}} for a block of the content owner."
        return form

    def save_model(self, request, obj, form, change):
        try:
            metadata_template_save(
                template=obj, user=request.user, channel_ids=[c.pk for c in form.cleaned_data["channels"]]
            )
        except TemplateError as error:
            raise PermissionDenied(str(error)) from error

    def save_related(self, request, form, formsets, change):
        pass  # The channels are saved by metadata_template_save (checked against the owner).

    def delete_model(self, request, obj):
        metadata_template_delete(template=obj, user=request.user)


class TemplateBlockForm(forms.ModelForm):
    class Meta:
        model = TemplateBlock
        fields = ("content_owner", "name", "body")

    def clean_name(self):
        """A block templates use keeps its name (template_block_save refuses it too): said on the form."""
        name = self.cleaned_data["name"]
        stored = self.instance
        if stored.pk is not None and name != stored.name:
            using = metadata_templates_using_block(
                content_owner_id=stored.content_owner_id, name=stored.name
            ).values_list("name", flat=True)
            if using:
                raise forms.ValidationError(
                    f"{stored} is used by the templates {', '.join(using)}; edit them first.",
                    code="block_in_use",
                )
        return name


@admin.register(TemplateBlock)
class TemplateBlockAdmin(OwnerScopedAdmin):
    form = TemplateBlockForm
    list_display = ("name", "content_owner", "updated_at")
    list_filter = (("content_owner", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name",)
    fields = ("content_owner", "name", "body")

    def get_queryset(self, request):
        return template_blocks_visible_to(user=request.user).select_related("content_owner")

    def save_model(self, request, obj, form, change):
        try:
            template_block_save(block=obj, user=request.user)
        except TemplateError as error:
            raise PermissionDenied(str(error)) from error

    def delete_model(self, request, obj):
        try:
            template_block_delete(block=obj, user=request.user)
        except TemplateError as error:
            self.message_user(request, str(error), messages.ERROR)


class ApplyTemplateForm(forms.Form):
    template = forms.ModelChoiceField(queryset=MetadataTemplate.objects.none())

    def __init__(self, *args, user, owner_id: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = metadata_templates_visible_to(user=user).filter(
            content_owner_id=owner_id
        )


def _page(modeladmin, request, *, form, video_ids, preview=None, template=None):
    shown = preview.rows[:PREVIEW_ROWS_SHOWN] if preview else []
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"Apply template “{template.name}”" if template else "Apply template",
        "opts": modeladmin.model._meta,
        "form": form,
        "count": len(video_ids),
        "preview": preview,
        "rows": shown,
        "more": len(preview.rows) - len(shown) if preview else 0,
        "template": template,
        "selected_ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "action_name": "apply_template",
        "media": modeladmin.media + form.media,
    }
    return TemplateResponse(request, "admin/syncs/apply_template.html", context)


@admin.action(description="Apply template…", permissions=["change"])
def apply_template(modeladmin, request, queryset):
    """Choose a template, preview old → new per video (over-limit videos first), then apply it: the
    new values land in the user's draft change set, as any edit does."""
    editable = queryset.filter(pk__in=videos_editable_by(user=request.user).values("pk"))
    video_ids = list(editable.order_by("pk").values_list("pk", flat=True)[: TEMPLATE_ACTION_MAX + 1])
    if not video_ids:
        modeladmin.message_user(request, "None of the selected videos is yours to edit.", messages.ERROR)
        return None
    if len(video_ids) > TEMPLATE_ACTION_MAX:
        modeladmin.message_user(
            request,
            f"More than {TEMPLATE_ACTION_MAX:,} videos selected; apply the template in smaller selections.",
            messages.ERROR,
        )
        return None
    owners = set(editable.values_list("channel__content_owner_id", flat=True).distinct())
    if len(owners) > 1:
        modeladmin.message_user(
            request,
            f"The selection spans {len(owners)} content owners; a template belongs to one. "
            "Select videos of one content owner (filter the list by content owner).",
            messages.ERROR,
        )
        return None
    step = request.POST.get("template_step")
    form = ApplyTemplateForm(request.POST if step else None, user=request.user, owner_id=owners.pop())
    if not (form.is_bound and form.is_valid()):
        return _page(modeladmin, request, form=form, video_ids=video_ids)
    template = form.cleaned_data["template"]
    try:
        videos = metadata_template_scoped_videos(template=template, video_ids=video_ids, user=request.user)
    except TemplateError as error:
        modeladmin.message_user(request, str(error), messages.ERROR)
        return None
    if step == "apply":
        if request.POST.get("template_version") == str(template.version):
            return _applied(modeladmin, request, template=template, videos=videos)
        modeladmin.message_user(
            request,
            "The template changed since this preview; here is the preview of its new version.",
            messages.WARNING,
        )
    preview = metadata_template_preview(template=template, videos=videos)
    return _page(modeladmin, request, form=form, video_ids=video_ids, preview=preview, template=template)


def _applied(modeladmin, request, *, template, videos):
    result = template_apply(template=template, videos=videos, user=request.user)
    drafts = changeset_open_drafts_of(user=request.user, content_owner_ids=[template.content_owner_id])
    draft = drafts[0] if drafts else None
    if result.updated and draft is not None:
        modeladmin.message_user(
            request,
            format_html(
                '“{}” applied to {} videos: the new values are in your draft change set <a href="{}">{}</a>; '
                "preview and push it from there.",
                template.name,
                f"{result.updated:,}",
                reverse("admin:syncs_changeset_change", args=[draft.pk]),
                draft,
            ),
            messages.SUCCESS,
        )
        _warn_also_waiting(modeladmin, request, draft=draft, template=template, videos=videos)
    else:
        modeladmin.message_user(request, f"“{template.name}” changed no video.", messages.INFO)
    if result.skipped_invalid:
        modeladmin.message_user(
            request,
            f"{result.skipped_invalid:,} videos were left as they are: the template's text breaks a YouTube limit there.",
            messages.WARNING,
        )
    return None


def _warn_also_waiting(modeladmin, request, *, draft, template, videos) -> None:
    """Say when the videos the template just put in the draft also wait in another change set (a
    scheduled release is nobody's draft, so re-rendering its videos makes a second one)."""
    items = changeset_items_visible_to(user=request.user, changeset=draft).filter(
        video_id__in=[video.pk for video in videos], field=template.field
    )
    also_waiting = changeset_items_also_waiting(changeset=draft, items=items, user=request.user)
    for other, count in changeset_also_waiting_sets(also_waiting=also_waiting):
        modeladmin.message_user(
            request,
            format_html(
                '{} of these videos also wait{} in change set <a href="{}">#{} {}</a> with another {}: '
                "whichever change set is pushed later overwrites the other. Remove them from one of the two.",
                f"{count:,}",
                "s" if count == 1 else "",
                reverse("admin:syncs_changeset_change", args=[other.pk]),
                other.pk,
                other,
                template.field,
            ),
            messages.WARNING,
        )
