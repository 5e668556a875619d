# One module: the exports' one row source; query, chunk columns and article walk share state.
"""The one streamed source of exported claims: the query, its chunks and columns, and the
walk of the articles. What it selects is ``options.ExportOptions``; where an export came
from, ``provenance``.

Every format reads ``claim_chunks`` (a chunk of claims column by column, the fast way),
``claim_rows`` (one flat dict per claim), ``chunk_runs`` (the chunks with their runs of
rows by article), or ``article_tuples`` / ``article_groups`` (one article with its claims
at a time). The claims' own columns, their stances (as one JSON text per claim) and their
times (as ISO 8601 text) are read with the SQL the ORM writes for ``claims_queryset``,
straight from the cursor (``fetch.fetch_rows``: a server-side cursor on PostgreSQL, read
ahead by a thread of its own), a chunk at a time; per chunk, one query each for the
sources (with their aliases) and the articles (metadata and text) that the chunk brings
for the first time, and once the project's stance targets. Memory holds one chunk
whatever the size of the project. Rows come in a fixed order: the articles' order
(title, id), then start, end and claim id.

With ``ExportOptions.all_articles`` the readers by article (``chunk_runs`` and those on
it) also hold the selected articles that have no selected claims, each in its place in
that order, with no rows: the ids of the selected articles are read once, in the same
order, and the articles without claims read a batch at a time.

Only live claims are exported (deleted ones stay in the project archive). The
``status`` of a claim says where adjudication stands: ``gold`` for a claim of the gold
layer, ``accepted`` / ``rejected`` for an annotator claim the latest decision on which
took it into gold or rejected it, ``pending`` for one nobody has decided on yet.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Iterator
from itertools import groupby
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import Case, OuterRef, Q, Subquery, TextField, Value, When
from django.db.models.functions import Coalesce

from annotate.chains.checks import reliability_order
from annotate.chains.links import chain_reliability
from annotate.exchange.fetch import IdsQuery, IsoText, StancePairs, fetch_rows, isoformat_column
from annotate.exchange.fields import ARTICLE_VALUES, CLAIM_VALUES
from annotate.exchange.options import ExportOptions, split_of
from annotate.models import (
    ChainLink,
    Claim,
    ClaimQuerySet,
    ClaimStance,
    Decision,
    DecisionAction,
    DecisionOrigin,
    Source,
    Target,
)
from corpus.models import Article, Membership, Project

DEFAULT_CHUNK = 2000


# --- The query ------------------------------------------------------------------------


def claims_queryset(project: Project, options: ExportOptions) -> ClaimQuerySet:
    """The live claims of the project that the options select, annotated with their
    adjudication ``decision`` and ``status``, in export order."""
    claims = Claim.objects.live().filter(article__project=project)
    if options.layer == "gold":
        claims = claims.gold()
    elif options.layer == "annotators":
        claims = claims.annotations()
    if options.annotators:
        # Only the project's people (members, and former ones whose claims stay) are
        # found: someone elsewhere is answered exactly as a name nobody has.
        users = (
            get_user_model()
            .objects.filter(username__in=options.annotators)
            .filter(
                Q(pk__in=Membership.objects.filter(project=project).values("user_id"))
                | Q(pk__in=Claim.objects.filter(article__project=project).values("annotator_id"))
            )
        )
        found = dict(users.values_list("username", "pk"))
        missing = [u for u in options.annotators if u not in found]
        if missing:
            raise ValidationError(
                {"annotator": f"No annotator of this project is called: {', '.join(missing)}."}
            )
        claims = claims.filter(annotator_id__in=found.values())
    if options.articles:
        claims = claims.filter(article_id__in=options.articles)
    if options.sources:
        claims = claims.filter(source_id__in=options.sources)
    if options.stances:
        claims = claims.filter(
            pk__in=ClaimStance.objects.filter(stance__in=options.stances).values("claim_id")
        )
    latest_origin = DecisionOrigin.objects.filter(claim=OuterRef("pk")).order_by(
        "-decision__created", "-decision_id"
    )
    latest_gold = Decision.objects.filter(gold=OuterRef("pk")).order_by("-created", "-id")
    claims = claims.annotate(
        decision=Coalesce(
            Subquery(latest_gold.values("action")[:1]),
            Subquery(latest_origin.values("decision__action")[:1]),
        )
    ).annotate(
        status=Case(
            When(annotator__isnull=True, then=Value("gold")),
            When(decision=DecisionAction.REJECT, then=Value("rejected")),
            When(decision__isnull=False, then=Value("accepted")),
            default=Value("pending"),
        )
    )
    if options.statuses:
        claims = claims.filter(status__in=options.statuses)
    return claims.order_by("article__title", "article_id", "start", "end", "id")


_SELECT = (
    "id",
    "article_id",
    "annotator__username",
    *CLAIM_VALUES,
    "version",
    "decision",
    "stance_pairs",
    "created",
    "updated",
)
_ARTICLE_META = ("title", "outlet", "byline", "url", "published", "language", "sha256")

# The columns of a claim row, in order (``stances`` is a list of {target, stance}).
COLUMNS = (
    "claim_id",
    "article_id",
    "article_title",
    "article_outlet",
    "article_byline",
    "article_url",
    "article_published",
    "article_language",
    "article_sha256",
    "split",
    "layer",
    "annotator",
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "source_id",
    "source_name",
    "source_kind",
    "source_external_id",
    "source_aliases",
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


def project_targets(project: Project) -> list[str]:
    """The project's stance targets by name, in their order (per-target columns)."""
    return list(Target.objects.filter(project=project).values_list("name", flat=True))


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
    once."""

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

    def tuples(self) -> Iterator[tuple[Any, ...]]:
        """The rows as tuples in ``COLUMNS`` order."""
        return zip(*(self.columns[name] for name in COLUMNS), strict=True)

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


def claim_rows(
    project: Project,
    options: ExportOptions,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    on_chunk: Any = None,
) -> Iterator[dict[str, Any]]:
    """One dict per selected claim (keys: ``COLUMNS``), in export order, read a chunk at
    a time. ``on_chunk(n)`` is told after each chunk how many rows it held (progress)."""
    for chunk in claim_chunks(project, options, chunk_size=chunk_size):
        yield from chunk.dicts()
        if on_chunk is not None:
            on_chunk(len(chunk))


def _stance_pairs() -> Subquery:
    stances = (
        ClaimStance.objects.filter(claim=OuterRef("pk"))
        .order_by()
        .values("claim_id")
        .annotate(pairs=StancePairs("target_id", "stance"))
        .values("pairs")
    )
    return Subquery(stances, output_field=TextField())


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


def _raw_batches(
    project: Project, options: ExportOptions, size: int, omit: Collection[str] = ()
) -> Iterator[tuple[dict[str, tuple[Any, ...]], dict[int, dict[str, Any]]]]:
    """The selected claims' own columns (``_SELECT`` but ``omit``) by name, ``size`` rows
    at a time, from the SQL the ORM writes for them (going round the ORM's row handling,
    a converter call per value and a dict per row, is most of the export's speed); with
    the batch's articles by id."""
    queryset = claims_queryset(project, options).annotate(stance_pairs=_stance_pairs())
    db = connections[queryset.db]
    aliases = {name: name for name in _SELECT if name not in omit}
    if db.vendor in ("sqlite", "postgresql") and db.timezone_name == "UTC":
        queryset = queryset.annotate(
            created_text=IsoText("created"), updated_text=IsoText("updated")
        )
        aliases.update(created="created_text", updated="updated_text")
    values = queryset.values_list(*aliases.values())
    compiler = values.query.get_compiler(using=values.db)
    sql, params = compiler.as_sql()
    # The SQL's columns by name, whatever order the ORM writes them in.
    selected = [alias for _, _, alias in compiler.select]
    if sorted(selected) != sorted(aliases.values()):  # pragma: no cover - another Django
        raise RuntimeError(f"Unexpected columns for the claims: {selected}")
    where = {name: selected.index(alias) for name, alias in aliases.items()}
    # The articles are read by whoever reads the rows (a thread of its own on PostgreSQL).
    articles = _Articles(options)
    article_at = where["article_id"]

    def articles_of(batch: list[tuple[Any, ...]]) -> dict[int, dict[str, Any]]:
        return articles({row[article_at] for row in batch})

    for batch, batch_articles in fetch_rows(values.db, sql, params, size, articles_of):
        columns = tuple(zip(*batch, strict=True))
        yield {name: columns[index] for name, index in where.items()}, batch_articles


class _StanceLists(dict[StanceKey, list[dict[str, str]]]):
    """StanceKey → the stances as rows carry them, made once per distinct key."""

    def __missing__(self, key: StanceKey) -> list[dict[str, str]]:
        value = self[key] = [{"target": target, "stance": stance} for target, stance in key]
        return value


def claim_chunks(
    project: Project,
    options: ExportOptions,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    omit: Collection[str] = (),
    chained: bool | None = None,
) -> Iterator[Chunk]:
    """The selected claims a chunk at a time, in export order. The claims' query
    brings their stances along; per chunk, one query each for the sources (with
    aliases) and the articles (with texts) that earlier chunks did not already bring,
    and once the project's stance targets; so memory holds one chunk, the chunk's
    articles and the sources seen so far (the project's registry at most). Columns in
    ``omit`` (of ``prefix``, ``suffix``) are not read (the chunks don't have them)."""
    if set(omit) - _OMITTABLE:
        raise ValueError(f"Only {', '.join(sorted(_OMITTABLE))} can be left out.")
    tz = connection.timezone
    stance_keys = _StanceKeys(project)
    derived = _Derived(project.scheme.get("version"))
    # ``chained``: whether the project has chains, when the caller asked already.
    chained = project_has_chains(project) if chained is None else chained
    order = reliability_order(project.scheme)
    for raw, articles in _raw_batches(project, options, chunk_size, omit):
        article_ids, annotators = raw["article_id"], raw["annotator__username"]
        mention_starts, mention_ends = raw["mention_start"], raw["mention_end"]
        keys = list(map(stance_keys.__getitem__, raw["stance_pairs"]))
        source_ids = raw["source_id"]
        _load_sources(
            derived.sources, set(source_ids).difference(derived.sources), derived.statuses
        )
        texts = {pk: article["text"] for pk, article in articles.items()}
        columns = _Columns(derived, articles, keys)
        for name in _COPIED:
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
            created=isoformat_column(raw["created"], tz),
            updated=isoformat_column(raw["updated"], tz),
        )
        chunk = Chunk(columns, articles, keys, derived.sources, source_statuses=derived.statuses)
        if chained:
            _add_chains(chunk, raw, texts, derived, order)
        yield chunk


