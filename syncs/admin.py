from zoneinfo import ZoneInfo

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from channels_app.admin import ContentOwnerAdmin
from channels_app.models import ContentOwner
from channels_app.selectors import audit_events_of, content_owners_managed_by
from core.admin_scoping import StaffReadOnlyAdmin, get_back_to_page
from core.audit.display import PANEL_ROWS, audit_events_html
from syncs.actions import change_claim_policy, claim_with_asset, refresh_from_youtube, video_sync_history_html
from syncs.changesets.amend import changeset_amend, changeset_amend_refusal
from syncs.changesets.edits import video_edit_in_changeset, videos_bulk_edit_in_changeset
from syncs.changesets.forms import ChangeSetScheduleForm
from syncs.changesets.preview import changeset_preview
from syncs.changesets.quota_plan import SCHEDULED_STATUSES
from syncs.changesets.release import (
    changeset_release_outcome,
    changeset_schedule,
    changeset_schedule_described,
    changeset_unschedule,
    schedule_moment,
)
from syncs.changesets.selectors import (
    changeset_action_refusal,
    changeset_items_visible_to,
    changeset_open_drafts,
    changesets_holding_video,
    changesets_visible_to,
    sync_records_visible_to,
)
from syncs.changesets.services import (
    ChangeSetError,
    changeset_add_claim_policy,
    changeset_approve,
    changeset_queue,
    changeset_resolve,
    changeset_revert,
    changeset_revert_refusal,
    claim_base_policy,
)
from syncs.changesets.shown import CLAIM_POLICY_KINDS, item_policy_names, item_value_shown
from syncs.metadata_templates.admin import apply_template
from syncs.models import (
    ApiCall,
    ChangeSet,
    ChangeSetItem,
    QuotaLedger,
    SyncRecord,
    YouTubeCredential,
    YouTubeReportFile,
    unreadable_message,
)
from syncs.selectors import (
    api_calls_visible_to,
    credential_status_changes_of,
    credential_status_of,
    youtube_report_files_visible_to,
)
from syncs.views import youtube_connect_start
from syncs.youtube.quota_clock import pacific_day
from videos.admin import AUDIT_FIELDSET, ClaimAdmin, VideoAdmin
from videos.models import Claim, Video
from videos.policies import claim_policy_described, claim_policy_text
from videos.services import WRITABLE_FIELDS, BulkEdit, BulkEditResult, VideoValidationError
from videos.validation import join_tags, split_tags


@admin.register(QuotaLedger)
class QuotaLedgerAdmin(StaffReadOnlyAdmin):
    list_display = ("day", "project", "api", "units_used", "spendable_units", "remaining_units", "state")
    list_filter = ("project", "api")
    date_hierarchy = "day"

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "subtitle": f"Today is {pacific_day()} in Pacific time"}
        return super().changelist_view(request, extra_context)

    @admin.display(description="spendable (budget − reserve)")
    def spendable_units(self, row):
        return f"{row.spendable:,} ({row.budget:,} − {row.reserve:,})"

    @admin.display(description="remaining")
    def remaining_units(self, row):
        return row.remaining

    @admin.display(description="state")
    def state(self, row):
        if row.exhausted_at:
            return f"Google said quotaExceeded at {timezone.localtime(row.exhausted_at):%H:%M}"
        if row.day == pacific_day():
            return "today" if row.remaining else "spent for today"
        return ""


