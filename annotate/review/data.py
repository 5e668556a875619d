"""The agreement report of a project from its rows: ORM rows → agreement records → report,
cached until the annotations change.

Reads are ``values_list()`` tuples, never model instances, in a fixed number of queries however many
claims there are. The cached payload (``AgreementData``) carries what the dashboard and the
disagreement queue need besides the report (article titles, annotator names, the trend), so
that a page served from the cache makes no query that grows with the project.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connections
from django.db.models import Min, OuterRef, Subquery, Value

from annotate.models import (
    Assignment,
    AssignmentStatus,
    Claim,
    ClaimStance,
    ProjectVersion,
)
from annotate.review.agreement.records import (
    ArticleRecord,
    ClaimRecord,
    Id,
    config_from_scheme,
)
from annotate.scheme import LABEL_FIELDS
from corpus.models import Article, Project

if TYPE_CHECKING:  # the report's modules load numpy: imported when a report is computed
    from annotate.review.agreement import (
        AgreementReport,
        ArticleAgreement,
        Figure,
        GroupFigures,
        SpanScore,
    )

DEFAULT_OVERLAP = 0.5
CACHE_SECONDS = 60 * 60 * 24
# Above this many claims the dashboard computes the report as a background task.
BACKGROUND_CLAIMS = int(getattr(settings, "CLAIMDESK_AGREEMENT_BACKGROUND_CLAIMS", 20000))

Progress = Callable[[str, float], None]


def overlap_threshold(project: Project, requested: Any = None) -> float:
    """The Jaccard threshold: the one asked for if valid, else the project's
    (``Project.agreement_overlap``, set on its settings page; before that,
    ``scheme["agreement"]["overlap_threshold"]``), else 0.5."""
    candidates: list[Any] = [
        requested,
        project.agreement_overlap,
        (project.scheme.get("agreement") or {}).get("overlap_threshold"),
    ]
    for candidate in candidates:
        if candidate is None:
            continue
        try:
            value = float(candidate)
        except (TypeError, ValueError):
            continue
        if 0.0 < value <= 1.0:
            return round(value, 3)
    return DEFAULT_OVERLAP


# --- records ----------------------------------------------------------------------------

# The claim columns read, in this order: the rows are plain tuples (a claim's labels follow
# its first six columns in ``LABEL_FIELDS`` order).
CLAIM_COLUMNS = ("id", "article_id", "annotator_id", "start", "end", "source_id", *LABEL_FIELDS)
STANCE_COLUMNS = ("claim_id", "target_id", "stance")
_LABELS_AT = len(CLAIM_COLUMNS) - len(LABEL_FIELDS)


def _tuples(queryset: Any) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list()`` query read straight from the cursor: the columns
    read here are ints and strings, which need none of the ORM's per-row conversions, and
    skipping its row machinery halves the time of loading a big project."""
    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def article_annotators(article_ids: Iterable[int]) -> dict[int, set[int]]:
    """Per article, the annotators who finished it (their silence counts as "no claim
    here"). Annotators with claims are added by the callers. One query."""
    found: dict[int, set[int]] = defaultdict(set)
    rows = Assignment.objects.filter(
        article_id__in=list(article_ids), status=AssignmentStatus.DONE
    ).values_list("article_id", "annotator_id")
    for article_id, annotator_id in rows:
        found[article_id].add(annotator_id)
    return found


def claim_records(
    claims: Iterable[Sequence[Any]], stances: Iterable[Sequence[Any]]
) -> list[ClaimRecord]:
    """Records of claim rows (tuples of ``CLAIM_COLUMNS``) and their stance rows (tuples
    of ``STANCE_COLUMNS``)."""
    by_claim: dict[int, dict[int | str, str]] = defaultdict(dict)
    for claim_id, target_id, stance in stances:
        by_claim[claim_id][target_id] = stance
    no_stances: dict[int | str, str] = {}
    records = []
    for row in claims:
        labels: dict[str, str | int | None] = {
            name: value or None for name, value in zip(LABEL_FIELDS, row[_LABELS_AT:], strict=True)
        }
        labels["source"] = row[5]
        records.append(
            ClaimRecord(
                row[1], row[2], row[0], row[3], row[4], labels, by_claim.get(row[0], no_stances)
            )
        )
    return records


