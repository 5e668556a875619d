"""The exports' row source by article (``rows``): each chunk with its runs of rows by
article (``chunk_runs``, with the selected articles without claims in their place when
asked), and one article at a time with its claims (``article_groups``,
``article_tuples``)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any, NamedTuple

from annotate.exchange.options import ExportOptions
from annotate.exchange.rows_chunks import COLUMNS, Chunk, claim_chunks
from annotate.exchange.rows_query import (
    _ARTICLE_FIELDS,
    DEFAULT_CHUNK,
    _Articles,
    selected_article_ids,
)
from corpus.models import Project

# An article with its rows in a chunk: (article, first row, row after the last). An
# article without selected claims (``ExportOptions.all_articles``) is a run of no rows.
Run = tuple[dict[str, Any], int, int]
# Articles without claims are read this many at a time (with their texts).
ARTICLE_BATCH = 500


def chunk_runs(
    project: Project,
    options: ExportOptions,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    omit: Collection[str] = (),
    chained: bool | None = None,
    written: str | None = None,
) -> Iterator[tuple[Chunk | None, Iterator[Run]]]:
    """``claim_chunks``, each chunk with its runs of rows by article, in export order
    (read each chunk's runs before asking for the next chunk). With
    ``options.all_articles`` the runs take in, where the export order puts them, the
    selected articles that have no selected claims, as runs of no rows; those after the
    last claim come last, with no chunk (``None``)."""
    chunks = claim_chunks(
        project, options, chunk_size=chunk_size, omit=omit, chained=chained, written=written
    )
    if not options.all_articles:
        for chunk in chunks:
            runs = chunk.article_runs()
            yield chunk, ((chunk.articles[pk], first, stop) for pk, first, stop in runs)
        return
    walk = _ArticleWalk(project, options, min(chunk_size, ARTICLE_BATCH))
    for chunk in chunks:
        yield chunk, walk.runs(chunk)
    yield None, walk.rest()


class _ArticleWalk:
    """The selected articles' ids in export order, walked alongside the claim chunks:
    every id before the next article with claims is one without. Those are read
    ``batch`` at a time (``_Articles``), never one query per article, and their texts
    are held a batch at a time."""

    def __init__(self, project: Project, options: ExportOptions, batch: int) -> None:
        self.ids = selected_article_ids(project, options)
        self.position = {pk: at for at, pk in enumerate(self.ids)}
        self.at = 0  # the place in ``ids`` of the next article not yet walked past
        self.read = _Articles(options)
        self.batch = batch

    def runs(self, chunk: Chunk) -> Iterator[Run]:
        """The chunk's runs with, before each, the articles without claims before it."""
        plan: list[tuple[int, int, int]] = []
        for pk, first, stop in chunk.article_runs():
            plan += ((empty, first, first) for empty in self._before(pk))
            plan.append((pk, first, stop))
        return self._with_articles(plan, chunk.articles)

    def rest(self) -> Iterator[Run]:
        """The articles without claims after the last article with claims."""
        plan = [(pk, 0, 0) for pk in self.ids[self.at :]]
        self.at = len(self.ids)
        return self._with_articles(plan, {})

    def _before(self, pk: int) -> list[int]:
        """The ids of the articles without claims between the last one walked past and
        article ``pk`` (which has claims); walks past ``pk``."""
        at = self.position.get(pk)
        if at is None or at < self.at:
            # Added since the ids were read, or running on from the previous chunk.
            return []
        gap = self.ids[self.at : at]
        self.at = at + 1
        return gap

    def _with_articles(
        self, plan: list[tuple[int, int, int]], known: dict[int, dict[str, Any]]
    ) -> Iterator[Run]:
        """Each planned run with its article: the chunk's for a run of rows; for an
        empty run, read with the next ``batch`` empty ones when it comes up (one
        deleted meanwhile is left out)."""
        empties = [pk for pk, first, stop in plan if first == stop]
        read: dict[int, dict[str, Any]] = {}
        asked: set[int] = set()
        next_at = 0
        for pk, first, stop in plan:
            if first < stop:
                yield known[pk], first, stop
                continue
            if pk not in asked:
                asked = set(empties[next_at : next_at + self.batch])
                next_at += len(asked)
                read = self.read(asked)
            if pk in read:
                yield read[pk], first, stop


def article_groups(
    project: Project,
    options: ExportOptions,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    on_chunk: Any = None,
    chained: bool | None = None,
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each article that has selected claims (with ``options.all_articles``, every
    selected article: those without selected claims have none), with its text and
    metadata, and its claim rows; in export order. The texts come with the chunks'
    articles, so only those texts are held at a time."""
    current: dict[str, Any] | None = None
    rows: list[dict[str, Any]] = []
    for chunk, runs in chunk_runs(project, options, chunk_size=chunk_size, chained=chained):
        records = [dict(zip(COLUMNS, row, strict=True)) for row in chunk.tuples()] if chunk else []
        if chunk is not None and chunk.chains:
            for record in records:
                chunk.add_chain(record)
        for article, first, stop in runs:
            if current is None or article["id"] != current["id"]:
                if current is not None:
                    yield current, rows
                current, rows = _public(article), []
            rows += records[first:stop]
        if on_chunk is not None and chunk is not None:
            on_chunk(len(chunk))
    if current is not None:
        yield current, rows


def article_tuples(
    project: Project,
    options: ExportOptions,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    on_chunk: Any = None,
    chained: bool | None = None,
    columns: Sequence[str] = COLUMNS,
    omit: Collection[str] = (),
) -> Iterator[tuple[dict[str, Any], list[tuple[Any, ...]], dict[int, Chained]]]:
    """``article_groups`` with each claim row as a tuple of ``columns`` (in that order;
    ``claim_id`` among them), and the chains of the article's chained claims by claim id
    (empty when none has one). A writer that names only the columns it writes, and
    ``omit``s the quote context it does not (``claim_chunks``), has the others neither
    read nor made. ``on_chunk(n)`` is told after each chunk of claims how many it held."""
    current: dict[str, Any] | None = None
    rows: list[tuple[Any, ...]] = []
    chains: dict[int, Chained] = {}
    claim_at = list(columns).index("claim_id")
    for chunk, runs in chunk_runs(
        project, options, chunk_size=chunk_size, chained=chained, omit=omit
    ):
        tuples = list(chunk.tuples(columns)) if chunk is not None else []
        for article, first, stop in runs:
            if current is None or article["id"] != current["id"]:
                if current is not None:
                    yield current, rows, chains
                current, rows, chains = _public(article), [], {}
            rows += tuples[first:stop]
            if chunk is not None and chunk.chains:
                for row in tuples[first:stop]:
                    pk = row[claim_at]
                    if pk in chunk.chains:
                        chains[pk] = Chained(chunk.chain_of(pk), chunk.chain_reliability[pk])
        if on_chunk is not None and chunk is not None:
            on_chunk(len(chunk))
    if current is not None:
        yield current, rows, chains


class Chained(NamedTuple):
    """A claim's chain (``Chunk.chain_of``) and its weakest link."""

    links: list[dict[str, Any]]
    reliability: str


def _public(article: dict[str, Any]) -> dict[str, Any]:
    out = {name: article[name] for name in _ARTICLE_FIELDS}
    out["split"] = article["split"]
    return out
