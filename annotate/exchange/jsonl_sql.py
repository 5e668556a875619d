"""JSON Lines written by SQLite: each article's claims as one text.

``jsonl.stream`` formats the claims in Python a chunk of rows at a time; here SQLite
writes each claim as ``jsonl`` writes it (``ClaimJson``) and joins an article's claims
into one text (``ArticleClaims``), so the export reads a row per article (about a
thousand for 70,000 claims) and only puts each line's head and tail around it. SQLite
does that work inside ``sqlite3_step``, on the reading threads without the GIL: rows of
20 values handed the GIL over once per claim, and the reading thread and the formatting
barely overlapped. Two readers, each every other block of articles (``article_rows``).

Byte for byte the Python path's output (the tests compare them over every code point):
strings are quoted by ``json_quote`` (which escapes as ``json.encoder.encode_basestring``
does), integers and NULL as ``json.dumps`` writes them, the times as
``isoformat_column`` does (UTC), a claim's stances in the targets' order (position, id),
its source's aliases in the registry's (alias key, id). Only for projects without chains
and clusters, on SQLite in UTC (``applies``): the others keep the Python path. PostgreSQL
too: the same text made by the server (``to_json``, ``format``, ``string_agg``: the
same bytes) cost it ~50 µs a claim in per-claim subplans, slower than the Python path
(bench/RESULTS.md, issue 21, exp28).
"""

from __future__ import annotations

import contextlib
import heapq
import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from django.db import NotSupportedError, connections
from django.db.models import F, Func, OuterRef, Subquery, TextField
from django.db.models.expressions import RawSQL

from annotate.exchange.fetch import SqliteSnapshot, fetch_rows
from annotate.exchange.fields import ARTICLE_VALUES
from annotate.exchange.options import ExportOptions
from annotate.exchange.rows_query import claims_queryset, selected_article_ids
from annotate.models import (
    Claim,
    ClaimStance,
    Decision,
    DecisionOrigin,
    Source,
    SourceAlias,
    Target,
)
from corpus.models import Article, Project

# The claim's columns the text is made of, by the name the SQL below gives them.
_COLUMNS = {
    "id": "id",
    "annotator_id": "annotator_id",
    "annotator": "annotator__username",
    "start": "start",
    "end": "end",
    "quote": "quote",
    "source_id": "source_id",
    "attribution": "attribution",
    "mention_start": "mention_start",
    "mention_end": "mention_end",
    "text": "article__text",
    "source_reliability": "source_reliability",
    "information_credibility": "information_credibility",
    "claim_type": "claim_type",
    "checkworthy": "checkworthy",
    "note": "note",
    "version": "version",
    "created": "created",
    "updated": "updated",
}


class _Dialect:
    """SQLite's spelling of the pieces of a claim's text."""

    def __init__(self, quote_name: Any) -> None:
        self.q = quote_name

    def json(self, sql: str) -> str:
        """A text value as a JSON string (NULL as ``null``)."""
        return f"json_quote({sql})"

    def format(self, template: str, *args: str) -> str:
        """``template`` with each ``%s`` replaced by the text of the next argument, made
        in one go by ``printf``. The template holds no other ``%`` nor ``'``."""
        if (
            "'" in template or template.count("%") != len(args) or template.count("%s") != len(args)
        ):  # pragma: no cover - a mistake in this module
            raise ValueError(f"Not a template for {len(args)} texts: {template}")
        # ``%`` doubled: Django's cursor formats the SQL with its parameters.
        return f"printf('{template.replace('%', '%%')}', {', '.join(args)})"

    def number(self, sql: str) -> str:
        return f"CAST({sql} AS text)"

    def joined(self, sql: str, separator: str) -> str:
        """The aggregate that joins texts, in the order the rows come (from a
        subquery's ORDER BY: SQLite never flattens an ordered subquery into an
        aggregate, and group_concat appends in the order it is given)."""
        return f"group_concat({sql}, '{separator}')"

    def held(self, name: str, key: str) -> str:
        """The lookup of ``key`` in one of ``_held``'s tables."""
        return f"(SELECT h.j FROM {self.q('claimdesk_' + name)} h WHERE h.k = {key})"

    def iso(self, sql: str) -> str:
        """A timestamp as ``datetime.isoformat()`` writes it in UTC (no microseconds
        when they are zero), as ``fetch.isoformat_column`` makes it from Django's
        stored ``YYYY-MM-DD HH:MM:SS[.ffffff]``."""
        text = f"CAST({sql} AS text)"
        return (
            f"(replace(CASE WHEN substr({text}, 20) = '.000000' THEN substr({text}, 1, 19) "
            f"ELSE {text} END, ' ', 'T') || '+00:00')"
        )


