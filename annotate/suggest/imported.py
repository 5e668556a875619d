"""Imported suggestions (pre-annotations from a file, behind
``annotate.exchange.importing_suggestions``): each checked as ``claim_create`` checks a claim,
except that no label is required, and written in bulk. The suggesters' own suggestions and
the annotators' answers are ``annotate.suggest.services``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from annotate.claims.bulk import Batch
from annotate.claims.checks import Errors, StanceInput, check_mention
from annotate.claims.offsets import validate_span
from annotate.claims.values import check_known
from annotate.models import Source, Suggestion, Target
from annotate.scheme import LABEL_FIELDS, Labels, validate_labels
from annotate.suggest import (
    backends,
)
from annotate.suggest.base import PROPOSED_LABELS
from common.params import parse_float
from corpus.models import Article

SUGGESTER_MAX = Suggestion._meta.get_field("suggester").max_length or 100


NEW_SOURCE_MAX = Suggestion._meta.get_field("new_source_name").max_length or 300


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
    batch: Batch,
    errors: Errors,
) -> Suggestion | None:
    """The item's unsaved suggestion, or None with ``errors`` filled (the messages of
    ``claim_create``; ``scheme`` is the project's with nothing required)."""
    with errors.collect():
        check_known(item.labels)
    if errors.by_field:
        return None
    span = source = None
    mention_start = mention_end = None
    stances: list[tuple[Target, str]] = []
    score = 0.0
    with errors.collect():
        span = validate_span(article.text, item.start, item.end, item.quote)
    with errors.collect():
        source = batch.source(article, item.source)
    new_name = "" if item.source not in (None, "") else item.new_source_name.strip()
    if len(new_name) > NEW_SOURCE_MAX:
        errors.by_field.setdefault("source", []).append(
            f"the source's name is longer than {NEW_SOURCE_MAX} characters"
        )
    with errors.collect():
        mention_start, mention_end = check_mention(article, item.mention)
    with errors.collect():
        stances = batch.stances(article, item.stances)
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
    batch = Batch(
        (article for article, _ in items),
        sources=(s.source for _, s in items),
        stances=(st for _, s in items for st in s.stances),
        viewer=None,  # a manager's import; accepting one checks the annotator's view
    )
    schemes: dict[int, dict[str, Any]] = {}
    problems: list[ValidationError] = []
    rows: list[Suggestion] = []
    for index, (article, item) in enumerate(items):
        if article.project_id not in schemes:
            schemes[article.project_id] = _optional_scheme(article.project.scheme)
        errors = Errors()
        row = _checked_suggestion(article, item, schemes[article.project_id], batch, errors)
        problems.extend(errors.of_item(index))
        if row is not None:
            row.suggester = name
            rows.append(row)
    if problems:
        raise ValidationError(problems)
    return Suggestion.objects.bulk_create(rows, batch_size=2000)
