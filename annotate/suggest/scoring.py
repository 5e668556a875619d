"""Every suggester scored as an annotator against the project's gold layer.

On the articles that have gold claims, each suggester's proposals (grouped by
``Suggestion.suggester``, "name/version") are compared with the gold claims by the same
machinery as human agreement (``annotate.review.agreement``): the gold layer and the suggester are
two annotators of those articles. Per suggester:

- span precision (matched proposals / proposals), recall (matched gold claims / gold claims)
  and F1, with the project's Jaccard threshold and for exact spans;
- source accuracy: matched proposals whose source is the gold claim's (a proposed new source
  counts when its name or an alias of the gold source has the same search key);
- α per label field (nominal or ordinal as the scheme says) on the matched pairs where both
  the suggester and gold gave a value (a field the suggester never proposes has no α).

Every figure comes with its n. Five queries, however many suggestions; the scores are
cached under a key of the gold layer's, the suggestions' and the registry's state (one
query to compute), so a page or an API answer that finds them costs one query.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import Count, Max, OuterRef, Subquery, Value

from annotate.models import (
    Claim,
    ClaimStance,
    ProjectVersion,
    Source,
    SourceAlias,
    Suggestion,
)
from annotate.review.agreement.records import ArticleRecord, ClaimRecord, Id, config_from_scheme
from annotate.review.data import CLAIM_COLUMNS, STANCE_COLUMNS, claim_records, overlap_threshold
from annotate.scheme import LABEL_FIELDS
from corpus.models import Article, Project
from corpus.text import search_key

if TYPE_CHECKING:  # numpy's: imported when the scores are computed
    from annotate.review.agreement import Figure

GOLD = "gold"
SUGGESTER = "suggester"
# The key changes with the data; the timeout only bounds how long unused entries stay.
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class SpanFigures:
    """Span detection against gold: ``matched`` of ``proposals`` and of ``gold``."""

    matched: int
    proposals: int
    gold: int
    precision: float | None
    recall: float | None
    f1: float | None


@dataclass(frozen=True)
class FieldScore:
    field: str
    level: str
    alpha: Figure
    n_proposed: int  # matched proposals with a value for the field


@dataclass(frozen=True)
class SuggesterScore:
    suggester: str
    name: str
    version: str
    n_articles: int  # gold articles the suggester proposed something in
    n_gold_claims: int  # gold claims of all the gold articles
    n_proposals: int  # its proposals in the gold articles
    overlap: SpanFigures
    exact: SpanFigures
    source_correct: int
    source_accuracy: float | None  # over overlap.matched
    fields: list[FieldScore]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SuggesterScores:
    overlap_threshold: float
    n_gold_articles: int
    n_gold_claims: int
    suggesters: list[SuggesterScore]


def _spans(matched: int, proposals: int, gold: int) -> SpanFigures:
    return SpanFigures(
        matched=matched,
        proposals=proposals,
        gold=gold,
        precision=matched / proposals if proposals else None,
        recall=matched / gold if gold else None,
        f1=2 * matched / (proposals + gold) if proposals + gold else None,
    )


def _split(suggester: str) -> tuple[str, str]:
    name, _, version = suggester.partition("/")
    return name, version


def _source_by_key(project: Project) -> dict[str, int]:
    """The project's sources by the search key of their name and of each alias (a name
    wins over another source's alias). One query."""
    by_key: dict[str, int] = {}
    names: dict[str, int] = {}
    rows = Source.objects.filter(project=project).values_list(
        "id", "name_key", "aliases__alias_key"
    )
    for source_id, name_key, alias_key in rows:
        names[name_key] = source_id
        if alias_key:
            by_key.setdefault(alias_key, source_id)
    return by_key | names


def _suggestion_record(row: tuple[Any, ...], by_key: dict[str, int]) -> ClaimRecord:
    pk, article_id, start, end, source_id, new_name, attribution, labels = row
    labels = labels if isinstance(labels, dict) else {}
    fields: dict[str, str | int | None] = {}
    for name in LABEL_FIELDS:
        value = attribution if name == "attribution" else labels.get(name)
        fields[name] = str(value) if value not in (None, "") else None
    if source_id is None and new_name:
        # A proposed new source that the registry knows by that name counts as that source.
        source_id = by_key.get(search_key(new_name))
        fields["source"] = source_id if source_id is not None else f"new:{search_key(new_name)}"
    else:
        fields["source"] = source_id
    stances: dict[Id, str] = {}
    for item in labels.get("stances") or ():
        if isinstance(item, dict) and item.get("target") is not None and item.get("stance"):
            stances[item["target"]] = str(item["stance"])
    return ClaimRecord(article_id, SUGGESTER, pk, start, end, fields, stances)


def _scalar(queryset: Any, expression: Any) -> Subquery:
    """``expression`` aggregated over ``queryset`` as a scalar subquery."""
    return Subquery(
        queryset.order_by().annotate(_g=Value(1)).values("_g").annotate(v=expression).values("v")
    )