def project_has_chains(project: Project) -> bool:
    """Whether any claim of the project has an attribution chain: the exports add their
    chain fields and columns only then, so that a project without chains exports the
    same bytes as before chains existed. One query."""
    return ChainLink.objects.filter(claim__article__project=project).exists()


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


# The columns copied from a claim's article, and from its source (in ``COLUMNS`` order).
ARTICLE_COLUMNS = (
    "article_title",
    "article_outlet",
    "article_byline",
    "article_url",
    "article_published",
    "article_language",
    "article_sha256",
    "split",
)
SOURCE_COLUMNS = ("source_name", "source_kind", "source_external_id", "source_aliases")


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


_ARTICLE_FIELDS = (*ARTICLE_VALUES, "text")


class _Articles:
    """The articles of each batch of rows in turn (``_ARTICLE_FIELDS``), each with its
    ``split`` and the ``_meta`` the rows copy: those of the previous batch are kept (an
    article may run on from one batch into the next), the others read with one query
    written once (``IdsQuery``)."""

    def __init__(self, options: ExportOptions) -> None:
        self.query = IdsQuery(Article.objects.order_by().values_list(*_ARTICLE_FIELDS), "pk")
        self.metadata = Article._meta.get_field("metadata")
        self.options = options
        self.held: dict[int, dict[str, Any]] = {}

    def __call__(self, wanted: set[int]) -> dict[int, dict[str, Any]]:
        found = {pk: self.held[pk] for pk in wanted if pk in self.held}
        missing = wanted - found.keys()
        for values in self.query(missing) if missing else ():
            article = dict(zip(_ARTICLE_FIELDS, values, strict=True))
            article["metadata"] = self.metadata.from_db_value(
                article["metadata"], self.metadata.cached_col, connections[self.query.alias]
            )
            split = split_of(article["sha256"], self.options) if self.options.split else None
            article["split"] = split
            article["_meta"] = (*(article[f] for f in _ARTICLE_META), split)
            found[article["id"]] = article
        self.held = found
        return found


