"""The chunks of the exports' row source (``rows``): a chunk of claims column by column
(``Chunk``, ``COLUMNS``), made from the query's raw batches (``claim_chunks``), with the
columns derived from articles, sources and stances made once per distinct value, and the
chunk's attribution chains."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Iterator, Sequence
from itertools import groupby
from typing import Any

from django.db import connection

from annotate.chains.checks import reliability_order
from annotate.chains.links import chain_reliability
from annotate.exchange.fetch import isoformat_column
from annotate.exchange.fields import ARTICLE_META, CLAIM_VALUES
from annotate.exchange.options import ExportOptions
from annotate.exchange.rows_query import (
    DEFAULT_CHUNK,
    WRITTEN,
    _raw_batches,
    project_has_chains,
)
from annotate.models import (
    ChainLink,
    DecisionAction,
    Source,
    Target,
)
from corpus.models import Project

# The columns copied from a claim's article (its ``fields.ARTICLE_META`` and the row's
# split), and from its source, each run in ``COLUMNS`` order.
ARTICLE_COLUMNS = (*(f"article_{name}" for name in ARTICLE_META), "split")
SOURCE_COLUMNS = ("source_name", "source_kind", "source_external_id", "source_aliases")
# The columns of a claim row, in order (``stances`` is a list of {target, stance}).
COLUMNS = (
    "claim_id",
    "article_id",
    *ARTICLE_COLUMNS,
    "layer",
    "annotator",
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "source_id",
    *SOURCE_COLUMNS,
    "attribution",
    "mention_start",
    "mention_end",
    "mention_text",
    "stances",
    "source_reliability",
    "information_credibility",
    "claim_type",
    "checkworthy",
    "note",
    "status",
    "decision",
    "version",
    "created",
    "updated",
    "scheme_version",
    # Added last (issue 18), so that every column before it keeps its place.
    "source_status",
)
# A claim's stances as a hashable key: ((target name, stance), ...) in the targets' order.
StanceKey = tuple[tuple[str, str], ...]
_NO_SOURCE: tuple[Any, ...] = (None, None, None, [])


@dataclasses.dataclass
class Chunk:
    """A chunk of claim rows, column by column (``columns[name]`` for each of
    ``COLUMNS``, all of the same length), with the articles its claims are in (by id:
    metadata, ``text`` and ``split``).

    ``created`` and ``updated`` are ISO 8601 text, as every format writes them. The lists
    in ``stances`` and ``source_aliases`` are shared by the rows that have the same ones
    (read them, don't change them; ``dicts()`` gives each row copies of its own).
    ``stance_keys`` holds each row's stances as a hashable ``StanceKey`` and ``sources``
    the sources by id (``None`` too), so that a writer can format each distinct value
    once. A chunk read with ``written`` (``claim_chunks``) may instead have runs of
    columns as the query wrote them for one format (``rows_query.WRITTEN``): only that
    format's writer reads it."""

    columns: dict[str, list[Any]]
    articles: dict[int, dict[str, Any]]
    stance_keys: list[StanceKey]
    sources: dict[int | None, tuple[Any, ...]]
    # The attribution chains of the chunk's claims that have one, by claim id (see
    # ``ChainLinks``); empty when the project has no chains at all.
    chains: dict[int, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)
    # Each chained claim's weakest link, its source's rating included, by claim id.
    chain_reliability: dict[int, str] = dataclasses.field(default_factory=dict)
    # Each source's status ("confirmed", "proposed") by id (``None``: no source).
    source_statuses: dict[int | None, str | None] = dataclasses.field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.columns["claim_id"])

    def tuples(self, names: Sequence[str] = COLUMNS) -> Iterator[tuple[Any, ...]]:
        """The rows as tuples of the columns ``names`` (all of ``COLUMNS``, in order, by
        default): a writer that asks for fewer makes none of the others (the columns
        copied from articles and sources are made when first asked for)."""
        return zip(*(self.columns[name] for name in names), strict=True)

    def dicts(self) -> list[dict[str, Any]]:
        out = []
        for row in self.tuples():
            record = dict(zip(COLUMNS, row, strict=True))
            record["source_aliases"] = list(record["source_aliases"])
            record["stances"] = [dict(s) for s in record["stances"]]
            self.add_chain(record)
            out.append(record)
        return out

    def chain_of(self, claim_id: int) -> list[dict[str, Any]]:
        """The claim's chain, each link with its carrier's ``source_name``,
        ``source_kind``, ``source_external_id``, ``source_aliases`` and ``source_status``
        ("confirmed" or "proposed", as a claim's source has); [] if none."""
        out = []
        for link in self.chains.get(claim_id, ()):
            name, kind, external_id, aliases = self.sources[link["source_id"]]
            out.append(
                {
                    **link,
                    "source_name": name,
                    "source_kind": kind,
                    "source_external_id": external_id,
                    "source_aliases": list(aliases),
                    "source_status": self.source_statuses[link["source_id"]],
                }
            )
        return out

    def add_chain(self, record: dict[str, Any]) -> None:
        """Give a row of a chained claim its ``chain`` and ``chain_reliability`` (rows of
        claims without a chain stay as they were before chains existed)."""
        if record["claim_id"] in self.chains:
            record["chain"] = self.chain_of(record["claim_id"])
            record["chain_reliability"] = self.chain_reliability[record["claim_id"]]

    def article_runs(self) -> list[tuple[int, int, int]]:
        """(article id, first row, row after the last) of each run of rows of one article."""
        runs = []
        at = 0
        for article_id, group in groupby(self.columns["article_id"]):
            n = sum(1 for _ in group)
            runs.append((article_id, at, at + n))
            at += n
        return runs


