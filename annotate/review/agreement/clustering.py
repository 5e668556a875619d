"""Agreement on clustering: two people's groupings of the same claims into propositions.
Pure: items in, numbers out, no ORM.

A clustering is a mapping item → cluster label. The items compared are those either side
put in a cluster; an item one side left out is a cluster of its own there (nobody said
it states the same proposition as anything else). Two families of figures, each with its
n:

* **pairwise links**: the pairs of items in the same cluster. Precision is the share of
  the response's links the key has, recall the share of the key's links the response
  has; F1 their harmonic mean (symmetric, so it reads as agreement between two people).
* **B³** (Bagga and Baldwin 1998): per item, the share of its response cluster that is in
  its key cluster (precision) and the share of its key cluster in its response cluster
  (recall), averaged over the items. Unlike links, singletons count.

A figure is None when it has nothing to divide by (no links on that side, no items).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

Item = Hashable


@dataclass(frozen=True)
class ClusteringAgreement:
    items: int  # n: the items either side clustered
    key_links: int
    response_links: int
    common_links: int
    link_precision: float | None
    link_recall: float | None
    link_f1: float | None
    b3_precision: float | None
    b3_recall: float | None
    b3_f1: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 2 * p * r / (p + r) if p + r else 0.0


def _groups(assignment: Mapping[Item, Hashable], items: Iterable[Item]) -> dict[Item, frozenset]:
    """Each item → the set of items in its cluster (itself alone when unassigned)."""
    members: dict[Hashable, set[Item]] = defaultdict(set)
    for item, label in assignment.items():
        members[label].add(item)
    frozen = {label: frozenset(found) for label, found in members.items()}
    return {
        item: frozen[assignment[item]] if item in assignment else frozenset((item,))
        for item in items
    }


def links(assignment: Mapping[Item, Hashable]) -> set[frozenset]:
    """The unordered pairs of items sharing a cluster."""
    members: dict[Hashable, list[Item]] = defaultdict(list)
    for item, label in assignment.items():
        members[label].append(item)
    return {
        frozenset(pair)
        for found in members.values()
        for pair in combinations(sorted(found, key=repr), 2)
    }


def clustering_agreement(
    key: Mapping[Any, Any], response: Mapping[Any, Any]
) -> ClusteringAgreement:
    """The response's clustering against the key's (for two annotators, either way round:
    precision and recall swap, F1 stays)."""
    items = set(key) | set(response)
    key_links, response_links = links(key), links(response)
    common = len(key_links & response_links)
    precision = common / len(response_links) if response_links else None
    recall = common / len(key_links) if key_links else None
    b3_p: float | None = None
    b3_r: float | None = None
    if items:
        key_groups, response_groups = _groups(key, items), _groups(response, items)
        p_sum = r_sum = 0.0
        for item in items:
            shared = len(key_groups[item] & response_groups[item])
            p_sum += shared / len(response_groups[item])
            r_sum += shared / len(key_groups[item])
        b3_p, b3_r = p_sum / len(items), r_sum / len(items)
    return ClusteringAgreement(
        items=len(items),
        key_links=len(key_links),
        response_links=len(response_links),
        common_links=common,
        link_precision=precision,
        link_recall=recall,
        link_f1=_f1(precision, recall),
        b3_precision=b3_p,
        b3_recall=b3_r,
        b3_f1=_f1(b3_p, b3_r),
    )