# An article with its rows in a chunk: (article, first row, row after the last). An
# article without selected claims (``ExportOptions.all_articles``) is a run of no rows.
Run = tuple[dict[str, Any], int, int]
# Articles without claims are read this many at a time (with their texts).
ARTICLE_BATCH = 500


def chunk_runs(
    project: Project,
    options: ExportOptions,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    omit: Collection[str] = (),
    chained: bool | None = None,
) -> Iterator[tuple[Chunk | None, Iterator[Run]]]:
    """``claim_chunks``, each chunk with its runs of rows by article, in export order
    (read each chunk's runs before asking for the next chunk). With
    ``options.all_articles`` the runs take in, where the export order puts them, the
    selected articles that have no selected claims, as runs of no rows; those after the
    last claim come last, with no chunk (``None``)."""
    if not options.all_articles:
        for chunk in claim_chunks(
            project, options, chunk_size=chunk_size, omit=omit, chained=chained
        ):
            runs = chunk.article_runs()
            yield chunk, ((chunk.articles[pk], first, stop) for pk, first, stop in runs)
        return
    walk = _ArticleWalk(project, options, min(chunk_size, ARTICLE_BATCH))
    for chunk in claim_chunks(project, options, chunk_size=chunk_size, omit=omit, chained=chained):
        yield chunk, walk.runs(chunk)
    yield None, walk.rest()


