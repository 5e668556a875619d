# One module: groups, queue and progress all read the same cached agreement units.
"""Disagreement groups and adjudication progress, for the curators' review screens.

A *group* is an agreement unit (``annotate.review.agreement``): claims of different annotators
at the same place. What is disputed in a group is read off the unit: a claim some annotators
did not make ("missing claim"), boundaries that differ ("span boundaries"), and each field
whose values differ. A group is *adjudicated* once a decision cites any of its claims; its
current outcome is the latest such decision (a gold claim, or a rejection)."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, Q

from annotate.models import (
    Assignment,
    ChainLink,
    Claim,
    ClaimStance,
    Decision,
    DecisionOrigin,
)
from annotate.review.agreement.records import STANCE_PREFIX
from annotate.review.data import (
    CACHE_SECONDS,
    AgreementData,
    article_agreement,
    cache_key,
    project_agreement_data,
)
from annotate.scheme import LABEL_FIELDS
from common.paging import page_number, window_page
from corpus.models import Article, Project

if TYPE_CHECKING:  # numpy's: the chain figures import it when they are computed
    from annotate.review.agreement import ArticleAgreement, Unit
    from annotate.review.agreement.chains import ChainAgreement

MISSING = "missing claim"
SPAN = "span boundaries"
# What a difference in a compared field is called on the review screens.
DISPUTE_NAMES = {
    "source": "source",
    "stances": "stance",
    "attribution": "attribution",
    "claim_type": "claim type",
    "source_reliability": "reliability",
    "information_credibility": "credibility",
    "checkworthy": "check-worthiness",
}
# The claim fields shown side by side (a field of the scheme, or "stances").
SHOWN_FIELDS = ("source", "attribution", "stances", *LABEL_FIELDS[1:])


def field_of(difference: str) -> str:
    """The claim field of a difference key of the agreement report."""
    return "stances" if difference.startswith(STANCE_PREFIX) else difference


def disputes(unit: Unit) -> list[str]:
    """What is disputed in a unit, in a stable order; empty for a unanimous unit or a claim
    only one annotator of a one-annotator article made."""
    found = []
    if unit.missing:
        found.append(MISSING)
    if len(unit.members) >= 2 and len({(m.start, m.end) for m in unit.members}) > 1:
        found.append(SPAN)
    names = {field_of(name) for name in unit.differences}
    found += [label for name, label in DISPUTE_NAMES.items() if name in names]
    return found


def is_unanimous(unit: Unit) -> bool:
    """Two or more claims, one by every annotator, with the same span, source, labels and
    stances (the agreement unit's fields). The review screen also compares the source
    mention and the chain, which the agreement units do not carry: see ``ROW_DISPUTES``."""
    return len(unit.members) >= 2 and not unit.missing and unit.exact and not unit.differences


# Rows the review screen compares beyond the agreement unit's fields, with the name of
# their dispute: a group that differs there is not unanimous ("Accept all unanimous"
# skips it: ``gold_bulk_accept`` compares whole claims).
ROW_DISPUTES = {"mention": "source mention", "chain": "attribution chain"}


# --- one article ------------------------------------------------------------------------


@dataclass
class Outcome:
    """The current decision on a group: its gold claim (None when rejected)."""

    decision: Decision
    gold: Claim | None
    # Which annotator claim gave each field of the gold claim ("span", "source", "stances",
    # "stance:<target id>", …): the choices a merge made, shown as chosen afterwards.
    given: dict[str, int] = field(default_factory=dict)


@dataclass
class ReviewUnit:
    index: int
    start: int
    end: int
    cells: list[Claim | None]  # one per annotator column
    differing: set[str]  # claim fields that differ ("span", "source", "stances", …)
    disputes: list[str]
    unanimous: bool
    outcome: Outcome | None = None
    # The newest decision citing any of its claims (0: none), as ``unit_version_of`` counts
    # it: the forms send it back, and a decision made meanwhile refuses theirs.
    version: int = 0

    @property
    def claims(self) -> list[Claim]:
        return [c for c in self.cells if c is not None]

    @property
    def claim_ids(self) -> str:
        return " ".join(str(c.pk) for c in self.claims)


@dataclass
class ArticleReview:
    article: Article
    annotators: list[Any]  # users, in column order
    still_working: list[Any]
    units: list[ReviewUnit]
    added: list[Claim]  # live gold claims not made from any group (curator additions)
    gold: list[Claim] = field(default_factory=list)  # every live gold claim

    @property
    def n_done(self) -> int:
        return sum(u.outcome is not None for u in self.units)

    @property
    def n_unanimous_open(self) -> int:
        return sum(u.unanimous and u.outcome is None for u in self.units)


def _claims(article: Article) -> list[Claim]:
    """Every live claim of the article, annotators' and gold, with what the review shows.
    Four queries."""
    return list(
        Claim.objects.live()
        .for_article(article)
        .select_related("source")
        .prefetch_related(
            Prefetch("stances", queryset=ClaimStance.objects.select_related("target")),
            Prefetch("chain", queryset=ChainLink.objects.select_related("source")),
        )
        .order_by("start", "-end", "id")
    )


def chain_of(claim: Claim) -> tuple[tuple[int, int | None, int | None, str], ...]:
    """A claim's chain as a comparable value (carrier, mention, reliability by position),
    from its prefetched links."""
    links = sorted(claim.chain.all(), key=lambda link: link.position)
    return tuple((k.source_id, k.mention_start, k.mention_end, k.reliability) for k in links)


def _decorate(claims: Iterable[Claim]) -> None:
    for claim in claims:
        claim.stance_map = {s.target_id: s for s in claim.stances.all()}  # type: ignore[attr-defined]


def article_review(article: Article) -> ArticleReview:
    """The article's groups with each annotator's claim side by side, what differs, and
    each group's outcome. A fixed number of queries (about ten) however many claims."""
    agreement: ArticleAgreement | None = article_agreement(article)
    claims = _claims(article)
    for claim in claims:
        claim.article = article  # the source mention is read off the text, without a query
    _decorate(claims)
    by_id = {c.pk: c for c in claims}
    gold = [c for c in claims if c.annotator_id is None]
    people = list(agreement.annotator_ids) if agreement else []
    # The annotators and those assigned who made no claim yet, in one query (by username).
    assigned = Assignment.objects.filter(article=article).values("annotator_id")
    found = list(
        get_user_model().objects.filter(Q(pk__in=people) | Q(pk__in=assigned)).order_by("username")
    )
    users = {u.pk: u for u in found}
    annotators = [users[pk] for pk in people if pk in users]
    column = {u.pk: k for k, u in enumerate(annotators)}
    working = [u for u in found if u.pk not in column]
    # The latest decision citing each annotator claim (decisions come newest first).
    latest: dict[int, Decision] = {}
    newest: dict[int, int] = {}  # claim id → the highest decision id citing it
    gave: dict[int, dict[str, int]] = defaultdict(dict)  # decision id → field → claim id
    origins = (
        DecisionOrigin.objects.filter(decision__article=article)
        .select_related("decision__curator")
        .order_by("-decision__created", "-decision_id")
    )
    for origin in origins:
        latest.setdefault(origin.claim_id, origin.decision)
        newest[origin.claim_id] = max(newest.get(origin.claim_id, 0), origin.decision_id)
        for name in origin.fields or []:
            gave[origin.decision_id].setdefault(str(name), origin.claim_id)
    units = []
    from_groups: set[int] = set()
    for unit in agreement.units if agreement else []:
        cells: list[Claim | None] = [None] * len(annotators)
        for member in unit.members:
            cells[column[int(member.annotator_id)]] = by_id.get(int(member.claim_id))
        differing = {field_of(name) for name in unit.differences}
        # Stances are compared target by target: "stance:<id>" names the target's row.
        differing |= {name for name in unit.differences if name.startswith(STANCE_PREFIX)}
        if len(unit.members) >= 2 and len({(m.start, m.end) for m in unit.members}) > 1:
            differing.add("span")
        present = [c for c in cells if c is not None]
        if len(present) >= 2 and len({(c.mention_start, c.mention_end) for c in present}) > 1:
            differing.add("mention")
        if len(present) >= 2 and len({chain_of(c) for c in present}) > 1:
            differing.add("chain")
        decisions = [latest[int(m.claim_id)] for m in unit.members if int(m.claim_id) in latest]
        outcome = None
        if decisions:
            decision = max(decisions, key=lambda d: (d.created, d.pk))
            made = by_id.get(decision.gold_id) if decision.gold_id else None
            outcome = Outcome(decision, made, dict(gave.get(decision.pk, {})))
            if made is not None:
                from_groups.add(made.pk)
        units.append(
            ReviewUnit(
                index=unit.index,
                start=unit.start,
                end=unit.end,
                cells=cells,
                differing=differing,
                disputes=disputes(unit) + [ROW_DISPUTES[r] for r in ROW_DISPUTES if r in differing],
                unanimous=is_unanimous(unit) and not differing & ROW_DISPUTES.keys(),
                outcome=outcome,
                version=max((newest.get(int(m.claim_id), 0) for m in unit.members), default=0),
            )
        )
    return ArticleReview(
        article=article,
        annotators=annotators,
        still_working=working,
        units=units,
        added=[g for g in gold if g.pk not in from_groups],
        gold=gold,
    )


# --- the queue and progress -------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    article_id: int
    title: str
    n_annotators: int
    n_units: int
    n_disputed: int
    n_adjudicated: int
    disputes: dict[str, int]  # what is disputed → in how many groups
    span_f1: float | None  # overlapping spans count as the same claim
    # Only identical boundaries count: below span_f1 exactly when "span boundaries" differ.
    span_f1_exact: float | None = None

    @property
    def open_disputes(self) -> bool:
        return self.n_adjudicated < self.n_units

    @property
    def done(self) -> bool:
        """Every group adjudicated (an article without groups is neither open nor done)."""
        return self.n_units > 0 and self.n_adjudicated >= self.n_units


QUEUE_PER_PAGE = 50  # the review queue's rows a page

# What the queue's "what is disputed" filter offers, in the order shown.
DISPUTE_KINDS = (MISSING, SPAN, *DISPUTE_NAMES.values())
QUEUE_STATES = {"open": "Groups left to adjudicate", "done": "Every group adjudicated"}


@dataclass(frozen=True)
class QueueFilters:
    """The disagreement queue's filters: title words, open/done, one kind of dispute."""

    q: str = ""
    state: str = ""
    dispute: str = ""

    @classmethod
    def from_query(cls, params: Any) -> QueueFilters:
        state = params.get("state", "").strip()
        dispute = params.get("dispute", "").strip()
        return cls(
            q=params.get("q", "").strip()[:200],
            state=state if state in QUEUE_STATES else "",
            dispute=dispute if dispute in DISPUTE_KINDS else "",
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.state or self.dispute)


def filter_queue(rows: list[QueueRow], filters: QueueFilters) -> list[QueueRow]:
    """The rows that pass the filters, in their order. Title words match case-insensitively,
    every word somewhere in the title."""
    words = filters.q.casefold().split()
    kept = []
    for row in rows:
        if filters.state == "open" and not row.open_disputes:
            continue
        if filters.state == "done" and not row.done:
            continue
        if filters.dispute and filters.dispute not in row.disputes:
            continue
        if words and not all(word in row.title.casefold() for word in words):
            continue
        kept.append(row)
    return kept


def decided_claims(project: Project) -> set[int]:
    """Annotator claims of the project that some decision cites. One query."""
    return set(
        DecisionOrigin.objects.filter(decision__article__project=project).values_list(
            "claim_id", flat=True
        )
    )


def _f1(article: ArticleAgreement, *, exact: bool = False) -> float | None:
    scores = [s.exact if exact else s.overlap for s in article.spans]
    a = sum(s.a for s in scores)
    b = sum(s.b for s in scores)
    c = sum(s.c for s in scores)
    return 2 * a / (2 * a + b + c) if 2 * a + b + c else None


# --- small cached views of the agreement data ---------------------------------------------
# The agreement data of a large project is megabytes (every article's units) and takes most
# of a second to read back from the cache; the dashboard and the queue need a fraction of it.
# Each is derived once per cache key (which changes with any claim, assignment, source or
# decision of the project) and cached beside it.


def _derived[T](
    project: Project,
    threshold: float,
    suffix: str,
    make: Callable[[AgreementData], T],
    *,
    compute: bool,
) -> T | None:
    """What ``make`` derives from the agreement data, from the cache or made now from the
    cached data — or, with ``compute``, from data computed now. None when not computed."""
    base = cache_key(project, threshold)
    found: T | None = cache.get(base + suffix)
    if found is None:
        data: AgreementData | None = cache.get(base)
        if data is None and compute:
            data = project_agreement_data(project, threshold, key=base)
        if data is None:
            return None
        found = make(data)
        cache.set(base + suffix, found, CACHE_SECONDS)
    return found


def disagreement_queue(
    project: Project, threshold: float, *, compute: bool
) -> list[QueueRow] | None:
    """The disagreement queue's rows (``queue_rows``), cached."""
    return _derived(project, threshold, ":queue", _queue_of(project), compute=compute)


def _queue_of(project: Project) -> Callable[[AgreementData], list[QueueRow]]:
    return lambda data: queue_rows(data, decided_claims(project))


@dataclass(frozen=True)
class Dashboard:
    """What the agreement dashboard shows: the data without the per-article results, and
    the articles with the least agreement."""

    data: AgreementData
    worst: list[dict[str, Any]]
    # Agreement on the attribution chains of the matched claims (None: no chains at all).
    chains: ChainAgreement | None = None


def chain_figures(project: Project, data: AgreementData) -> ChainAgreement | None:
    """Chain equality and α per position on the report's units; None when no annotator
    claim of the project has a chain (one query either way)."""
    chains: dict[Any, tuple[int, ...]] = {}
    links = (
        ChainLink.objects.filter(
            claim__article__project=project,
            claim__annotator__isnull=False,
            claim__deleted_at__isnull=True,
        )
        .order_by("claim_id", "position")
        .values_list("claim_id", "source_id")
    )
    for claim_id, source_id in links:
        chains[claim_id] = (*chains.get(claim_id, ()), source_id)
    if not chains:
        return None
    units = (unit for article in data.report.articles for unit in article.units)
    from annotate.review.agreement.chains import chain_agreement

    return chain_agreement(units, chains)


def dashboard_of(project: Project, threshold: float, *, compute: bool) -> Dashboard | None:
    # (":board", not ":dashboard": the entries made before kept the titles.)
    return _derived(project, threshold, ":board", _board_of(project), compute=compute)


def _board_of(project: Project) -> Callable[[AgreementData], Dashboard]:
    def make(data: AgreementData) -> Dashboard:
        # Without the articles' results nor their titles (the worst articles carry their
        # own): every title was 1.6 of the entry's 1.62 MB at 20,001 articles, read and
        # unpickled on each view of the dashboard (~45 ms of a 55 ms cache read, loaded).
        summary = replace(data, titles={}, report=replace(data.report, articles=[]))
        return Dashboard(summary, worst_articles(data), chain_figures(project, data))

    return make


def derive_views(project: Project, data: AgreementData, key: str) -> None:
    """Cache what the dashboard and the review queue read (the dashboard's entry, the
    whole queue, the unfiltered queue's count, progress and first page) from the agreement
    data just computed under ``key`` (``cache_key``), beside it: the background task does
    this before it caches the data, so that the curators' first views after it read those
    small entries only. Derived on the first view instead, they read the whole data back
    first (2.1 M claims at the xlarge bench: bench/RESULTS.md, win33)."""
    every = _queue_of(project)(data)
    entries: dict[str, Any] = {key + ":board": _board_of(project)(data), key + ":queue": every}
    entries |= _queue_entries(key, QueueFilters(), every, 1, QUEUE_PER_PAGE)[1]
    cache.set_many(entries, CACHE_SECONDS)


def queue_rows(data: AgreementData, decided: set[int]) -> list[QueueRow]:
    """One row per article with two or more annotators, most disagreement first: most open
    disputed groups, then most disputed groups, then lowest span F1."""
    rows = []
    for article in data.report.articles:
        if len(article.annotator_ids) < 2:
            continue
        kinds: Counter[str] = Counter()
        disputed = adjudicated = 0
        for unit in article.units:
            found = disputes(unit)
            kinds.update(found)
            disputed += bool(found)
            adjudicated += any(int(m.claim_id) in decided for m in unit.members)
        rows.append(
            QueueRow(
                article_id=int(article.article_id),
                title=data.titles.get(int(article.article_id), ""),
                n_annotators=len(article.annotator_ids),
                n_units=article.n_units,
                n_disputed=disputed,
                n_adjudicated=adjudicated,
                disputes=dict(kinds.most_common()),
                span_f1=_f1(article),
                span_f1_exact=_f1(article, exact=True),
            )
        )

    def order(row: QueueRow) -> tuple[Any, ...]:
        open_ = row.n_disputed - min(row.n_disputed, row.n_adjudicated)
        f1 = row.span_f1 if row.span_f1 is not None else 2.0
        return (-open_, -row.n_disputed, f1, row.title, row.article_id)

    return sorted(rows, key=order)


@dataclass(frozen=True)
class ProjectProgress:
    n_articles: int  # with two or more annotators
    n_articles_done: int  # every group adjudicated
    n_units: int
    n_adjudicated: int

    @property
    def share(self) -> float | None:
        return self.n_adjudicated / self.n_units if self.n_units else None


def project_progress(rows: list[QueueRow]) -> ProjectProgress:
    return ProjectProgress(
        n_articles=len(rows),
        n_articles_done=sum(r.done for r in rows),
        n_units=sum(r.n_units for r in rows),
        n_adjudicated=sum(r.n_adjudicated for r in rows),
    )


@dataclass(frozen=True)
class QueuePage:
    """One page of the filtered disagreement queue, with the whole queue's progress."""

    page: Page[QueueRow]
    progress: ProjectProgress


def _page_number(value: Any) -> int:
    text = str(value or "1")
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) < 10 else 1


