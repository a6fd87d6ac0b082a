"""A paginator for tables of millions of rows.

Counting a million rows costs tens of milliseconds per page view and OFFSET 500000 costs a second,
so: on PostgreSQL, big results are counted from the planner's estimate (small ones exactly), and
pages past the middle are read from the other end with the ordering reversed. A page past the
middle of an estimate is where an estimate's error would hide rows (a low estimate skips the true
middle, a high one invents pages), so those pages pay for one exact count first.
"""

import json

from django.core.paginator import EmptyPage, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Below this many estimated rows an exact COUNT(*) is cheap enough (a few ms with an index).
EXACT_COUNT_BELOW = 20_000


def planner_row_estimate(queryset) -> int | None:
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    count_is_estimate = False

    @cached_property
    def count(self):
        if not isinstance(self.object_list, QuerySet):
            return super().count
        estimate = planner_row_estimate(self.object_list)
        if estimate is None or estimate < EXACT_COUNT_BELOW:
            return self.object_list.count()
        self.count_is_estimate = True
        return estimate

    def page(self, number):
        number = self.validate_number(number)
        if self.count_is_estimate and (number - 1) * self.per_page > self.count // 2:
            self._count_exactly()
            # The last page of a high estimate is the true last page.
            number = min(number, self.num_pages)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if self._reads_from_the_end(bottom):
            # Read the far half backwards: OFFSET n scans n rows, so a small offset from the
            # end beats a huge one from the start. With an estimated count the last page is
            # still exactly the last rows.
            from_end = self.count - top
            rows = list(self.object_list.reverse()[from_end : from_end + (top - bottom)])
            rows.reverse()
            return self._get_page(rows, number, self)
        return self._get_page(self.object_list[bottom:top], number, self)

    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except EmptyPage:
            # Beyond a low estimate's last page: the rows may well be there.
            if not self.count_is_estimate:
                raise
            self._count_exactly()
            return super().validate_number(number)

    def _count_exactly(self) -> None:
        self.__dict__["count"] = self.object_list.count()
        for derived in ("num_pages", "page_range"):
            self.__dict__.pop(derived, None)
        self.count_is_estimate = False

    def _reads_from_the_end(self, bottom: int) -> bool:
        # Only an ordered queryset can be reversed; a list or an unordered queryset is read
        # from the start as Django's own Paginator would.
        return (
            bottom > self.count // 2
            and self.count > 10 * self.per_page
            and isinstance(self.object_list, QuerySet)
            and self.object_list.ordered
        )
