"""Parsing the workspace's claim form: strings in, typed values out.

Only the shape of the input is checked here (whole numbers where numbers belong); what
the values may be is the business of ``annotate.claims.offsets``, ``annotate.scheme`` and the
services, which say so with ``ValidationError``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from annotate.chains.links import MAX_LINKS, LinkInput
from annotate.claims.checks import StanceInput
from annotate.claims.values import UNSET, ClaimChanges, ClaimFields
from annotate.scheme import LABEL_FIELDS
from common.params import InvalidNumber, id_or_none, parse_id, parse_offset, parse_version

STANCE_PREFIX = "stance-"
# The chain's rows post these names once per link, in order; CHAIN_PRESENT says the form
# had a chain section at all (a form without one leaves the chain as it is).
CHAIN_PRESENT = "chain-present"
CHAIN_FIELDS = ("chain-source", "chain-mention_start", "chain-mention_end", "chain-reliability")
Parser = Callable[..., int]


def _int(
    data: Any, name: str, errors: dict[str, str], *, required: bool, parse: Parser = parse_offset
) -> int | None:
    raw = data.get(name) or ""
    if not raw.strip():
        if required:
            errors[name] = f"{name} is missing."
        return None
    try:
        return parse(raw, name=name)
    except InvalidNumber as error:
        errors[name] = error.text
        return None


@dataclass
class ClaimInput:
    """What the claim form posted, typed."""

    start: int | None = None
    end: int | None = None
    quote: str = ""
    version: int | None = None
    source: int | None = None
    mention: tuple[int, int] | None = None
    labels: dict[str, Any] = field(default_factory=dict)  # scheme field -> value
    stances: dict[int, str] = field(default_factory=dict)  # target id -> stance
    chain: list[LinkInput] | None = None  # None: the form had no chain section
    note: str = ""

    @classmethod
    def from_post(cls, data: Any, *, with_span: bool, with_version: bool) -> ClaimInput:
        """Read the form; raise ``ValidationError`` (field → message) for malformed input."""
        errors: dict[str, str] = {}
        result = cls(
            start=_int(data, "start", errors, required=with_span),
            end=_int(data, "end", errors, required=with_span),
            quote=data.get("quote", ""),
            version=_int(data, "version", errors, required=with_version, parse=parse_version),
            source=_int(data, "source", errors, required=False, parse=parse_id),
            labels={name: data.get(name, "").strip() for name in LABEL_FIELDS},
            note=data.get("note", "").strip(),
        )
        mention_start = _int(data, "mention_start", errors, required=False)
        mention_end = _int(data, "mention_end", errors, required=False)
        if mention_start is not None and mention_end is not None:
            result.mention = (mention_start, mention_end)
        for key in data:
            if not key.startswith(STANCE_PREFIX):
                continue
            value = data.get(key, "").strip()
            target_id = id_or_none(key.removeprefix(STANCE_PREFIX))
            if target_id is None:
                errors["stances"] = f"“{key[:40]}” is not a target."
                continue
            if value:
                result.stances[target_id] = value
        if data.get(CHAIN_PRESENT):
            result.chain = _chain(data, errors)
        if errors:
            raise ValidationError(errors)
        return result

    def stance_inputs(self) -> list[StanceInput]:
        return [StanceInput(target=t, stance=s) for t, s in self.stances.items()]

    def fields(self) -> ClaimFields:
        """The claim to create (read ``with_span``)."""
        assert self.start is not None and self.end is not None
        return ClaimFields(
            start=self.start,
            end=self.end,
            quote=self.quote,
            source=self.source,
            mention=self.mention,
            stances=self.stance_inputs(),
            chain=self.chain or (),
            note=self.note,
            labels=self.labels,
        )

    def changes(self, *, span: bool = False, mention: bool = True) -> ClaimChanges:
        """The change to a claim: source, stances, note and labels; the span if ``span``
        (read ``with_span``); the mention unless ``mention`` is False (a form without
        it); the chain if the form had a chain section."""
        return ClaimChanges(
            start=self.start if span else None,
            end=self.end if span else None,
            quote=self.quote if span else None,
            source=self.source,
            mention=self.mention if mention else UNSET,
            stances=self.stance_inputs(),
            chain=UNSET if self.chain is None else self.chain,
            note=self.note,
            labels=self.labels,
        )


def _chain(data: Any, errors: dict[str, str]) -> list[LinkInput]:
    """The chain's rows: one value of each ``CHAIN_FIELDS`` name per link, in order."""
    columns = [data.getlist(name) if hasattr(data, "getlist") else [] for name in CHAIN_FIELDS]
    sources = columns[0]
    if len(sources) > MAX_LINKS:
        errors["chain"] = f"A chain has at most {MAX_LINKS} links."
        return []
    if any(len(column) != len(sources) for column in columns):
        errors["chain"] = "The chain's rows are incomplete; reload the form."
        return []
    links: list[LinkInput] = []
    for index, (source, start, end, rating) in enumerate(zip(*columns, strict=True), start=1):
        row = {"source": source, "start": start, "end": end}
        problems: dict[str, str] = {}
        source_id = _int(row, "source", problems, required=True, parse=parse_id)
        mention_start = _int(row, "start", problems, required=False)
        mention_end = _int(row, "end", problems, required=False)
        if problems:
            errors["chain"] = f"Link {index}: " + " ".join(problems.values())
            continue
        mention = (
            (mention_start, mention_end)
            if mention_start is not None and mention_end is not None
            else None
        )
        links.append(LinkInput(source=source_id, mention=mention, reliability=rating.strip()))
    return links
