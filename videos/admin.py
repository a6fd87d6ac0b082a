from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import ShowFacets
from django.contrib.admin.views.main import ChangeList
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext

from channels_app.selectors import audit_events_of, channels_visible_to, content_owners_visible_to
from core.admin_display import CountersDisplayMixin
from core.admin_scoping import NotFoundOutsideScopeMixin
from core.audit.display import PANEL_ROWS, audit_events_html
from core.pagination import EstimatedCountPaginator
from videos.events import video_sync_statuses
from videos.forms import BulkEditForm, VideoAdminForm
from videos.models import Asset, Claim, Policy, Video, VideoCategory
from videos.selection import SelectionTooLarge, selection_check
from videos.selectors import (
    effective_policy_labels,
    video_categories,
    video_is_editable_by,
    video_list_ordering,
    videos_editable_by,
    videos_search,
    videos_visible_to,
)
from videos.services import (
    EDITABLE_FIELDS,
    BulkEdit,
    BulkEditResult,
    VideoValidationError,
    video_update,
    videos_acknowledge_drift,
    videos_bulk_edit,
    videos_bulk_edit_preview,
)

# How many preview rows the bulk edit page lists; the counts always cover the whole selection.
BULK_PREVIEW_ROWS = 200
# The live contract's sync_status values; live-videos.js carries the same labels.
SYNC_BADGE_LABELS = {
    "in_sync": "in sync",
    "pending": "pending",
    "pushing": "pushing…",
    "drift": "drift",
    "conflict": "conflict",
    "failed": "push failed",
}


class ContentOwnerFilter(admin.SimpleListFilter):
    title = "content owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return [(o.pk, o.name) for o in content_owners_visible_to(user=request.user)[:200]]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(channel__content_owner_id=self.value())
        return queryset


class ChannelFilter(admin.SimpleListFilter):
    title = "channel"
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        channels = channels_visible_to(user=request.user).only("id", "title").order_by("title")
        return [(c.pk, c.title) for c in channels[:500]]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(channel_id=self.value())
        return queryset


class CategoryFilter(admin.SimpleListFilter):
    title = "category"
    parameter_name = "category"

    def lookups(self, request, model_admin):
        categories = video_categories()
        assignable = [(c.category_id, c.title) for c in categories if c.assignable]
        # Not assignable, but reports can still carry them (and some share a name, e.g. Comedy).
        legacy = [
            (c.category_id, f"{c.title} ({c.category_id}, not assignable)")
            for c in categories
            if not c.assignable
        ]
        return assignable + legacy

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(category_id=self.value())
        return queryset