@dataclass
class ProjectRecords:
    claims: list[ClaimRecord]
    articles: list[ArticleRecord]
    first_claim: dict[int, datetime]  # per article: when its first claim was made
    titles: dict[int, str]


def project_records(project: Project) -> ProjectRecords:
    """Every live annotator claim of the project as records, and the articles that have
    annotators. Four queries."""
    live = Claim.objects.live().annotations().filter(article__project=project).order_by()
    rows = _tuples(live.values_list(*CLAIM_COLUMNS))
    stances = _tuples(
        ClaimStance.objects.filter(
            claim__article__project=project,
            claim__deleted_at__isnull=True,
            claim__annotator__isnull=False,
        )
        .order_by()
        .values_list(*STANCE_COLUMNS)
    )
    records = claim_records(rows, stances)
    people: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        people[row[1]].add(row[2])
    done = Assignment.objects.filter(
        article__project=project, status=AssignmentStatus.DONE
    ).values_list("article_id", "annotator_id")
    for article_id, annotator_id in done:
        people[article_id].add(annotator_id)
    # The database finds each article's first claim: converting every claim's timestamp
    # in Python costs more than the whole query.
    first_claim = _scalar(
        Claim.objects.live().annotations().filter(article=OuterRef("pk")), Min("created")
    )
    meta = (
        Article.objects.filter(project=project, pk__in=list(people))
        .annotate(first_claim=first_claim)
        .values_list("id", "char_count", "title", "first_claim")
    )
    articles, titles, first = [], {}, {}
    for article_id, length, title, first_at in meta:
        articles.append(ArticleRecord(article_id, length, tuple(sorted(people[article_id]))))
        titles[article_id] = title
        if first_at is not None:
            first[article_id] = first_at
    return ProjectRecords(records, articles, first, titles)


# --- the cached report ------------------------------------------------------------------


@dataclass(frozen=True)
class TrendRow:
    """The figures of the articles whose first claim was made in one week."""

    week: date
    n_articles: int
    n_units: int
    span_f1: SpanScore
    fields: dict[str, Figure]


@dataclass
class AgreementData:
    report: AgreementReport
    titles: dict[int, str]
    annotator_names: dict[int, str]
    trend: list[TrendRow] = field(default_factory=list)


def _scalar(queryset: Any, expression: Any) -> Subquery:
    """``expression`` aggregated over ``queryset`` as a scalar subquery."""
    return Subquery(
        queryset.order_by().annotate(_g=Value(1)).values("_g").annotate(v=expression).values("v")
    )


def annotations_version(project: Project) -> int:
    """How many writes the project's claims, stances, assignments, decisions and sources
    have had: a counter the database's triggers bump (``annotate.db_versions``). One
    query by primary key, whatever the size of the project."""
    found = ProjectVersion.objects.filter(project_id=project.pk).values_list("value", flat=True)
    return next(iter(found), 0)


def cache_key(project: Project, threshold: float) -> str:
    """Changes whenever a claim, a stance, an assignment, a decision or the source registry
    of the project changes (``annotations_version``), and with the scheme or the
    threshold. One query."""
    scheme = json.dumps(project.scheme, sort_keys=True, default=str)
    raw = "|".join(str(v) for v in (project.pk, threshold, annotations_version(project), scheme))
    return "claimdesk:agreement:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def _names(ids: Iterable[Any]) -> dict[int, str]:
    users = get_user_model().objects.filter(pk__in=list(ids))
    return dict(users.values_list("pk", "username"))


