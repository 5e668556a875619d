"""The small interface every suggester implements (pure: no ORM, no Django).

A suggester reads an article's text, its byline and the project's source registry, and
proposes claims: spans with the source that makes them, the words that name the source
and the kind of attribution. ``annotate.suggest.services`` stores the proposals as
``Suggestion`` rows; a better suggester (a trained model) replaces the rule-based one by
implementing ``Suggester`` and being listed in ``annotate.suggest.backends``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from corpus.scheme import LABEL_FIELDS

# The labels a suggestion may propose: the claim's labels besides its attribution.
PROPOSED_LABELS = tuple(name for name in LABEL_FIELDS if name != "attribution")

DIRECT = "direct"
REPORTED = "reported"
AUTHOR = "author"
ATTRIBUTIONS = (DIRECT, REPORTED, AUTHOR)
# The kinds of source a suggester may tell a new speaker to be (``SourceKind``'s values).
NEW_SOURCE_KINDS = ("person", "organisation", "outlet", "government", "document")


@dataclass(frozen=True)
class RegistryEntry:
    """A source of the registry as a suggester sees it."""

    id: int
    name: str
    kind: str = "person"
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TargetEntry:
    """A stance target of the project as a suggester sees it."""

    id: int
    name: str


@dataclass(frozen=True)
class ProjectContext:
    """What a backend may read besides each article: the project's annotation scheme
    (``Project.scheme``) and its stance targets. Backends that need it are built with
    ``for_context`` (``annotate.suggest.backends.build``)."""

    scheme: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    targets: tuple[TargetEntry, ...] = ()


@dataclass(frozen=True)
class Proposal:
    """One proposed claim. Offsets are code points into the article text, half-open.

    ``source_id`` names a registry entry; when the speaker is named but not in the
    registry, ``source_id`` is None and ``new_source_name`` is the name as written. Both
    empty: the suggester found a claim but not who makes it.
    """

    start: int
    end: int
    attribution: str
    source_id: int | None = None
    new_source_name: str = ""
    mention_start: int | None = None
    mention_end: int | None = None
    score: float = 0.5
    cue: str = ""  # the reporting words that triggered the proposal (for debugging)
    # Proposed labels, checked against the scheme by the suggester: (field, value) pairs of
    # ``PROPOSED_LABELS``, and (target id, stance).
    labels: tuple[tuple[str, str], ...] = ()
    stances: tuple[tuple[int, str], ...] = ()
    # With ``new_source_name``: what the speaker is, one of ``NEW_SOURCE_KINDS`` ("" when
    # the suggester can't tell); the source an accepted suggestion adds gets this kind.
    new_source_kind: str = ""
    # The attribution chain the text states ("told Reuters", "as reported by …"): the
    # carriers after the source, first carrier first, as (registry entry id, mention
    # start, mention end) — registry entries only, since a chain link is a source.
    chain: tuple[tuple[int, int | None, int | None], ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"a proposal needs 0 <= start < end, got {self.start}, {self.end}")
        if self.attribution not in ATTRIBUTIONS:
            raise ValueError(f"unknown attribution {self.attribution!r}")
        if (self.mention_start is None) != (self.mention_end is None):
            raise ValueError("a mention needs both offsets or neither")
        if self.new_source_kind and self.new_source_kind not in NEW_SOURCE_KINDS:
            raise ValueError(f"unknown source kind {self.new_source_kind!r}")


@runtime_checkable
class Suggester(Protocol):
    """Proposes claims for one article. ``name`` and ``version`` are stored with every
    suggestion, so that suggestions of an older suggester can be told apart."""

    name: str
    version: str

    def suggest(
        self, article_text: str, *, byline: str, registry: Sequence[RegistryEntry]
    ) -> list[Proposal]: ...
