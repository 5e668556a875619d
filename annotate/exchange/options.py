"""What an export selects: ``ExportOptions`` (the layer, the filters, the split), the
values they may take, and the split an article falls in.

Plain values, so that the options travel to a background task and into the provenance
manifest (``provenance.manifest``) as they are.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError

from common.params import MAX_ID, parse_float, parse_id, parse_int

LAYERS = ("gold", "annotators", "all")
STATUSES = ("gold", "accepted", "rejected", "pending")
DEFAULT_RATIOS = (0.8, 0.1, 0.1)


def _ids(values: Iterable[Any], name: str) -> tuple[int, ...]:
    out = []
    for value in values:
        text = str(value).strip()
        if text:
            out.append(parse_id(text, name=name))
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
    # CSV only: text cells as stored, also those a spreadsheet would run as formulas
    # (by default they get a leading ', common.spreadsheet).
    csv_raw: bool = False
    # JSONL and brat only: every selected article, also those without selected claims.
    all_articles: bool = False

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
        if (
            len(ratios) != 3
            # ``not 0 <= r``, not ``r < 0``: NaN is neither, and would reach the provenance.
            or not all(isinstance(r, int | float) and 0 <= r <= 1 for r in ratios)
            or abs(sum(ratios) - 1) > 1e-6
        ):
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

        seed = parse_int(
            str(query.get("seed") or "0").strip(), name="seed", min_value=-MAX_ID, max_value=MAX_ID
        )
        ratios: tuple[float, ...] = DEFAULT_RATIOS
        if query.get("ratios"):
            parts = str(query["ratios"]).split(",")
            if len(parts) != 3:
                raise ValidationError({"split_ratios": "Give three ratios: train,dev,test."})
            ratios = tuple(
                parse_float(r.strip(), name="split_ratios", min_value=0, max_value=1) for r in parts
            )
        return cls(
            layer=str(query.get("layer") or "gold").strip(),
            annotators=_words(many("annotator")),
            articles=_ids(many("article"), "article"),
            sources=_ids(many("source"), "source"),
            stances=_words(many("stance")),
            statuses=_words(many("status")),
            split=flag("split"),
            split_seed=seed,
            split_ratios=(ratios[0], ratios[1], ratios[2]),
            bom=flag("bom"),
            csv_raw=flag("csv_raw"),
            all_articles=flag("all_articles"),
        )

    def as_dict(self) -> dict[str, Any]:
        """The options as plain values (for a background task, and the provenance
        manifest's ``filters``). ``all_articles`` and ``csv_raw`` are there only when
        they are on, so that the manifests of exports without them stay what they were."""
        out: dict[str, Any] = {
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
        if self.all_articles:
            out["all_articles"] = True
        if self.csv_raw:
            out["csv_raw"] = True
        return out

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
            csv_raw=bool(data.get("csv_raw", False)),
            all_articles=bool(data.get("all_articles", False)),
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
