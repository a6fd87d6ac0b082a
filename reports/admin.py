"""The reports admin: upload, list with progress, one page per import, S3 files, edit sheets."""

import posixpath
import uuid

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.text import get_valid_filename
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from channels_app.models import ContentOwner
from core.admin_display import CountersDisplayMixin
from core.admin_scoping import NotFoundOutsideScopeMixin, get_back_to_page
from reports import s3
from reports.actions import export_edit_sheet
from reports.counters import LIVE_COUNTERS, ROW_COUNTERS, SHOWN_COUNTERS
from reports.downloads import csv_download
from reports.events import reports_pull_line
from reports.forms import EditSheetUploadForm, ReportUploadForm
from reports.models import Report
from reports.parsing import ReportFileError
from reports.selectors import (
    report_is_editable_by,
    report_owners_importable_by,
    report_s3_folders,
    reports_of_owner_visible_to,
    reports_pull_outcome_of,
    reports_visible_to,
)
from reports.services import (
    ReportStateError,
    edit_sheet_apply,
    edit_sheet_preview,
    report_create_from_s3,
    report_create_from_upload,
    report_failed_rows_csv,
    report_rerun,
)
from reports.tasks import reports_pull_from_youtube
from syncs.actions import claim_with_asset
from syncs.admin import ContentOwnerWithYouTubeAdmin, VideoWithChangeSetsAdmin
from syncs.models import unreadable_message
from syncs.selectors import credential_status_of
from syncs.services.credentials import credential_readable
from videos.models import Video

ERRORS_PER_PAGE = 50
SHEET_SESSION_KEY = "reports:edit_sheets"


def would_count(report: Report, count: int, verb: str) -> str:
    """A list cell: the count, or for a preview "would <verb> <count>" (nothing was written)."""
    return f"would {verb} {count:,}" if report.dry_run else f"{count:,}"


def progress_bar(report: Report) -> str:
    percent = report.progress_percent
    colour = {"failed": "#ba2121", "done": "#417690"}.get(report.status, "#79aec8")
    # data-ytcms-report and the inner elements are what ytcms_site/static/ytcms/live-report.js updates.
    return format_html(
        '<div class="ytcms-progress" data-ytcms-report="{}" title="{}%" style="width:8em;height:.8em;background:#eee;'
        'border-radius:3px;overflow:hidden;display:inline-block;vertical-align:middle"><div class="ytcms-progress-fill" '
        'style="width:{}%;height:100%;background:{}"></div></div> <span class="ytcms-progress-percent">{}%</span>',
        report.pk,
        percent,
        percent,
        colour,
        percent,
    )