def _week(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def _trend(records: ProjectRecords, grouped: Mapping[date, GroupFigures]) -> list[TrendRow]:
    """The figures per week of the articles' first claim (oldest first), as the report on
    that week's articles alone gives them (``project_agreement_grouped``)."""
    return [
        TrendRow(
            week=week,
            n_articles=figures.n_articles,
            n_units=figures.n_units,
            span_f1=figures.span_overlap,
            fields=figures.fields,
        )
        for week, figures in sorted(grouped.items())
    ]


def _weeks(records: ProjectRecords) -> dict[Id, date]:
    return {article_id: _week(moment) for article_id, moment in records.first_claim.items()}


def compute_agreement(
    project: Project, threshold: float | None = None, progress: Progress | None = None
) -> AgreementData:
    """Compute the project's agreement data (no cache). ``progress(step, fraction)``
    is told how far it got."""
    threshold = overlap_threshold(project) if threshold is None else threshold
    say = progress or (lambda step, fraction: None)
    say("Loading claims", 0.05)
    records = project_records(project)
    say("Matching and measuring", 0.3)
    from annotate.review.agreement.report import project_agreement_grouped

    report, weekly = project_agreement_grouped(
        records.claims,
        records.articles,
        config_from_scheme(project.scheme, overlap_threshold=threshold),
        _weeks(records),
    )
    say("Trend over time", 0.9)
    trend = _trend(records, weekly)
    say("Done", 1.0)
    return AgreementData(
        report=report,
        titles=records.titles,
        annotator_names=_names(report.annotator_ids),
        trend=trend,
    )


def cached_agreement(project: Project, threshold: float | None = None) -> AgreementData | None:
    """The cached data if the annotations have not changed since it was computed. (At
    60,000 claims it is ~4 MB pickled and takes most of a second to read back: the curators'
    pages read the small views ``annotate.review.figures`` derives from it.)"""
    threshold = overlap_threshold(project) if threshold is None else threshold
    found: AgreementData | None = cache.get(cache_key(project, threshold))
    return found


def agreement_ready(project: Project, threshold: float) -> bool:
    """Whether the cache holds the data for the annotations as they are (nothing is read)."""
    return cache.has_key(cache_key(project, threshold))


def project_agreement_data(
    project: Project,
    threshold: float | None = None,
    progress: Progress | None = None,
    *,
    key: str | None = None,
) -> AgreementData:
    """The agreement data, from the cache or computed (and cached) now. ``key``: the
    ``cache_key`` if the caller has it already."""
    threshold = overlap_threshold(project) if threshold is None else threshold
    key = key or cache_key(project, threshold)
    found: AgreementData | None = cache.get(key)
    if found is None:
        found = compute_agreement(project, threshold, progress)
        cache.set(key, found, CACHE_SECONDS)
    return found


def needs_background(project: Project) -> bool:
    """Whether the project is large enough to compute its report as a background task
    (more claims than ``Project.agreement_background_claims``, else the setting's)."""
    limit = project.agreement_background_claims or BACKGROUND_CLAIMS
    return Claim.objects.live().annotations().filter(article__project=project).count() > limit


def article_agreement(article: Article, threshold: float | None = None) -> ArticleAgreement | None:
    """The agreement of one article's annotators (with its units), or None when nobody
    annotated it. Three queries."""
    threshold = overlap_threshold(article.project) if threshold is None else threshold
    rows = list(
        Claim.objects.live()
        .annotations()
        .filter(article=article)
        .order_by()
        .values_list(*CLAIM_COLUMNS)
    )
    stances = ClaimStance.objects.filter(
        claim__article=article, claim__deleted_at__isnull=True, claim__annotator__isnull=False
    ).values_list(*STANCE_COLUMNS)
    people = article_annotators([article.pk]).get(article.pk, set())
    people |= {row[2] for row in rows}
    if not people:
        return None
    from annotate.review.agreement.report import project_agreement

    report = project_agreement(
        claim_records(rows, stances),
        [ArticleRecord(article.pk, len(article.text), tuple(sorted(people)))],
        config_from_scheme(article.project.scheme, overlap_threshold=threshold),
    )
    return report.articles[0]