class EffectivePolicyFilter(admin.SimpleListFilter):
    title = "effective policy"
    parameter_name = "policy"

    def lookups(self, request, model_admin):
        return [(label, label) for label in effective_policy_labels(user=request.user)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(effective_policy=self.value())
        return queryset


class PendingChangesFilter(admin.SimpleListFilter):
    title = "pending changes"
    parameter_name = "pending"

    def lookups(self, request, model_admin):
        return [("yes", "Has pending changes"), ("no", "Matches YouTube")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(has_pending_changes=True)
        if self.value() == "no":
            return queryset.filter(has_pending_changes=False)
        return queryset


class DriftFilter(admin.SimpleListFilter):
    title = "changed on YouTube (drift)"
    parameter_name = "drift"

    def lookups(self, request, model_admin):
        return [("yes", "Changed outside ytcms"), ("no", "No drift")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(has_drift=True)
        if self.value() == "no":
            return queryset.filter(has_drift=False)
        return queryset


class ClaimInline(admin.TabularInline):
    model = Claim
    extra = 0
    fields = ("id", "asset", "content_type", "policy", "status", "origin")
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("asset", "policy")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class VideoChangeList(ChangeList):
    def get_ordering(self, request, queryset):
        return video_list_ordering(super().get_ordering(request, queryset))


# Who did what to the video: the last panel of the page, below what the apps above add.
AUDIT_FIELDSET = ("History in ytcms (newest first)", {"fields": ("audit_history",)})


@admin.register(Video)
class VideoAdmin(CountersDisplayMixin, NotFoundOutsideScopeMixin, admin.ModelAdmin):
    """The catalogue's video pages. The apps above attach their parts by subclassing and registering
    again (videos imports neither): syncs (syncs.admin.VideoWithChangeSetsAdmin) records edits in
    change sets and adds its actions and panels, reports (reports.admin) the edit-sheet export."""

    form = VideoAdminForm
    list_display = (
        "title",
        "id",
        "channel",
        "privacy_status",
        "claimed_status",
        "effective_policy",
        "sync_badge",
        "pending_marker",
        "published_at",
    )
    list_display_links = ("title",)
    list_select_related = ("channel",)
    list_filter = (
        ContentOwnerFilter,
        ChannelFilter,
        "privacy_status",
        CategoryFilter,
        "claimed_status",
        EffectivePolicyFilter,
        PendingChangesFilter,
        DriftFilter,
        ("published_at", admin.DateFieldListFilter),
    )
    search_fields = ("title",)  # shows the box; the search itself is videos_search
    search_help_text = "Video id, words of the title, a tag, an artist, an ISRC or a custom id."
    list_per_page = 50
    show_full_result_count = False
    show_facets = ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    actions = ["bulk_edit", "acknowledge_drift"]
    inlines = [ClaimInline]
    counter_fields = ("view_count", "like_count", "comment_count")
    readonly_fields = (
        "id",
        "channel",
        "pending_changes_table",
        "made_for_kids",
        "published_at",
        "duration_seconds",
        "definition",
        "caption",
        "view_count",
        "like_count",
        "comment_count",
        "upload_status",
        "claimed_status",
        "effective_policy",
        "snapshot_summary",
        "drift_summary",
        "audit_history",
    )
    fieldsets = (
        (None, {"fields": ("id", "channel", "pending_changes_table")}),
        (
            "YouTube metadata (what we want)",
            {
                "fields": (
                    "title",
                    "description",
                    "tags",
                    "category_id",
                    "default_language",
                    "localizations",
                    ("privacy_status", "publish_at"),
                    ("embeddable", "public_stats_viewable"),
                    "license",
                    ("self_declared_made_for_kids", "contains_synthetic_media"),
                )
            },
        ),
        (
            "YouTube state (read-only)",
            {
                "fields": (
                    "snapshot_summary",
                    "drift_summary",
                    ("published_at", "upload_status"),
                    ("duration_seconds", "definition", "caption"),
                    ("view_count", "like_count", "comment_count"),
                    "made_for_kids",
                )
            },
        ),
        ("Rights", {"fields": ("claimed_status", "effective_policy")}),
        ("Our metadata", {"fields": ("artists", "genres", "isrc", "custom_id", "notes")}),
        AUDIT_FIELDSET,
    )

    # ---- scoping
    def get_queryset(self, request):
        return videos_visible_to(user=request.user).select_related("channel")

    def get_object(self, request, object_id, from_field=None):
        video = super().get_object(request, object_id, from_field)
        if video is not None:
            # Read here, where the user is known: the panel lists only the events they may read.
            video.audit_events = audit_events_of(
                user=request.user, object_type="video", object_id=video.pk, limit=PANEL_ROWS
            )
        return video

    def has_add_permission(self, request):
        return False  # videos come from YouTube (reports and the API), never typed in

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None:
            return True
        return video_is_editable_by(user=request.user, video=obj)

    def get_changelist(self, request, **kwargs):
        return VideoChangeList

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # The page's sync badges in one query (change-set items: pushing, conflict, failed).
        statuses = video_sync_statuses(changelist.result_list)
        for video in changelist.result_list:
            video.sync_status = statuses[video.pk]
        return changelist

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return videos_search(queryset, search_term), False

    # ---- list columns
    # The first click lists the videos with pending changes first: they are what a user sorts for.
    @admin.display(description="pending / drift", ordering="-has_pending_changes")
    def pending_marker(self, video):
        markers = []
        if video.has_pending_changes:
            markers.append(
                format_html(
                    '<span class="ytcms-pending" title="What we want differs from YouTube: {}">● {}</span>',
                    ", ".join(video.pending_fields),
                    ", ".join(video.pending_fields),
                )
            )
        if video.has_drift:
            markers.append(
                format_html(
                    '<span class="ytcms-drift" title="Changed on YouTube outside ytcms: {}">⚠ {}</span>',
                    ", ".join(video.drifted_fields),
                    ", ".join(video.drifted_fields),
                )
            )
        return format_html_join(" ", "{}", ((m,) for m in markers)) if markers else "—"

    @admin.display(description="sync")
    def sync_badge(self, video):
        # data-ytcms-video marks the row for the live updates (ytcms_site/static/ytcms/live-videos.js).
        status = getattr(video, "sync_status", None) or (
            "pending" if video.has_pending_changes else "in_sync"
        )
        return format_html(
            '<span class="ytcms-sync ytcms-sync-{}" data-ytcms-video="{}" data-sync-status="{}">{}</span>',
            status,
            video.pk,
            status,
            SYNC_BADGE_LABELS[status],
        )

    # ---- form read-only blocks
    @admin.display(description="Pending changes")
    def pending_changes_table(self, video):
        if not video.pending_fields:
            return "None: what we want matches what YouTube has."
        snapshot = video.remote_snapshot or {}
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td><strong>{}</strong></td></tr>",
            (
                (
                    Video._meta.get_field(name).verbose_name,
                    _display(snapshot[name]) if name in snapshot else "(unknown)",
                    _display(getattr(video, name)),
                )
                for name in video.pending_fields
            ),
        )
        return format_html(
            '<table class="ytcms-pending-table"><thead><tr><th>field</th><th>YouTube has</th>'
            "<th>we want</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="Changed on YouTube")
    def drift_summary(self, video):
        if not video.has_drift:
            return "No drift: YouTube has not changed since ytcms last read or wrote it."
        return format_html(
            "⚠ {} changed outside ytcms (noticed {}). Check the values, then use the list action "
            "“Acknowledge drift”.",
            ", ".join(video.drifted_fields),
            video.drift_detected_at.strftime("%Y-%m-%d %H:%M UTC") if video.drift_detected_at else "?",
        )

    @admin.display(description="Snapshot")
    def snapshot_summary(self, video):
        if video.remote_snapshot is None:
            return "Never read from YouTube."
        return format_html(
            "Read from {} at {}{}",
            video.get_remote_source_display() or "unknown source",
            video.remote_fetched_at.strftime("%Y-%m-%d %H:%M UTC") if video.remote_fetched_at else "?",
            f" · etag {video.remote_etag}" if video.remote_etag else "",
        )

    @admin.display(description="Who did what")
    def audit_history(self, video):
        return audit_events_html(getattr(video, "audit_events", []), object_type="video", object_id=video.pk)

    # ---- saving goes through the service (validation, pending fields, audit)
    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_FIELDS}
        try:
            self.save_edit(request, video=obj, changes=changes)
        except VideoValidationError as error:  # the form validated; a race changed the base
            self.message_user(request, str(error), messages.ERROR)

    def save_edit(self, request, *, video: Video, changes: dict) -> list[str]:
        """Save the change form's edit of `video`; returns the fields that changed.

        syncs' admin saves through its use case instead, which reads the row under its lock and
        records the edit in the user's draft change set.
        """
        # The form has set its values on the instance: video_update compares with the saved ones.
        video.refresh_from_db()
        return video_update(video=video, changes=changes, user=request.user)

    def save_bulk_edit(self, request, *, videos: list[Video], edit: BulkEdit) -> BulkEditResult:
        """Apply the bulk edit page's edit; syncs' admin records it in the user's drafts as well."""
        return videos_bulk_edit(videos=videos, edit=edit, user=request.user)

    def bulk_edit_saved(self, request, result: BulkEditResult) -> None:
        """After the bulk edit's own message: what the apps above add (syncs names the drafts)."""

    def log_change(self, request, obj, message):
        """video_update records the change; the admin's own entry would be a duplicate."""

    # ---- bulk edit
    @admin.action(description="Bulk edit selected videos…", permissions=["change"])
    def bulk_edit(self, request, queryset):
        editable = queryset.filter(pk__in=videos_editable_by(user=request.user).values("pk"))
        total = editable.count()
        not_editable = queryset.count() - total
        try:
            selection_check(count=total, noun="videos selected", fix="Narrow the selection with filters.")
        except SelectionTooLarge as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        if total == 0:
            self.message_user(request, "None of the selected videos is yours to edit.", messages.ERROR)
            return None

        form = BulkEditForm(request.POST if "bulk_edit_step" in request.POST else None)
        step = request.POST.get("bulk_edit_step")
        preview = None
        if step in {"preview", "apply"} and form.is_valid():
            edit = form.to_edit()
            videos = list(editable.order_by("pk"))
            if step == "apply":
                result = self.save_bulk_edit(request, videos=videos, edit=edit)
                self.message_user(
                    request,
                    "Bulk edit saved: "
                    + ngettext("%(count)s video changed", "%(count)s videos changed", result.updated)
                    % {"count": f"{result.updated:,}"}
                    + f", {result.skipped_invalid:,} skipped because "
                    + ngettext("it would", "they would", result.skipped_invalid)
                    + f" break a YouTube limit, {result.unchanged:,} already as asked. "
                    "Nothing was sent to YouTube yet.",
                    messages.SUCCESS if not result.skipped_invalid else messages.WARNING,
                )
                self.bulk_edit_saved(request, result)
                return None
            preview = videos_bulk_edit_preview(videos=videos, edit=edit)

        context = {
            **self.admin_site.each_context(request),
            "title": "Bulk edit videos",
            "opts": self.model._meta,
            "form": form,
            "preview": preview,
            # Rows that would break a limit first: they are what the user must look at.
            "preview_rows": sorted(preview.changing, key=lambda row: row.is_valid)[:BULK_PREVIEW_ROWS]
            if preview
            else [],
            "preview_limit": BULK_PREVIEW_ROWS,
            "selected_count": total,
            "not_editable_count": not_editable,
            "selected_ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/videos/video/bulk_edit.html", context)

    @admin.action(description="Acknowledge drift (changed on YouTube)", permissions=["change"])
    def acknowledge_drift(self, request, queryset):
        drifted = (
            queryset.filter(pk__in=videos_editable_by(user=request.user).values("pk"), has_drift=True)
            .select_related(None)
            .only("pk", "title", "drifted_fields", "has_drift")
        )
        count = videos_acknowledge_drift(videos=drifted, user=request.user)
        self.message_user(
            request,
            ngettext(
                "Drift acknowledged on %(count)s video.", "Drift acknowledged on %(count)s videos.", count
            )
            % {"count": f"{count:,}"},
            messages.SUCCESS,
        )


def _display(value):
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    if value in ("", None):
        return "(empty)"
    return str(value)


@admin.register(VideoCategory)
class VideoCategoryAdmin(admin.ModelAdmin):
    list_display = ("category_id", "title", "region_code", "assignable")
    list_filter = ("region_code", "assignable")

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser


class OwnerScopedReadOnlyAdmin(NotFoundOutsideScopeMixin, admin.ModelAdmin):
    """Assets and policies: visible within the user's content owners, written by sync code."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(content_owner__in=content_owners_visible_to(user=request.user))

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Asset)
class AssetAdmin(OwnerScopedReadOnlyAdmin):
    list_display = ("id", "title", "asset_type", "isrc", "custom_id", "content_owner")
    list_filter = ("asset_type",)
    # Ids are case-sensitive at YouTube: "__exact" is right, and unlike "=" (UPPER(col) = UPPER(term),
    # a scan of the whole table) the primary key serves it.
    search_fields = ("id__exact", "title", "=isrc", "=custom_id")
    list_select_related = ("content_owner",)
    show_full_result_count = False


@admin.register(Policy)
class PolicyAdmin(OwnerScopedReadOnlyAdmin):
    list_display = ("name", "id", "content_owner")
    search_fields = ("name", "id__exact")


class ClaimAdminForm(forms.ModelForm):
    class Meta:
        model = Claim
        # YouTube's policy as last read: a snapshot, changed only by reading or pushing the claim.
        fields = ("id", "video", "asset", "content_type", "policy", "status", "origin", "is_partner_uploaded")

    def clean_policy(self):
        policy = self.cleaned_data.get("policy")
        if policy is None and self.instance.policy_id:
            raise forms.ValidationError(
                "A claim on YouTube always has a policy: choose the one it should have."
            )
        return policy


@admin.register(Claim)
class ClaimAdmin(NotFoundOutsideScopeMixin, admin.ModelAdmin):
    """The catalogue's claim pages. syncs' admin (syncs.admin.ClaimWithChangeSetsAdmin) adds what
    goes through change sets: the policy as YouTube has it, a policy change into the draft."""

    form = ClaimAdminForm
    list_display = ("id", "video", "asset", "content_type", "policy", "status", "origin")
    list_filter = ("content_type", "status")
    # Exact (ids are case-sensitive): the claims table's primary key and its video and asset
    # indexes serve the three; "=" would scan every claim.
    search_fields = ("id__exact", "video__id__exact", "asset__id__exact")
    list_select_related = ("video", "asset", "policy")
    autocomplete_fields = ("video", "asset")
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(video__in=videos_visible_to(user=request.user))

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
