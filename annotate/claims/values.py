"""A claim's content as values: what the claim services take instead of loose keyword
arguments. ``ClaimFields`` is a whole claim (to create); ``ClaimChanges`` is a change to
one (fields left out keep their values). ``claim_fields``/``claim_changes`` are the one
place that turns arguments by name (the API's validated data, a stored claim's copy) into
them; the claim form does so in ``ClaimInput.fields``/``changes``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from django.core.exceptions import ValidationError

from annotate.chains.links import LinkInput
from annotate.claims.checks import StanceInput
from annotate.models import Claim, Source
from annotate.scheme import LABEL_FIELDS


class Unset:
    """A field a change leaves as it is (``None`` clears a source or a mention)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset()

# The fields that are not labels, by their names as arguments.
NOT_LABELS = ("start", "end", "quote", "source", "mention", "stances", "chain", "note")


@dataclass(frozen=True)
class ClaimFields:
    """One claim to create: span (code-point offsets, and the quote if the writer has
    it), source, source mention, stances, attribution chain (the carriers after the
    source, first carrier first), note, and labels by scheme field."""

    start: int
    end: int
    quote: str | None = None
    source: Source | int | None = None
    mention: Sequence[int] | None = None
    stances: Sequence[StanceInput] = ()
    chain: Sequence[LinkInput] = ()
    note: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        """The value of a field or label by name (a label not given is "")."""
        if name in NOT_LABELS:
            return getattr(self, name)
        return self.labels.get(name, "")

    def with_values(self, values: Mapping[str, Any]) -> ClaimFields:
        """These fields with ``values`` (fields and labels by name) in place."""
        fields, labels = _split(values)
        return dataclasses.replace(self, **fields, labels={**self.labels, **labels})

    def changed(self, changes: ClaimChanges) -> ClaimFields:
        """These fields with what ``changes`` sets in place."""
        values: dict[str, Any] = {
            name: getattr(changes, name)
            for name in ("start", "end", "quote", "stances", "note")
            if getattr(changes, name) is not None
        }
        for name in ("source", "mention", "chain"):
            if getattr(changes, name) is not UNSET:
                values[name] = getattr(changes, name)
        return self.with_values({**values, **changes.labels})


@dataclass(frozen=True)
class ClaimChanges:
    """A change to a claim: what is not None (``UNSET`` for the source and the mention,
    where None clears them, and for the chain, which ``[]`` removes and a list replaces
    whole) replaces the claim's value; labels by scheme field."""

    start: int | None = None
    end: int | None = None
    quote: str | None = None
    source: Source | int | None | Unset = UNSET
    mention: Sequence[int] | None | Unset = UNSET
    stances: Sequence[StanceInput] | None = None
    chain: Sequence[LinkInput] | Unset = UNSET
    note: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


def _split(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    fields = {name: value for name, value in values.items() if name in NOT_LABELS}
    labels = {name: value for name, value in values.items() if name not in NOT_LABELS}
    return fields, labels


def claim_fields(values: Mapping[str, Any]) -> ClaimFields:
    """``ClaimFields`` from arguments by name (``start``, ``end``, ``quote``, ``source``,
    ``mention``, ``stances``, ``chain``, ``note``, the rest labels; unknown labels are refused when
    the claim is built)."""
    fields, labels = _split(values)
    return ClaimFields(**fields, labels=labels)


def claim_changes(values: Mapping[str, Any]) -> ClaimChanges:
    """``ClaimChanges`` from arguments by name, as ``claim_fields`` reads them."""
    fields, labels = _split(values)
    return ClaimChanges(**fields, labels=labels)


def fields_of(claim: Claim) -> ClaimFields:
    """A stored claim's content (what a gold claim copies from an annotator's claim)."""
    return ClaimFields(
        start=claim.start,
        end=claim.end,
        quote=claim.quote,
        source=claim.source_id,
        mention=(
            (claim.mention_start, claim.mention_end)
            if claim.mention_start is not None and claim.mention_end is not None
            else None
        ),
        stances=[StanceInput(s.target_id, s.stance) for s in claim.stances.all()],
        chain=links_of(claim),
        note=claim.note,
        labels={name: getattr(claim, name) for name in LABEL_FIELDS},
    )


def links_of(claim: Claim) -> list[LinkInput]:
    """A stored claim's chain (uses a prefetch of ``chain``) as ``LinkInput``s."""
    return [
        LinkInput(
            source=link.source_id,
            mention=(
                (link.mention_start, link.mention_end)
                if link.mention_start is not None and link.mention_end is not None
                else None
            ),
            reliability=link.reliability,
        )
        for link in sorted(claim.chain.all(), key=lambda link: link.position)
    ]


def check_known(labels: Mapping[str, Any]) -> None:
    """Refuse label names the scheme doesn't have."""
    unknown = set(labels) - set(LABEL_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown claim fields: {', '.join(sorted(unknown))}.")