def selected_article_ids(project: Project, options: ExportOptions) -> list[int]:
    """The ids of the articles an export with ``all_articles`` holds (the project's, or
    those of the ``article`` filter), in export order: ordered as ``claims_queryset``
    orders the claims' articles (title, id), by the same database, so that the merge
    with the claims compares ids only, never titles (SQLite and PostgreSQL collate them
    differently)."""
    articles = Article.objects.filter(project=project)
    if options.articles:
        articles = articles.filter(pk__in=options.articles)
    return list(articles.order_by("title", "id").values_list("id", flat=True))


class _ArticleWalk:
    """The selected articles' ids in export order, walked alongside the claim chunks:
    every id before the next article with claims is one without. Those are read
    ``batch`` at a time (``_Articles``), never one query per article, and their texts
    are held a batch at a time."""

    def __init__(self, project: Project, options: ExportOptions, batch: int) -> None:
        self.ids = selected_article_ids(project, options)
        self.position = {pk: at for at, pk in enumerate(self.ids)}
        self.at = 0  # the place in ``ids`` of the next article not yet walked past
        self.read = _Articles(options)
        self.batch = batch

    def runs(self, chunk: Chunk) -> Iterator[Run]:
        """The chunk's runs with, before each, the articles without claims before it."""
        plan: list[tuple[int, int, int]] = []
        for pk, first, stop in chunk.article_runs():
            plan += ((empty, first, first) for empty in self._before(pk))
            plan.append((pk, first, stop))
        return self._with_articles(plan, chunk.articles)

    def rest(self) -> Iterator[Run]:
        """The articles without claims after the last article with claims."""
        plan = [(pk, 0, 0) for pk in self.ids[self.at :]]
        self.at = len(self.ids)
        return self._with_articles(plan, {})

    def _before(self, pk: int) -> list[int]:
        """The ids of the articles without claims between the last one walked past and
        article ``pk`` (which has claims); walks past ``pk``."""
        at = self.position.get(pk)
        if at is None or at < self.at:
            # Added since the ids were read, or running on from the previous chunk.
            return []
        gap = self.ids[self.at : at]
        self.at = at + 1
        return gap

    def _with_articles(
        self, plan: list[tuple[int, int, int]], known: dict[int, dict[str, Any]]
    ) -> Iterator[Run]:
        """Each planned run with its article: the chunk's for a run of rows; for an
        empty run, read with the next ``batch`` empty ones when it comes up (one
        deleted meanwhile is left out)."""
        empties = [pk for pk, first, stop in plan if first == stop]
        read: dict[int, dict[str, Any]] = {}
        asked: set[int] = set()
        next_at = 0
        for pk, first, stop in plan:
            if first < stop:
                yield known[pk], first, stop
                continue
            if pk not in asked:
                asked = set(empties[next_at : next_at + self.batch])
                next_at += len(asked)
                read = self.read(asked)
            if pk in read:
                yield read[pk], first, stop


