"""Claim search (the analysis search page): the filters, and the words of the query through
an index on both databases (``text_match``): PostgreSQL's GIN index, SQLite's FTS5 table
(``annotate/db_indexes.py``)."""

from __future__ import annotations

import re
from typing import Any

from django.core.paginator import Page
from django.db import connection
from django.db.models import (
    DateField,
    Exists,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
)

from annotate.analysis.filters import (
    ClaimFilters,
    cached_figures,
    figure_maker,
    guessed_page,
    kept_figures,
    layer_claims,
)
from annotate.analysis.versions import figures_version
from annotate.db_indexes import (
    SEARCH_CONFIG,
    claim_fts_ids,
    claim_search_vector,
    fts5_available,
    fts_query,
)
from annotate.models import Claim, ClaimQuerySet, ClaimStance
from common.paging import capped_count, page_number, window_page
from corpus.models import Project


def text_words(query: str) -> list[str]:
    """The plain words of a search query (letters and digits; punctuation separates)."""
    return re.findall(r"\w+", query)[:20]


def text_match(claims: ClaimQuerySet, query: str) -> ClaimQuerySet:
    """Claims whose quote or note contains every word of the query as a whole word,
    ignoring case. PostgreSQL uses its full-text search (the "simple" configuration:
    no stemming) through the GIN index ``claim_search``; SQLite its FTS5 table
    ``annotate_claim_fts``, tokenized to find the same words (``annotate/db_indexes.py``
    says where the two still differ). A SQLite without FTS5 matches each word between
    word boundaries with a regular expression, a scan of every claim."""
    words = text_words(query)
    if not words:
        return claims
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery

        # The very expression of the GIN index "claim_search", so that the index is used.
        return claims.annotate(search=claim_search_vector()).filter(
            search=SearchQuery(" ".join(words), search_type="plain", config=SEARCH_CONFIG)
        )
    if fts5_available():
        match = fts_query(words)
        return claims.filter(pk__in=claim_fts_ids(match)) if match else claims.none()
    for word in words:
        pattern = rf"(?<!\w){re.escape(word)}(?!\w)"
        claims = claims.filter(Q(quote__iregex=pattern) | Q(note__iregex=pattern))
    return claims


def claims_matching(project: Project, filters: ClaimFilters) -> ClaimQuerySet:
    """The claims of the search page: every filter, the text too, with article (no text),
    source, annotator and stances loaded; newest article first. Three queries with a
    paginator's count, however many claims."""
    claims = layer_claims(project, filters)
    if filters.target is not None or filters.stance:
        stance = ClaimStance.objects.filter(claim=OuterRef("pk"))
        if filters.target is not None:
            stance = stance.filter(target_id=filters.target)
        if filters.stance:
            stance = stance.filter(stance=filters.stance)
        claims = claims.filter(Exists(stance))
    claims = text_match(claims, filters.q)
    return with_context(claims).order_by(*search_order())


# Past this many rows a page's ids are sorted rather than walked (``search_order``).
WALK_ROWS = 1000


def search_order(*, start: int = 0) -> tuple[Any, ...]:
    """The search's order: newest article first (undated last), then the article, the
    claim's start and id. On PostgreSQL the first pages walk the articles in that order
    (the index ``article_project_published_desc``, corpus 0015), testing each article's
    claims, and stop at the page: a common word's page of 206,000 matches at the xlarge
    bench, 880 -> 8 ms. Deep in the list the walk tests more claims than sorting every
    match costs (page 100 of "pipeline" 800 -> 1,390 ms, page 200 830 -> 2,860): from
    ``start`` ``WALK_ROWS`` on, the date is written ``published + 0 * start`` — the same
    order, of the claim and its article together, so that no order of the articles alone
    (the index, or the 20,001 articles sorted first, as the planner did with
    ``published + 0``) can give it — and the matches are sorted as before."""
    published: Any = F("article__published")
    if start >= WALK_ROWS and connection.vendor == "postgresql":
        published = Func(
            published,
            F("start"),
            arg_joiner=" + 0 * ",
            template="(%(expressions)s)",
            output_field=DateField(),
        )
    return (published.desc(nulls_last=True), "article_id", "start", "id")


def with_context(claims: ClaimQuerySet) -> ClaimQuerySet:
    return (
        claims.select_related("article", "source", "annotator")
        .defer("article__text", "article__metadata")
        .prefetch_related(
            Prefetch(
                "stances",
                queryset=ClaimStance.objects.select_related("target").order_by(
                    "target__position", "target_id"
                ),
            )
        )
    )


# A search of words counts at most COUNT_CAP matches, as article search does (``corpus.search``):
# one COUNT over LIMIT COUNT_CAP + 1; its pages are those of the first COUNT_CAP. Counting
# every claim of a common word read each match's row (~200,000 of 2.45 million claims at
# the xlarge bench, 330–500 ms on PostgreSQL; capped, 73 ms). Without words every match is
# counted (a layer's claims: a figure the page shows).
COUNT_CAP = 10_000


def count_cap(filters: ClaimFilters) -> int | None:
    """The cap of the search's count: ``COUNT_CAP`` with words, else none."""
    return COUNT_CAP if text_words(filters.q) else None


@figure_maker("search-count")
def _count(project: Project, filters: ClaimFilters) -> int:
    """How many claims match; with words, up to ``COUNT_CAP`` + 1 (more: capped). A count
    kept from before the cap reads as capped when over it."""
    claims = claims_matching(project, filters)
    cap = count_cap(filters)
    return claims.count() if cap is None else claims.order_by()[: cap + 1].count()


@figure_maker("search-ids")
def _page_ids(project: Project, filters: ClaimFilters, per_page: int, number: int) -> list[int]:
    start = (number - 1) * per_page
    claims = claims_matching(project, filters).order_by(*search_order(start=start))
    found = claims.values_list("pk", flat=True)
    return list(found[start : start + per_page])


def search_page(
    project: Project, filters: ClaimFilters, wanted: Any, per_page: int
) -> tuple[Page[Claim], bool]:
    """The page ``wanted`` (as ``Paginator.get_page`` reads it) of ``claims_matching``, and
    whether it is an older result (``kept_figures``: a task is searching anew after a
    change). How many match (with words, at most ``COUNT_CAP``: ``page.paginator.capped``
    says more do), and which claims are on the page, are kept in the cache
    under the project's changes: on the xlarge bench PostgreSQL took 3-10 s to count and
    sort the matches of a word (2.1 million claims without one), and asking again reads
    the page's claims by id. Four queries when cached (the key, both entries at once,
    the page's claims, their stances), whatever the number of matches."""
    claims = claims_matching(project, filters)
    version = figures_version(project)
    # Both entries in one cache read, the page's guessed (right unless out of range).
    guess = (per_page, guessed_page(wanted))
    known = cached_figures(
        project, filters, [("search-count", ()), ("search-ids", guess)], version=version
    )
    count = kept_figures(project, "search-count", filters, version=version, known=known)
    cap = count_cap(filters)
    number = page_number(capped_count(count.value, cap), per_page, wanted)
    ids = kept_figures(
        project, "search-ids", filters, (per_page, number), version=version, known=known
    )
    found = {c.pk: c for c in claims.filter(pk__in=ids.value).order_by()} if ids.value else {}
    page = window_page(
        count.value, per_page, number, [found[pk] for pk in ids.value if pk in found], cap=cap
    )
    return page, count.updating or ids.updating