def cache_key(project: Project, threshold: float) -> str:
    """Changes whenever what the scores read changes: a gold claim (added, edited — a
    stance change bumps its claim —, deleted or restored) or the source registry
    (``annotations_version``: the per-project counter the database's triggers bump, read by
    primary key, as the agreement cache's key does; annotators' changes bump it too, which
    only costs a recomputation), a suggestion (made, replaced, deleted) or a source's alias
    (new sources match by name: their counts and largest ids, by the tables' indexes), the
    scheme or the threshold. One query, whatever the number of gold claims."""
    in_project = {"article__project": OuterRef("pk")}
    row = (
        Project.objects.filter(pk=project.pk)
        .annotate(
            s_top=_scalar(Suggestion.objects.filter(**in_project), Max("id")),
            s_n=_scalar(Suggestion.objects.filter(**in_project), Count("id")),
            alias_top=_scalar(
                SourceAlias.objects.filter(source__project=OuterRef("pk")), Max("id")
            ),
            alias_n=_scalar(
                SourceAlias.objects.filter(source__project=OuterRef("pk")), Count("id")
            ),
            version=_scalar(ProjectVersion.objects.filter(project_id=OuterRef("pk")), Max("value")),
        )
        .values_list("version", "s_top", "s_n", "alias_top", "alias_n")
        .get()
    )
    scheme = json.dumps(project.scheme, sort_keys=True, default=str)
    raw = "|".join(str(v) for v in (project.pk, threshold, *row, scheme))
    return "claimdesk:suggester-scores:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def suggester_scores(
    project: Project, threshold: float | None = None, *, use_cache: bool = True
) -> SuggesterScores:
    """The scores of every suggester with proposals in the project's gold articles: from
    the cache while the gold layer, the suggestions, the registry and the scheme are as
    they were (``cache_key``), else computed and cached."""
    threshold = overlap_threshold(project) if threshold is None else threshold
    if not use_cache:
        return compute_scores(project, threshold)
    key = cache_key(project, threshold)
    found = cache.get(key)
    if isinstance(found, SuggesterScores):
        return found
    scores = compute_scores(project, threshold)
    cache.set(key, scores, CACHE_SECONDS)
    return scores


def compute_scores(project: Project, threshold: float) -> SuggesterScores:
    """The scores, computed now (no cache)."""
    gold = Claim.objects.live().gold().filter(article__project=project).order_by()
    gold_rows = list(gold.values_list(*CLAIM_COLUMNS))
    stances = ClaimStance.objects.filter(
        claim__article__project=project,
        claim__deleted_at__isnull=True,
        claim__annotator__isnull=True,
    ).values_list(*STANCE_COLUMNS)
    gold_records = [
        ClaimRecord(r.article_id, GOLD, r.claim_id, r.start, r.end, r.fields, r.stances)
        for r in claim_records(gold_rows, stances)
    ]
    article_ids = sorted({r.article_id for r in gold_records})
    lengths: dict[Id, int] = dict(
        Article.objects.filter(pk__in=article_ids).values_list("id", "char_count")
    )
    by_key = _source_by_key(project)
    rows = (
        Suggestion.objects.filter(article_id__in=article_ids)
        .order_by()
        .values_list(
            "id",
            "article_id",
            "start",
            "end",
            "source_id",
            "new_source_name",
            "attribution",
            "labels",
            "suggester",
        )
    )
    by_suggester: dict[str, list[ClaimRecord]] = defaultdict(list)
    for row in rows:
        by_suggester[row[-1]].append(_suggestion_record(row[:-1], by_key))

    from annotate.review.agreement.report import project_agreement

    config = config_from_scheme(project.scheme, overlap_threshold=threshold)
    gold_by_id = {r.claim_id: r for r in gold_records}
    articles = [ArticleRecord(a, lengths.get(a, 0), (GOLD, SUGGESTER)) for a in article_ids]
    scores = []
    for suggester, proposals in sorted(by_suggester.items()):
        report = project_agreement([*gold_records, *proposals], articles, config)
        by_id = {r.claim_id: r for r in proposals}
        pairs: list[tuple[ClaimRecord, ClaimRecord]] = []
        for article in report.articles:
            for unit in article.units:
                members = {m.annotator_id: m.claim_id for m in unit.members}
                if GOLD in members and SUGGESTER in members:
                    pairs.append((gold_by_id[members[GOLD]], by_id[members[SUGGESTER]]))
        correct = sum(
            1
            for g, s in pairs
            if g.fields.get("source") is not None and s.fields.get("source") == g.fields["source"]
        )
        fields = [
            FieldScore(
                field=f.field,
                level=f.level,
                alpha=f.alpha,
                n_proposed=sum(1 for _, s in pairs if _has(s, f.field)),
            )
            for f in report.fields
            if any(_has(p, f.field) for p in proposals)
        ]
        name, version = _split(suggester)
        exact = report.spans.exact.a
        scores.append(
            SuggesterScore(
                suggester=suggester,
                name=name,
                version=version,
                n_articles=len({p.article_id for p in proposals}),
                n_gold_claims=len(gold_records),
                n_proposals=len(proposals),
                overlap=_spans(len(pairs), len(proposals), len(gold_records)),
                exact=_spans(exact, len(proposals), len(gold_records)),
                source_correct=correct,
                source_accuracy=correct / len(pairs) if pairs else None,
                fields=fields,
            )
        )
    return SuggesterScores(threshold, len(article_ids), len(gold_records), scores)


def _has(record: ClaimRecord, field: str) -> bool:
    if field.startswith("stance:"):
        target = field.removeprefix("stance:")
        return any(str(t) == target for t in record.stances)
    return record.fields.get(field) not in (None, "")
