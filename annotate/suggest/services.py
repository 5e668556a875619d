"""Suggested claims: made by a suggester, answered by each annotator on their own.

A suggestion is shared by the article's annotators; each one accepts it (it becomes
their own claim, through ``claim_create``) or dismisses it, and an answer hides it from
that annotator only. Suggestions are a table of their own: agreement, exports and review
read claims, so a suggestion counts only once somebody accepted it as their claim.

Suggestions come from a suggester (``suggestions_refresh``) or from a file of
pre-annotations (``suggestions_create_many``, behind ``annotate.exchange.importing_suggestions``);
imported ones may carry proposed labels (``Suggestion.labels``), which accepting uses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from annotate.claims.bulk import _source, _stances, _with_projects
from annotate.claims.checks import Errors, StanceInput, check_mention, row_id
from annotate.claims.offsets import context, validate_span
from annotate.claims.services import claim_create
from annotate.models import Claim, Source, SourceKind, Suggestion, SuggestionResponse, Target
from annotate.scheme import LABEL_FIELDS, Labels, validate_labels
from annotate.sources.services import source_create
from annotate.suggest import (
    ProjectContext,
    Proposal,
    RegistryEntry,
    Suggester,
    TargetEntry,
    backends,
)
from annotate.suggest.llm import LLMBadAnswer, LLMError
from annotate.suggest.mentions import kind_of_name
from annotate.suggest.recommender import active_recommender
from common.params import parse_float
from corpus.models import Article, Project
from corpus.text import search_key

logger = logging.getLogger(__name__)

SUGGESTER_MAX = Suggestion._meta.get_field("suggester").max_length or 100
NEW_SOURCE_MAX = Suggestion._meta.get_field("new_source_name").max_length or 300
# The labels a suggestion may propose besides its source, mention and attribution.
PROPOSED_LABELS = tuple(name for name in LABEL_FIELDS if name != "attribution")
NEW_SOURCE_KIND = "new_source_kind"  # in Suggestion.labels


def registry_entries(project: Project) -> list[RegistryEntry]:
    """The project's registry as the suggester sees it: two queries."""
    sources = Source.objects.in_project(project).prefetch_related("aliases").order_by("id")
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
    return labels


def new_source_kind(suggestion: Suggestion) -> str:
    """The kind of the source that accepting the suggestion adds: the one its suggester
    told (``Suggestion.labels["new_source_kind"]``), else what the name's words say
    ("Reuters": outlet, "the Heritage Foundation": organisation), else a person."""
    labels = suggestion.labels if isinstance(suggestion.labels, dict) else {}
    told = labels.get(NEW_SOURCE_KIND)
    if isinstance(told, str) and told in SourceKind.values:
        return told
    return kind_of_name(suggestion.new_source_name)


def suggestions_open(*, article: Article, annotator: Any) -> QuerySet[Suggestion]:
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
                labels=_proposed(p) if targets is None else _checked_targets(p, targets),
                suggester=label,
            )
        )
    return rows


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


# --- Imported suggestions ------------------------------------------------------------


@dataclass(frozen=True)
class SuggestionInput:
    """One suggestion to create: ``claim_create``'s arguments (labels by name, attribution
    among them), a proposed ``new_source_name`` when the registry lacks the speaker, and
    the ``score`` its maker gave it."""

    start: int
    end: int
    quote: str | None = None
    source: Source | int | None = None
    new_source_name: str = ""
    mention: Sequence[int] | None = None
    stances: Sequence[StanceInput] = ()
    note: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    score: Any = None


def suggester_name_clean(name: Any) -> str:
    """The name stored as ``Suggestion.suggester`` for imported suggestions, checked."""
    cleaned = name.strip() if isinstance(name, str) else ""
    if not cleaned:
        raise ValidationError({"suggester": "Give the suggester a name."})
    if len(cleaned) > SUGGESTER_MAX:
        raise ValidationError(
            {"suggester": f"The suggester's name is longer than {SUGGESTER_MAX} characters."}
        )
    if not cleaned.isprintable():  # control characters, NUL, lone surrogates
        raise ValidationError({"suggester": "The suggester's name has unprintable characters."})
    for backend in backends.BACKENDS:
        builtin = f"{backend}/"
        if cleaned.startswith(builtin):
            # suggestions_refresh replaces that suggester's suggestions: imports would vanish.
            raise ValidationError(
                {"suggester": f"Names starting “{builtin}” are the built-in suggesters'."}
            )
    return cleaned


