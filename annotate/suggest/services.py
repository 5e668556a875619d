# One module: a suggestion's life (run, store, open, accept, dismiss) around one model.
"""Suggested claims: made by a suggester, answered by each annotator on their own.

A suggestion is shared by the article's annotators; each one accepts it (it becomes
their own claim, through ``claim_create``) or dismisses it, and an answer hides it from
that annotator only. Suggestions are a table of their own: agreement, exports and review
read claims, so a suggestion counts only once somebody accepted it as their claim.

Suggestions come from a suggester (``suggestions_refresh``) or from a file of
pre-annotations (``annotate.suggest.imported``, behind ``annotate.exchange.importing_suggestions``);
imported ones may carry proposed labels (``Suggestion.labels``), which accepting uses.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from annotate.chains.links import LinkInput
from annotate.claims.checks import StanceInput, row_id
from annotate.claims.offsets import context, validate_span
from annotate.claims.services import claim_create
from annotate.claims.values import ClaimChanges, ClaimFields, Unset
from annotate.models import Claim, Source, SourceKind, Suggestion, SuggestionResponse, Target
from annotate.sources.services import source_create, source_join
from annotate.suggest import (
    ProjectContext,
    Proposal,
    RegistryEntry,
    Suggester,
    TargetEntry,
    backends,
)
from annotate.suggest.base import PROPOSED_LABELS
from annotate.suggest.llm import LLMBadAnswer, LLMError
from annotate.suggest.mentions import kind_of_name
from annotate.suggest.recommender import active_recommender
from corpus.models import Article, Project
from corpus.permissions import can_add_source, proposes_sources
from corpus.scheme import LABEL_FIELDS
from corpus.text import search_key

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

# The labels a suggestion may propose besides its source, mention and attribution.
NEW_SOURCE_KIND = "new_source_kind"  # in Suggestion.labels
CHAIN = "chain"  # in Suggestion.labels: the proposed attribution chain


def registry_entries(project: Project) -> list[RegistryEntry]:
    """The project's registry as the suggester sees it: two queries."""
    sources = (
        Source.objects.in_project(project).confirmed().prefetch_related("aliases").order_by("id")
    )
    return [
        RegistryEntry(s.pk, s.name, s.kind, tuple(a.alias for a in s.aliases.all()))
        for s in sources
    ]


def suggester_label(suggester: Suggester) -> str:
    return f"{suggester.name}/{suggester.version}"


def project_context(project: Project) -> ProjectContext:
    """The project's scheme and stance targets, as a backend sees them: one query."""
    targets = Target.objects.filter(project=project).order_by("position", "id")
    return ProjectContext(
        scheme=project.scheme, targets=tuple(TargetEntry(t.pk, t.name) for t in targets)
    )


def project_suggester(project: Project, backend: str | None = None) -> Suggester:
    """The suggester the project uses: a learned recommender a manager switched on
    (``services.recommender``), else the backend it chose (``Project.suggestion_backend``);
    ``backend`` names one explicitly. Raises the backend's ``LLMNotConfigured`` when the
    language model is not set up."""
    if backend is None and (learned := active_recommender(project)) is not None:
        return learned
    return backends.build(backend or project.suggestion_backend, project_context(project))


def _proposed(p: Proposal) -> dict[str, Any]:
    """A proposal's labels as ``Suggestion.labels`` holds them (see ``proposed_labels``),
    and the kind of the new source it proposes (``new_source_kind``)."""
    labels: dict[str, Any] = {name: value for name, value in p.labels if name in PROPOSED_LABELS}
    if p.stances:
        labels["stances"] = [{"target": t, "stance": s} for t, s in p.stances]
    if p.source_id is None and p.new_source_name and p.new_source_kind:
        labels[NEW_SOURCE_KIND] = p.new_source_kind
    if p.chain:
        labels[CHAIN] = [
            {"source": source, "mention": None if start is None else [start, end]}
            for source, start, end in p.chain
        ]
    return labels


