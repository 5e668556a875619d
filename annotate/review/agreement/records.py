"""What goes into the agreement report: plain records and the field configuration (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Id = int | str
FieldLevel = Literal["nominal", "ordinal"]


@dataclass(frozen=True, slots=True)
class ClaimRecord:
    """One annotator's claim: a half-open ``[start, end)`` code-point span and its labels.

    ``fields`` maps a field name to its value (``None`` or ``""`` when left empty; ids such as a
    source's are compared as strings). ``stances`` maps a target (id or name) to a stance.
    """

    article_id: Id
    annotator_id: Id
    claim_id: Id
    start: int
    end: int
    fields: Mapping[str, str | int | None] = field(default_factory=dict)
    stances: Mapping[Id, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """An article in the comparison: its text length (for unitizing) and who annotated it.

    ``annotator_ids`` should list everyone who finished the article, including an annotator who
    found no claim in it (who then disagrees with every claim the others made). Left empty, the
    annotators are those with at least one claim in the article.
    """

    article_id: Id
    length: int
    annotator_ids: tuple[Id, ...] = ()


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A field compared on the matched units.

    ``scale`` orders the values (required for ordinal fields, optional for nominal ones, where
    it only orders confusion matrices). ``not_judgeable`` values (Admiralty F and 6) are counted
    as missing in every coefficient; their share is reported. A value of an ordinal field that
    is not on the scale (e.g. one removed from the scheme) is missing too, and counted apart.
    """

    name: str
    level: FieldLevel = "nominal"
    scale: tuple[str, ...] = ()
    not_judgeable: tuple[str, ...] = ()
    confusion: bool = False

    def __post_init__(self) -> None:
        if self.level == "ordinal" and not self.scale:
            raise ValueError(f"ordinal field {self.name!r} needs a scale")


STANCE_PREFIX = "stance:"

DEFAULT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("source"),
    FieldSpec("attribution", scale=("author", "direct", "reported", "unnamed")),
    FieldSpec("claim_type", scale=("factual", "evaluative", "predictive", "prescriptive")),
    FieldSpec(
        "source_reliability",
        "ordinal",
        scale=("A", "B", "C", "D", "E"),
        not_judgeable=("F",),
        confusion=True,
    ),
    FieldSpec(
        "information_credibility",
        "ordinal",
        scale=("1", "2", "3", "4", "5"),
        not_judgeable=("6",),
        confusion=True,
    ),
)
DEFAULT_STANCE = FieldSpec("stance", scale=("favor", "against", "none"), confusion=True)


@dataclass(frozen=True, slots=True)
class AgreementConfig:
    """What to compare and how.

    ``stance`` is the template for the per-target stance fields (named ``stance:<target>``);
    ``None`` leaves stances out. ``stance_targets`` limits them (``None``: every target that
    some claim takes a stance on).
    """

    fields: tuple[FieldSpec, ...] = DEFAULT_FIELDS
    stance: FieldSpec | None = DEFAULT_STANCE
    stance_targets: tuple[Id, ...] | None = None
    overlap_threshold: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 < self.overlap_threshold <= 1.0:
            raise ValueError("overlap_threshold is a Jaccard overlap in (0, 1]")
        names = [spec.name for spec in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("field names must be unique")


# Scheme fields that are not compared value by value: spans, free text, the stance list.
_NOT_COMPARED = {"source_mention", "note", "stances", "stance"}


def config_from_scheme(
    scheme: Mapping[str, Any], *, overlap_threshold: float = 0.5
) -> AgreementConfig:
    """The comparison for a project's scheme (``Project.scheme``): every field that is not
    hidden, ordinal where the scheme says so, with the scheme's ``missing`` values counted as
    missing. Confusion matrices for stance and for ordinal fields.
    """
    specs: list[FieldSpec] = []
    fields: Mapping[str, Any] = scheme.get("fields", {})
    for name, spec in fields.items():
        if name in _NOT_COMPARED or spec.get("hidden"):
            continue
        missing = tuple(str(v) for v in spec.get("missing", ()))
        values = tuple(
            str(item["value"]) for item in spec.get("values", ()) if item["value"] not in missing
        )
        ordinal = bool(spec.get("ordinal"))
        specs.append(
            FieldSpec(
                name,
                "ordinal" if ordinal else "nominal",
                scale=values,
                not_judgeable=missing,
                confusion=ordinal,
            )
        )
    stance: FieldSpec | None = None
    stance_spec = fields.get("stance", {})
    if not fields.get("stances", {}).get("hidden") and not stance_spec.get("hidden"):
        stance = FieldSpec(
            "stance",
            scale=tuple(str(item["value"]) for item in stance_spec.get("values", ())),
            not_judgeable=tuple(str(v) for v in stance_spec.get("missing", ())),
            confusion=True,
        )
    return AgreementConfig(fields=tuple(specs), stance=stance, overlap_threshold=overlap_threshold)


def id_key(value: Id) -> tuple[int, int, str]:
    """A sort key that orders ints numerically, strings after them, and never mixes types."""
    if isinstance(value, int):
        return (0, value, "")
    return (1, 0, str(value))
