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

SQLite rebuilds ``corpus_article`` when a migration alters it, dropping these triggers
(and refusing while the agreement counter's triggers read the table,
``annotate.db_versions``): such a migration must run ``install_article_fts`` again.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

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


def article_search_vector() -> SearchVector:
    """The words of an article that search matches (the GIN index's very expression)."""
    return SearchVector(*FTS_COLUMNS, config=SEARCH_CONFIG)


def search_words(query: str) -> list[str]:
    return re.findall(r"\w+", query)[:MAX_WORDS]


def articles_matching[Q_: QuerySet[Any]](articles: Q_, query: str) -> Q_:
    """The ``articles`` with a word starting with each word of ``query`` (see the module
    docstring); none when the query has no letter or digit."""
    words = search_words(query)
    if not fts_tokens(words):
        return articles.none()
    if connection.vendor == "postgresql":
        match = SearchQuery(tsquery_prefix(words), search_type="raw", config=SEARCH_CONFIG)
        return articles.annotate(search=article_search_vector()).filter(search=match)
    if fts5_available():
        ids = RawSQL(
            f"SELECT rowid FROM {ARTICLE_FTS} WHERE {ARTICLE_FTS} MATCH %s",
            [fts_query(words, prefix=True)],
        )
        return articles.filter(pk__in=ids)
    for token in fts_tokens(words):
        articles = articles.filter(
            Q(title__icontains=token)
            | Q(outlet__icontains=token)
            | Q(byline__icontains=token)
            | Q(text__icontains=token)
        )
    return articles


# --- SQLite: the FTS5 table ----------------------------------------------------------------

ARTICLE_FTS_INDEX = Fts5Index(ARTICLE_FTS, "corpus_article", FTS_COLUMNS)


def article_fts_sql() -> list[str]:
    """The statements creating the FTS5 table and its triggers and filling it
    (``common.fulltext.Fts5Index``); they may run again (the triggers are replaced, the
    index filled anew)."""
    return ARTICLE_FTS_INDEX.sql()


def install_article_fts(schema_editor: Any) -> None:
    """On SQLite with FTS5: the table, its triggers, the index of every article."""
    ARTICLE_FTS_INDEX.install(schema_editor)


def drop_article_fts(schema_editor: Any) -> None:
    ARTICLE_FTS_INDEX.drop(schema_editor)


class CreateArticleFtsOnSqlite(CreateFtsOnSqlite):
    """The FTS5 table of article search on SQLite; nothing on PostgreSQL nor on a SQLite
    without FTS5. Reversed, it drops them."""

    fts = ARTICLE_FTS_INDEX
    purpose = "article search"

    @property
    def migration_name_fragment(self) -> str:
        return "article_search_fts"