def proposed_chain(suggestion: Suggestion) -> list[LinkInput]:
    """The attribution chain the suggestion proposes (``Suggestion.labels["chain"]``), as
    ``ClaimFields.chain``; read defensively like ``proposed_labels`` (a malformed link is
    left out; the claim's checks judge the rest)."""
    labels = suggestion.labels if isinstance(suggestion.labels, dict) else {}
    links = labels.get(CHAIN)
    chain = []
    for entry in links if isinstance(links, list) else []:
        source = row_id(entry.get("source")) if isinstance(entry, dict) else None
        if source is None:
            continue
        mention = entry.get("mention")
        chain.append(
            LinkInput(
                source=source,
                mention=tuple(mention) if isinstance(mention, list) and len(mention) == 2 else None,
            )
        )
    return chain


def new_source_kind(suggestion: Suggestion) -> str:
    """The kind of the source that accepting the suggestion adds: the one its suggester
    told (``Suggestion.labels["new_source_kind"]``), else what the name's words say
    ("Reuters": outlet, "the Heritage Foundation": organisation), else a person."""
    labels = suggestion.labels if isinstance(suggestion.labels, dict) else {}
    told = labels.get(NEW_SOURCE_KIND)
    if isinstance(told, str) and told in SourceKind.values:
        return told
    return kind_of_name(suggestion.new_source_name)


def suggestions_open(*, article: Article, annotator: User) -> QuerySet[Suggestion]:
    """The article's suggestions the annotator has not answered, in text order, with the
    proposed source loaded: one query."""
    answered = SuggestionResponse.objects.filter(suggestion=OuterRef("pk"), annotator=annotator)
    return (
        Suggestion.objects.filter(article=article)
        .exclude(Exists(answered))
        .select_related("source")
        .order_by("start", "-end", "id")
    )


def _rows(
    article: Article,
    proposals: Iterable[Proposal],
    label: str,
    known: set[int],
    targets: set[int] | None = None,
) -> list[Suggestion]:
    rows = []
    for p in proposals:
        try:
            span = validate_span(article.text, p.start, p.end)
        except ValidationError:
            continue  # a suggester bug must not stop the others: skip the bad span
        mention = (p.mention_start, p.mention_end)
        if None in mention:
            mention = (None, None)
        prefix, suffix = context(article.text, span.start, span.end)
        rows.append(
            Suggestion(
                article=article,
                start=span.start,
                end=span.end,
                quote=span.quote,
                prefix=prefix,
                suffix=suffix,
                source_id=p.source_id if p.source_id in known else None,
                new_source_name=p.new_source_name[:300] if p.source_id is None else "",
                attribution=p.attribution,
                mention_start=mention[0],
                mention_end=mention[1],
                score=p.score,
                labels=_known_carriers(
                    _proposed(p) if targets is None else _checked_targets(p, targets), known
                ),
                suggester=label,
            )
        )
    return rows


def _known_carriers(labels: dict[str, Any], known: set[int]) -> dict[str, Any]:
    """The labels with the proposed chain cut at its first carrier the registry lacks."""
    if CHAIN in labels:
        kept = []
        for link in labels[CHAIN]:
            if link["source"] not in known:
                break
            kept.append(link)
        labels[CHAIN] = kept
        if not kept:
            del labels[CHAIN]
    return labels


def _checked_targets(p: Proposal, targets: set[int]) -> dict[str, Any]:
    labels = _proposed(p)
    if "stances" in labels:
        labels["stances"] = [s for s in labels["stances"] if s["target"] in targets]
        if not labels["stances"]:
            del labels["stances"]
    return labels