class _StanceKeys(dict[str | None, StanceKey]):
    """The JSON text of ``StancePairs`` → the ``StanceKey`` it stands for (in the
    targets' order: position, then id), parsed once per distinct text. The project's
    targets are read (one query) when the first claim with stances comes."""

    def __init__(self, project: Project) -> None:
        super().__init__({None: ()})
        self.project = project
        self.shared: dict[StanceKey, StanceKey] = {(): ()}
        self.targets: dict[int, tuple[int, str]] = {}  # id → (position, name)

    def __missing__(self, text: str) -> StanceKey:
        pairs = json.loads(text)
        missing = {pk for pk, _ in pairs} - self.targets.keys()
        if missing and not self.targets:
            self._load(Target.objects.filter(project=self.project))
            missing -= self.targets.keys()
        if missing:  # pragma: no cover - a target added during the export
            self._load(Target.objects.filter(pk__in=missing))
        ordered = sorted((self.targets[pk][0], pk, stance) for pk, stance in pairs)
        key = tuple((self.targets[pk][1], stance) for _, pk, stance in ordered)
        value = self[text] = self.shared.setdefault(key, key)
        return value

    def _load(self, targets: Any) -> None:
        for pk, position, name in targets.values_list("pk", "position", "name"):
            self.targets[pk] = (position, name)


def stance_list(key: StanceKey) -> list[dict[str, str]]:
    """A claim's stances as its row's ``stances`` carries them (and every format writes
    them): ``[{"target": name, "stance": value}, ...]``."""
    return [{"target": target, "stance": stance} for target, stance in key]


class _StanceLists(dict[StanceKey, list[dict[str, str]]]):
    """StanceKey → the stances as rows carry them, made once per distinct key."""

    def __missing__(self, key: StanceKey) -> list[dict[str, str]]:
        value = self[key] = stance_list(key)
        return value


def claim_chunks(
    project: Project,
    options: ExportOptions,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    omit: Collection[str] = (),
    chained: bool | None = None,
    written: str | None = None,
) -> Iterator[Chunk]:
    """The selected claims a chunk at a time, in export order. The claims' query
    brings their stances along; per chunk, one query each for the sources (with
    aliases) and the articles (with texts) that earlier chunks did not already bring,
    and once the project's stance targets; so memory holds one chunk, the chunk's
    articles and the sources seen so far (the project's registry at most). Columns in
    ``omit`` (of ``prefix``, ``suffix``) are not read (the chunks don't have them).

    ``written`` (``rows_query.written_runs``): on SQLite and PostgreSQL, in a project without
    chains, the chunks have the runs the query wrote (JSON Lines' members, CSV's
    cells) instead of the columns they stand for."""
    if set(omit) - _OMITTABLE:
        raise ValueError(f"Only {', '.join(sorted(_OMITTABLE))} can be left out.")
    tz = connection.timezone
    stance_keys = _StanceKeys(project)
    derived = _Derived(project.scheme.get("version"))
    # ``chained``: whether the project has chains, when the caller asked already.
    chained = project_has_chains(project) if chained is None else chained
    order = reliability_order(project.scheme)
    # A chain's weakest link needs the claim's own ``source_reliability``.
    written = None if chained else written
    for raw, articles in _raw_batches(project, options, chunk_size, omit, written):
        article_ids, annotators = raw["article_id"], raw["annotator__username"]
        mention_starts, mention_ends = raw["mention_start"], raw["mention_end"]
        keys = list(map(stance_keys.__getitem__, raw["stance_pairs"]))
        source_ids = raw["source_id"]
        _load_sources(
            derived.sources, set(source_ids).difference(derived.sources), derived.statuses
        )
        texts = {pk: article["text"] for pk, article in articles.items()}
        columns = _Columns(derived, articles, keys)
        for name in (*_COPIED, *WRITTEN):
            if name in raw:
                columns[name] = list(raw[name])
        columns.update(
            claim_id=list(raw["id"]),
            layer=["gold" if a is None else "annotator" for a in annotators],
            annotator=list(annotators),
            mention_text=[
                None if s is None or e is None else texts[a][s:e]
                for a, s, e in zip(article_ids, mention_starts, mention_ends, strict=True)
            ],
            status=[
                "gold"
                if a is None
                else "rejected"
                if d == DecisionAction.REJECT
                else "pending"
                if d is None
                else "accepted"
                for a, d in zip(annotators, raw["decision"], strict=True)
            ],
        )
        for name in ("created", "updated"):
            if f"{name}_iso" in raw:  # written whole by the query (PostgreSQL)
                columns[name] = list(raw[f"{name}_iso"])
            else:
                columns[name] = isoformat_column(raw[name], tz)
        chunk = Chunk(columns, articles, keys, derived.sources, source_statuses=derived.statuses)
        if chained:
            _add_chains(chunk, raw, texts, derived, order)
        yield chunk


