# The one write path of the corpus app: the articles' writes here, the projects' in
# project_services.py and the people's in account_services.py, re-exported from here.
"""Writes to the corpus: projects, memberships and articles. One path for every write."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, router, transaction
from django.utils import timezone

from common import limits
from common.inserts import insert_many
from common.limits import Limit
from common.text import check_json_text, check_text, json_text_plainly_fine
from corpus.account_services import (
    api_token_create,
    api_token_revoke,
    api_token_touch,
    membership_add,
    membership_delete,
    membership_set,
    password_change,
    token_issue,
    token_revoke,
    user_ensure,
)
from corpus.models import Article, Project
from corpus.project_services import (
    annotator_sources_clean,
    project_create,
    project_delete,
    project_start,
    project_update,
    suggestion_backend_clean,
)
from corpus.text import clean_text, sha256_text

# The projects' and the people's writes are re-exported: callers import every corpus write
# from here.
__all__ = [
    "ArticleBatchError",
    "ArticleInput",
    "ArticleResult",
    "annotator_sources_clean",
    "api_token_create",
    "api_token_revoke",
    "api_token_touch",
    "article_create",
    "article_delete",
    "article_update",
    "articles_create_many",
    "articles_index_pending",
    "check_article_fields",
    "membership_add",
    "membership_delete",
    "membership_set",
    "password_change",
    "project_create",
    "project_delete",
    "project_start",
    "project_update",
    "suggestion_backend_clean",
    "token_issue",
    "token_revoke",
    "user_ensure",
    "validate_article_text",
]

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class ArticleResult:
    article: Article
    created: bool


def validate_article_text(text: str, *, clean: bool = False) -> str:
    """The text in its stored form, or a ValidationError that says what is wrong.
    ``clean``: the text is in that form already (``clean_text``'s, as the file formats
    give it): it is checked, not cleaned again."""
    check_text(text, field="text", multiline=True)
    if not clean:
        text = clean_text(text)
    if not text:
        raise ValidationError({"text": "The text is empty."})
    _check_text_size(text)
    return text


def _check_text_size(text: str) -> None:
    limit = settings.CLAIMDESK_MAX_ARTICLE_CHARS
    if len(text) > limit:
        raise ValidationError(
            {"text": f"The text has {len(text):,} characters; the limit is {limit:,}."}
        )


def _checked_text(text: str, *, clean: bool) -> tuple[str, str]:
    """``validate_article_text``'s text and its SHA-256. A clean text is encoded once,
    for the check (``common.text``'s for long text: no NUL, and strict UTF-8, which fails
    on a lone surrogate) and the hash together; anything else, or a failure, goes through
    ``validate_article_text`` for its message."""
    if clean and text and "\x00" not in text:
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            pass
        else:
            _check_text_size(text)
            return text, hashlib.sha256(data).hexdigest()
    text = validate_article_text(text, clean=clean)
    return text, sha256_text(text)


@dataclass(frozen=True, slots=True)
class ArticleInput:
    """One article for ``articles_create_many``: its text and what is known about it."""

    text: str
    title: str = ""
    byline: str = ""
    outlet: str = ""
    url: str = ""
    published: dt.date | None = None
    language: str = "en"
    metadata: dict[str, Any] | None = None
    source_file: str = ""
    # The text went through ``clean_text`` already (``corpus.formats`` gives it so).
    text_clean: bool = False


class ArticleBatchError(ValidationError):
    """What is wrong with some items of a batch: ``item_errors[i]`` is the
    ``ValidationError`` that ``article_create`` would raise for ``items[i]``."""

    def __init__(self, item_errors: dict[int, ValidationError]) -> None:
        self.item_errors = dict(sorted(item_errors.items()))
        super().__init__({f"items[{i}]": _messages(error) for i, error in self.item_errors.items()})


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for messages in error.message_dict.values() for m in messages]
    return list(error.messages)


# The fields ``clean_fields`` has left to check: the others are checked by
# ``_article_prepared`` itself (the text check and the bounds of common.limits, the same
# numbers as the columns' max_length), set here (hash, count, times), or the caller's
# project (held by the database's foreign key).
_MODEL_CHECKED = ("url", "published")
_CHECKED_BEFORE = frozenset(f.name for f in Article._meta.fields if f.name not in _MODEL_CHECKED)

# A URL that Django's URLValidator (the model field's) certainly accepts: http(s), a host
# of ASCII labels (1-63 letters, digits, inner hyphens) with a letters-only top-level
# domain, no user, no port, then printable ASCII from a /, ? or #. A narrower pattern than
# the validator's (which also takes IPs, IDNs, ports, other schemes: those go through it,
# as do URLs over 1,000 characters or with a host over 253): no URL it refuses matches
# (tests/corpus/test_articles_create_many.py holds the two side by side). The validator
# cost 11 ms per 1,000 articles of an import; this, under 1.
_PLAIN_URL_RE = re.compile(
    r"https?://(?P<host>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})"
    r"(?:[/?#][!-~]*)?"
)


def plain_url(url: str) -> bool:
    """Whether ``url`` is empty or certainly valid (``_PLAIN_URL_RE``): no model check
    needed."""
    if not url:
        return True
    if len(url) > limits.URL.size:
        return False
    found = _PLAIN_URL_RE.fullmatch(url)
    return found is not None and len(found["host"]) <= 253


def _model_checked(article: Article) -> None:
    """``clean_fields`` of the fields it has left to check (``_MODEL_CHECKED``), skipped
    when they are plainly fine: a URL of ``plain_url``, no date or a date."""
    published = article.published
    if plain_url(article.url) and (published is None or type(published) is dt.date):
        return
    article.clean_fields(exclude=_CHECKED_BEFORE)


def _article_prepared(project: Project, item: ArticleInput) -> tuple[Article, str | None]:
    """The unsaved article for ``item`` (its text normalised, hashed and counted), or the
    ``ValidationError`` that says what is wrong with it; and its metadata's JSON as the
    database gets it, when the check made it already (``_fields_checked``). Runs no
    query."""
    text, sha = _checked_text(item.text, clean=item.text_clean)
    given, metadata_json = _fields_checked(
        {
            "title": item.title,
            "byline": item.byline,
            "outlet": item.outlet,
            "url": item.url,
            "language": item.language or "en",
            "metadata": item.metadata or {},
        }
    )
    check_text(item.source_file, field="source_file")
    title = given["title"] or text.split("\n", 1)[0].strip()
    if len(title) > limits.TITLE.size:  # the first line of the text, not a given title
        title = title[: limits.TITLE.size - 3].rstrip() + "…"
    # By position (``_POSITIONAL``): Django's quicker way in, 3 ms instead of 8 for 1,000
    # articles; the project cached, and the database noted, as ``Article(project=project)``
    # does.
    values: tuple[Any, ...] = (
        None,
        project.pk,
        title,
        given["byline"],
        given["outlet"],
        given["url"],
        item.published,
        given["language"],
        text,
        sha,
        len(text),
        given["metadata"],
        item.source_file[: limits.SOURCE_FILE.size],
        None,
        None,
        None,
    )
    article = _new_article(*values)
    _PROJECT.set_cached_value(article, project)
    article._state.db = router.db_for_write(Article, instance=project)  # as the keyword sets it
    return article, metadata_json


# The order ``_article_prepared`` gives the values in: the model's, checked at import.
_POSITIONAL = (
    "id",
    "project_id",
    "title",
    "byline",
    "outlet",
    "url",
    "published",
    "language",
    "text",
    "sha256",
    "char_count",
    "metadata",
    "source_file",
    "created",
    "updated",
    "search_pending",
)
if tuple(f.attname for f in Article._meta.concrete_fields) != _POSITIONAL:
    raise RuntimeError("corpus.services._POSITIONAL is not Article's field order any more")
_PROJECT = Article._meta.get_field("project")
_new_article: Callable[..., Article] = Article  # by position (django-stubs types keywords only)


def _existing_by_sha(project: Project, shas: list[str]) -> dict[str, Article]:
    """The project's articles with these hashes: one query for a batch of up to the
    database's parameter limit (~32,000 on SQLite), whatever the batch's size below it;
    on PostgreSQL one query whatever the batch (the hashes as one array)."""
    found: dict[str, Article] = {}
    if connection.vendor == "postgresql":
        # One array parameter, not a placeholder per hash: psycopg split a query of 1,000
        # placeholders on the client, and the server parsed them (~3 ms of an upload).
        table = connection.ops.quote_name(Article._meta.db_table)
        for article in Article.objects.raw(
            f"SELECT * FROM {table} WHERE project_id = %s AND sha256 = ANY(%s::varchar[])",
            [project.pk, shas],
        ):
            found[article.sha256] = article
        return found
    size = max(1, (connection.features.max_query_params or 30_000) - 10)
    for at in range(0, len(shas), size):
        chunk = shas[at : at + size]
        # No default ordering: the lookup uses the (project, sha256) unique index alone.
        for article in Article.objects.filter(project=project, sha256__in=chunk).order_by():
            found[article.sha256] = article
    return found


@transaction.atomic
def articles_create_many(
    *, project: Project, items: Sequence[ArticleInput], index_later: bool = True
) -> list[ArticleResult]:
    """Create many articles in one go, with ``article_create``'s checks: each text is
    normalised (NFC, LF, trimmed), checked, hashed and frozen; a text the project already
    has, or that an earlier item of the batch has, is not added twice (its result is the
    existing article, ``created=False``). One result per item, in order.

    All or nothing: if any item is wrong, ``ArticleBatchError`` says what is wrong with
    each (``item_errors``, by index) and nothing is written. Set-based: one query finds
    the duplicates and one INSERT writes the new articles, whatever the batch's size (up
    to the database's parameter limit).

    With ``index_later`` (the default) the new articles' search entries are built after
    the commit by a background task (``corpus.indexing``; a third to two thirds of the
    INSERT's time otherwise); until then search finds them by a slower scan of those
    articles alone (``corpus.search``).
    """
    errors: dict[int, ValidationError] = {}
    prepared: list[Article | None] = []
    metadata_json: list[str | None] = []
    for i, item in enumerate(items):
        try:
            built, dumped = _article_prepared(project, item)
        except ValidationError as error:
            errors[i] = error
            prepared.append(None)
            metadata_json.append(None)
        else:
            prepared.append(built)
            metadata_json.append(dumped)
    shas = list(dict.fromkeys(a.sha256 for a in prepared if a is not None))
    existing = _existing_by_sha(project, shas) if shas else {}
    chosen: dict[str, Article] = dict(existing)
    results: list[ArticleResult | None] = []
    new: list[Article] = []
    new_json: list[str | None] = []
    for i, article in enumerate(prepared):
        if article is None:
            results.append(None)
            continue
        first = chosen.get(article.sha256)
        if first is not None:  # already stored, or an earlier item of this batch
            results.append(ArticleResult(first, False))
            continue
        try:
            # Checked only for a new article, as article_create does: a text already
            # stored is answered with the stored article, whatever else came with it.
            _model_checked(article)
        except ValidationError as error:
            errors[i] = error
            results.append(None)
            continue
        chosen[article.sha256] = article
        new.append(article)
        new_json.append(metadata_json[i])
        results.append(ArticleResult(article, True))
    if errors:
        raise ArticleBatchError(errors)
    if new:
        if index_later:
            for article in new:
                article.search_pending = True
        _insert_articles(new, new_json)
        if index_later:
            # robust: the articles are stored; a failed enqueue leaves them to the next one
            # or to `manage.py index_articles` (search finds them meanwhile).
            transaction.on_commit(_index_pending_later, robust=True)
    return [result for result in results if result is not None]


def _index_pending_later() -> None:
    from corpus import indexing  # the task module imports this one

    indexing.schedule()


def articles_index_pending(*, batch: int = 500) -> int:
    """Build the search entries of the articles an import left pending, ``batch`` at a
    time, each batch its own transaction: the entries of a batch are built by the UPDATE
    that clears its ``search_pending`` (PostgreSQL's partial GIN index, SQLite's FTS5
    triggers). Idempotent: a second run, or one after a crash, does what is left. The
    number of articles indexed."""
    done = 0
    pending = Article.objects.filter(search_pending=True).order_by("pk")
    while True:
        with transaction.atomic():
            ids = list(pending.values_list("pk", flat=True)[:batch])
            if not ids:
                return done
            done += Article.objects.filter(pk__in=ids, search_pending=True).update(
                search_pending=None
            )


_INSERTED = [f for f in Article._meta.concrete_fields if not f.primary_key]
_VALUES = operator.attrgetter(*(f.attname for f in _INSERTED))
_AT_CREATED, _AT_UPDATED, _AT_PUBLISHED, _AT_METADATA = (
    [f.attname for f in _INSERTED].index(name)
    for name in ("created", "updated", "published", "metadata")
)


def _insert_articles(articles: list[Article], metadata_json: Sequence[str | None]) -> None:
    """INSERT the new articles in as few statements as the parameter limit allows, and
    set their ids. What ``bulk_create`` does, without its per-value compiling (a third of
    an import's time): the strings go as they are, the date and the metadata through
    their fields' own conversion, and the one time of the batch is converted once.
    ``metadata_json``: each article's metadata as its field's conversion makes it, where
    the check made it already (``_fields_checked``), else None."""
    if connection.vendor == "postgresql":
        # A binary COPY: the texts neither escaped here nor unescaped by the server.
        given = [
            dumped if dumped is not None else article.metadata
            for article, dumped in zip(articles, metadata_json, strict=True)
        ]
        insert_many(Article, articles, binary=True, columns={"metadata": given})
        return
    now = timezone.now()
    stamp = Article._meta.get_field("created").get_db_prep_save(now, connection)
    published = Article._meta.get_field("published").get_db_prep_save
    metadata = Article._meta.get_field("metadata").get_db_prep_save
    rows: list[list[Any]] = []
    for article, dumped in zip(articles, metadata_json, strict=True):
        article.created = article.updated = now
        # The values as they are (one C call per row), then the four converted (no date:
        # None, as the field's conversion gives it).
        row = list(_VALUES(article))
        row[_AT_CREATED] = row[_AT_UPDATED] = stamp
        if article.published is not None:
            row[_AT_PUBLISHED] = published(article.published, connection)
        row[_AT_METADATA] = dumped if dumped is not None else metadata(article.metadata, connection)
        rows.append(row)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column or f.attname) for f in _INSERTED)
    one = "(" + ", ".join(["%s"] * len(_INSERTED)) + ")"
    size = max(1, (connection.features.max_query_params or 60_000) // len(_INSERTED))
    with connection.cursor() as cursor:
        for at in range(0, len(rows), size):
            chunk = rows[at : at + size]
            cursor.execute(
                f"INSERT INTO {quote(Article._meta.db_table)} ({columns}) "
                f"VALUES {', '.join([one] * len(chunk))} RETURNING {quote('id')}",
                [value for row in chunk for value in row],
            )
            # Both databases return the ids in the order of the VALUES (bulk_create
            # relies on it too).
            for article, (pk,) in zip(articles[at : at + size], cursor.fetchall(), strict=True):
                article.pk = pk
                article._state.adding = False
                article._state.db = connection.alias


def article_create(
    *,
    project: Project,
    text: str,
    title: str = "",
    byline: str = "",
    outlet: str = "",
    url: str = "",
    published: dt.date | None = None,
    language: str = "en",
    metadata: dict[str, Any] | None = None,
    source_file: str = "",
) -> ArticleResult:
    """Create an article, or return the existing one with the same text (dedupe by SHA-256).

    The text is normalised (NFC, LF, trimmed) before it is hashed and frozen. The one
    item of ``articles_create_many``: the same checks, and its own ``ValidationError``.
    """
    item = ArticleInput(
        text=text,
        title=title,
        byline=byline,
        outlet=outlet,
        url=url,
        published=published,
        language=language,
        metadata=metadata,
        source_file=source_file,
    )
    try:
        # One article: its search entries at once (a few milliseconds).
        return articles_create_many(project=project, items=[item], index_later=False)[0]
    except ArticleBatchError as error:
        raise error.item_errors[0] from None


_LINES: dict[str, Limit] = {
    "title": limits.TITLE,
    "byline": limits.BYLINE,
    "outlet": limits.OUTLET,
    "url": limits.URL,
    "language": limits.LANGUAGE,
}


def check_article_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """An article's descriptive fields (those given of title, byline, outlet, url,
    language, metadata), stripped and checked by the one text check and their limits; the
    metadata's every key and string too, and its size as JSON."""
    return _fields_checked(fields)[0]


def _fields_checked(fields: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """``check_article_fields``'s fields, and the metadata's JSON as its field's
    conversion makes it (``json.dumps``), when the check made that text already: the
    plain JSON of the size check, when it is ASCII without DEL (which ``json.dumps``
    escapes) — else None."""
    checked = dict(fields)
    as_stored: str | None = None
    for name, limit in _LINES.items():
        if isinstance(checked.get(name), str):
            checked[name] = check_text(checked[name].strip(), field=name, limit=limit)
    if "metadata" in checked:
        metadata = checked["metadata"]
        try:  # plain JSON (most metadata): its JSON may tell that no string needs a look
            dumped = _PLAIN_JSON.encode(metadata)
        except (TypeError, ValueError):
            dumped = None
        if dumped is None or not json_text_plainly_fine(dumped):
            check_json_text(metadata, field="metadata")
        try:
            size = len(dumped if dumped is not None else _METADATA_JSON.encode(metadata))
        except (TypeError, ValueError) as error:
            raise ValidationError({"metadata": f"It is not JSON: {error}."}) from error
        if size > limits.METADATA.size:
            raise ValidationError({"metadata": limits.METADATA.message(size)})
        if dumped is not None and dumped.isascii() and "\x7f" not in dumped:
            as_stored = dumped  # what json.dumps gives: the same encoder, nothing to escape
    return checked, as_stored


# The metadata's size is that of its JSON as stored (a value that is no JSON type as its
# str()); built once, not per call as ``json.dumps`` with arguments builds one.
_METADATA_JSON = json.JSONEncoder(ensure_ascii=False, default=str)
_PLAIN_JSON = json.JSONEncoder(ensure_ascii=False)


_EDITABLE = {"title", "byline", "outlet", "url", "published", "language", "metadata"}


@transaction.atomic
def article_update(*, article: Article, text: str | None = None, **fields: Any) -> Article:
    """Change an article's metadata, or its text while nothing is annotated in it."""
    unknown = set(fields) - _EDITABLE
    if unknown:
        raise ValidationError(f"These article fields cannot be changed: {sorted(unknown)}.")
    for name, value in check_article_fields(fields).items():
        setattr(article, name, value)
    if text is not None:
        text = validate_article_text(text)
        if text != article.text:
            if article.is_annotated():
                raise ValidationError(
                    {"text": "The text is frozen: annotations point into it, so it can't change."}
                )
            sha = sha256_text(text)
            if (
                Article.objects.filter(project=article.project, sha256=sha)
                .exclude(pk=article.pk)
                .exists()
            ):
                raise ValidationError({"text": "Another article of the project has this text."})
            article.text, article.sha256, article.char_count = text, sha, len(text)
    article.full_clean(exclude=["text"], validate_unique=False, validate_constraints=False)
    article.save()
    return article


@transaction.atomic
def article_delete(*, article: Article) -> None:
    """Delete an article nothing points into yet (claims, gold, suggestions anchor their
    offsets in its text; deleting it would take that work with it)."""
    if article.is_annotated():
        raise ValidationError(
            f"“{article.title}” is annotated; deleting it would take the annotations with it."
        )
    article.delete()