def suggestions_refresh(
    *,
    article: Article,
    suggester: Suggester | None = None,
    registry: Sequence[RegistryEntry] | None = None,
) -> list[Suggestion]:
    """Replace the article's unanswered suggestions of this suggester (any version) with
    its proposals, in one transaction. Suggestions somebody answered stay (their answers
    and claims point at them), as do other suggesters' (imported pre-annotations), and a
    proposal at the same span by the same suggester is not made again. ``registry``
    saves reading it again for each article of a project. Without ``suggester``, the
    project's (``project_suggester``). The suggester runs before the transaction opens
    (a model may take its time); if it fails, nothing is written. Returns the new
    suggestions."""
    suggester = suggester or project_suggester(article.project)
    if registry is None:
        registry = registry_entries(article.project)
    proposals = suggester.suggest(article.text, byline=article.byline, registry=registry)
    return suggestions_store(
        article=article, suggester=suggester, proposals=proposals, registry=registry
    )


@transaction.atomic
def suggestions_store(
    *,
    article: Article,
    suggester: Suggester,
    proposals: Sequence[Proposal],
    registry: Sequence[RegistryEntry],
) -> list[Suggestion]:
    """The write of ``suggestions_refresh``: the suggester's proposals for the article
    replace its unanswered suggestions, in one transaction."""
    label = suggester_label(suggester)
    answered = SuggestionResponse.objects.filter(suggestion=OuterRef("pk"))
    Suggestion.objects.filter(article=article, suggester__startswith=f"{suggester.name}/").exclude(
        Exists(answered)
    ).delete()
    kept = set(
        Suggestion.objects.filter(article=article, suggester=label).values_list("start", "end")
    )
    targets = None
    if any(p.stances for p in proposals):
        targets = set(
            Target.objects.filter(project_id=article.project_id).values_list("pk", flat=True)
        )
    rows = _rows(article, proposals, label, {e.id for e in registry}, targets)
    unique = {(r.start, r.end): r for r in rows if (r.start, r.end) not in kept}
    return Suggestion.objects.bulk_create(unique.values())


# --- Runs over many articles ------------------------------------------------------------

MAX_REPORTED_FAILURES = 20


@dataclass
class SuggestionRunReport:
    """What a run of a suggester over a project's articles did; returned, logged, and kept
    with the background job (``annotate.suggest.tasks``). ``usage``: the backend's accounting
    (the language model's tokens, cost, dropped quotes and labels), if it keeps one."""

    project: str
    backend: str
    suggester: str = ""
    state: str = "done"  # or "failed": stopped early, ``error`` says why
    articles: int = 0
    done: int = 0  # articles whose suggestions were replaced
    created: int = 0  # suggestions made
    skipped: int = 0  # articles the model gave no usable answer for (nothing written)
    failures: list[dict[str, Any]] = field(default_factory=list)  # {"article", "error"}
    error: str = ""
    seconds: float = 0.0
    usage: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        usage = self.usage
        tokens = f", {usage.get('total_tokens', 0):,} tokens" if usage else ""
        cost = f", cost {usage['cost']:.4f}" if usage.get("cost") is not None else ""
        dropped = (
            f", {usage.get('quotes_not_found', 0)} quotes not in the text dropped" if usage else ""
        )
        return (
            f"{self.suggester or self.backend}: {self.done}/{self.articles} articles, "
            f"{self.created} suggestions, {self.skipped} skipped{tokens}{cost}{dropped}"
            f"{'; failed: ' + self.error if self.error else ''}"
        )


def _workers(suggester: Suggester) -> int:
    config = getattr(suggester, "config", None)
    return max(1, int(getattr(config, "max_concurrency", 1) or 1))


