"""Importing articles from files into a project: one transaction per file.

The formats and their parsers are in ``corpus.formats``; ``import_file`` writes one file's
articles in one transaction (all or nothing); ``import_paths`` does files and folders.
The ``import_articles`` command and the upload API share them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from common import checkpoint
from common.memory import gc_paused
from corpus.formats import (
    ImportFileError,
    ParsedArticle,
    parse_bytes,
    unsupported_reason,
)
from corpus.models import Article, Project
from corpus.services import ArticleBatchError, ArticleInput, articles_create_many

# --- Importing -------------------------------------------------------------------------


@dataclass(frozen=True)
class InputFile:
    """A file to import, the name to store as ``Article.source_file``, and why it cannot
    be imported at all when that is known up front (missing, unsupported)."""

    path: Path
    name: str
    problem: str = ""


@dataclass(frozen=True)
class FileResult:
    """What importing one file did. On an ``error``, nothing of the file was written."""

    name: str
    created: tuple[Article, ...] = ()
    skipped: tuple[Article, ...] = ()  # the same text was already in the project
    error: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.error)


def collect_files(paths: Iterable[str | Path]) -> list[InputFile]:
    """The files named, and the supported files in the folders named (recursively, hidden
    files and folders skipped), each once, with the name to store: a file's own name, or
    its path from the folder named, starting with that folder's name."""
    found: list[InputFile] = []
    seen: set[Path] = set()

    def add(path: Path, name: str, problem: str = "") -> None:
        if path.resolve() not in seen:
            seen.add(path.resolve())
            found.append(InputFile(path, name, problem))

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            base = path.resolve()
            for file in sorted(base.rglob("*")):
                parts = file.relative_to(base).parts
                hidden = any(part.startswith(".") for part in parts)
                if file.is_file() and not hidden and not unsupported_reason(file.name):
                    add(file, str(PurePosixPath(base.name, *parts)))
        elif path.is_file():
            add(path, path.name, unsupported_reason(path.name))
        else:
            found.append(InputFile(path, str(raw), "no such file or folder"))
    return found


def _reason(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(m for messages in error.message_dict.values() for m in messages)
    return "; ".join(error.messages)


def _items(
    name: str, articles: list[ParsedArticle], *, language: str, url: str
) -> list[ArticleInput]:
    return [
        ArticleInput(
            text=parsed.text,
            title=parsed.title,
            byline=parsed.byline,
            outlet=parsed.outlet,
            url=parsed.url or url,
            published=parsed.published,
            language=parsed.language or language,
            metadata=parsed.metadata,
            source_file=name,
            text_clean=True,  # describe_text's
        )
        for parsed in articles
    ]


def import_file(
    *,
    project: Project,
    name: str,
    data: bytes,
    unwrap: bool | None = None,
    strip_boilerplate: bool = True,
    language: str = "en",
    dry_run: bool = False,
    suffix: str = "",
    url: str = "",
) -> FileResult:
    """Import one file's articles in one transaction: all of them or, on any error, none.

    An article whose text the project already has is skipped (``articles_create_many``
    dedupes on the text, within the file too). ``language`` is for articles that don't state one.
    ``dry_run`` does everything, then rolls back. ``suffix`` gives the format when the
    name does not (a fetched page); ``url`` is the articles' URL when they state none.
    """
    try:
        # A file's parsed articles live until the INSERT, in no cycles: no garbage
        # collection meanwhile (``gc_paused``; 17 small ones for 1,000 documents).
        with gc_paused():
            articles = parse_bytes(
                name, data, unwrap=unwrap, strip_boilerplate=strip_boilerplate, suffix=suffix
            )
            items = _items(name, articles, language=language, url=url)
            # SQLite: the file's COMMIT does not checkpoint; that is done once the answer
            # has gone (``common.checkpoint``: 30-45 ms of a 1,000-document upload).
            with (
                contextlib.nullcontext() if dry_run else checkpoint.deferred(),
                transaction.atomic(),
            ):
                try:
                    results = articles_create_many(project=project, items=items)
                except ArticleBatchError as exc:
                    raise _file_error(exc, articles) from exc
                except IntegrityError as exc:  # the same text, saved meanwhile by another import
                    raise ImportFileError(f"conflict: {exc}") from exc
                if dry_run:
                    transaction.set_rollback(True)
    except ImportFileError as exc:
        return FileResult(name=name, error=str(exc))
    created = [r.article for r in results if r.created]
    skipped = [r.article for r in results if not r.created]
    if created and not dry_run:
        after_import(project=project, articles=created)
    return FileResult(name=name, created=tuple(created), skipped=tuple(skipped))


# --- Previews ----------------------------------------------------------------------------

# Lines of boilerplate shown per article in a preview (the count says how many in all).
PREVIEW_CUT_LINES = 20


@dataclass(frozen=True)
class ArticlePreview:
    """What one article of a file would become: its fields, whether it is new, and the
    lines the boilerplate cleanup would cut from it."""

    title: str
    byline: str
    outlet: str
    published: Any
    language: str
    char_count: int
    new: bool  # False: the project (or an earlier article of the upload) has the text
    cut: tuple[str, ...] = ()
    cut_count: int = 0
    line: int | None = None  # in a JSONL file


@dataclass(frozen=True)
class FilePreview:
    name: str
    articles: tuple[ArticlePreview, ...] = ()
    error: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.error)