def queue_page(
    project: Project,
    threshold: float,
    filters: QueueFilters,
    page: Any,
    per_page: int,
    *,
    compute: bool,
) -> QueuePage | None:
    """The page ``page`` (as ``Paginator.get_page`` reads it) of the queue's rows that pass
    ``filters``, and the progress. Each page, and the filters' count with the progress, is
    cached beside the agreement data (same key): a page asked for again costs one cache
    read of its own rows — at 20,000 articles the whole queue is a 4.5 MB entry, and
    reading, unpickling, filtering and summing it took ~100 ms of CPU per request. On a
    miss the whole queue is read (``disagreement_queue``, or computed with ``compute``);
    None when it is neither cached nor computed."""
    base = cache_key(project, threshold)
    head_key = _head_key(base, filters)

    def page_key(number: int) -> str:
        return _page_key(head_key, per_page, number)

    number = _page_number(page)
    found = cache.get_many([head_key, page_key(number)])
    head: tuple[int, ProjectProgress] | None = found.get(head_key)
    if head is not None:
        count, progress = head
        real = page_number(count, per_page, page)
        rows: list[QueueRow] | None = (
            found.get(page_key(number)) if real == number else cache.get(page_key(real))
        )
        if rows is not None:
            return QueuePage(window_page(count, per_page, real, rows), progress)
    every = disagreement_queue(project, threshold, compute=compute)
    if every is None:
        return None
    shown, entries = _queue_entries(base, filters, every, page, per_page)
    cache.set_many(entries, CACHE_SECONDS)
    return shown


