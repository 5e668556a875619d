"""Article search (the article list's "q"): every typed word must start a word of the
article's title, outlet, byline or text, ignoring case — through an index on both
databases, so that a search answers in milliseconds at 20,000 articles.

* PostgreSQL: the GIN index ``article_search`` over ``article_search_vector()``
  (``to_tsvector('simple', …)`` of the four columns; the query repeats the expression, as
  an expression index needs), queried with prefixes (``'word':*``).
* SQLite: the contentless FTS5 table ``corpus_article_fts`` (the tokenizer of claim
  search, ``common.fulltext``), kept in step by triggers on ``corpus_article`` (insert,
  an edit of one of the four columns, delete), whatever issued the write; queried with
  prefixes (``"word"*``). Without FTS5, each word is a case-insensitive substring of one
  of the columns (SQLite's LIKE folds only ASCII letters there).

Both tokenize alike (``annotate/db_indexes.py`` lists where PostgreSQL's parser and
unicode61 still differ): words are runs of letters and digits, case is folded, diacritics
are kept ("şentop" finds "ŞENTOP", not "Sentop"). A query without a letter or a digit
(only punctuation or emoji) finds nothing. Before issue 21 the search was a substring
match (``ILIKE '%word%'``, 603 ms at 10,001 articles on PostgreSQL); now "stan" finds
"Stanbul" but not "Kazakhstan".

An import leaves its articles' entries to a background task (``corpus.indexing``): an
article whose ``search_pending`` is set is in neither index (the GIN index is partial, the
FTS5 triggers skip it) and is found meanwhile by a regex of the same word-start meaning,
over the pending articles alone.

While no article is pending (the usual case) the index's condition applies to the
articles themselves; with some, the indexed and the pending matches are one set of ids. On
SQLite a page of matches walks the index ``article_project_title`` (the list's order,
migration 0012) testing each id against the FTS5 matches.

SQLite rebuilds ``corpus_article`` when a migration alters it, dropping these triggers
and that index (and refusing while the agreement counter's triggers read the table,
``annotate.db_versions``): such a migration must run ``install_article_fts`` again and
create the index again.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import CharField, F, Func, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.db.models.lookups import IRegex, Regex

from common.fulltext import (
    SEARCH_CONFIG,
    CreateFtsOnSqlite,
    Fts5Index,
    fts5_available,
    fts_query,
    fts_tokens,
    tsquery_prefix,
)

ARTICLE_FTS = "corpus_article_fts"
FTS_COLUMNS = ("title", "outlet", "byline", "text")
MAX_WORDS = 20
# A search counts at most COUNT_CAP matches (the list page and the API's ``?q=``): one
# COUNT over LIMIT COUNT_CAP + 1; their pages are those of the first COUNT_CAP.
COUNT_CAP = 1000


if TYPE_CHECKING:
    from django.contrib.postgres.search import SearchVector


def article_search_vector() -> SearchVector:
    """The words of an article that search matches (the GIN index's very expression).
    ``django.contrib.postgres.search`` is imported here, not with the module: it imports
    psycopg, which a process on SQLite need not load (``Article.Meta.indexes`` names this
    ``Deferred``)."""
    from django.contrib.postgres.search import SearchVector

    return SearchVector(*FTS_COLUMNS, config=SEARCH_CONFIG)


def search_order() -> tuple[Any, ...]:
    """The order of a search's matches: the article list's (title, id). On PostgreSQL the
    title is written ``title || ''`` — the same order — so that the index
    ``article_project_title`` (the list's order, migration 0014) cannot serve it: walking
    it, the planner tested each article's ``to_tsvector()`` of its whole text (~2-5 ms an
    article) until a page was found, having misjudged how many articles a word's prefix
    matches (at 20,001 articles "Rahmon" took 1.4 s, "Daily" 0.2 s; ~2 ms through the GIN
    index and a sort). SQLite walks that index, testing each id against the FTS5 matches."""
    if connection.vendor != "postgresql":
        return ("title", "id")
    unusable = Func(F("title"), template="(%(expressions)s || '')", output_field=CharField())
    return (unusable.asc(), "id")


def search_words(query: str) -> list[str]:
    return re.findall(r"\w+", query)[:MAX_WORDS]


def _word_start(token: str) -> str:
    """The regex finding ``token`` at the start of a word (after a character that is not
    a letter or a digit, as the indexes split words), in the database's dialect."""
    if connection.vendor == "postgresql":
        return f"(^|[^[:alnum:]]){re.escape(token)}"
    return rf"(?<![^\W_]){re.escape(token)}"  # Python's re (Django's REGEXP on SQLite)


def _pending_matching(words: list[str]) -> Q:
    """The articles not yet indexed (``search_pending``, ``corpus.indexing``) having a
    word starting with each token: a scan, of those articles alone (an index holds them:
    none, or the few of an import whose entries are being built)."""
    found = Q(search_pending=True)
    postgres = connection.vendor == "postgresql"
    for token in fts_tokens(words):
        pattern = _word_start(token.lower())
        anywhere = Q()
        for column in FTS_COLUMNS:
            # PostgreSQL: lower() as to_tsvector folds case (İ is i); ~* does not fold İ.
            lookup = Regex(Lower(column), pattern) if postgres else IRegex(F(column), pattern)
            anywhere |= Q(lookup)
        found &= anywhere
    return found


def articles_matching[Q_: QuerySet[Any]](articles: Q_, query: str) -> Q_:
    """The ``articles`` with a word starting with each word of ``query`` (see the module
    docstring); none when the query has no letter or digit."""
    words = search_words(query)
    if not fts_tokens(words):
        return articles.none()
    every = articles.model._default_manager
    # Articles waiting for their index entries (an import's, for a moment): one read of
    # a partial index, mostly empty. Without any, the index alone answers.
    waiting = every.filter(search_pending=True).exists()
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery

        match = SearchQuery(tsquery_prefix(words), search_type="raw", config=SEARCH_CONFIG)
        # The partial GIN index holds the articles not pending (its very condition).
        if not waiting:
            # On the articles themselves: at 20,001 articles, a word in 19,754 of them
            # took 167 ms to count and 399 ms for a page by id (below: every match's row
            # read again by its key, the page's joins made for each) and takes ~20 ms each.
            return articles.alias(search=article_search_vector()).filter(
                search_pending__isnull=True, search=match
            )
        # Both by id, as one UNION: with the two conditions OR-ed on the articles
        # themselves, PostgreSQL re-tested every matching row's to_tsvector() of its whole
        # text (2 s for 1,056 matches at 20,001 articles under load; 32 ms so).
        indexed = (
            every.annotate(search=article_search_vector())
            .filter(search_pending__isnull=True, search=match)
            .values("pk")
        )
        pending = every.filter(_pending_matching(words)).values("pk")
        return articles.filter(pk__in=indexed.union(pending))
    if fts5_available():
        ids = RawSQL(
            f"SELECT rowid FROM {ARTICLE_FTS} WHERE {ARTICLE_FTS} MATCH %s",
            [fts_query(words, prefix=True)],
        )
        if not waiting:
            return articles.filter(pk__in=ids)
        # Both by id (rowid lookups): a column test in the OR would read every row.
        pending = every.filter(_pending_matching(words)).values("pk")
        return articles.filter(Q(pk__in=ids) | Q(pk__in=pending))
    for token in fts_tokens(words):
        articles = articles.filter(
            Q(title__icontains=token)
            | Q(outlet__icontains=token)
            | Q(byline__icontains=token)
            | Q(text__icontains=token)
        )
    return articles


# --- SQLite: the FTS5 table ----------------------------------------------------------------

ARTICLE_FTS_INDEX = Fts5Index(ARTICLE_FTS, "corpus_article", FTS_COLUMNS, pending="search_pending")
# The index as migration 0008 installed it: every row, at its INSERT.
_ARTICLE_FTS_0008 = Fts5Index(ARTICLE_FTS, "corpus_article", FTS_COLUMNS)


def article_fts_sql() -> list[str]:
    """The statements creating the FTS5 table and its triggers and filling it
    (``common.fulltext.Fts5Index``); they may run again (the triggers are replaced, the
    index filled anew)."""
    return ARTICLE_FTS_INDEX.sql()


def install_article_fts(schema_editor: Any) -> None:
    """On SQLite with FTS5: the table, its triggers, the index of every indexed article."""
    ARTICLE_FTS_INDEX.install(schema_editor)


def drop_article_fts(schema_editor: Any) -> None:
    ARTICLE_FTS_INDEX.drop(schema_editor)


class CreateArticleFtsOnSqlite(CreateFtsOnSqlite):
    """The FTS5 table of article search on SQLite as migration 0008 made it; nothing on
    PostgreSQL nor on a SQLite without FTS5. Reversed, it drops them."""

    fts = _ARTICLE_FTS_0008
    purpose = "article search"

    @property
    def migration_name_fragment(self) -> str:
        return "article_search_fts"


class DeferArticleFtsOnSqlite(CreateFtsOnSqlite):
    """Migration 0010: the triggers leave out the articles whose ``search_pending`` is
    set (their entries are built later, ``corpus.indexing``). Reversed, the triggers of
    0008 again (every row indexed at its INSERT)."""

    fts = ARTICLE_FTS_INDEX
    purpose = "article search, built after an import"

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        _ARTICLE_FTS_0008.install(schema_editor)

    @property
    def migration_name_fragment(self) -> str:
        return "article_search_deferred"
