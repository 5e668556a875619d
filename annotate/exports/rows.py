"""The one streamed source of exported claims: filters, layer, order, split, provenance.

Every format reads ``claim_chunks`` (a chunk of claims column by column, the fast way),
``claim_rows`` (one flat dict per claim), or ``article_tuples`` / ``article_groups`` (one
article with its claims at a time). The claims' own columns are read with the SQL the
ORM writes for ``claims_queryset``, straight from the cursor (a server-side cursor on
PostgreSQL), a chunk at a time; per chunk, one query for the stances, and one each for
the sources (with their aliases) and the articles (metadata and text) that the chunk
brings for the first time. Memory holds one chunk whatever the size of the project.
Rows come in a fixed order: the articles' order (title, id), then start, end and claim
id.

Only live claims are exported (deleted ones stay in the project archive). The
``status`` of a claim says where adjudication stands: ``gold`` for a claim of the gold
layer, ``accepted`` / ``rejected`` for an annotator claim the latest decision on which
took it into gold or rejected it, ``pending`` for one nobody has decided on yet.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import Case, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from annotate.models import (
    Claim,
    ClaimQuerySet,
    ClaimStance,
    Decision,
    DecisionAction,
    DecisionOrigin,
    Source,
    Target,
)
from corpus.models import Article, Project

LAYERS = ("gold", "annotators", "all")
STATUSES = ("gold", "accepted", "rejected", "pending")
SPLITS = ("train", "dev", "test")
DEFAULT_CHUNK = 2000
DEFAULT_RATIOS = (0.8, 0.1, 0.1)


@cache
def tool_version() -> str:
    """Claimdesk's version, from pyproject.toml (the project is not an installed package)."""
    try:
        with open(settings.BASE_DIR / "pyproject.toml", "rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):  # pragma: no cover - a broken tree
        return "unknown"


def _ids(values: Iterable[Any], name: str) -> tuple[int, ...]:
    out = []
    for value in values:
        text = str(value).strip()
        if not text:
            continue
        if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**63:
            raise ValidationError({name: f"“{text}” is not an id."})
        out.append(int(text))
    return tuple(sorted(set(out)))


def _words(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(sorted({str(v).strip() for v in values if str(v).strip()}))


@dataclasses.dataclass(frozen=True)
class ExportOptions:
    """What to export: the layer, the filters and the split. Plain values, so that the
    options can travel to a background task and into the provenance manifest."""

    layer: str = "gold"
    annotators: tuple[str, ...] = ()  # usernames; empty: every annotator
    articles: tuple[int, ...] = ()
    sources: tuple[int, ...] = ()
    stances: tuple[str, ...] = ()  # claims with a stance of one of these values
    statuses: tuple[str, ...] = ()
    split: bool = False
    split_seed: int = 0
    split_ratios: tuple[float, float, float] = DEFAULT_RATIOS
    bom: bool = False  # CSV only: a byte-order mark for spreadsheets

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        if self.layer not in LAYERS:
            errors["layer"] = f"Unknown layer “{self.layer}”: use one of {', '.join(LAYERS)}."
        elif self.layer == "gold" and self.annotators:
            errors["annotators"] = "The gold layer has no annotators: choose layer “annotators”."
        bad = [s for s in self.statuses if s not in STATUSES]
        if bad:
            errors["status"] = f"Unknown status {bad[0]!r}: use one of {', '.join(STATUSES)}."
        ratios = self.split_ratios
        if len(ratios) != 3 or any(r < 0 for r in ratios) or abs(sum(ratios) - 1) > 1e-6:
            errors["split_ratios"] = (
                "Give three non-negative shares (train, dev, test) summing to 1."
            )
        if errors:
            raise ValidationError(errors)

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> ExportOptions:
        """Options from request parameters or command options (lists may be given as
        repeated keys or comma-separated)."""

        def many(name: str) -> list[str]:
            getlist = getattr(query, "getlist", None)
            raw = getlist(name) if getlist else query.get(name) or []
            if isinstance(raw, str):
                raw = [raw]
            return [part for item in raw for part in str(item).split(",")]

        def flag(name: str) -> bool:
            return str(query.get(name) or "").strip().lower() in {"1", "true", "yes", "on"}

        seed_text = str(query.get("seed") or "0").strip()
        if not seed_text.lstrip("-").isdigit():
            raise ValidationError({"seed": f"The seed must be a whole number, got “{seed_text}”."})
        ratios: tuple[float, ...] = DEFAULT_RATIOS
        if query.get("ratios"):
            try:
                ratios = tuple(float(r) for r in str(query["ratios"]).split(","))
            except ValueError as exc:
                raise ValidationError({"split_ratios": "Ratios are three numbers."}) from exc
            if len(ratios) != 3:
                raise ValidationError({"split_ratios": "Give three ratios: train,dev,test."})
        return cls(
            layer=str(query.get("layer") or "gold").strip(),
            annotators=_words(many("annotator")),
            articles=_ids(many("article"), "article"),
            sources=_ids(many("source"), "source"),
            stances=_words(many("stance")),
            statuses=_words(many("status")),
            split=flag("split"),
            split_seed=int(seed_text),
            split_ratios=(ratios[0], ratios[1], ratios[2]),
            bom=flag("bom"),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "annotators": list(self.annotators),
            "articles": list(self.articles),
            "sources": list(self.sources),
            "stances": list(self.stances),
            "statuses": list(self.statuses),
            "split": self.split,
            "split_seed": self.split_seed,
            "split_ratios": list(self.split_ratios),
            "bom": self.bom,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExportOptions:
        ratios = data.get("split_ratios") or DEFAULT_RATIOS
        return cls(
            layer=data.get("layer", "gold"),
            annotators=tuple(data.get("annotators", ())),
            articles=tuple(data.get("articles", ())),
            sources=tuple(data.get("sources", ())),
            stances=tuple(data.get("stances", ())),
            statuses=tuple(data.get("statuses", ())),
            split=bool(data.get("split", False)),
            split_seed=int(data.get("split_seed", 0)),
            split_ratios=(float(ratios[0]), float(ratios[1]), float(ratios[2])),
            bom=bool(data.get("bom", False)),
        )


def split_of(sha256: str, options: ExportOptions) -> str:
    """The split an article falls in: a hash of the seed and the article's text hash, so
    that the same seed gives the same split on any instance (ids may differ there) and an
    article keeps its split as the project grows."""
    digest = hashlib.sha256(f"{options.split_seed}:{sha256}".encode()).digest()
    share = int.from_bytes(digest[:8], "big") / 2**64
    train, dev, _ = options.split_ratios
    if share < train:
        return "train"
    return "dev" if share < train + dev else "test"


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
        users = get_user_model().objects.filter(username__in=options.annotators)
        found = dict(users.values_list("username", "pk"))
        missing = [u for u in options.annotators if u not in found]
        if missing:
            raise ValidationError({"annotator": f"No such user: {', '.join(missing)}."})
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
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "source_id",
    "attribution",
    "mention_start",
    "mention_end",
    "source_reliability",
    "information_credibility",
    "claim_type",
    "checkworthy",
    "note",
    "version",
    "created",
    "updated",
    "decision",
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
)
_NO_SOURCE: tuple[Any, ...] = (None, None, None, None)


def project_targets(project: Project) -> list[str]:
    """The project's stance targets by name, in their order (per-target columns)."""
    return list(Target.objects.filter(project=project).values_list("name", flat=True))


@dataclasses.dataclass
class Chunk:
    """A chunk of claim rows, column by column (``columns[name]`` for each of
    ``COLUMNS``, all of the same length), with the articles its claims are in (by id:
    metadata, ``text`` and ``split``)."""

    columns: dict[str, list[Any]]
    articles: dict[int, dict[str, Any]]

    def __len__(self) -> int:
        return len(self.columns["claim_id"])

    def tuples(self) -> Iterator[tuple[Any, ...]]:
        """The rows as tuples in ``COLUMNS`` order."""
        return zip(*(self.columns[name] for name in COLUMNS), strict=True)

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(COLUMNS, row, strict=True)) for row in self.tuples()]


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