def _add_chains(
    chunk: Chunk,
    raw: dict[str, tuple[Any, ...]],
    texts: dict[int, str],
    derived: _Derived,
    order: list[str],
) -> None:
    """Give the chunk its claims' chains: one query for the links, one for the carriers
    not seen before. A link is ``{"position", "source_id", "mention_start",
    "mention_end", "mention_text", "reliability"}``."""
    article_of = dict(zip(raw["id"], raw["article_id"], strict=True))
    links = (
        ChainLink.objects.filter(claim_id__in=article_of)
        .order_by("claim_id", "position")
        .values_list(
            "claim_id", "position", "source_id", "mention_start", "mention_end", "reliability"
        )
    )
    for claim_id, position, source_id, start, end, reliability in links:
        text = texts[article_of[claim_id]]
        chunk.chains.setdefault(claim_id, []).append(
            {
                "position": position,
                "source_id": source_id,
                "mention_start": start,
                "mention_end": end,
                "mention_text": None if start is None or end is None else text[start:end],
                "reliability": reliability,
            }
        )
    wanted = {link["source_id"] for chain in chunk.chains.values() for link in chain}
    _load_sources(derived.sources, wanted.difference(derived.sources), derived.statuses)
    ratings = dict(zip(raw["id"], raw["source_reliability"], strict=True))
    for claim_id, chain in chunk.chains.items():
        chunk.chain_reliability[claim_id] = chain_reliability(
            ratings[claim_id] or "", [link["reliability"] for link in chain], order
        )


_OMITTABLE = frozenset({"prefix", "suffix"})
# The claim columns that are the query's own, as they come.
_COPIED = ("article_id", *CLAIM_VALUES, "decision", "version")


class _Derived:
    """What the chunks' derived columns are made from and that outlives a chunk: the
    sources seen so far (id → name, kind, external id, aliases), the stances as rows
    carry them, the scheme version."""

    def __init__(self, scheme_version: Any) -> None:
        self.scheme_version = scheme_version
        self.sources: dict[int | None, tuple[Any, ...]] = {None: _NO_SOURCE}
        self.statuses: dict[int | None, str | None] = {None: None}
        self.stance_lists = _StanceLists()


class _Columns(dict[str, list[Any]]):
    """A chunk's columns. Those copied from its articles or sources or made from its
    stances are made when first asked for: a writer that formats each distinct article,
    source or set of stances once (JSON Lines) never needs them."""

    def __init__(
        self, derived: _Derived, articles: dict[int, dict[str, Any]], keys: list[StanceKey]
    ) -> None:
        super().__init__()
        self.derived = derived
        self.articles = articles
        self.stance_keys = keys

    def __missing__(self, name: str) -> list[Any]:
        if name in ARTICLE_COLUMNS:
            meta = {pk: article["_meta"] for pk, article in self.articles.items()}
            rows = map(meta.__getitem__, self["article_id"])
            self.update(zip(ARTICLE_COLUMNS, map(list, zip(*rows, strict=True)), strict=True))
        elif name in SOURCE_COLUMNS:
            rows = map(self.derived.sources.__getitem__, self["source_id"])
            self.update(zip(SOURCE_COLUMNS, map(list, zip(*rows, strict=True)), strict=True))
        elif name == "source_status":
            self[name] = list(map(self.derived.statuses.__getitem__, self["source_id"]))
        elif name == "stances":
            self[name] = list(map(self.derived.stance_lists.__getitem__, self.stance_keys))
        elif name == "scheme_version":
            self[name] = [self.derived.scheme_version] * len(self["claim_id"])
        else:
            raise KeyError(name)
        return self[name]


def _load_sources(
    sources: dict[int | None, tuple[Any, ...]],
    wanted: set[int],
    statuses: dict[int | None, str | None],
) -> None:
    """Add the ``wanted`` sources to ``sources``: id → (name, kind, external id,
    aliases), and their status to ``statuses``, with one query that brings the aliases
    along."""
    if not wanted:
        return
    for pk, name, kind, external_id, status, alias in (
        Source.objects.filter(pk__in=wanted)
        .order_by("id", "aliases__alias_key", "aliases__id")
        .values_list("id", "name", "kind", "external_id", "status", "aliases__alias")
    ):
        if pk not in sources:
            sources[pk] = (name, kind, external_id, [])
            statuses[pk] = status
        if alias is not None:
            sources[pk][3].append(alias)