def _cut_lines(kept: str, cleaned: str) -> list[str]:
    """The lines of ``kept`` (the text with its boilerplate) that ``cleaned`` lacks."""
    return [
        line.strip() for line in kept.split("\n") if line.strip() and line.strip() not in cleaned
    ]


def preview_file(
    *,
    project: Project,
    name: str,
    data: bytes,
    unwrap: bool | None = None,
    strip_boilerplate: bool = True,
    language: str = "en",
) -> FilePreview:
    """What ``import_file`` would do with this file, written nowhere: each article's
    title, byline and the like, whether it is new, and what the boilerplate cleanup cuts
    (the text read once more with the cleanup off, line by line)."""
    try:
        parsed = parse_bytes(name, data, unwrap=unwrap, strip_boilerplate=strip_boilerplate)
        items = _items(name, parsed, language=language, url="")
        with transaction.atomic():
            try:
                results = articles_create_many(project=project, items=items)
            except ArticleBatchError as exc:
                raise _file_error(exc, parsed) from exc
            transaction.set_rollback(True)
    except ImportFileError as exc:
        return FilePreview(name=name, error=str(exc))
    kept: list[ParsedArticle] = []
    if strip_boilerplate:
        try:
            kept = parse_bytes(name, data, unwrap=unwrap, strip_boilerplate=False)
        except ImportFileError:
            kept = []
    articles: list[ArticlePreview] = []
    for i, (item, result) in enumerate(zip(parsed, results, strict=True)):
        article = result.article
        cut = _cut_lines(kept[i].text, article.text) if len(kept) == len(parsed) else []
        articles.append(
            ArticlePreview(
                title=article.title,
                byline=article.byline,
                outlet=article.outlet,
                published=article.published,
                language=article.language,
                char_count=article.char_count,
                new=result.created,
                cut=tuple(cut[:PREVIEW_CUT_LINES]),
                cut_count=len(cut),
                line=item.line,
            )
        )
    return FilePreview(name=name, articles=tuple(articles))


def _file_error(error: ArticleBatchError, articles: list[ParsedArticle]) -> ImportFileError:
    """The first bad article's reason, with its line in a JSONL file, and how many more
    there are (as a file's bad JSONL lines are reported)."""
    first, *others = error.item_errors
    reason = _reason(error.item_errors[first])
    if others:
        reason += f" (and {len(others)} more bad lines)"
    return ImportFileError(reason, line=articles[first].line)


def after_import(*, project: Project, articles: list[Article]) -> None:
    """Run the hooks named in ``settings.CLAIMDESK_AFTER_IMPORT`` (dotted paths of
    functions taking ``project`` and ``articles``) once a file's articles are stored.
    The annotate app hooks its suggester in here: corpus names no app above it."""
    for path in settings.CLAIMDESK_AFTER_IMPORT:
        import_string(path)(project=project, articles=articles)


def import_files(
    *, project: Project, files: Iterable[InputFile], **options: Any
) -> Iterator[FileResult]:
    """Import each file in turn (see ``import_file`` for the options), one result each."""
    for file in files:
        if file.problem:
            yield FileResult(name=file.name, error=file.problem)
            continue
        try:
            data = file.path.read_bytes()
        except OSError as exc:
            yield FileResult(name=file.name, error=f"cannot read the file: {exc.strerror or exc}")
            continue
        yield import_file(project=project, name=file.name, data=data, **options)


def import_paths(
    *, project: Project, paths: Iterable[str | Path], **options: Any
) -> Iterator[FileResult]:
    """Import the files and folders at ``paths`` (see ``collect_files``, ``import_file``)."""
    return import_files(project=project, files=collect_files(paths), **options)