def _optional_scheme(scheme: dict[str, Any]) -> dict[str, Any]:
    """The scheme with nothing required: a suggestion may leave labels for the annotator
    to complete when accepting it, but any value it proposes must be the scheme's."""
    fields = {name: {**spec, "required": False} for name, spec in scheme["fields"].items()}
    return {**scheme, "fields": fields}


def _score(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, str):  # a number, not a string of one
        raise ValidationError({"score": f"the score must be a number, got {value[:20]!r}"})
    # A finite float: not NaN, not an int too large for a float (10**400).
    return parse_float(value, name="score")


def _checked_suggestion(
    article: Article,
    item: SuggestionInput,
    scheme: dict[str, Any],
    sources: dict[tuple[int, int], Source],
    targets: dict[tuple[int, int], Target],
    errors: Errors,
) -> Suggestion | None:
    """The item's unsaved suggestion, or None with ``errors`` filled (the messages of
    ``claim_create``; ``scheme`` is the project's with nothing required)."""
    unknown = set(item.labels) - set(LABEL_FIELDS)
    if unknown:
        errors.by_field["__all__"] = [f"Unknown claim fields: {', '.join(sorted(unknown))}."]
        return None
    span = source = None
    mention_start = mention_end = None
    stances: list[tuple[Target, str]] = []
    score = 0.0
    with errors.collect():
        span = validate_span(article.text, item.start, item.end, item.quote)
    with errors.collect():
        source = _source(article, item.source, sources)
    new_name = "" if item.source not in (None, "") else item.new_source_name.strip()
    if len(new_name) > NEW_SOURCE_MAX:
        errors.by_field.setdefault("source", []).append(
            f"the source's name is longer than {NEW_SOURCE_MAX} characters"
        )
    with errors.collect():
        mention_start, mention_end = check_mention(article, item.mention)
    with errors.collect():
        stances = _stances(article, item.stances, targets)
    with errors.collect():
        score = _score(item.score)
    values = {name: str(item.labels.get(name) or "") for name in LABEL_FIELDS}
    with errors.collect():
        validate_labels(
            scheme,
            Labels(
                has_source=source is not None or bool(new_name),
                stances=[(t.name, s) for t, s in stances],
                **values,
            ),
        )
    if errors.by_field or span is None:
        return None
    proposed: dict[str, Any] = {name: values[name] for name in PROPOSED_LABELS if values[name]}
    if stances:
        proposed["stances"] = [{"target": t.pk, "stance": s} for t, s in stances]
    if item.note:
        proposed["note"] = item.note
    return Suggestion(
        article=article,
        start=span.start,
        end=span.end,
        quote=span.quote,
        prefix=span.prefix,
        suffix=span.suffix,
        source=source,
        new_source_name=new_name,
        attribution=values["attribution"],
        mention_start=mention_start,
        mention_end=mention_end,
        score=score,
        labels=proposed,
    )


def _pk_of(value: Any) -> int | None:
    return row_id(value.pk if isinstance(value, Source | Target) else value)