def _table(model: Any) -> str:
    return str(model._meta.db_table)


def _source_json(d: _Dialect, s: str) -> str:
    """The ``source`` object of a claim (``jsonl._SourceJson``) from the source row
    ``s``: its aliases in the registry's order (alias key, id)."""
    q = d.q
    aliases = (
        f"(SELECT '[' || {d.joined('a.x', ', ')} || ']' FROM "
        f"(SELECT {d.json('al.' + q('alias'))} AS x FROM {q(_table(SourceAlias))} al "
        f"WHERE al.{q('source_id')} = {s}.{q('id')} "
        f"ORDER BY al.{q('alias_key')}, al.{q('id')}) a)"
    )
    return (
        f"'{{\"id\": ' || {d.number(f'{s}.' + q('id'))} || ', \"name\": ' || "
        f"{d.json(f'{s}.' + q('name'))} || ', \"kind\": ' || {d.json(f'{s}.' + q('kind'))} || "
        f"', \"aliases\": ' || COALESCE({aliases}, '[]') || "
        f"', \"external_id\": ' || {d.json(f'{s}.' + q('external_id'))} || "
        f"', \"status\": ' || {d.json(f'{s}.' + q('status'))} || '}}'"
    )


def _status(annotator_id: str, decision: str) -> str:
    """A claim's ``status`` (``claims_queryset``) for a decision that is not NULL."""
    return (
        f"CASE WHEN {annotator_id} IS NULL THEN 'gold' "
        f"WHEN {decision} = 'reject' THEN 'rejected' ELSE 'accepted' END"
    )


def _held(d: _Dialect, project: Project) -> tuple[str, list[Any]]:
    """The ``WITH`` clause of two tables made once per query, which a claim's
    text looks up by key (``k``; SQLite indexes them on the fly): the project's sources'
    JSON (``claimdesk_sources``: a subquery per claim cost 0.10 s more for 70,000
    claims; a source of another project, never expected, falls through to it), and
    the ``"status"`` and ``"decision"`` members of each of its claims that have a
    decision (``claimdesk_decisions``: the latest gold decision on the claim, else the
    latest of those it is an origin of, as ``rows_query._Decisions`` reads them)."""
    q = d.q
    claim, article = q(_table(Claim)), q(_table(Article))
    decision, origin = q(_table(Decision)), q(_table(DecisionOrigin))
    project_id = q("project_id")
    # The decisions of the project's articles: (claim, action, 0 for gold / 1 for an
    # origin, created, id); the first of each claim in that order wins. (By the
    # decision's article, whose claims the decision is about: going by each claim's
    # article read every claim of the project, 0.06 s.)
    articles = f"SELECT a.{q('id')} FROM {article} a WHERE a.{project_id} = %s"
    decided = (
        f"SELECT d.{q('gold_id')} AS k, d.{q('action')} AS action, 0 AS kind, "
        f"d.{q('created')} AS created, d.{q('id')} AS id FROM {decision} d "
        f"WHERE d.{q('gold_id')} IS NOT NULL AND d.{q('article_id')} IN ({articles}) "
        f"UNION ALL SELECT o.{q('claim_id')}, d.{q('action')}, 1, d.{q('created')}, d.{q('id')} "
        f"FROM {origin} o INNER JOIN {decision} d ON d.{q('id')} = o.{q('decision_id')} "
        f"WHERE d.{q('article_id')} IN ({articles})"
    )
    latest = (
        f"SELECT k, action, row_number() OVER (PARTITION BY k "
        f"ORDER BY kind, created DESC, id DESC) AS n FROM ({decided}) x"
    )
    outcome = (
        f'\'"status": "\' || {_status("g." + q("annotator_id"), "l.action")} || '
        f'\'", "decision": \' || {d.json("l.action")}'
    )
    sql = (
        f"WITH {q('claimdesk_sources')}(k, j) AS MATERIALIZED "
        f"(SELECT s.{q('id')}, {_source_json(d, 's')} FROM {q(_table(Source))} s "
        f"WHERE s.{project_id} = %s), "
        f"{q('claimdesk_decisions')}(k, j) AS MATERIALIZED "
        f"(SELECT l.k, {outcome} FROM ({latest}) l "
        f"INNER JOIN {claim} g ON g.{q('id')} = l.k WHERE l.n = 1) "
    )
    return sql, [project.pk, project.pk, project.pk]


