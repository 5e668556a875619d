"""The one streamed source of exported claims: filters, layer, order, split, provenance.

Every format reads ``claim_rows`` (one flat dict per claim) or ``article_groups`` (one
article with its claims at a time). Claims are read with ``values().iterator()`` — a
server-side cursor on PostgreSQL — and handled a chunk at a time: per chunk, one query
for the stances and one for the source aliases (and, for article formats, one for the
texts), so memory holds one chunk whatever the size of the project. Rows come in a fixed
order: the articles' order (title, id), then start, end and claim id.

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
from itertools import batched
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Case, F, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from annotate.models import (
    Claim,
    ClaimQuerySet,
    ClaimStance,
    Decision,
    DecisionAction,
    DecisionOrigin,
    SourceAlias,
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


_VALUES = {
    "claim_id": F("id"),
    "article_title": F("article__title"),
    "article_outlet": F("article__outlet"),
    "article_byline": F("article__byline"),
    "article_url": F("article__url"),
    "article_published": F("article__published"),
    "article_language": F("article__language"),
    "article_sha256": F("article__sha256"),
    "annotator_name": F("annotator__username"),
    "source_name": F("source__name"),
    "source_kind": F("source__kind"),
    "source_external_id": F("source__external_id"),
    "mention_text": Substr(
        "article__text", F("mention_start") + 1, F("mention_end") - F("mention_start")
    ),
}
_CLAIM_FIELDS = (
    "article_id",
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
    "status",
)

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


def project_targets(project: Project) -> list[str]:
    """The project's stance targets by name, in their order (per-target columns)."""
    return list(Target.objects.filter(project=project).values_list("name", flat=True))


def claim_rows(
    project: Project,
    options: ExportOptions,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    on_chunk: Any = None,
) -> Iterator[dict[str, Any]]:
    """One dict per selected claim (keys: ``COLUMNS``), in export order, read a chunk at
    a time. ``on_chunk(n)`` is told after each chunk how many rows it held (progress)."""
    for chunk in _chunks(project, options, chunk_size, on_chunk):
        yield from chunk


def _chunks(
    project: Project, options: ExportOptions, chunk_size: int, on_chunk: Any
) -> Iterator[list[dict[str, Any]]]:
    scheme_version = project.scheme.get("version")
    splits: dict[str, str] = {}
    values = claims_queryset(project, options).values(*_CLAIM_FIELDS, **_VALUES)
    for chunk in batched(values.iterator(chunk_size=chunk_size), chunk_size):
        ids = [row["claim_id"] for row in chunk]
        stances: dict[int, list[dict[str, str]]] = {}
        for claim_id, target, stance in (
            ClaimStance.objects.filter(claim_id__in=ids)
            .order_by("claim_id", "target__position", "target_id")
            .values_list("claim_id", "target__name", "stance")
        ):
            stances.setdefault(claim_id, []).append({"target": target, "stance": stance})
        aliases: dict[int, list[str]] = {}
        source_ids = {row["source_id"] for row in chunk if row["source_id"] is not None}
        for source_id, alias in (
            SourceAlias.objects.filter(source_id__in=source_ids)
            .order_by("source_id", "alias_key", "id")
            .values_list("source_id", "alias")
        ):
            aliases.setdefault(source_id, []).append(alias)
        out = []
        for row in chunk:
            sha = row["article_sha256"]
            if options.split and sha not in splits:
                if len(splits) > 10_000:  # rows come grouped by article: keep memory flat
                    splits.clear()
                splits[sha] = split_of(sha, options)
            annotator = row.pop("annotator_name")
            row.update(
                split=splits[sha] if options.split else None,
                layer="gold" if annotator is None else "annotator",
                annotator=annotator,
                source_aliases=aliases.get(row["source_id"], []),
                stances=stances.get(row["claim_id"], []),
                scheme_version=scheme_version,
            )
            out.append({name: row[name] for name in COLUMNS})
        yield out
        if on_chunk is not None:
            on_chunk(len(out))


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


def article_groups(
    project: Project,
    options: ExportOptions,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    on_chunk: Any = None,
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each article that has selected claims, with its text and metadata, and its claim
    rows; in export order. Per chunk of claims, one more query reads the texts of the
    articles the chunk starts, so only those texts are held at a time."""
    current: dict[str, Any] | None = None
    claims: list[dict[str, Any]] = []
    for chunk in _chunks(project, options, chunk_size, on_chunk):
        wanted = {row["article_id"] for row in chunk}
        if current is not None:
            wanted.discard(current["id"])
        texts = {a["id"]: a for a in Article.objects.filter(pk__in=wanted).values(*_ARTICLE_FIELDS)}
        for row in chunk:
            if current is None or row["article_id"] != current["id"]:
                if current is not None:
                    yield current, claims
                current, claims = texts.pop(row["article_id"]), []
                current["split"] = row["split"]
            claims.append(row)
    if current is not None:
        yield current, claims


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