def _head_key(base: str, filters: QueueFilters) -> str:
    """The cache key of the filtered queue's count and progress (its pages' keys follow)."""
    wanted = hashlib.sha256(repr((filters.q, filters.state, filters.dispute)).encode())
    return f"{base}:queue-head:{wanted.hexdigest()[:24]}"


def _page_key(head_key: str, per_page: int, number: int) -> str:
    """The cache key of one page of the filtered queue (``_head_key``'s)."""
    return f"{head_key}:{per_page}:{number}"


def _queue_entries(
    base: str, filters: QueueFilters, every: list[QueueRow], page: Any, per_page: int
) -> tuple[QueuePage, dict[str, Any]]:
    """The page ``page`` of the rows of ``every`` that pass ``filters``, and the cache
    entries of the filtered count with the progress and of that page."""
    kept = filter_queue(every, filters)
    progress = project_progress(every)
    shown = Paginator(kept, per_page).get_page(page)
    rows = list(shown.object_list)
    head_key = _head_key(base, filters)
    entries = {head_key: (len(kept), progress), _page_key(head_key, per_page, shown.number): rows}
    return QueuePage(window_page(len(kept), per_page, shown.number, rows), progress), entries


def worst_articles(data: AgreementData, limit: int = 20) -> list[dict[str, Any]]:
    """Articles with two or more annotators, lowest span F1 first, then most disputes."""
    rows: list[dict[str, Any]] = []
    for article in data.report.articles:
        if len(article.annotator_ids) < 2:
            continue
        n_disputed = sum(bool(disputes(u)) for u in article.units)
        rows.append(
            {
                "article_id": int(article.article_id),
                "title": data.titles.get(int(article.article_id), ""),
                "span_f1": _f1(article),
                "n_units": article.n_units,
                "n_disputed": n_disputed,
                "n_annotators": len(article.annotator_ids),
            }
        )
    rows.sort(
        key=lambda r: (
            r["span_f1"] if r["span_f1"] is not None else 2.0,
            -r["n_disputed"],
            r["article_id"],
        )
    )
    return rows[:limit]


def group_claims(article: Article, claim_ids: Iterable[int]) -> list[Claim]:
    """Live annotator claims of the article among ``claim_ids`` (what a form posted), with
    the article loaded; others are silently left out. One query."""
    ids = [int(pk) for pk in claim_ids]
    return list(
        Claim.objects.live()
        .annotations()
        .filter(article=article, pk__in=ids)
        .select_related("article__project")
    )


def assignments_of(article_ids: Iterable[int]) -> dict[int, list[Assignment]]:
    """The articles' assignments by article, each with its annotator's username (only: the
    user rows hold password hashes that no page needs). One query."""
    found: dict[int, list[Assignment]] = defaultdict(list)
    rows = (
        Assignment.objects.filter(article_id__in=list(article_ids))
        .select_related("annotator")
        .only("article_id", "annotator_id", "status", "annotator__username")
        .order_by("annotator__username", "pk")
    )
    for row in rows:
        found[row.article_id].append(row)
    return found