@transaction.atomic
def suggestions_create_many(
    *, article_suggestions: Iterable[tuple[Article, SuggestionInput]], suggester: str
) -> list[Suggestion]:
    """Create suggestions of ``suggester`` (imported pre-annotations; the caller checked
    permission and left out spans the suggester already has), in one transaction. Each is
    checked as ``claim_create`` checks a claim (span and quote against the frozen text,
    mention, source and targets of the project, label values against the scheme) except
    that no label is required: the annotator completes the claim when accepting it. Any
    invalid item writes nothing: the ``ValidationError`` lists every problem of every bad
    item as ``claims_create_many`` does (``params``: ``index``, ``field``, ``message``)."""
    name = suggester_name_clean(suggester)
    items = list(article_suggestions)
    projects = _with_projects(article for article, _ in items)
    source_ids = {i for _, s in items if s.source not in (None, "") and (i := _pk_of(s.source))}
    target_ids = {i for _, s in items for st in s.stances if (i := _pk_of(st.target))}
    sources = {
        (s.project_id, s.pk): s
        for s in Source.objects.filter(pk__in=source_ids, project_id__in=projects)
    }
    targets = {
        (t.project_id, t.pk): t
        for t in Target.objects.filter(pk__in=target_ids, project_id__in=projects)
    }
    schemes: dict[int, dict[str, Any]] = {}
    problems: list[ValidationError] = []
    rows: list[Suggestion] = []
    for index, (article, item) in enumerate(items):
        if article.project_id not in schemes:
            schemes[article.project_id] = _optional_scheme(article.project.scheme)
        errors = Errors()
        row = _checked_suggestion(
            article, item, schemes[article.project_id], sources, targets, errors
        )
        problems.extend(errors.of_item(index))
        if row is not None:
            row.suggester = name
            rows.append(row)
    if problems:
        raise ValidationError(problems)
    return Suggestion.objects.bulk_create(rows, batch_size=2000)


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


def _source_for(suggestion: Suggestion, annotator: Any, chosen: Any) -> Source | int | None:
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
    return existing or source_create(
        project=project, name=name, kind=new_source_kind(suggestion), actor=annotator
    )


def _check_unanswered(suggestion: Suggestion, annotator: Any) -> None:
    if SuggestionResponse.objects.filter(suggestion=suggestion, annotator=annotator).exists():
        raise ValidationError("You already answered this suggestion.")


@transaction.atomic
def suggestion_accept(
    *,
    suggestion: Suggestion,
    annotator: Any,
    overrides: dict[str, Any] | None = None,
) -> Claim:
    """Make the suggestion the annotator's own claim and record the answer, in one
    transaction. The claim has the suggestion's span, source, mention, attribution and
    proposed labels (stances, reliability, credibility, type, checkworthy, note);
    ``overrides`` are ``claim_create`` arguments that replace them (``source``,
    ``mention``, ``stances``, ``note``, label fields, or a changed span); without a
    ``source`` override, a proposed new source is added to the registry. Raises
    ``ValidationError`` (nothing written, no source added) when the claim isn't valid for
    the project's scheme, e.g. a required stance is missing."""
    overrides = dict(overrides or {})
    _check_unanswered(suggestion, annotator)
    article = suggestion.article
    mention = (
        [suggestion.mention_start, suggestion.mention_end]
        if suggestion.mention_start is not None
        else None
    )
    proposed = proposed_labels(suggestion)
    proposed_stances: Iterable[StanceInput] = proposed.pop("stances")
    stances: Iterable[StanceInput] = overrides.pop("stances", proposed_stances)
    fields: dict[str, Any] = {
        "start": suggestion.start,
        "end": suggestion.end,
        "quote": suggestion.quote,
        "mention": mention,
        "attribution": suggestion.attribution,
        **proposed,
        **overrides,
    }
    fields["source"] = _source_for(suggestion, annotator, overrides.get("source"))
    claim = claim_create(article=article, annotator=annotator, stances=stances, **fields)
    SuggestionResponse.objects.create(
        suggestion=suggestion,
        annotator=annotator,
        action=SuggestionResponse.Action.ACCEPTED,
        claim=claim,
    )
    return claim


@transaction.atomic
def suggestion_dismiss(*, suggestion: Suggestion, annotator: Any) -> SuggestionResponse:
    """Hide the suggestion from this annotator (others still see it)."""
    _check_unanswered(suggestion, annotator)
    return SuggestionResponse.objects.create(
        suggestion=suggestion, annotator=annotator, action=SuggestionResponse.Action.DISMISSED
    )