def suggestions_run(
    *,
    project: Project,
    article_ids: Sequence[int] | None = None,
    suggester: Suggester | None = None,
    on_progress: Callable[[int, int], object] | None = None,
) -> SuggestionRunReport:
    """Refresh the suggestions of the project's articles (all, or ``article_ids`` among
    them) with the project's suggester, or ``suggester``. Each article is its own
    transaction, written only once all its proposals are in: an article whose answer
    was malformed is skipped (counted, nothing written), and when the endpoint fails
    (timeouts, 429/5xx after the retries) the run stops there: the articles before keep
    their new suggestions, the rest keep their old ones. Articles are sent to the
    backend up to its concurrency limit at a time; the database is written from this
    thread only. ``on_progress(done, total)`` after each article."""
    began = time.monotonic()
    backend = suggester.name if suggester else project.suggestion_backend
    report = SuggestionRunReport(project=project.slug, backend=backend)
    try:
        suggester = suggester or project_suggester(project)
    except LLMError as error:
        report.state, report.error = "failed", str(error)
        return report
    report.suggester = suggester_label(suggester)
    articles = Article.objects.in_project(project).order_by("id")
    if article_ids is not None:
        articles = articles.filter(pk__in=list(article_ids))
    ids = list(articles.values_list("pk", flat=True))
    report.articles = len(ids)
    registry = registry_entries(project)
    workers = _workers(suggester)

    def propose(article: Article) -> list[Proposal] | LLMError:
        assert suggester is not None
        try:
            return suggester.suggest(article.text, byline=article.byline, registry=registry)
        except LLMError as error:
            return error

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for first in range(0, len(ids), workers):
            batch = list(Article.objects.filter(pk__in=ids[first : first + workers]).order_by("id"))
            results = list(pool.map(propose, batch)) if workers > 1 else map(propose, batch)
            for article, result in zip(batch, results, strict=True):
                if isinstance(result, LLMBadAnswer):
                    report.skipped += 1
                    if len(report.failures) < MAX_REPORTED_FAILURES:
                        report.failures.append({"article": article.pk, "error": str(result)})
                elif isinstance(result, LLMError):
                    report.state = "failed"
                    report.error = f"Article {article.pk}: {result}"
                    break
                else:
                    created = suggestions_store(
                        article=article, suggester=suggester, proposals=result, registry=registry
                    )
                    report.created += len(created)
                    report.done += 1
                if on_progress is not None:
                    on_progress(report.done + report.skipped, report.articles)
            if report.state == "failed":
                break
    as_dict = getattr(getattr(suggester, "usage", None), "as_dict", None)
    report.usage = as_dict() if callable(as_dict) else {}
    report.seconds = round(time.monotonic() - began, 3)
    log = logger.warning if report.state == "failed" or report.skipped else logger.info
    log("Suggestions for %s: %s", project.slug, report.summary())
    return report


# --- Answers ----------------------------------------------------------------------------


def proposed_labels(suggestion: Suggestion) -> dict[str, Any]:
    """What the suggestion proposes beyond its span, source, mention and attribution, as
    ``claim_create`` arguments: ``stances`` (``StanceInput`` by target id), ``note`` and
    the label fields. Empty values for a suggestion without labels. Read defensively: a
    malformed entry of ``labels`` is left out rather than failing the workspace."""
    labels = suggestion.labels if isinstance(suggestion.labels, dict) else {}
    stances = []
    for entry in labels.get("stances") or []:
        target = row_id(entry.get("target")) if isinstance(entry, dict) else None
        if target is not None:
            stances.append(StanceInput(target, str(entry.get("stance") or "")))
    return {
        "stances": stances,
        "note": str(labels.get("note") or ""),
        **{name: str(labels.get(name) or "") for name in PROPOSED_LABELS},
    }


