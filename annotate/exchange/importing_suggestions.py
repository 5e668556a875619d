"""Import annotations as suggestions: pre-annotations (a model's, another tool's) that
every annotator of the article sees in the workspace and accepts or dismisses on their
own, from the same JSONL and W3C files as ``importing.import_annotations``.

The file is read and its names resolved as for claims (``importing``), and each
suggestion is checked by ``suggestions_create_many`` as ``claim_create`` checks a claim
(span and quote against the text, mention, targets, label values against the scheme),
except that a suggestion need not be complete: labels the scheme requires may be left
for the annotator, and a speaker the registry lacks is proposed as a new source by name,
as the built-in suggester does (accepting adds it). The proposed labels are kept in
``Suggestion.labels`` and pre-fill the claim form when an annotator accepts.

One transaction; any rejected item writes nothing unless ``partial``; every rejected
item is reported with why. Suggestions are named by ``suggester``: a span the suggester
already has on the article is skipped, so importing a file twice adds nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from annotate.exchange.importing import (
    FORMATS,
    BratOptions,
    ImportReport,
    Ready,
    Resolver,
    Rollback,
    read_file,
    resolve,
    write_in_batches,
)
from annotate.exchange.importing_files import Content, printable
from annotate.models import Suggestion
from annotate.suggest.imported import (
    SUGGESTER_MAX,
    SuggestionInput,
    suggester_name_clean,
    suggestions_create_many,
)
from corpus.models import Project

PREFIX = "import:"


def default_suggester_name(file_name: str) -> str:
    """``import:<file name>``, as the suggester's name when the user gives none."""
    name = "".join(ch for ch in printable(file_name) if ch.isprintable()).strip() or "file"
    return f"{PREFIX}{name}"[:SUGGESTER_MAX]


def import_suggestions(
    *,
    project: Project,
    suggester: str,
    data: Content,
    fmt: str,
    partial: bool = False,
    dry_run: bool = False,
    brat: BratOptions | None = None,
) -> ImportReport:
    """Import the file's claims as suggestions of ``suggester`` for the project's
    articles. With ``partial`` the good items are kept when others are rejected;
    otherwise any rejection writes nothing. ``dry_run`` checks everything and writes
    nothing."""
    if fmt not in FORMATS:
        raise ValidationError(f"Unknown format “{fmt}”: use one of {', '.join(FORMATS)}.")
    name = suggester_name_clean(suggester)
    report = ImportReport()
    try:
        with transaction.atomic():
            read, _ = read_file(project=project, data=data, fmt=fmt, brat=brat, report=report)
            items = list(read)
            resolver = Resolver(project)
            resolver.prefetch(items)
            resolver.prefetch_sources(items)
            ready = [r for i in items if (r := resolve(i, resolver, report, new_sources=True))]
            existing = set(
                Suggestion.objects.filter(
                    article_id__in={r.article.pk for r in ready}, suggester=name
                ).values_list("article_id", "start", "end")
            )

            def write(batch: list[Ready]) -> list[Suggestion]:
                return suggestions_create_many(
                    article_suggestions=[(r.article, _suggestion_input(r)) for r in batch],
                    suggester=name,
                )

            write_in_batches(ready, existing, write, report)
            if (report.rejected and not partial) or dry_run:
                raise Rollback
            report.written = True
    except Rollback:
        report.written = False
    except IntegrityError as error:  # the same spans, imported at the same moment
        raise ValidationError(
            f"Another import of suggestions by “{name}” ran at the same time; try again."
        ) from error
    if not project.suggestions_enabled:
        report.warnings.append(
            "Suggestions are turned off for this project: annotators see these once a "
            "manager turns them on (Project.suggestions_enabled)."
        )
    return report


def _suggestion_input(ready: Ready) -> SuggestionInput:
    claim: dict[str, Any] = ready.item.claim
    return SuggestionInput(
        start=claim["start"],
        end=claim["end"],
        quote=claim["quote"],
        source=ready.source,
        new_source_name=ready.new_source_name,
        mention=claim["mention"],
        stances=ready.stances,
        note=ready.note,
        labels=ready.labels(),
        score=claim.get("score"),
    )