@admin.register(ApiCall)
class ApiCallAdmin(StaffReadOnlyAdmin):
    list_display = (
        "created_at",
        "method",
        "content_owner",
        "outcome",
        "http_status",
        "reason",
        "quota_units",
        "retries",
        "duration_ms",
    )
    # Only the owners the user may see, not every owner's name.
    list_filter = ("outcome", "method", ("content_owner", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("content_owner",)
    show_full_result_count = False

    def get_queryset(self, request):
        # Owner-level members only: a call names no channel (api_calls_visible_to says why).
        return api_calls_visible_to(user=request.user).select_related("content_owner")


@admin.register(YouTubeReportFile)
class YouTubeReportFileAdmin(StaffReadOnlyAdmin):
    """What the Reporting API offered and what the pull did with each report (imported, skipped, …)."""

    list_display = (
        "create_time",
        "content_owner",
        "report_type_id",
        "youtube_report_id",
        "state",
        "report",
        "bytes_downloaded",
        "reason",
    )
    list_filter = ("state", "report_type_id", ("content_owner", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("content_owner", "report")
    search_fields = ("youtube_report_id",)
    show_full_result_count = False

    def get_queryset(self, request):
        # Owner-level members only, like the CMS reports they become.
        return youtube_report_files_visible_to(user=request.user).select_related("content_owner", "report")


# ---- The content owner's YouTube connection, on the content owner's own admin page.

admin.site.unregister(ContentOwner)


@admin.register(ContentOwner)
class ContentOwnerWithYouTubeAdmin(ContentOwnerAdmin):
    change_form_template = "admin/syncs/contentowner_change_form.html"
    list_display = (*ContentOwnerAdmin.list_display, "youtube_status")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("youtube_credential")
            .defer(*(f"youtube_credential__{name}" for name in YouTubeCredential.SECRET_FIELDS))
        )

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "youtube_connection") if obj else fields

    def get_urls(self):
        return [
            path(
                "<path:object_id>/youtube/connect/",
                self.admin_site.admin_view(self.youtube_connect_view),
                name="channels_app_contentowner_youtube_connect",
            ),
            *super().get_urls(),
        ]

    def may_connect(self, request, owner) -> bool:
        return content_owners_managed_by(user=request.user).filter(pk=owner.pk).exists()

    def owner_to_act_on(self, request, object_id):
        """The owner a YouTube button (connect, fetch reports) acts on: in scope (else 404), theirs to manage."""
        owner = self.get_queryset(request).filter(pk=object_id).first()
        if owner is None:
            raise Http404("No content owner matches the given query.")
        if not self.may_connect(request, owner):
            raise PermissionDenied
        return owner

    @method_decorator(require_POST)
    def youtube_connect_view(self, request, object_id):
        owner = self.owner_to_act_on(request, object_id)
        try:
            return youtube_connect_start(request, owner)
        except ValueError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:channels_app_contentowner_change", args=[owner.pk]))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["youtube_may_connect"] = self.may_connect(request, obj)
            context["youtube_connect_url"] = reverse(
                "admin:channels_app_contentowner_youtube_connect", args=[obj.pk]
            )
            context["youtube_connected"] = credential_status_of(owner_id=obj.pk) is not None
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="YouTube")
    def youtube_status(self, owner):
        credential = getattr(owner, "youtube_credential", None)
        if credential is None:
            return "not connected"
        return credential.get_status_display()

    @admin.display(description="YouTube connection")
    def youtube_connection(self, owner):
        credential = credential_status_of(owner_id=owner.pk)
        if credential is None:
            return "Not connected: ytcms cannot read or write this owner's videos at YouTube yet."
        status = credential.get_status_display()
        if credential.needs_reauthorisation:
            status = format_html('<strong class="errornote">⚠ {}</strong>', credential.last_error)
        elif credential.is_unreadable:
            status = format_html('<strong class="errornote">⚠ {}</strong>', unreadable_message(owner.pk))
        changes = format_html_join(
            "",
            "<br>{}: {} → {}{}",
            (
                (
                    _when(change.created_at),
                    change.status_display(change.old_status),
                    change.status_display(change.new_status),
                    f" ({change.user})" if change.user else "",
                )
                for change in credential_status_changes_of(owner_id=owner.pk)
            ),
        )
        return format_html(
            "{} · {}<br>Credential: {}{}<br>Last successful call: {}<br>Last error: {}"
            "<br>Status changes (newest first):{}",
            status,
            f"connected {_when(credential.created_at)}",
            credential.get_kind_display(),
            f" ({credential.account})" if credential.account else "",
            _when(credential.last_success_at),
            f"{credential.last_error} ({_when(credential.last_error_at)})"
            if credential.last_error
            else "none",
            changes or " none",
        )


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "never"


# ---------------------------------------------------------------------------- change sets


def conflicts_resolved_message(count: int, resolution: str) -> str:
    if resolution == ChangeSetItem.Resolution.KEEP_THEIRS:
        outcome = "YouTube's values kept"
    else:
        outcome = "ours replace YouTube's when the change set is pushed"
    return f"{count} conflict{'' if count == 1 else 's'} resolved: {outcome}."


def _item_policy_names(item) -> dict[str, str]:
    # A query only for a claim's item (a few per change set); metadata items need none.
    if item.kind not in CLAIM_POLICY_KINDS:
        return {}
    return item_policy_names([item], owner_id=item.video.channel.content_owner_id)


@admin.display(description="base (YouTube when the edit began)")
def item_base_shown(item):
    return item_value_shown(item, item.base_value, names=_item_policy_names(item))


@admin.display(description="new")
def item_new_shown(item):
    return item_value_shown(item, item.new_value, names=_item_policy_names(item))


@admin.display(description="YouTube now")
def item_theirs_shown(item):
    if item.status != ChangeSetItem.Status.CONFLICT:
        return ""
    return item_value_shown(item, item.theirs_value, names=_item_policy_names(item))


# The fields whose value the preview table edits as text (the API's amend/ takes every writable field).
AMENDABLE_TEXT_FIELDS = ("title", "description", "tags", "privacy_status", "category_id", "default_language")


def _amend_text(item) -> str:
    """The item's new value as the preview table's input shows it (tags comma-separated)."""
    if item.field == "tags":
        return join_tags(item.new_value or [])
    return "" if item.new_value is None else str(item.new_value)


# The change-set page's buttons, each a POST to changeset_act_view.
CHANGESET_PAGE_VERBS = ("approve", "push", "revert")
# The conflict buttons, each a POST to changeset_resolve_view: one conflict (item) or all of them.
CHANGESET_RESOLUTIONS = (ChangeSetItem.Resolution.KEEP_THEIRS, ChangeSetItem.Resolution.OVERWRITE)


@admin.register(ChangeSet)
class ChangeSetAdmin(StaffReadOnlyAdmin):
    list_display = (
        "__str__",
        "content_owner",
        "status",
        "created_by",
        "created_at",
        "needs_approval",
        "approved_by",
    )
    list_filter = ("status", "needs_approval")
    date_hierarchy = "created_at"
    # No items inline: the page's preview table (items.html) lists them and follows a push live;
    # a second, static table of the same items contradicted it until a reload.
    readonly_fields = (
        "title",
        "content_owner",
        "status",
        "created_by",
        "created_at",
        "needs_approval",
        "approved_by",
        "approved_at",
        "revert_of",
    )
    # Shown by the page's live parts instead of as fields a push leaves stale: "Pushed at" by
    # pushed_at.html, the schedule in words, in its zone and in Pacific time, by schedule.html.
    exclude = ("pushed_at", "scheduled_for", "scheduled_tz")
    change_form_template = "admin/syncs/changeset/change_form.html"
    show_full_result_count = False

    def get_queryset(self, request):
        return (
            changesets_visible_to(user=request.user)
            .select_related("content_owner", "created_by", "approved_by")
            .order_by("-created_at", "-id")
        )

    def get_urls(self):
        return [
            path(
                "<int:object_id>/act/<str:verb>/",
                self.admin_site.admin_view(self.changeset_act_view),
                name="syncs_changeset_act",
            ),
            path(
                "<int:object_id>/schedule/",
                self.admin_site.admin_view(self.changeset_schedule_view),
                name="syncs_changeset_schedule",
            ),
            path(
                "<int:object_id>/unschedule/",
                self.admin_site.admin_view(self.changeset_unschedule_view),
                name="syncs_changeset_unschedule",
            ),
            path(
                "<int:object_id>/amend/",
                self.admin_site.admin_view(self.changeset_amend_view),
                name="syncs_changeset_amend",
            ),
            path(
                "<int:object_id>/resolve/<str:resolution>/",
                self.admin_site.admin_view(self.changeset_resolve_view),
                name="syncs_changeset_resolve",
            ),
            path(
                "<int:object_id>/live-parts/",
                self.admin_site.admin_view(self.changeset_parts_view),
                name="syncs_changeset_parts",
            ),
            *super().get_urls(),
        ]

    def changeset_act_view(self, request, object_id, verb):
        changeset = self.get_queryset(request).filter(pk=object_id).first()
        if changeset is None or verb not in CHANGESET_PAGE_VERBS:
            raise Http404
        page = reverse("admin:syncs_changeset_change", args=[changeset.pk])
        if (back := get_back_to_page(request, page)) is not None:
            return back
        refusal = changeset_action_refusal(user=request.user, changeset=changeset, action=verb)
        if refusal is not None:
            self.message_user(request, refusal, messages.ERROR)
            return HttpResponseRedirect(page)
        target = changeset
        try:
            if verb == "approve":
                changeset_approve(changeset=changeset, user=request.user)
                self.message_user(request, "Approved.", messages.SUCCESS)
                self.warn_also_waiting(request, changeset)
            elif verb == "push":
                changeset_queue(changeset=changeset, user=request.user)
                self.message_user(request, "Queued: the push runs in the background.", messages.SUCCESS)
                self.warn_also_waiting(request, changeset)
            else:
                target = changeset_revert(changeset=changeset, user=request.user)
                self.message_user(
                    request, "The revert is a new change set: preview it, then push.", messages.SUCCESS
                )
        except ChangeSetError as error:
            self.message_user(request, str(error), messages.ERROR)
        return HttpResponseRedirect(reverse("admin:syncs_changeset_change", args=[target.pk]))

    def warn_also_waiting(self, request, changeset: ChangeSet) -> None:
        """Approving or pushing is allowed, but not silently over another change set's values."""
        summary = changeset_preview(changeset=changeset, user=request.user).also_waiting_summary
        if summary:
            self.message_user(request, summary, messages.WARNING)

    def changeset_schedule_view(self, request, object_id):
        """Schedule push…: a date, a time and a time zone; the push runs then (release day, #19)."""
        changeset = self.get_queryset(request).filter(pk=object_id).first()
        if changeset is None:
            raise Http404
        page = reverse("admin:syncs_changeset_change", args=[changeset.pk])
        refusal = changeset_action_refusal(user=request.user, changeset=changeset, action="push")
        if refusal is not None:
            self.message_user(request, refusal, messages.ERROR)
            return HttpResponseRedirect(page)
        if request.method == "POST":
            form = ChangeSetScheduleForm(request.POST)
            if form.is_valid():
                try:
                    at = schedule_moment(
                        day=form.cleaned_data["day"],
                        clock=form.cleaned_data["clock"],
                        tz=form.cleaned_data["time_zone"],
                    )
                    result = changeset_schedule(
                        changeset=changeset, at=at, tz=form.cleaned_data["time_zone"], user=request.user
                    )
                except ChangeSetError as error:
                    form.add_error(None, str(error))
                else:
                    if result.warning:
                        self.message_user(request, result.warning, messages.WARNING)
                    self.message_user(
                        request, changeset_schedule_described(changeset=result.changeset), messages.SUCCESS
                    )
                    return HttpResponseRedirect(page)
        else:
            local = (
                changeset.scheduled_for.astimezone(ZoneInfo(changeset.scheduled_tz or "UTC"))
                if (changeset.scheduled_for)
                else None
            )
            form = ChangeSetScheduleForm(
                initial={
                    "day": local.date() if local else None,
                    "clock": local.time() if local else None,
                    "time_zone": changeset.scheduled_tz or "UTC",
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": changeset,
            "title": f"Schedule push of {changeset}",
            "form": form,
            "page": page,
        }
        return TemplateResponse(request, "admin/syncs/changeset/schedule_form.html", context)

    def changeset_unschedule_view(self, request, object_id):
        changeset = self.get_queryset(request).filter(pk=object_id).first()
        if changeset is None:
            raise Http404
        page = reverse("admin:syncs_changeset_change", args=[changeset.pk])
        if (back := get_back_to_page(request, page)) is not None:
            return back
        refusal = changeset_action_refusal(user=request.user, changeset=changeset, action="push")
        if refusal is not None:
            self.message_user(request, refusal, messages.ERROR)
            return HttpResponseRedirect(page)
        try:
            changeset_unschedule(changeset=changeset, user=request.user)
            self.message_user(
                request, "Unscheduled: its push waits for someone to press Push.", messages.SUCCESS
            )
        except ChangeSetError as error:
            self.message_user(request, str(error), messages.ERROR)
        return HttpResponseRedirect(page)

    @method_decorator(require_POST)
    def changeset_amend_view(self, request, object_id):
        """The preview table's Save (POST save=<item pk>, value-<item pk>=…) or Remove (remove=<item pk>).

        The one door of the admin that changes a given change set's items (syncs.changesets.amend):
        an approved one goes back to draft and must be approved again.
        """
        changeset = self.get_queryset(request).filter(pk=object_id).first()
        if changeset is None:
            raise Http404
        page = reverse("admin:syncs_changeset_change", args=[changeset.pk])
        refusal = changeset_action_refusal(user=request.user, changeset=changeset, action="push")
        if refusal is not None:
            self.message_user(request, f"Nothing changed. {refusal}", messages.ERROR)
            return HttpResponseRedirect(page)
        asked = request.POST.get("save") or request.POST.get("remove") or ""
        item = (
            changeset_items_visible_to(user=request.user, changeset=changeset).filter(pk=int(asked)).first()
            if asked.isdigit()
            else None
        )
        if item is None:
            self.message_user(
                request, "Nothing changed: that item is not in this change set.", messages.ERROR
            )
            return HttpResponseRedirect(page)
        try:
            if request.POST.get("save"):
                if item.field not in AMENDABLE_TEXT_FIELDS or item.kind != ChangeSetItem.Kind.METADATA:
                    raise ChangeSetError(
                        f"{item.field} is not edited here: remove the item, or edit the video."
                    )
                typed = request.POST.get(f"value-{item.pk}", "")
                value = split_tags(typed) if item.field == "tags" else typed
                result = changeset_amend(
                    changeset=changeset, user=request.user, values={item.video_id: {item.field: value}}
                )
            else:
                result = changeset_amend(changeset=changeset, user=request.user, remove_item_ids=[item.pk])
        except VideoValidationError as error:
            self.message_user(request, f"Nothing changed: {error}", messages.ERROR)
            return HttpResponseRedirect(page)
        except ChangeSetError as error:
            self.message_user(request, f"Nothing changed: {error}", messages.ERROR)
            return HttpResponseRedirect(page)
        if not result.changed:
            self.message_user(request, "Nothing changed: that is the value already.", messages.INFO)
            return HttpResponseRedirect(page)
        self.message_user(request, "Saved in this change set.", messages.SUCCESS)
        if result.approval_withdrawn:
            self.message_user(
                request,
                "Its approval was withdrawn (edited after approval): it must be approved again"
                + (" before its scheduled moment, or it is not pushed." if changeset.scheduled_for else "."),
                messages.WARNING,
            )
        if result.warning:
            self.message_user(request, result.warning, messages.WARNING)
        return HttpResponseRedirect(page)

    def changeset_resolve_view(self, request, object_id, resolution):
        """Settle one conflict (POST item=<pk>) or every conflict of the change set (POST all=1).

        The item list's actions do the same through the same service and the same permission rule.
        """
        changeset = self.get_queryset(request).filter(pk=object_id).first()
        if changeset is None or resolution not in CHANGESET_RESOLUTIONS:
            raise Http404
        page = reverse("admin:syncs_changeset_change", args=[changeset.pk])
        if (back := get_back_to_page(request, page)) is not None:
            return back
        refusal = changeset_action_refusal(user=request.user, changeset=changeset, action="resolve")
        if refusal is not None:
            self.message_user(request, f"Nothing resolved. {refusal}", messages.ERROR)
            return HttpResponseRedirect(page)
        conflicts = changeset_items_visible_to(user=request.user, changeset=changeset).filter(
            status=ChangeSetItem.Status.CONFLICT
        )
        if not request.POST.get("all"):
            item_id = request.POST.get("item", "")
            conflicts = conflicts.filter(pk=int(item_id)) if item_id.isdigit() else conflicts.none()
        conflicts = list(conflicts)
        count = (
            changeset_resolve(items=conflicts, resolution=resolution, user=request.user) if conflicts else 0
        )
        if count:
            self.message_user(request, conflicts_resolved_message(count, resolution), messages.SUCCESS)
        else:
            self.message_user(
                request, "Nothing resolved: that conflict was already settled.", messages.WARNING
            )
        return HttpResponseRedirect(page)

    def changeset_parts_view(self, request, object_id):
        """The page's parts that a push changes (conflicts, items, buttons), for live-changeset.js.

        Rendered by the page's own templates from the same context, so a live update shows what a
        reload would: the items `changeset_items_visible_to` lets this user see, nobody else's.
        """
        changeset = self.get_queryset(request).filter(pk=object_id).first()
        if changeset is None or not self.has_view_permission(request, changeset):
            raise Http404
        context = {"original": changeset, **self.changeset_page_context(request, changeset)}
        return TemplateResponse(request, "admin/syncs/changeset/live_parts.html", context)

    def changeset_page_context(self, request, changeset: ChangeSet) -> dict:
        """What the change-set page shows besides the admin's form (its items, conflicts, buttons)."""
        preview = changeset_preview(changeset=changeset, user=request.user)
        names = item_policy_names([row.item for row in preview.rows], owner_id=changeset.content_owner_id)
        for row in preview.rows:
            row.base_shown = item_value_shown(row.item, row.item.base_value, names=names)
            row.new_shown = item_value_shown(row.item, row.item.new_value, names=names)
            row.theirs_shown = item_value_shown(row.item, row.item.theirs_value, names=names)
        refusals = {
            verb: changeset_action_refusal(user=request.user, changeset=changeset, action=verb)
            for verb in (*CHANGESET_PAGE_VERBS, "resolve")
        }
        # Its items are edited here while nothing of it was sent (the push's permission).
        amendable = refusals["push"] is None and changeset_amend_refusal(changeset=changeset) is None
        for row in preview.rows:
            row.amend_value = (
                _amend_text(row.item)
                if amendable
                and row.item.kind == ChangeSetItem.Kind.METADATA
                and row.item.field in AMENDABLE_TEXT_FIELDS
                else None
            )
        return {
            "preview": preview,
            "conflicts": [row for row in preview.rows if row.item.status == ChangeSetItem.Status.CONFLICT],
            "refusals": refusals,
            "may": {verb: refusal is None for verb, refusal in refusals.items()},
            # Revert is offered only when something of the change set reached YouTube to undo.
            "revertible": changeset_revert_refusal(changeset=changeset) is None,
            "act_urls": {
                verb: reverse("admin:syncs_changeset_act", args=[changeset.pk, verb])
                for verb in CHANGESET_PAGE_VERBS
            },
            "resolve_urls": {
                resolution: reverse("admin:syncs_changeset_resolve", args=[changeset.pk, resolution])
                for resolution in CHANGESET_RESOLUTIONS
            },
            "parts_url": reverse("admin:syncs_changeset_parts", args=[changeset.pk]),
            "amendable": amendable,
            "amend_url": reverse("admin:syncs_changeset_amend", args=[changeset.pk]),
            # Release day (#19): a draft or approved change set may be scheduled (push's permission).
            "schedulable": changeset.status in SCHEDULED_STATUSES and changeset.items.exists(),
            # Before the moment: when, and the quota day (the page counts down); after it: what
            # happened at it (pushed, deferred, conflicts, not approved in time).
            "release_outcome": (outcome := changeset_release_outcome(changeset=changeset)),
            # Only while the scheduled push is still to come: a change set pushed by hand before its
            # moment (before that dropped its schedule) counted down to a push already done.
            "schedule_described": changeset_schedule_described(changeset=changeset)
            if changeset.scheduled_for and outcome is None and changeset.status in SCHEDULED_STATUSES
            else "",
            "schedule_url": reverse("admin:syncs_changeset_schedule", args=[changeset.pk]),
            "unschedule_url": reverse("admin:syncs_changeset_unschedule", args=[changeset.pk]),
        }

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self.changeset_page_context(request, obj))
            context["audit_history"] = audit_events_html(
                audit_events_of(
                    user=request.user, object_type="changeset", object_id=obj.pk, limit=PANEL_ROWS
                ),
                object_type="changeset",
                object_id=obj.pk,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)


@admin.register(ChangeSetItem)
class ChangeSetItemAdmin(StaffReadOnlyAdmin):
    list_display = ("changeset", "video", "field", "base_shown", "new_shown", "theirs_shown", "status")
    # The item's page: values as people read them, not the stored JSON.
    fields = (
        "changeset",
        "video",
        "field",
        "kind",
        "base_shown",
        "new_shown",
        "theirs_shown",
        "status",
        "resolution",
        "error_reason",
        "error_message",
        "deferred_until",
        "attempts",
    )
    readonly_fields = fields
    list_filter = ("status", "field", "resolution")
    list_select_related = ("changeset", "video")
    actions = ["keep_theirs", "overwrite"]
    show_full_result_count = False

    def get_queryset(self, request):
        return changeset_items_visible_to(user=request.user)

    base_shown = staticmethod(item_base_shown)
    new_shown = staticmethod(item_new_shown)
    theirs_shown = staticmethod(item_theirs_shown)

    def _resolve(self, request, queryset, resolution):
        by_changeset: dict[int, list[ChangeSetItem]] = {}
        for item in queryset.select_related("changeset"):
            by_changeset.setdefault(item.changeset_id, []).append(item)
        allowed, refusals = [], {}
        for items in by_changeset.values():
            changeset = items[0].changeset
            refusal = changeset_action_refusal(user=request.user, changeset=changeset, action="resolve")
            if refusal is None:
                allowed.extend(items)
            else:
                refusals[str(changeset)] = refusal
        if allowed:
            count = changeset_resolve(items=allowed, resolution=resolution, user=request.user)
            self.message_user(request, conflicts_resolved_message(count, resolution), messages.SUCCESS)
        for changeset, refusal in refusals.items():
            self.message_user(request, f"{changeset}: nothing resolved. {refusal}", messages.ERROR)

    @admin.action(description="Resolve conflicts: keep YouTube's value")
    def keep_theirs(self, request, queryset):
        self._resolve(request, queryset, ChangeSetItem.Resolution.KEEP_THEIRS)

    @admin.action(description="Resolve conflicts: overwrite with ours")
    def overwrite(self, request, queryset):
        self._resolve(request, queryset, ChangeSetItem.Resolution.OVERWRITE)


@admin.register(SyncRecord)
class SyncRecordAdmin(StaffReadOnlyAdmin):
    """The audit trail: append-only, nobody changes or deletes a row."""

    list_display = (
        "created_at",
        "video",
        "user",
        "changeset",
        "status",
        "parts_sent",
        "quota_units",
        "reason",
    )
    list_filter = ("status", "created_at")
    search_fields = ("video__id", "user__username", "reason")
    date_hierarchy = "created_at"
    list_select_related = ("video", "user", "changeset")
    show_full_result_count = False

    def get_queryset(self, request):
        return sync_records_visible_to(user=request.user).select_related("video", "user", "changeset")


# ---- Change sets on the catalogue's video and claim pages. videos does not import syncs: its
# admins are extended here and registered again, as the content owner's admin is above.


def changesets_waiting_html(changesets, *, none: str) -> str:
    """The change sets an edit waits in, each linked with its status and author (video and claim pages)."""
    changesets = list(changesets)
    if not changesets:
        return none
    return format_html_join(
        mark_safe("<br>"),  # noqa: S308 - a constant
        '<a href="{}">{}</a> ({}, by {})',
        (
            (
                reverse("admin:syncs_changeset_change", args=[changeset.pk]),
                changeset,
                changeset.get_status_display(),
                changeset.created_by.get_username() if changeset.created_by else "nobody",
            )
            for changeset in changesets
        ),
    )


admin.site.unregister(Video)


@admin.register(Video)
class VideoWithChangeSetsAdmin(VideoAdmin):
    """Edits go into the editor's draft change set; the page shows which one and the pushes."""

    actions = [*VideoAdmin.actions, refresh_from_youtube, claim_with_asset, apply_template]
    readonly_fields = (*VideoAdmin.readonly_fields, "pending_in_changesets", "push_history")
    fieldsets = (
        (
            VideoAdmin.fieldsets[0][0],
            {"fields": (*VideoAdmin.fieldsets[0][1]["fields"], "pending_in_changesets")},
        ),
        *(fieldset for fieldset in VideoAdmin.fieldsets[1:] if fieldset is not AUDIT_FIELDSET),
        ("History: pushes to YouTube (newest first)", {"fields": ("push_history",)}),
        AUDIT_FIELDSET,
    )

    @admin.display(description="Waiting in change set")
    def pending_in_changesets(self, video):
        """Which change set an edit went into (#15): one draft per user per content owner."""
        return changesets_waiting_html(
            changesets_holding_video(video_id=video.pk),
            none="None: no edit of this video waits to be pushed to YouTube.",
        )

    @admin.display(description="Push attempts")
    def push_history(self, video):
        return mark_safe(video_sync_history_html(video))  # noqa: S308 - an autoescaped template

    def save_edit(self, request, *, video: Video, changes: dict) -> list[str]:
        changed = video_edit_in_changeset(video=video, changes=changes, user=request.user)
        if set(changed) & set(WRITABLE_FIELDS):
            self._say_which_drafts(request, video_ids=[video.pk])
        return changed

    def save_bulk_edit(self, request, *, videos: list[Video], edit: BulkEdit) -> BulkEditResult:
        return videos_bulk_edit_in_changeset(videos=videos, edit=edit, user=request.user)

    def bulk_edit_saved(self, request, result: BulkEditResult) -> None:
        if any(set(changed) & set(WRITABLE_FIELDS) for changed in result.edits.values()):
            self._say_which_drafts(request, video_ids=[video.pk for video in result.edits])

    def _say_which_drafts(self, request, *, video_ids: list[str]):
        """Name the drafts the edit went into (one per content owner), with links: nothing reaches
        YouTube until it is pushed."""
        drafts = changeset_open_drafts(user=request.user).filter(items__video_id__in=video_ids).distinct()
        for draft in drafts.order_by("pk"):
            self.message_user(
                request,
                format_html(
                    'Your edit is in your draft change set <a href="{}">{}</a>: nothing goes to YouTube '
                    "until it is pushed from there.",
                    reverse("admin:syncs_changeset_change", args=[draft.pk]),
                    draft,
                ),
                messages.INFO,
            )


admin.site.unregister(Claim)


@admin.register(Claim)
class ClaimWithChangeSetsAdmin(ClaimAdmin):
    """A claim's policy as YouTube has it; a policy chosen here goes to the editor's draft."""

    list_display = tuple(
        "policy_on_youtube" if name == "policy" else name for name in ClaimAdmin.list_display
    )
    actions = [change_claim_policy]
    readonly_fields = ("youtube_policy", "waiting_in_changesets")

    @admin.display(description="policy", ordering="policy__name")
    def policy_on_youtube(self, claim):
        """What YouTube has, worded (the row's own policy gives the name: no query per row)."""
        names = {claim.policy_id: claim.policy.name} if claim.policy is not None else {}
        return claim_policy_text(claim_base_policy(claim=claim), names=names)

    @admin.display(description="Policy on YouTube")
    def youtube_policy(self, claim):
        if not claim.video_id:  # the add page
            return "-"
        return format_html(
            '{}<div class="help">As YouTube last answered it. Change it with the claims list\'s action '
            "“Change claim policy…” (or, if you may edit claims, the Policy field): the change goes to your draft change set and reaches YouTube when "
            "that is pushed.</div>",
            claim_policy_described(
                claim_base_policy(claim=claim), owner_id=claim.video.channel.content_owner_id
            ),
        )

    @admin.display(description="Waiting in change set")
    def waiting_in_changesets(self, claim):
        """A policy change or release of this claim not yet at YouTube, as the video page shows edits."""
        if not claim.video_id:
            return "-"
        return changesets_waiting_html(
            changesets_holding_video(video_id=claim.video_id, field=f"claim:{claim.pk}"),
            none="None: no change of this claim waits to be pushed to YouTube.",
        )

    # ---- a policy chosen here goes to the draft change set, as the "Change claim policy…" action does
    def construct_change_message(self, request, form, formsets, add=False):
        """The claim's history lists what changed here: not the policy, which waits in a draft."""
        message = super().construct_change_message(request, form, formsets, add)
        policy_label = str(form.fields["policy"].label)
        for entry in message:
            fields = entry.get("changed", {}).get("fields")
            if fields and policy_label in fields:
                fields.remove(policy_label)
        return [entry for entry in message if entry.get("changed", {}).get("fields", True)]

    def save_model(self, request, obj, form, change):
        wanted = obj.policy_id
        if change and "policy" in form.changed_data:
            original = Claim.objects.get(pk=obj.pk)
            # The column follows what YouTube answers (claims_record_remote_policy), never the form.
            obj.policy_id = original.policy_id
            try:
                item = changeset_add_claim_policy(user=request.user, claim=original, policy_id=wanted)
            except ChangeSetError as error:
                self.message_user(request, f"Policy not changed: {error}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    format_html(
                        'Your policy change is in your draft change set <a href="{}">{}</a>: nothing goes '
                        "to YouTube until it is pushed from there.",
                        reverse("admin:syncs_changeset_change", args=[item.changeset_id]),
                        item.changeset,
                    ),
                    messages.INFO,
                )
        super().save_model(request, obj, form, change)