def _raw_batches(project: Project, options: ExportOptions, size: int) -> Iterator[list[Any]]:
    """The selected claims' own columns (``_SELECT``) as plain database rows, ``size`` at
    a time, from the SQL the ORM writes for them: going round the ORM's row handling
    (one converter call per value, one dict per row) is most of the export's speed."""
    queryset = claims_queryset(project, options).values_list(*_SELECT)
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    # A server-side cursor on PostgreSQL; SQLite steps through the rows as they are read.
    with connections[queryset.db].chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(size):
            yield batch


def _timestamps(values: tuple[Any, ...], tz: Any) -> list[Any]:
    """Aware datetimes, as the ORM gives them (SQLite hands back naive ones, or text)."""
    first = next((v for v in values if v is not None), None)
    if isinstance(first, str):
        parse = dt.datetime.fromisoformat
        return [None if v is None else parse(v).replace(tzinfo=tz) for v in values]
    if isinstance(first, dt.datetime) and first.tzinfo is None:
        return [None if v is None else v.replace(tzinfo=tz) for v in values]
    return list(values)


def claim_chunks(
    project: Project, options: ExportOptions, *, chunk_size: int = DEFAULT_CHUNK
) -> Iterator[Chunk]:
    """The selected claims a chunk at a time, in export order. Per chunk, one query for
    the stances, and one each for the sources (with aliases) and the articles (with
    texts) that earlier chunks did not already bring; so memory holds one chunk, the
    chunk's articles and the sources seen so far (the project's registry at most)."""
    scheme_version = project.scheme.get("version")
    tz = connection.timezone
    stance_query = _StanceQuery()
    sources: dict[int, tuple[Any, ...]] = {}
    articles: dict[int, dict[str, Any]] = {}
    for batch in _raw_batches(project, options, chunk_size):
        (
            ids,
            article_ids,
            annotators,
            starts,
            ends,
            quotes,
            prefixes,
            suffixes,
            source_ids,
            attributions,
            mention_starts,
            mention_ends,
            reliabilities,
            credibilities,
            claim_types,
            checkworthies,
            notes,
            versions,
            created,
            updated,
            decisions,
        ) = zip(*batch, strict=True)
        n = len(ids)
        stances: dict[int, list[dict[str, str]]] = {}
        for claim_id, target, stance in stance_query(ids):
            stances.setdefault(claim_id, []).append({"target": target, "stance": stance})
        _load_sources(sources, {s for s in source_ids if s is not None and s not in sources})
        articles = _load_articles(articles, set(article_ids), options)
        source_rows = [_NO_SOURCE if s is None else sources[s] for s in source_ids]
        source_names, source_kinds, source_external, source_aliases = (
            list(c) for c in zip(*source_rows, strict=True)
        )
        meta = [articles[a]["_meta"] for a in article_ids]
        columns: dict[str, list[Any]] = {
            "claim_id": list(ids),
            "article_id": list(article_ids),
        }
        for name, values in zip(
            ("title", "outlet", "byline", "url", "published", "language", "sha256", "split"),
            zip(*meta, strict=True),
            strict=True,
        ):
            columns["split" if name == "split" else f"article_{name}"] = list(values)
        columns.update(
            layer=["gold" if a is None else "annotator" for a in annotators],
            annotator=list(annotators),
            start=list(starts),
            end=list(ends),
            quote=list(quotes),
            prefix=list(prefixes),
            suffix=list(suffixes),
            source_id=list(source_ids),
            source_name=source_names,
            source_kind=source_kinds,
            source_external_id=source_external,
            # A list of its own for each row, as a consumer may change one.
            source_aliases=[[] if a is None else list(a) for a in source_aliases],
            attribution=list(attributions),
            mention_start=list(mention_starts),
            mention_end=list(mention_ends),
            mention_text=[
                None if s is None or e is None else articles[a]["text"][s:e]
                for a, s, e in zip(article_ids, mention_starts, mention_ends, strict=True)
            ],
            stances=[stances.get(i) or [] for i in ids],
            source_reliability=list(reliabilities),
            information_credibility=list(credibilities),
            claim_type=list(claim_types),
            checkworthy=list(checkworthies),
            note=list(notes),
            status=[
                "gold"
                if a is None
                else "rejected"
                if d == DecisionAction.REJECT
                else "pending"
                if d is None
                else "accepted"
                for a, d in zip(annotators, decisions, strict=True)
            ],
            decision=list(decisions),
            version=list(versions),
            created=_timestamps(created, tz),
            updated=_timestamps(updated, tz),
            scheme_version=[scheme_version] * n,
        )
        yield Chunk(columns, articles)


