"""Attribution chains without the database: the input of one link, the weakest link of a
chain, and a chain as a comparable key (for duplicates, agreement and exports)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# A chain longer than this is almost surely a mistake (and would make wide CSV files).
MAX_LINKS = 8

# The CSV export's columns: one per position up to this bound, then a joined column.
CSV_POSITIONS = 4

# What joins the names of a chain in one text cell ("Isachenko > Berliner Zeitung").
JOINER = " > "


@dataclass(frozen=True)
class LinkInput:
    """One intermediary of a chain, as a writer gives it: a source of the project (an id
    or the row), optionally where the text names it (two code-point offsets, and the
    quote at them to check) and a reliability rating (a value of the scheme's
    ``source_reliability``)."""

    source: Any
    # Two offsets as given (a form's or a file's): the checks say what is wrong with them.
    mention: Sequence[Any] | None = None
    mention_quote: str | None = None
    reliability: str = ""


def weakest(ratings: Iterable[str], order: Sequence[str]) -> str:
    """The weakest of ``ratings`` on the scale ``order`` (best first, as the scheme lists
    the values of ``source_reliability``: A … F, where F — "cannot be judged" — is last,
    so one link that cannot be judged makes the chain unjudgeable). Blank ratings are
    not given and count for nothing; no rating at all gives "". A rating the scale does
    not know is weaker than every known one (an old value the scheme dropped)."""
    rank = {value: index for index, value in enumerate(order)}
    given = [r for r in ratings if r]
    if not given:
        return ""
    return max(given, key=lambda r: (rank.get(r, len(order)), r))


def chain_reliability(claim_rating: str, link_ratings: Iterable[str], order: Sequence[str]) -> str:
    """A chain's overall reliability: its weakest link, the original speaker's rating
    (the claim's ``source_reliability``) included."""
    return weakest([claim_rating, *link_ratings], order)


def chain_key(links: Iterable[dict[str, Any]]) -> tuple[int, ...]:
    """The carriers of a chain in order, as source ids (from ``store.chain_snapshot``
    rows): two chains are equal when their keys are."""
    return tuple(int(link["source"]) for link in links)