def with_defaults(
    proposed: Mapping[str, Any], stances: list[StanceInput], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """The proposed labels (label fields, ``note``) and ``stances``, with each empty label
    field, and the stances when there are none, taken from ``defaults`` (``claim_labels``
    shape: label fields, ``stances`` by target id)."""
    filled = dict(proposed)
    for name in LABEL_FIELDS:
        if not filled.get(name) and defaults.get(name):
            filled[name] = str(defaults[name])
    default_stances = defaults.get("stances") or {}
    if not any(s.stance for s in stances) and isinstance(default_stances, Mapping):
        stances = [
            StanceInput(target, str(stance))
            for key, stance in default_stances.items()
            if (target := row_id(key)) is not None and stance
        ]
    filled["stances"] = stances
    return filled


def _source_for(suggestion: Suggestion, annotator: User, chosen: Any) -> Source | int | None:
    """The source of the claim: the annotator's choice, else the proposed registry
    entry, else a new registry entry with the proposed name (or the entry that already
    has that name or alias, if someone added it since)."""
    if chosen not in (None, ""):
        return chosen
    if suggestion.source_id is not None:
        return suggestion.source_id
    name = suggestion.new_source_name.strip()
    if not name:
        return None
    project = suggestion.article.project
    key = search_key(name)
    existing = (
        Source.objects.in_project(project).filter(name_key=key).first()
        or Source.objects.in_project(project).filter(aliases__alias_key=key).first()
    )
    if existing is not None:
        # Another annotator's hidden proposal of that name: joined, as proposing it would.
        return source_join(source=existing, user=annotator)
    # The project decides who adds sources (``Project.annotator_sources``): a suggestion
    # is no way around it.
    if not can_add_source(annotator, project):
        raise ValidationError(
            {
                "source": f"“{name}” is not in the registry, and in this project a curator "
                "adds new sources: pick one from the registry."
            }
        )
    # Where annotators propose, the new source is proposed (a curator confirms it).
    return source_create(
        project=project,
        name=name,
        kind=new_source_kind(suggestion),
        actor=annotator,
        proposed_by=annotator if proposes_sources(annotator, project) else None,
    )


def _check_unanswered(suggestion: Suggestion, annotator: User) -> None:
    if SuggestionResponse.objects.filter(suggestion=suggestion, annotator=annotator).exists():
        raise ValidationError("You already answered this suggestion.")


@transaction.atomic
def suggestion_accept(
    *,
    suggestion: Suggestion,
    annotator: User,
    overrides: ClaimChanges | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> Claim:
    """Make the suggestion the annotator's own claim and record the answer, in one
    transaction. The claim has the suggestion's span, source, mention, attribution and
    proposed labels (stances, reliability, credibility, type, checkworthy, note) and
    attribution chain;
    ``overrides`` replace them (``source``, ``mention``, ``stances``, ``note``, labels,
    or a changed span); without a source in ``overrides`` (unset or None), a proposed new
    source is added to the registry. Raises ``ValidationError`` (nothing written, no
    source added) when the claim isn't valid for the project's scheme, e.g. a required
    stance is missing.

    ``defaults`` (``annotate.workspace.context.claim_labels`` of the annotator's last claim)
    fill what the suggestion leaves empty: each label field it proposes no value for, and
    the stances when it proposes none. Overrides win over both."""
    overrides = overrides or ClaimChanges()
    _check_unanswered(suggestion, annotator)
    article = suggestion.article
    mention = (
        [suggestion.mention_start, suggestion.mention_end]
        if suggestion.mention_start is not None and suggestion.mention_end is not None
        else None
    )
    proposed = proposed_labels(suggestion)
    proposed_stances: list[StanceInput] = proposed.pop("stances")
    proposed["attribution"] = suggestion.attribution
    filled = with_defaults(proposed, proposed_stances, defaults or {})
    stances = filled.pop("stances")
    note = filled.pop("note", "") or ""
    fields = ClaimFields(
        start=suggestion.start,
        end=suggestion.end,
        quote=suggestion.quote,
        mention=mention,
        stances=stances,
        chain=proposed_chain(suggestion),
        note=note,
        labels=filled,
    ).changed(overrides)
    chosen = None if isinstance(overrides.source, Unset) else overrides.source
    fields = dataclasses.replace(fields, source=_source_for(suggestion, annotator, chosen))
    claim = claim_create(article=article, annotator=annotator, fields=fields)
    SuggestionResponse.objects.create(
        suggestion=suggestion,
        annotator=annotator,
        action=SuggestionResponse.Action.ACCEPTED,
        claim=claim,
    )
    return claim


@transaction.atomic
def suggestion_dismiss(*, suggestion: Suggestion, annotator: User) -> SuggestionResponse:
    """Hide the suggestion from this annotator (others still see it)."""
    _check_unanswered(suggestion, annotator)
    return SuggestionResponse.objects.create(
        suggestion=suggestion, annotator=annotator, action=SuggestionResponse.Action.DISMISSED
    )
