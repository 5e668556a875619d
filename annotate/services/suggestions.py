"""Suggested claims: made by a suggester, answered by each annotator on their own.

A suggestion is shared by the article's annotators; each one accepts it (it becomes
their own claim, through ``claim_create``) or dismisses it, and an answer hides it from
that annotator only. Suggestions are a table of their own: agreement, exports and review
read claims, so a suggestion counts only once somebody accepted it as their claim.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from annotate.models import Claim, Source, Suggestion, SuggestionResponse
from annotate.offsets import context, validate_span
from annotate.services.claims import StanceInput, claim_create
from annotate.services.sources import source_create
from annotate.suggest import Proposal, RegistryEntry, Suggester, default_suggester
from corpus.models import Article, Project
from corpus.text import search_key

logger = logging.getLogger(__name__)


def registry_entries(project: Project) -> list[RegistryEntry]:
    """The project's registry as the suggester sees it: two queries."""
    sources = Source.objects.in_project(project).prefetch_related("aliases").order_by("id")
    return [
        RegistryEntry(s.pk, s.name, s.kind, tuple(a.alias for a in s.aliases.all()))
        for s in sources
    ]


def suggester_label(suggester: Suggester) -> str:
    return f"{suggester.name}/{suggester.version}"


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
    article: Article, proposals: Iterable[Proposal], label: str, known: set[int]
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
                suggester=label,
            )
        )
    return rows


@transaction.atomic
def suggestions_refresh(
    *,
    article: Article,
    suggester: Suggester | None = None,
    registry: Sequence[RegistryEntry] | None = None,
) -> list[Suggestion]:
    """Replace the article's unanswered suggestions with the suggester's proposals, in
    one transaction. Suggestions somebody answered stay (their answers and claims point
    at them), and a proposal at the same span by the same suggester is not made again.
    ``registry`` saves reading it again for each article of a project. Returns the new
    suggestions."""
    suggester = suggester or default_suggester()
    if registry is None:
        registry = registry_entries(article.project)
    label = suggester_label(suggester)
    proposals = suggester.suggest(article.text, byline=article.byline, registry=registry)
    answered = SuggestionResponse.objects.filter(suggestion=OuterRef("pk"))
    Suggestion.objects.filter(article=article).exclude(Exists(answered)).delete()
    kept = set(
        Suggestion.objects.filter(article=article, suggester=label).values_list("start", "end")
    )
    rows = _rows(article, proposals, label, {e.id for e in registry})
    unique = {(r.start, r.end): r for r in rows if (r.start, r.end) not in kept}
    return Suggestion.objects.bulk_create(unique.values())


def suggestions_after_import(*, project: Project, articles: Sequence[Article]) -> None:
    """The import hook (``CLAIMDESK_AFTER_IMPORT``): suggest claims for newly imported
    articles when the project has suggestions on. A failing suggester never undoes an
    import: it is logged, and ``manage.py suggest`` can be run again later."""
    if not project.suggestions_enabled or not articles:
        return
    try:
        registry = registry_entries(project)
        for article in articles:
            suggestions_refresh(article=article, registry=registry)
    except Exception:  # the articles are safely stored; suggestions can be made later
        logger.exception("Suggestions for %d imported articles failed.", len(articles))


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
    return existing or source_create(project=project, name=name, actor=annotator)


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
    transaction. ``overrides`` are ``claim_create`` arguments that replace or complete
    the proposal (``source``, ``mention``, ``stances``, ``note``, label fields, or a
    changed span); without a ``source`` override, a proposed new source is added to the
    registry. Raises ``ValidationError`` (nothing written, no source added) when the
    claim isn't valid for the project's scheme, e.g. a required stance is missing."""
    overrides = dict(overrides or {})
    _check_unanswered(suggestion, annotator)
    article = suggestion.article
    mention = (
        [suggestion.mention_start, suggestion.mention_end]
        if suggestion.mention_start is not None
        else None
    )
    stances: Iterable[StanceInput] = overrides.pop("stances", ())
    fields: dict[str, Any] = {
        "start": suggestion.start,
        "end": suggestion.end,
        "quote": suggestion.quote,
        "mention": mention,
        "attribution": suggestion.attribution,
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
