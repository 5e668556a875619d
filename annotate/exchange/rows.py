"""The one streamed source of exported claims: the query, its chunks and columns, and the
walk of the articles. What it selects is ``options.ExportOptions``; where an export came
from, ``provenance``.

Every format reads ``claim_chunks`` (a chunk of claims column by column, the fast way),
``claim_rows`` (one flat dict per claim), ``chunk_runs`` (the chunks with their runs of
rows by article), or ``article_tuples`` / ``article_groups`` (one article with its claims
at a time). The claims' own columns, their stances (as one JSON text per claim) and their
times (as ISO 8601 text) are read with the SQL the ORM writes for ``claims_queryset``,
straight from the cursor (``fetch.fetch_rows``: streamed on PostgreSQL, read ahead by a
thread of its own), a chunk at a time; per chunk, one query each for the
sources (with their aliases) and the articles (metadata and text) that the chunk brings
for the first time, and once the project's stance targets. Memory holds one chunk
whatever the size of the project. Rows come in a fixed order: the articles' order
(title, id), then start, end and claim id.

With ``ExportOptions.all_articles`` the readers by article (``chunk_runs`` and those on
it) also hold the selected articles that have no selected claims, each in its place in
that order, with no rows: the ids of the selected articles are read once, in the same
order, and the articles without claims read a batch at a time.

Only live claims are exported (deleted ones stay in the project archive). The
``status`` of a claim says where adjudication stands: ``gold`` for a claim of the gold
layer, ``accepted`` / ``rejected`` for an annotator claim the latest decision on which
took it into gold or rejected it, ``pending`` for one nobody has decided on yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annotate.exchange.options import ExportOptions
from annotate.exchange.rows_articles import (
    ARTICLE_BATCH,
    Chained,
    Run,
    article_groups,
    article_tuples,
    chunk_runs,
)
from annotate.exchange.rows_chunks import (
    ARTICLE_COLUMNS,
    COLUMNS,
    SOURCE_COLUMNS,
    Chunk,
    StanceKey,
    claim_chunks,
    stance_list,
)
from annotate.exchange.rows_query import (
    DEFAULT_CHUNK,
    claims_queryset,
    project_has_chains,
    project_targets,
    selected_article_ids,
)
from corpus.models import Project

# The row source's public names (its parts: ``rows_query``, ``rows_chunks``,
# ``rows_articles``), imported from here by the formats.
__all__ = [
    "ARTICLE_BATCH",
    "ARTICLE_COLUMNS",
    "COLUMNS",
    "DEFAULT_CHUNK",
    "SOURCE_COLUMNS",
    "Chained",
    "Chunk",
    "Run",
    "StanceKey",
    "article_groups",
    "article_tuples",
    "chunk_runs",
    "claim_chunks",
    "claim_rows",
    "claims_queryset",
    "project_has_chains",
    "project_targets",
    "selected_article_ids",
    "stance_list",
]


def claim_rows(
    project: Project,
    options: ExportOptions,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    on_chunk: Any = None,
) -> Iterator[dict[str, Any]]:
    """One dict per selected claim (keys: ``COLUMNS``), in export order, read a chunk at
    a time. ``on_chunk(n)`` is told after each chunk how many rows it held (progress)."""
    for chunk in claim_chunks(project, options, chunk_size=chunk_size):
        yield from chunk.dicts()
        if on_chunk is not None:
            on_chunk(len(chunk))