def article_groups(
    project: Project,
    options: ExportOptions,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    on_chunk: Any = None,
    chained: bool | None = None,
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each article that has selected claims (with ``options.all_articles``, every
    selected article: those without selected claims have none), with its text and
    metadata, and its claim rows; in export order. The texts come with the chunks'
    articles, so only those texts are held at a time."""
    current: dict[str, Any] | None = None
    rows: list[dict[str, Any]] = []
    for chunk, runs in chunk_runs(project, options, chunk_size=chunk_size, chained=chained):
        records = [dict(zip(COLUMNS, row, strict=True)) for row in chunk.tuples()] if chunk else []
        if chunk is not None and chunk.chains:
            for record in records:
                chunk.add_chain(record)
        for article, first, stop in runs:
            if current is None or article["id"] != current["id"]:
                if current is not None:
                    yield current, rows
                current, rows = _public(article), []
            rows += records[first:stop]
        if on_chunk is not None and chunk is not None:
            on_chunk(len(chunk))
    if current is not None:
        yield current, rows


def article_tuples(
    project: Project,
    options: ExportOptions,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    on_chunk: Any = None,
    chained: bool | None = None,
) -> Iterator[tuple[dict[str, Any], list[tuple[Any, ...]], dict[int, Chained]]]:
    """``article_groups`` with each claim row as a tuple in ``COLUMNS`` order, and the
    chains of the article's chained claims by claim id (empty when none has one).
    ``on_chunk(n)`` is told after each chunk of claims how many it held."""
    current: dict[str, Any] | None = None
    rows: list[tuple[Any, ...]] = []
    chains: dict[int, Chained] = {}
    claim_at = COLUMNS.index("claim_id")
    for chunk, runs in chunk_runs(project, options, chunk_size=chunk_size, chained=chained):
        tuples = list(chunk.tuples()) if chunk is not None else []
        for article, first, stop in runs:
            if current is None or article["id"] != current["id"]:
                if current is not None:
                    yield current, rows, chains
                current, rows, chains = _public(article), [], {}
            rows += tuples[first:stop]
            if chunk is not None and chunk.chains:
                for row in tuples[first:stop]:
                    pk = row[claim_at]
                    if pk in chunk.chains:
                        chains[pk] = Chained(chunk.chain_of(pk), chunk.chain_reliability[pk])
        if on_chunk is not None and chunk is not None:
            on_chunk(len(chunk))
    if current is not None:
        yield current, rows, chains


class Chained(NamedTuple):
    """A claim's chain (``Chunk.chain_of``) and its weakest link."""

    links: list[dict[str, Any]]
    reliability: str


def _public(article: dict[str, Any]) -> dict[str, Any]:
    out = {name: article[name] for name in _ARTICLE_FIELDS}
    out["split"] = article["split"]
    return out