@admin.register(Report)
class ReportAdmin(CountersDisplayMixin, NotFoundOutsideScopeMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "status",
        "progress",
        "rows_read",
        "imported_rows",
        "rows_unchanged",
        "rows_rejected",
        "created_videos",
        "updated_videos",
        "dry_run",
        "content_owner",
        "created_at",
    )
    list_filter = ("status", "source", "dry_run")
    list_select_related = ("content_owner", "created_by")
    show_full_result_count = False
    change_form_template = "admin/reports/report/change_form.html"
    counter_fields = SHOWN_COUNTERS
    change_list_template = "admin/reports/report/change_list.html"
    readonly_fields = (
        "source",
        "original_name",
        "s3_bucket",
        "s3_key",
        "content_owner",
        "created_by",
        "dry_run",
        "status",
        "progress",
        "message",
        "layout",
        "unknown_columns",
        *SHOWN_COUNTERS,
        "sha256",
        "attempts",
        "created_at",
        "started_at",
        "progress_at",
        "finished_at",
    )
    fieldsets = (
        (None, {"fields": ("status", "progress", "message")}),
        (
            "File",
            {
                "fields": (
                    "source",
                    "original_name",
                    ("s3_bucket", "s3_key"),
                    "layout",
                    "unknown_columns",
                    "sha256",
                )
            },
        ),
        (
            "Rows",
            {"fields": (ROW_COUNTERS,)},
        ),
        (
            "Catalogue",
            {
                "fields": (
                    ("videos_created", "videos_updated", "videos_unchanged"),
                    ("channels_created", "claims_upserted", "assets_created"),
                )
            },
        ),
        (
            "Run",
            {
                "fields": (
                    ("content_owner", "created_by", "dry_run"),
                    ("bytes_processed", "bytes_total", "checkpoint_line", "attempts"),
                    ("created_at", "started_at", "progress_at", "finished_at"),
                )
            },
        ),
    )

    @admin.display(description="progress")
    def progress(self, report):
        return progress_bar(report)

    # A preview's counts are what an import would do; its list row says so (live-report.js too).
    @admin.display(description="rows imported", ordering="rows_imported")
    def imported_rows(self, report):
        return would_count(report, report.rows_imported, "import")

    @admin.display(description="videos created", ordering="videos_created")
    def created_videos(self, report):
        return would_count(report, report.videos_created, "create")

    @admin.display(description="videos updated", ordering="videos_updated")
    def updated_videos(self, report):
        return would_count(report, report.videos_updated, "update")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not obj.dry_run:
            return fieldsets
        would = " (preview: what an import would do)"
        return tuple(
            (f"{name}{would}" if name in ("Rows", "Catalogue") else name, options)
            for name, options in fieldsets
        )

    # ---- scoping and permissions
    def get_queryset(self, request):
        return reports_visible_to(user=request.user).select_related("content_owner", "created_by")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and (
            request.user.is_superuser or report_owners_importable_by(user=request.user).exists()
        )

    def has_change_permission(self, request, obj=None):
        return False  # a report is a record; its buttons (re-run, preview, import) are the only changes

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def _can_run(self, request, report) -> bool:
        return request.user.has_perm("reports.change_report") and report_is_editable_by(
            user=request.user, report=report
        )

    def _refuse(self, request, message: str, *, back_to: str | None = None) -> HttpResponseRedirect:
        """A refused button or page: back to where the user was, with the reason, never a bare 403."""
        self.message_user(request, message, messages.ERROR)
        if back_to is None:
            back_to = (
                reverse("admin:reports_report_changelist")
                if self.has_view_permission(request)
                else reverse("admin:index")
            )
        return HttpResponseRedirect(back_to)

    def _visible_report(self, request, object_id) -> Report:
        if not self.has_view_permission(request):
            raise PermissionDenied
        report = self.get_object(request, object_id)
        if report is None:
            raise Http404("No report matches the given query.")
        return report

    # ---- URLs
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("upload/", wrap(self.upload_view), name="reports_report_upload"),
            path("s3/", wrap(self.s3_view), name="reports_report_s3"),
            path("edit-sheet/", wrap(self.edit_sheet_view), name="reports_report_edit_sheet"),
            path(
                "<path:object_id>/failed-rows/",
                wrap(self.failed_rows_view),
                name="reports_report_failed_rows",
            ),
            path("<path:object_id>/run/", wrap(self.run_view), name="reports_report_run"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:reports_report_upload"))

    # ---- upload
    def upload_view(self, request):
        if not self.has_add_permission(request):
            return self._refuse(
                request, "Uploading a report takes an editing role on a content owner; you have none."
            )
        if request.method == "POST":
            form = ReportUploadForm(request.POST, request.FILES, user=request.user)
            refused = getattr(request, "upload_refused_reason", None)  # set while request.FILES was read
            if refused:
                form.is_valid()
                form.errors.pop("file", None)
                form.add_error("file", refused)
            elif form.is_valid():
                report = report_create_from_upload(
                    uploaded_file=form.cleaned_data["file"],
                    user=request.user,
                    content_owner=form.cleaned_data["content_owner"],
                    dry_run=request.POST.get("mode") == "preview",
                )
                self.message_user(
                    request,
                    f"{report.original_name} was uploaded as report #{report.pk} and "
                    f"{'its preview' if report.dry_run else 'its import'} is queued.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:reports_report_change", args=[report.pk]))
        else:
            form = ReportUploadForm(user=request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": "Upload a CMS report",
            "opts": self.model._meta,
            "form": form,
            "max_upload": settings.REPORTS_MAX_UPLOAD_BYTES,
        }
        return TemplateResponse(request, "admin/reports/report/upload.html", context)

    # ---- one report
    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self._visible_report(request, object_id)
        if request.method == "POST":
            # The page's own form saves nothing (a report is a record); a post here is a button
            # that lost its form (an old page, a browser dropping a nested form).
            return self._refuse(
                request,
                "Nothing was changed: a report's fields cannot be edited. Use the buttons under its progress bar.",
                back_to=reverse("admin:reports_report_change", args=[report.pk]),
            )
        errors = report.row_errors.order_by("line_number", "id")
        page = Paginator(errors, ERRORS_PER_PAGE).get_page(request.GET.get("errors_page"))
        extra_context = {
            **(extra_context or {}),
            "report": report,
            "errors_page": page,
            "can_run": self._can_run(request, report),
            "preview": report.preview if report.dry_run else [],
            # The counters live-report.js updates as frames arrive (it keeps no list of its own).
            "live_counters": LIVE_COUNTERS,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def failed_rows_view(self, request, object_id):
        report = self._visible_report(request, object_id)
        stem = get_valid_filename(report.original_name.split(".")[0] or "report") or "report"
        return csv_download(
            request=request,
            chunks=report_failed_rows_csv(report=report),
            filename=f"failed-rows-{report.pk}-{stem}.csv",
        )

    def run_view(self, request, object_id):
        report = self._visible_report(request, object_id)
        if (
            back := get_back_to_page(request, reverse("admin:reports_report_change", args=[report.pk]))
        ) is not None:
            return back
        if not self._can_run(request, report):
            return self._refuse(
                request,
                f"Report #{report.pk} was not run: previewing, importing and re-running a report take an "
                "editing role on its content owner.",
                back_to=reverse("admin:reports_report_change", args=[report.pk]),
            )
        mode = request.POST.get("mode")
        dry_run = {"preview": True, "import": False}.get(mode)
        try:
            report = report_rerun(report=report, dry_run=dry_run, user=request.user)
        except ReportStateError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            what = "preview" if report.dry_run else "import"
            self.message_user(request, f"Report #{report.pk}: the {what} is queued.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:reports_report_change", args=[report.pk]))

    # ---- S3
    def s3_view(self, request):
        if not self.has_add_permission(request):
            return self._refuse(
                request, "Importing reports from S3 takes an editing role on a content owner; you have none."
            )
        bucket, prefix = settings.S3_BUCKET_NAME, settings.S3_REPORTS_PREFIX
        context = {
            **self.admin_site.each_context(request),
            "title": "Import reports from S3",
            "opts": self.model._meta,
            "bucket": bucket,
            "prefix": prefix,
            "owners": report_owners_importable_by(user=request.user).order_by("name"),
            "files": [],
            "truncated": False,
            "error": "",
        }
        if not bucket:
            context["error"] = "No S3 bucket is configured: set S3_BUCKET_NAME (and S3_REPORTS_PREFIX)."
            return TemplateResponse(request, "admin/reports/report/s3.html", context)
        if request.method == "POST":
            return self._s3_import(request, bucket)
        files, truncated = [], False
        try:
            for folder in report_s3_folders(user=request.user):
                found, more = s3.list_report_files(bucket=bucket, prefix=folder)
                files += found
                truncated = truncated or more
        except s3.S3Error as exc:
            context["error"] = str(exc)
            return TemplateResponse(request, "admin/reports/report/s3.html", context)
        context["folders"] = report_s3_folders(user=request.user)
        imported = {}
        for report in (
            reports_visible_to(user=request.user)
            .filter(source=Report.Source.S3, s3_bucket=bucket, s3_key__in=[f.key for f in files])
            .order_by("pk")
        ):
            imported[(report.s3_key, report.s3_etag)] = report
        context["files"] = [(f, imported.get((f.key, f.etag))) for f in files]
        context["truncated"] = truncated
        return TemplateResponse(request, "admin/reports/report/s3.html", context)

    def _s3_import(self, request, bucket):
        owners = report_owners_importable_by(user=request.user)
        owner = None
        owner_id = request.POST.get("content_owner") or ""
        if owner_id:
            owner = owners.filter(pk=owner_id).first()
            if owner is None:
                return self._refuse(
                    request,
                    "Nothing was imported: you may not import reports for that content owner.",
                    back_to=reverse("admin:reports_report_s3"),
                )
        elif not request.user.is_superuser:
            self.message_user(request, "Choose the content owner the reports are for.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:reports_report_s3"))
        created = []
        for key in request.POST.getlist("key"):
            try:
                # The folder-scope rule is the service's (report_s3_key_check).
                report = report_create_from_s3(
                    bucket=bucket,
                    key=key,
                    user=request.user,
                    content_owner=owner,
                    dry_run=request.POST.get("mode") == "preview",
                )
            except s3.S3Error as exc:
                self.message_user(request, str(exc), messages.ERROR)
                continue
            created.append(report)
        if created:
            self.message_user(
                request,
                f"{len(created)} report(s) queued: "
                + ", ".join(f"#{r.pk} {r.original_name}" for r in created),
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:reports_report_changelist"))

    # ---- edit sheets
    def edit_sheet_view(self, request):
        if not request.user.has_perm("videos.change_video"):
            return self._refuse(request, "Importing an edit sheet takes permission to change videos.")
        context = {
            **self.admin_site.each_context(request),
            "title": "Import an edit sheet",
            "opts": self.model._meta,
        }
        sheets = request.session.get(SHEET_SESSION_KEY, {})
        step = request.POST.get("step") if request.method == "POST" else None
        if step == "apply":
            token = request.POST.get("token", "")
            stored = sheets.pop(token, None)
            request.session[SHEET_SESSION_KEY] = sheets
            if stored is None:
                self.message_user(
                    request, "That sheet is no longer available; upload it again.", messages.ERROR
                )
                return HttpResponseRedirect(reverse("admin:reports_report_edit_sheet"))
            try:
                with default_storage.open(stored["path"], "rb") as stream:
                    result = edit_sheet_apply(stream=stream, name=stored["name"], user=request.user)
            except ReportFileError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return HttpResponseRedirect(reverse("admin:reports_report_edit_sheet"))
            finally:
                default_storage.delete(stored["path"])
            level = messages.WARNING if result.failed_count else messages.SUCCESS
            self.message_user(
                request,
                "Edit sheet applied: "
                + ngettext(
                    "%(count)s video now has pending changes",
                    "%(count)s videos now have pending changes",
                    result.updated,
                )
                % {"count": f"{result.updated:,}"}
                + ngettext(
                    ", %(count)s was already as the sheet says",
                    ", %(count)s were already as the sheet says",
                    result.unchanged,
                )
                % {"count": f"{result.unchanged:,}"}
                + ngettext(
                    ", %(count)s row could not be applied.",
                    ", %(count)s rows could not be applied.",
                    result.failed_count,
                )
                % {"count": f"{result.failed_count:,}"}
                + " Nothing was sent to YouTube yet.",
                level,
            )
            return HttpResponseRedirect(reverse("admin:videos_video_changelist"))
        form = EditSheetUploadForm(request.POST or None, request.FILES or None)
        refused = getattr(request, "upload_refused_reason", None)  # set while request.FILES was read
        if request.method == "POST" and refused:
            form.is_valid()
            form.add_error(None, refused)
        elif request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            name = get_valid_filename(posixpath.basename(upload.name)) or "sheet.csv"
            token = uuid.uuid4().hex
            stored_path = default_storage.save(f"reports/edit-sheets/{token}/{name}", upload)
            try:
                with default_storage.open(stored_path, "rb") as stream:
                    preview = edit_sheet_preview(stream=stream, name=name, user=request.user)
            except ReportFileError as exc:
                default_storage.delete(stored_path)
                form.add_error("file", str(exc))
            else:
                sheets[token] = {"path": stored_path, "name": name}
                request.session[SHEET_SESSION_KEY] = sheets
                context.update(preview=preview, token=token, name=name)
        context["form"] = form
        return TemplateResponse(request, "admin/reports/report/edit_sheet.html", context)


# ---- The edit sheet on the video list. reports sits above syncs: its video admin extends syncs'
# (VideoWithChangeSetsAdmin, itself videos' VideoAdmin extended) and is registered in its place.

admin.site.unregister(Video)


@admin.register(Video)
class VideoWithEditSheetAdmin(VideoWithChangeSetsAdmin):
    # Between reading from YouTube and claiming: the place the list's menu has always had it.
    actions = [
        *(action for action in VideoWithChangeSetsAdmin.actions if action is not claim_with_asset),
        export_edit_sheet,
        claim_with_asset,
    ]


# ---- "Fetch reports from YouTube now" on the content owner's page. syncs adds the YouTube
# connection to channels_app's content owner admin; reports, above syncs, adds its pull the same way.

admin.site.unregister(ContentOwner)


@admin.register(ContentOwner)
class ContentOwnerWithReportsAdmin(ContentOwnerWithYouTubeAdmin):
    change_form_template = "admin/reports/contentowner/change_form.html"

    def get_urls(self):
        return [
            path(
                "<path:object_id>/youtube/pull-reports/",
                self.admin_site.admin_view(self.youtube_pull_reports_view),
                name="channels_app_contentowner_youtube_pull_reports",
            ),
            *super().get_urls(),
        ]

    @method_decorator(require_POST)
    def youtube_pull_reports_view(self, request, object_id):
        """Queue the Reporting API pull of this owner; the task worker downloads and imports."""
        owner = self.owner_to_act_on(request, object_id)
        if credential_status_of(owner_id=owner.pk) is None:
            self.message_user(
                request, f"{owner} is not connected to YouTube: connect it first.", messages.ERROR
            )
        elif not credential_readable(owner=owner):
            self.message_user(request, f"Nothing queued. {unreadable_message(owner.pk)}", messages.ERROR)
        else:
            reports_pull_from_youtube.enqueue(owner_id=owner.pk)
            self.message_user(
                request,
                "Queued: the newest video metadata report (or, if it keeps failing, the previous one) is "
                "fetched from YouTube and imported in the background; it appears under Reports. What the "
                "fetch found (also when it finds nothing) will appear on this page.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:channels_app_contentowner_change", args=[owner.pk]))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["youtube_pull_reports_url"] = reverse(
                "admin:channels_app_contentowner_youtube_pull_reports", args=[obj.pk]
            )
            # Only to those the pull's live frame reaches (members of the owner itself, superusers).
            if reports_of_owner_visible_to(user=request.user, owner_id=obj.pk):
                outcome = reports_pull_outcome_of(owner_id=obj.pk)
                context["reports_pull_line"] = reports_pull_line(outcome)
                context["reports_pull_failed"] = outcome is not None and outcome.failed
        return super().render_change_form(request, context, add, change, form_url, obj)