class ClaimJson(Func):
    """A claim as ``jsonl`` writes it inside an article line (``jsonl.claim_record``,
    without chains and clusters), one text per claim."""

    output_field = TextField()

    def __init__(self) -> None:
        super().__init__(*(F(path) for path in _COLUMNS.values()))

    def as_sql(self, *args: Any, **kwargs: Any) -> Any:
        raise NotSupportedError("The claims' JSON is written by SQLite only.")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sqls, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            sqls.append(sql)
            params.extend(expression_params)
        c = dict(zip(_COLUMNS, sqls, strict=True))
        d = _Dialect(connection.ops.quote_name)
        q = d.q
        source = f"(SELECT {_source_json(d, 's')} FROM {q(_table(Source))} s "
        source += f"WHERE s.{q('id')} = {c['source_id']})"
        stance = d.format(
            '{"target": %s, "stance": %s}', d.json("t." + q("name")), d.json("cs." + q("stance"))
        )
        stances = (
            f"(SELECT '[' || {d.joined('p.x', ', ')} || ']' FROM "
            f"(SELECT {stance} AS x "
            f"FROM {q(_table(ClaimStance))} cs INNER JOIN {q(_table(Target))} t "
            f"ON t.{q('id')} = cs.{q('target_id')} "
            f"WHERE cs.{q('claim_id')} = {c['id']} ORDER BY t.{q('position')}, t.{q('id')}) p)"
        )
        # The mention's text, cut from the article's (both count code points).
        start, end = c["mention_start"], c["mention_end"]
        mention_text = d.json(f"substr({c['text']}, {start} + 1, {end} - {start})")
        mention_json = d.format(
            '{"start": %s, "end": %s, "text": %s}', d.number(start), d.number(end), mention_text
        )
        mention = f"CASE WHEN {start} IS NULL THEN 'null' ELSE {mention_json} END"
        # "status" and "decision" as ``claims_queryset`` annotates them, from the
        # project's decisions read once (``_held``).
        undecided = (
            f'CASE WHEN {c["annotator_id"]} IS NULL THEN \'"status": "gold", '
            '"decision": null\' ELSE \'"status": "pending", "decision": null\' END'
        )
        outcome = f"COALESCE({d.held('decisions', c['id'])}, {undecided})"
        layer = f"CASE WHEN {c['annotator_id']} IS NULL THEN 'gold' ELSE 'annotator' END"
        members = {
            "claim_id": d.number(c["id"]),
            "layer": d.json(layer),
            "annotator": d.json(c["annotator"]),
            "start": d.number(c["start"]),
            "end": d.number(c["end"]),
            "quote": d.json(c["quote"]),
            "source": f"COALESCE({d.held('sources', c['source_id'])}, {source}, 'null')",
            "attribution": d.json(c["attribution"]),
            "source_mention": mention,
            "stances": f"COALESCE({stances}, '[]')",
            **{
                name: d.json(c[name])
                for name in (
                    "source_reliability",
                    "information_credibility",
                    "claim_type",
                    "checkworthy",
                    "note",
                )
            },
            # "status" and "decision", one piece.
            "": outcome,
            "version": d.number(c["version"]),
            "created": f"'\"' || {d.iso(c['created'])} || '\"'",
            "updated": f"'\"' || {d.iso(c['updated'])} || '\"'",
        }
        # One format for the whole claim: a chain of || copied the text made so far
        # at every step (60 steps of a text of ~900 bytes per claim).
        template = ", ".join(f'"{name}": %s' if name else "%s" for name in members)
        return d.format("{" + template + "}", *members.values()), params


