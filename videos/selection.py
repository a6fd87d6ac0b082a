"""How many videos one edit may select: one limit, BULK_EDIT_MAX_VIDEOS, and one refusal, for the
admin's bulk edit, the API's bulk endpoints (ids or a filter), edit sheets and conflict resolution.

Bigger edits belong in several requests: a bulk edit is validated, previewed and recorded in one
transaction, and its change set is pushed in one go.
"""

from django.conf import settings
from django.db.models import QuerySet

from videos.models import Video


def selection_limit() -> int:
    """The most videos (ids, sheet rows, conflict items) one edit may touch."""
    return settings.BULK_EDIT_MAX_VIDEOS


class SelectionTooLarge(ValueError):
    """A selection over the limit. str() is the message every interface shows, e.g.
    "10,001 video ids; one bulk edit takes at most 10,000. Split the edit into several requests." """

    code = "too_many"

    def __init__(
        self, *, count: int | None, limit: int, noun: str = "videos", subject: str = "", fix: str = ""
    ):
        """count: how many were selected; None when counting stopped past the limit ("more than")."""
        self.count, self.limit = count, limit
        amount = f"{count:,} {noun}" if count is not None else f"more than {limit:,} {noun}"
        super().__init__(f"{subject}{amount}; one bulk edit takes at most {limit:,}. {fix}".strip())


def selection_check(*, count: int, noun: str = "videos", fix: str = "Narrow the selection.") -> None:
    """Refuse a selection of `count` over the limit (SelectionTooLarge)."""
    limit = selection_limit()
    if count > limit:
        raise SelectionTooLarge(count=count, limit=limit, noun=noun, fix=fix)


def video_ids_selected_for_edit(
    *, videos: QuerySet[Video], subject: str = "The selection has ", fix: str = "Narrow the selection."
) -> list[str]:
    """The ids of `videos`, or SelectionTooLarge past the limit; reads at most limit + 1 ids."""
    limit = selection_limit()
    # order_by(): no sort needed to count, and the default ordering would make the database sort.
    ids = list(videos.order_by().values_list("pk", flat=True)[: limit + 1])
    if len(ids) > limit:
        raise SelectionTooLarge(count=None, limit=limit, subject=subject, fix=fix)
    return ids
