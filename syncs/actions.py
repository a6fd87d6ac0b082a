"""The admin action "Refresh from YouTube", used by videos.admin.VideoAdmin."""

from django.contrib import admin, messages

from syncs.services.pull import videos_pull
from syncs.tasks import videos_refresh
from syncs.youtube.errors import YouTubeError
from videos.selectors import videos_editable_by

# One videos.list call reads 50 videos: up to that, the refresh runs while the page waits.
REFRESH_INLINE_MAX = 50
# 10,000 videos are 200 videos.list calls (200 units); bigger reads belong to the reports.
REFRESH_SELECTION_MAX = 10_000


@admin.action(description="Refresh from YouTube", permissions=["change"])
def refresh_from_youtube(modeladmin, request, queryset):
    editable = queryset.filter(pk__in=videos_editable_by(user=request.user).values("pk"))
    video_ids = list(editable.order_by("pk").values_list("pk", flat=True)[: REFRESH_SELECTION_MAX + 1])
    if not video_ids:
        modeladmin.message_user(request, "None of the selected videos is yours to refresh.", messages.ERROR)
        return
    if len(video_ids) > REFRESH_SELECTION_MAX:
        modeladmin.message_user(
            request,
            f"More than {REFRESH_SELECTION_MAX:,} videos selected; narrow the selection (the CMS "
            "reports are the way to read a whole catalogue).",
            messages.ERROR,
        )
        return
    if len(video_ids) > REFRESH_INLINE_MAX:
        videos_refresh.enqueue(video_ids=video_ids, user_id=request.user.pk)
        modeladmin.message_user(
            request,
            f"Refreshing {len(video_ids):,} videos from YouTube in the background; reload the list "
            "in a while to see YouTube's values.",
            messages.INFO,
        )
        return
    try:
        result = videos_pull(video_ids=video_ids)
    except YouTubeError as error:
        modeladmin.message_user(request, f"Refresh from YouTube failed: {error.message}", messages.ERROR)
        return
    level = messages.WARNING if result.owners_waiting or result.videos_missing else messages.SUCCESS
    modeladmin.message_user(request, f"Refreshed from YouTube. {result.summary()}", level)