class ArticleClaims(Subquery):
    """An article's selected claims (a queryset of the claims' text as ``j``, in their
    order) joined into one text, ``"<count>,<claim>, <claim>…"``: NULL for an article
    without selected claims."""

    output_field = TextField()

    def as_sql(self, *args: Any, **kwargs: Any) -> Any:
        raise NotSupportedError("The claims' JSON is written by SQLite only.")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        d = _Dialect(connection.ops.quote_name)
        template = (
            f"(SELECT {d.number('count(*)')} || ',' || {d.joined('c.j', ', ')} "
            "FROM (%(subquery)s) c)"
        )
        return super().as_sql(compiler, connection, template=template, **extra)


def applies(project: Project, alias: str, *, chained: bool, clustered: bool) -> bool:
    """Whether the database can write this project's JSON Lines claims (see the
    module's docstring)."""
    db = connections[alias]
    return (
        not chained
        and not clustered
        and db.vendor == "sqlite"
        and db.timezone_name == "UTC"
        # MATERIALIZED (3.35) and JSON built in (3.38).
        and sqlite3.sqlite_version_info >= (3, 38)
    )


# The article values each row brings, then the claims' text (``ArticleClaims``).
ARTICLE_FIELDS = (*ARTICLE_VALUES, "text")


def _rows_sql(project: Project, options: ExportOptions, ids: list[int]) -> tuple[str, list[Any]]:
    """The SQL and parameters of the articles ``ids`` (selected ones) in export order
    (title, id), each with ``ARTICLE_FIELDS`` and its claims' text."""
    claims = (
        claims_queryset(project, options)
        .filter(article_id=OuterRef("pk"))
        .order_by("start", "end", "id")
        .annotate(j=ClaimJson())
        .values("j")
    )
    alias = claims.db
    db = connections[alias]
    within = RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])
    rows = (
        Article.objects.filter(project=project, pk__in=within)
        .annotate(claims_json=ArticleClaims(claims))
        .order_by("title", "id")
        .values_list(*ARTICLE_FIELDS, "claims_json")
    )
    compiler = rows.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    selected = [name for _, _, name in compiler.select]
    if selected != [*ARTICLE_FIELDS, "claims_json"]:  # pragma: no cover - another Django
        raise RuntimeError(f"Unexpected columns for the articles: {selected}")
    held, held_params = _held(_Dialect(db.ops.quote_name), project)
    return held + sql, [*held_params, *params]


# Articles a reader reads at a time; the selected articles go in blocks of this many to
# the two readers in turn. Each reader holds up to three blocks (its queue of two and
# the one it reads); an article's claims are ~60 KB of text, four bytes a character in
# Python once one claim has an emoji. Peak RSS of a fresh JSON Lines export (medium,
# 70,180 claims; 69 MB before): 121-125 MB with blocks of 50, 85 of 10, 79 of 4, 77 of 2,
# for the same CPU.
BLOCK = 4


def article_rows(
    project: Project, options: ExportOptions, *, block: int | None = None
) -> Iterator[tuple[Any, ...]]:
    """The selected articles (``ARTICLE_FIELDS``, then their claims' text, NULL for one
    without selected claims) in export order. Two queries read them, each every other
    block of ``block`` articles, each by a thread of its own (``fetch.fetch_rows``) when
    not inside a transaction: SQLite then writes the text of two articles' claims at
    once, on two cores; the rows are merged back in order (in blocks, so that neither
    reader runs far ahead: memory holds a few blocks' text)."""
    block = block or BLOCK
    alias = Article.objects.db
    db = connections[alias]
    # Both readers and the articles' ids in one snapshot (each reader's own would be
    # taken at its start: a write between the two would be in one half and not the
    # other). Inside the caller's transaction, that transaction is the snapshot.
    shared = contextlib.nullcontext() if db.in_atomic_block else SqliteSnapshot(alias, 2)
    with shared as snapshot:
        ids = selected_article_ids(project, options)
        position = {pk: at for at, pk in enumerate(ids)}
        halves: list[list[int]] = [[], []]
        for at in range(0, len(ids), block):
            halves[(at // block) % 2] += ids[at : at + block]
        streams = []
        for half in halves:
            if half:
                sql, params = _rows_sql(project, options, half)
                batches = fetch_rows(
                    alias, sql, params, block, lambda batch: None, snapshot=snapshot
                )
                streams.append(row for batch, _ in batches for row in batch)
        if snapshot is not None and len(streams) < 2:
            snapshot.began()  # (one half or none: no second reader to wait for)
            if not streams:
                snapshot.began()
        yield from heapq.merge(*streams, key=lambda row: position[row[0]])