class _StanceQuery:
    """The stances of a chunk's claims (claim id, target name, stance), in the claims'
    targets' order: the ORM's SQL for it, written once and then run with each chunk's
    ids (preparing thousands of ids one by one through the ORM costs more than the
    query)."""

    def __init__(self) -> None:
        queryset = (
            ClaimStance.objects.filter(claim_id__in=[0])
            .order_by("claim_id", "target__position", "target_id")
            .values_list("claim_id", "target__name", "stance")
        )
        self.db = queryset.db
        sql, params = queryset.query.get_compiler(using=self.db).as_sql()
        head, marker, tail = sql.partition("IN (%s)")
        if not marker or "%s" in head + tail or list(params) != [0]:  # pragma: no cover
            raise RuntimeError(f"Unexpected SQL for the stances: {sql}")
        self.head, self.tail = head, tail

    def __call__(self, ids: tuple[int, ...]) -> list[tuple[Any, ...]]:
        sql = f"{self.head}IN ({', '.join(['%s'] * len(ids))}){self.tail}"
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, ids)
            return cursor.fetchall()


def _load_sources(sources: dict[int, tuple[Any, ...]], wanted: set[int]) -> None:
    """Add the ``wanted`` sources to ``sources``: id → (name, kind, external id,
    aliases), with one query that brings the aliases along."""
    if not wanted:
        return
    for pk, name, kind, external_id, alias in (
        Source.objects.filter(pk__in=wanted)
        .order_by("id", "aliases__alias_key", "aliases__id")
        .values_list("id", "name", "kind", "external_id", "aliases__alias")
    ):
        if pk not in sources:
            sources[pk] = (name, kind, external_id, [])
        if alias is not None:
            sources[pk][3].append(alias)


