"""Paging a list of which only one page is at hand (a page cached on its own): what
``django.core.paginator.Paginator`` needs, without the other rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.utils.functional import cached_property


class Window[T](Sequence[T]):
    """``count`` rows of which only ``rows``, from position ``start`` on, are at hand."""

    def __init__(self, count: int, start: int, rows: list[T]) -> None:
        self.n, self.start, self.rows = count, start, rows

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            begin = index.start or 0
            if begin != self.start:
                raise IndexError("only the rows of one page are here")
            return self.rows[: max(0, (index.stop or self.n) - begin)]
        return self.rows[index - self.start]


def page_number(count: int, per_page: int, wanted: Any) -> int:
    """The page that ``Paginator.get_page(wanted)`` gives for ``count`` rows."""
    return Paginator(range(count), per_page).get_page(wanted).number


class WindowPaginator(Paginator):
    """The paginator of a ``Window``, with ``cap`` and ``capped`` as ``CappedPaginator``'s
    (the templates read them alike): ``capped``, more than ``cap`` rows were found and
    ``count`` is the cap."""

    def __init__(self, window: Window[Any], per_page: int, cap: int | None = None) -> None:
        super().__init__(window, per_page)
        self.cap = cap
        self.capped = cap is not None and len(window) > cap


def capped_count(found: int, cap: int | None) -> int:
    """The rows a list of ``found`` (counted up to ``cap`` + 1) shows: at most ``cap``."""
    return found if cap is None else min(found, cap)


def window_page[T](
    count: int, per_page: int, number: int, rows: list[T], *, cap: int | None = None
) -> Page[T]:
    """Page ``number`` (valid: ``page_number`` of ``capped_count(count, cap)``) of ``count``
    rows, ``rows`` being its own; with ``cap``, a count over it is capped, the pages those
    of the first ``cap`` rows (``WindowPaginator``)."""
    window = Window(count, (number - 1) * per_page, rows)
    paginator = WindowPaginator(window, per_page, cap)
    if paginator.capped:
        window.n = capped_count(count, cap)
    return paginator.page(number)


class CappedPaginator(Paginator):
    """A paginator of a query set that counts at most ``cap`` rows (``capped``: there are
    more): a search that matches nearly all of 20,000 articles counts 1,001 of them, not
    every match, as the big search tools do. Its pages are those of the first ``cap``
    rows; ``count`` is ``cap`` when capped. Without a cap (None), every row is counted.

    With ``by_id``, each page's rows are read from it by their ids (``rows_by_id``)."""

    def __init__(
        self,
        object_list: QuerySet[Any],
        per_page: int,
        *,
        cap: int | None,
        by_id: QuerySet[Any] | None = None,
    ) -> None:
        super().__init__(object_list, per_page)
        self.rows = object_list
        self.cap = cap
        self.by_id = by_id
        self.capped = False

    @cached_property
    def count(self) -> int:
        if self.cap is None:
            return self.rows.count()
        # COUNT(*) over a LIMIT cap + 1 subquery: the database stops at the cap + 1st row.
        # Without the list's order: which rows make up the cap + 1 changes no count, and
        # with it the subquery sorted every match (by title, for article search) first.
        found = self.rows.order_by()[: self.cap + 1].count()
        self.capped = found > self.cap
        return min(found, self.cap)

    def page(self, number: Any) -> Page[Any]:
        found = super().page(number)
        return found if self.by_id is None else rows_by_id(found, self.by_id)


def rows_by_id[M: Model](page: Page[M], rows: QuerySet[M]) -> Page[M]:
    """``page`` (of a query set, sliced by the paginator) with its rows read from ``rows``
    (the same order; not the list's filters) by their ids: the list's query becomes a
    subquery choosing the page's ids — it sorts every match on the ids and the order's
    columns alone — and ``rows`` reads and joins the page's rows only. Still one query.
    With the filters in the outer query too, PostgreSQL tested each of the page's rows
    against them again (article search: ``to_tsvector()`` of each text, ~1 ms a row)."""
    chosen = page.object_list
    assert isinstance(chosen, QuerySet)  # (a Paginator of a query set slices it)
    page.object_list = rows.filter(pk__in=chosen.values("pk"))
    return page


class EitherEndPaginator(Paginator):
    """A paginator of an ordered query set that reads a page past the middle from the
    end: the list's order reversed, an OFFSET of the rows after the page (fewer than those
    before it), the rows turned round. The database then keeps only the first rows of the
    reversed sort instead of sorting every row to skip most of them: the queue's last page
    of 20,001 assignments sorted them all on disk on PostgreSQL (xlarge bench, 83–112 →
    37–47 ms). The order must be total (its last key unique among the rows), so that
    reversed it is the same rows backwards; a page's ``object_list`` is then a list."""

    def page(self, number: Any) -> Page[Any]:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        if not isinstance(rows, QuerySet) or not rows.ordered or bottom <= self.count - top:
            return super().page(number)
        found = list(rows.reverse()[self.count - top : self.count - bottom])
        found.reverse()
        return Page(found, number, self)
