"""The edit-sheet export of selected videos: an action reports.admin adds to the video list."""

from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone

from reports.downloads import csv_download
from reports.services import edit_sheet_rows
from reports.sheets import EDIT_SHEET_COLUMNS, LIST_SEPARATOR

EXPORT_FIELDS = [column if column != "video_id" else "id" for column in EDIT_SHEET_COLUMNS]


@admin.action(description="Export edit sheet (CSV) of selected videos", permissions=["view"])
def export_edit_sheet(modeladmin, request, queryset):
    """Stream the selected videos' editable fields as an edit sheet (formula-escaped CSV)."""
    # A list item containing the separator cannot round-trip through the sheet: say which ones.
    unexportable = list(
        queryset.filter(
            Q(tags__icontains=LIST_SEPARATOR)
            | Q(artists__icontains=LIST_SEPARATOR)
            | Q(genres__icontains=LIST_SEPARATOR)
        ).values_list("pk", flat=True)[:6]
    )
    if unexportable:
        modeladmin.message_user(
            request,
            "These videos have a tag, artist or genre containing '|', which the edit sheet uses between list "
            f"items; fix them or leave them out of the selection: {', '.join(unexportable[:5])}"
            + (" and more." if len(unexportable) > 5 else "."),
            messages.ERROR,
        )
        return None
    videos = queryset.select_related(None).only(*EXPORT_FIELDS).order_by("pk").iterator(chunk_size=2000)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return csv_download(request=request, chunks=edit_sheet_rows(videos), filename=f"edit-sheet-{stamp}.csv")