_ARTICLE_FIELDS = (
    "id",
    "title",
    "byline",
    "outlet",
    "url",
    "published",
    "language",
    "sha256",
    "char_count",
    "metadata",
    "text",
)


def _load_articles(
    held: dict[int, dict[str, Any]], wanted: set[int], options: ExportOptions
) -> dict[int, dict[str, Any]]:
    """The ``wanted`` articles, taken from ``held`` (the previous chunk's, as an article
    may run on from one chunk into the next) or read in one query."""
    found = {pk: held[pk] for pk in wanted if pk in held}
    missing = wanted - found.keys()
    if missing:
        for article in Article.objects.filter(pk__in=missing).values(*_ARTICLE_FIELDS):
            sha = article["sha256"]
            article["split"] = split_of(sha, options) if options.split else None
            article["_meta"] = (*(article[f] for f in _ARTICLE_META), article["split"])
            found[article["id"]] = article
    return found


def article_groups(
    project: Project,
    options: ExportOptions,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    on_chunk: Any = None,
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each article that has selected claims, with its text and metadata, and its claim
    rows; in export order. The texts come with the chunks' articles, so only those
    texts are held at a time."""
    for article, rows in article_tuples(project, options, chunk_size=chunk_size, on_chunk=on_chunk):
        yield article, [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def article_tuples(
    project: Project,
    options: ExportOptions,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    on_chunk: Any = None,
) -> Iterator[tuple[dict[str, Any], list[tuple[Any, ...]]]]:
    """``article_groups`` with each claim row as a tuple in ``COLUMNS`` order."""
    current: dict[str, Any] | None = None
    rows: list[tuple[Any, ...]] = []
    for chunk in claim_chunks(project, options, chunk_size=chunk_size):
        for row in chunk.tuples():
            if current is None or row[1] != current["id"]:
                if current is not None:
                    yield current, rows
                current, rows = _public(chunk.articles[row[1]]), []
            rows.append(row)
        if on_chunk is not None:
            on_chunk(len(chunk))
    if current is not None:
        yield current, rows


def _public(article: dict[str, Any]) -> dict[str, Any]:
    out = {name: article[name] for name in _ARTICLE_FIELDS}
    out["split"] = article["split"]
    return out


# --- Provenance -----------------------------------------------------------------------


def scheme_digest(scheme: dict[str, Any]) -> str:
    """A hash of the scheme as stored, so that an edited scheme is told apart even when
    its version number stayed the same."""
    canonical = json.dumps(scheme, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def manifest(
    project: Project, options: ExportOptions, fmt: str, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Where an export came from: the tool, the project and its scheme, the time and the
    options. Article hashes are on every row/line (``article_sha256``/``sha256``);
    brat's manifest adds the full list."""
    return {
        "tool": "claimdesk",
        "tool_version": tool_version(),
        "format": fmt,
        "exported_at": (now or timezone.now()).isoformat(),
        "project": {"slug": project.slug, "name": project.name},
        "scheme_version": project.scheme.get("version"),
        "scheme_sha256": scheme_digest(project.scheme),
        "filters": options.as_dict(),
        "order": "article title, article id, start, end, claim id",
    }


def json_default(value: Any) -> Any:
    """Dates and times as ISO 8601 in JSON output."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class ByteSink:
    """A write-only file that keeps what was written until ``drain()``: lets pyarrow and
    zipfile write into a stream that is sent a piece at a time (it has no ``seek``, so
    zipfile writes data descriptors, as it does for any unseekable stream)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._size += len(chunk)
        return len(chunk)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    @property
    def size(self) -> int:
        return self._size

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self._size = 0
        return data
