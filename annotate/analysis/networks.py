# One module: the networks and their three file formats read one edge list.
"""Discourse networks of a layer of claims in a time window (Leifeld's discourse network
analysis): who takes which stance toward what, and who lines up with whom.

* **actor × concept**: sources and targets; an edge from a source to a target for the
  claims of the source with a stance toward the target, weighted by those claims and
  signed by their stances (favor +1, against −1: the sign of the balance, 0 for a tie or
  only neutral stances).
* **actor × actor**: two sources linked when both take a signed stance toward the same
  target: congruence when the signs agree, conflict when they oppose. The edge counts
  the targets of each (``agree``, ``oppose``); its weight is their sum, its sign the sign
  of ``agree − oppose``.

* **outlet → source** (carrying): from the attribution chains, a directed edge from each
  carrier to the one it took the claim from (the first carrier from the claim's source,
  each later one from the carrier before it), weighted by the claims so carried.

The first two come from one grouped query of the layer's stances (``stance_rows``; of the
counts the database keeps, ``NetworkCount``, for a whole layer), the
third from one grouped query of the layer's chain links (``carrying_rows``); the networks
keep the ``top`` sources with most such claims (the page says how many it left out).
GraphML, GEXF and CSV writers stream from the same ``Network`` the page draws.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
from calendar import monthrange
from collections import OrderedDict, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from datetime import date
from operator import attrgetter
from typing import Any
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Cast
from django.http import StreamingHttpResponse
from django.utils.functional import cached_property
from django.utils.html import json_script
from django.utils.safestring import SafeString

from annotate.analysis.filters import LAYER_ALL, LAYER_GOLD, ClaimFilters, claim_q
from annotate.analysis.versions import figures_version
from annotate.db_network_counts import ALL_LAYER
from annotate.models import ChainLink, ClaimStance, NetworkCount, Source, Target
from common.spreadsheet import formula_safe
from corpus.models import Project

ACTOR_CONCEPT = "actor-concept"
ACTOR_ACTOR = "actor-actor"
CARRYING = "carrying"
KINDS = {
    ACTOR_CONCEPT: "Actors × concepts",
    ACTOR_ACTOR: "Actors × actors",
    CARRYING: "Outlets → sources (carrying)",
}
# How a stance value counts toward an edge's sign; other values (the default "none")
# count in the weight only.
STANCE_SIGNS = {"favor": 1, "against": -1}
TOP = 150
MAX_TOP = 2000
CACHE_SECONDS = 600
LOCAL_NETWORKS = 8  # networks kept in each process (the latest used)


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


@dataclass(frozen=True)
class Node:
    id: str  # "s<source id>" or "t<target id>"
    label: str
    kind: str  # "source" or "target"
    category: str  # the source's kind ("person", …) or "target"
    claims: int


@dataclass
class Edge:
    source: str
    target: str
    weight: int
    sign: int
    positive: int = 0
    negative: int = 0
    neutral: int = 0
    agree: int = 0
    oppose: int = 0
    targets: tuple[int, ...] = ()  # actor × actor: the shared targets

    @property
    def id(self) -> str:
        return f"{self.source}-{self.target}"


_EDGE_VALUES = attrgetter(*(f.name for f in fields(Edge)))


def _network_from(
    kind: str, nodes: list[Node], edges: list[tuple[Any, ...]], actors_left_out: int
) -> Network:
    return Network(kind, nodes, [Edge(*values) for values in edges], actors_left_out)


@dataclass
class Network:
    kind: str
    nodes: list[Node]
    edges: list[Edge]
    actors_left_out: int = 0

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled with its edges as tuples of their values (``attrgetter``: one C call an
        edge): a cached actor × actor network of 11,175 edges is 0.36 MB written in 7 ms
        of CPU, against 0.59 MB and 41 ms with a ``__reduce__`` an edge (1.15 MB and 100+
        ms as objects)."""
        edges = list(map(_EDGE_VALUES, self.edges))
        return (_network_from, (self.kind, self.nodes, edges, self.actors_left_out))

    # A network is kept in this process (``_LOCAL``) and served again to each request:
    # what each page made from it anew — the drawn JSON of an actor × actor network's
    # 11,175 edges (0.9 MB, ~12 ms of CPU) and its edges by weight (~2.5 ms) — is made
    # once per network object (not pickled: ``__reduce__`` keeps only the fields).

    @cached_property
    def drawn(self) -> dict[str, Any]:
        """``as_drawn()``, made once."""
        return self.as_drawn()

    @cached_property
    def drawn_script(self) -> SafeString:
        """``drawn`` as the page embeds it (``json_script``, id ``network-data``)."""
        return json_script(self.drawn, "network-data")

    @cached_property
    def by_weight(self) -> list[Edge]:
        """The edges, strongest first (then by source and target)."""
        return sorted(self.edges, key=lambda e: (-e.weight, e.source, e.target))

    @property
    def directed(self) -> bool:
        """Carrying has a direction (who took the claim from whom); the others do not."""
        return self.kind == CARRYING

    def as_json(self) -> dict[str, Any]:
        """The network as the page draws it and the API serves it."""
        return {
            "kind": self.kind,
            "directed": self.directed,
            # vars(), not asdict(): asdict deep-copies field by field, seconds for the
            # 11,000 edges of a large actor × actor network.
            "nodes": [dict(vars(n)) for n in self.nodes],
            "edges": [{"id": e.id, **vars(e), "targets": list(e.targets)} for e in self.edges],
            "actors_left_out": self.actors_left_out,
        }

    def as_drawn(self) -> dict[str, Any]:
        """What the page's graph draws (``static/claimdesk/network.js``): the same nodes
        and edges with their weights and signs, without each edge's counts and shared
        targets (the table, the edge's claims and the downloads have those) — a third of
        the bytes of an actor × actor network's JSON."""
        return {
            "kind": self.kind,
            "directed": self.directed,
            "nodes": [
                {"id": n.id, "label": n.label, "kind": n.kind, "claims": n.claims}
                for n in self.nodes
            ],
            "edges": [
                {
                    "id": e.id,
                    "source": e.source,
                    "target": e.target,
                    "weight": e.weight,
                    "sign": e.sign,
                }
                for e in self.edges
            ],
            "actors_left_out": self.actors_left_out,
        }


@dataclass
class _Pair:
    source_id: int
    source_name: str
    source_kind: str
    target_id: int
    target_name: str
    counts: dict[str, int]

    @property
    def claims(self) -> int:
        return sum(self.counts.values())

    @property
    def positive(self) -> int:
        return sum(n for s, n in self.counts.items() if STANCE_SIGNS.get(s) == 1)

    @property
    def negative(self) -> int:
        return sum(n for s, n in self.counts.items() if STANCE_SIGNS.get(s) == -1)


_LOCAL: OrderedDict[str, tuple[float, Network]] = OrderedDict()  # key → (until, network)


def _changes(project: Project) -> tuple[Any, ...]:
    """What a cached network depends on: ``figures_version`` (the analysis pages' key, one
    query: the counter the database bumps on every write to the project's claims,
    stances and sources, whatever issued it, and its articles' number and latest edit,
    read from the index ``article_project_updated``). The project's latest History row
    and a ``MAX``/``COUNT`` of the ids over its articles were 40 ms of the cached page's
    server time at 20,001 articles on PostgreSQL (a sequential scan of the articles), and
    missed the writes that record no History row (bench/RESULTS.md, xl26)."""
    return figures_version(project)


def stance_rows(project: Project, filters: ClaimFilters) -> list[_Pair]:
    """(source, target) pairs with their claims per stance value: grouped queries, then
    the names of the sources found (one query). A layer without an outlet or attribution
    filter reads the counts the database keeps (``_counted_rows``: 30,000 rows at most at
    600,000 claims for the whole layer; in a time window those of its whole years and
    months), and groups the stances only of the days of a month the window covers in
    part; otherwise
    the layer's stances are grouped. Grouping on the sources' names as well
    made PostgreSQL sort every stance row of the layer, wide, on disk (4.9 s of a
    network's first request at 600,000 claims, bench/RESULTS.md); a project's targets
    are few."""
    if _counted(filters):
        buckets, days = _window(filters.date_from, filters.date_to)
        rows = _counted_rows(project, filters, buckets) if buckets else []
        for first, last in days:
            rows += _grouped_rows(project, replace(filters, date_from=first, date_to=last))
    else:
        rows = _grouped_rows(project, filters)
    if not rows:
        return []
    sources = {
        pk: (name, kind)
        for pk, name, kind in Source.objects.filter(pk__in={r[0] for r in rows})
        .order_by()
        .values_list("pk", "name", "kind")
    }
    pairs: dict[tuple[int, int], _Pair] = {}
    for source_id, target_id, target_name, stance, n in rows:
        key = (source_id, target_id)
        pair = pairs.get(key)
        if pair is None:
            name, kind = sources[source_id]
            pair = pairs[key] = _Pair(
                source_id=source_id,
                source_name=name,
                source_kind=kind,
                target_id=target_id,
                target_name=target_name,
                counts={},
            )
        pair.counts[stance] = pair.counts.get(stance, 0) + n
    return sorted(pairs.values(), key=lambda p: (p.source_id, p.target_id))


def _counted(filters: ClaimFilters) -> bool:
    """Whether the maintained counts answer these filters: a layer, in a time window or
    not, no outlet or attribution (the counts have neither: those group the stances)."""
    window = replace(filters, date_from=None, date_to=None)
    return window.without_search() == filters.only_layer()


Buckets = list[tuple[int, int]]  # ranges of NetworkCount.month, both ends included
Days = tuple[date, date]


def _window(first: date | None, last: date | None) -> tuple[Buckets, list[Days]]:
    """A time window (days, both included; None: open) as the ranges of the counts'
    buckets of the whole years and months it covers ([(0, 0)]: no window, the counts of
    all time) and the ranges of days of the months it covers in part (at most two)."""
    if first is None and last is None:
        return [(0, 0)], []
    if first is not None and last is not None and first > last:
        return [], [(first, last)]  # (nothing: the stances' query finds none)
    lowest, highest = (1, 1), (9999, 12)  # (year, month) of the whole months
    days: list[Days] = []
    if first is not None:
        lowest = (first.year, first.month)
        if first.day != 1:
            end = _month_end(first)
            days.append((first, end if last is None or last > end else last))
            lowest = (first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1)
    if last is not None:
        highest = (last.year, last.month)
        if last != _month_end(last):
            start = last.replace(day=1)
            if first is None or start > first:
                days.append((start, last))
            elif not days:  # (the window within one month: one range)
                days.append((first, last))
            highest = (last.year - 1, 12) if last.month == 1 else (last.year, last.month - 1)
    return _buckets(lowest, highest), days


def _buckets(lowest: tuple[int, int], highest: tuple[int, int]) -> Buckets:
    """The counts' buckets of the months from ``lowest`` to ``highest`` ((year, month),
    both included): the months of a year covered in part (YYYYMM), the whole years (−YYYY:
    one range) — a few ranges, whatever the window's length."""
    (low_year, low_month), (high_year, high_month) = lowest, highest
    if lowest > highest:
        return []
    if low_year == high_year and (low_month, high_month) != (1, 12):
        return [(low_year * 100 + low_month, high_year * 100 + high_month)]
    found = []
    if low_month != 1:
        found.append((low_year * 100 + low_month, low_year * 100 + 12))
        low_year += 1
    if high_month != 12:
        found.append((high_year * 100 + 1, high_year * 100 + high_month))
        high_year -= 1
    if low_year <= high_year:
        found.append((-high_year, -low_year))
    return found


def _month_end(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


def _year_less_months(buckets: Buckets) -> tuple[Buckets, Buckets]:
    """The same months as ``buckets`` (from ``_window``), as ranges to add and ranges to
    take away: a year's range of 7 to 11 of its months becomes its year's bucket less
    its other months (a year's row holds its months' claims, so the sum is the same),
    which reads at most 6 months' rows for each end of a window instead of up to 11.
    A window of February 2024 to November 2025 read 22 months of every annotator's rows
    (493,000 at the xlarge bench, 230–320 ms on PostgreSQL), now two years and two
    months."""
    added: Buckets = []
    taken: Buckets = []
    for low, high in buckets:
        months = high - low + 1
        if low > 0 and low // 100 == high // 100 and 6 < months < 12:
            year = low // 100
            added.append((-year, -year))
            if low % 100 > 1:
                taken.append((year * 100 + 1, low - 1))
            if high % 100 < 12:
                taken.append((high + 1, year * 100 + 12))
        else:
            added.append((low, high))
    return added, taken


def _counted_rows(
    project: Project, filters: ClaimFilters, buckets: Buckets | None = None
) -> list[tuple[int, int, str, str, int]]:
    """(source, target, target's name, stance, claims) from ``NetworkCount``, which the
    database keeps (``annotate.db_network_counts``): at most layers × sources × targets ×
    stance values rows a bucket, whatever the number of claims (``buckets``: ranges of
    its ``month``, from ``_window``; by default all time; most of a year's months are
    read as the year less its other months, ``_year_less_months``)."""
    added, taken = _year_less_months(buckets or [(0, 0)])
    less = _months_q(taken)
    all_time = buckets in (None, [(0, 0)])  # (one row per key in a layer's all time)
    if filters.layer == LAYER_GOLD:
        layer = Q(layer=0)
    elif filters.layer == LAYER_ALL:
        layer = Q(layer=ALL_LAYER)  # (every annotator's claims together: no annotator's sum)
    else:
        layer = Q(layer=int(filters.layer))
    rows = NetworkCount.objects.filter(
        layer, _months_q(added + taken), project_id=project.pk, n__gt=0
    )
    if all_time:
        # One layer, all time: a row per (source, target, stance), nothing to add up.
        counted = rows.values("source_id", "target_id", "stance", claims=F("n"))
    else:
        # Grouped on the integers and the stance value only, the sum an integer's (a
        # ``bigint``'s SUM is a ``numeric`` on PostgreSQL). The months taken away count
        # negatively; a key whose claims are all in them is left out (its sum is 0).
        n = Cast("n", IntegerField())
        signed = Case(When(less, then=-n), default=n, output_field=IntegerField()) if taken else n
        counted = rows.values("source_id", "target_id", "stance").annotate(
            claims=Sum(signed, output_field=BigIntegerField())
        )
        if taken:
            counted = counted.filter(claims__gt=0)
    return _with_target_names(counted.order_by())


# Above this many buckets a range is read as a range (a window of centuries).
_LISTED_BUCKETS = 60


def _months_q(ranges: Buckets) -> Q:
    """The counts' rows of ``ranges`` (of ``NetworkCount.month``, both ends included) as
    a list of their buckets (``month IN (…)``): the unique key's columns are (project,
    month, layer, …), and a range of ``month`` stopped PostgreSQL's index scan from
    positioning on the layer too — it read every layer's rows of each bucket (5 layers at
    the xlarge bench: 2,250 index pages for a two-year window of one layer, ~450 listed).
    A range's buckets are one year's months (YYYYMM) or consecutive years (−YYYY)."""
    listed: list[int] = []
    found = Q()
    for low, high in ranges:
        if high - low < _LISTED_BUCKETS:
            listed.extend(range(low, high + 1))
        else:
            found |= Q(month__gte=low, month__lte=high)
    return found | Q(month__in=listed) if listed else found


def _with_target_names(counted: QuerySet[Any, Any]) -> list[tuple[int, int, str, str, int]]:
    """(source, target, stance, claims) rows with the target's name joined to the rows
    found: grouping on the name as well, and summing numerics, was most of a window's
    query (22 months of every annotator's rows, 90,000: bench/RESULTS.md, xl32); a name
    looked up per row by a subquery cost 4 µs a row."""
    sql, params = counted.query.sql_with_params()
    target = Target._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.source_id, r.target_id, t.name, r.stance, r.claims FROM ({sql}) r "
            f"JOIN {target} t ON t.id = r.target_id",
            params,
        )
        return cursor.fetchall()


def _grouped_rows(project: Project, filters: ClaimFilters) -> list[tuple[int, int, str, str, int]]:
    """The same from the layer's stances themselves (an outlet, or the days of a month a
    window covers in part)."""
    return list(
        ClaimStance.objects.filter(claim_q(project, filters.without_search(), "claim__"))
        .filter(claim__source__isnull=False)
        .values_list("claim__source_id", "target_id", "target__name", "stance")
        .annotate(n=Count("pk"))
        .order_by()
    )


def _top_sources(pairs: list[_Pair], top: int) -> tuple[set[int], int]:
    claims: dict[int, int] = defaultdict(int)
    names: dict[int, str] = {}
    for pair in pairs:
        claims[pair.source_id] += pair.claims
        names[pair.source_id] = pair.source_name
    ranked = sorted(claims, key=lambda s: (-claims[s], names[s].casefold(), s))
    return set(ranked[:top]), max(len(ranked) - top, 0)


def carrying_rows(project: Project, filters: ClaimFilters) -> dict[tuple[int, int], int]:
    """(carrier, the source it carried from) → the layer's claims so carried: one grouped
    query of the chain links (the first link carried from the claim's source, a later one
    from the link before it; a first link of a claim without a source carried from no one
    and is left out)."""
    before = ChainLink.objects.filter(
        claim_id=OuterRef("claim_id"), position=OuterRef("position") - 1
    ).values("source_id")[:1]
    rows = (
        ChainLink.objects.filter(claim_q(project, filters.without_search(), "claim__"))
        .annotate(
            carried_from=Case(
                When(position=1, then=F("claim__source_id")),
                default=Subquery(before),
                output_field=IntegerField(),
            )
        )
        .filter(carried_from__isnull=False)
        .values("source_id", "carried_from")
        .annotate(n=Count("claim_id", distinct=True))
        .order_by()
    )
    return {(r["source_id"], r["carried_from"]): r["n"] for r in rows}


def chains_carried(carrier: int, carried_from: int) -> QuerySet[ChainLink, int]:
    """The ids of the claims ``carrier`` carried from ``carried_from`` (an edge of the
    carrying network), as a subquery."""
    before = ChainLink.objects.filter(
        claim_id=OuterRef("claim_id"), position=OuterRef("position") - 1, source_id=carried_from
    )
    return (
        ChainLink.objects.filter(source_id=carrier)
        .filter(Q(position=1, claim__source_id=carried_from) | Exists(before))
        .values_list("claim_id", flat=True)
    )


def _carrying(project: Project, filters: ClaimFilters, top: int) -> Network:
    """The carrying network: the ``top`` sources with the most claims carried or carried
    from (a node's ``claims``: the weights of its edges, in and out), and the edges
    between them."""
    pairs = carrying_rows(project, filters)
    touched: dict[int, int] = defaultdict(int)
    for (carrier, carried_from), n in pairs.items():
        if carrier != carried_from:
            touched[carrier] += n
            touched[carried_from] += n
    sources = {s.pk: s for s in Source.objects.filter(pk__in=touched).only("pk", "name", "kind")}
    ranked = sorted(touched, key=lambda s: (-touched[s], sources[s].name.casefold(), s))
    kept = set(ranked[:top])
    edges = [
        Edge(source=f"s{carrier}", target=f"s{carried_from}", weight=n, sign=0, neutral=n)
        for (carrier, carried_from), n in sorted(pairs.items())
        if carrier != carried_from and carrier in kept and carried_from in kept
    ]
    nodes = sorted(
        (Node(f"s{pk}", sources[pk].name, "source", sources[pk].kind, touched[pk]) for pk in kept),
        key=lambda n: (n.label.casefold(), n.id),
    )
    return Network(CARRYING, nodes, edges, max(len(ranked) - top, 0))


def network(project: Project, filters: ClaimFilters, kind: str, top: int = TOP) -> Network:
    """The network, kept in the cache under the project's latest change (``_changes``)
    for ``CACHE_SECONDS``: its query reads the layer's every stance (seconds at 600,000
    claims) and an actor × actor network of 150 sources has 11,000 edges to pair up. A
    change that the key does not see (a target renamed) shows within that time."""
    raw = repr((project.pk, filters.without_search(), kind, top, _changes(project)))
    key = "claimdesk:network:" + hashlib.sha256(raw.encode()).hexdigest()[:32]
    # This process's copy first: a big network read back from the database cache is a
    # few megabytes to decode. The key changes with the project's changes; both copies
    # expire after CACHE_SECONDS.
    now = time.monotonic()
    local = _LOCAL.get(key)
    if local is not None and local[0] > now:
        return local[1]
    found: Network | None = cache.get(key)
    if found is None:
        found = _network(project, filters, kind, top)
        cache.set(key, found, CACHE_SECONDS)
    _LOCAL[key] = (now + CACHE_SECONDS, found)
    while len(_LOCAL) > LOCAL_NETWORKS:
        _LOCAL.popitem(last=False)
    return found


def _network(project: Project, filters: ClaimFilters, kind: str, top: int) -> Network:
    if kind == CARRYING:
        return _carrying(project, filters, top)
    pairs = stance_rows(project, filters)
    kept, left_out = _top_sources(pairs, top)
    pairs = [p for p in pairs if p.source_id in kept]
    if kind == ACTOR_ACTOR:
        return _actor_actor(pairs, left_out)
    return _actor_concept(pairs, left_out)


def _source_nodes(pairs: list[_Pair]) -> dict[int, Node]:
    claims: dict[int, int] = defaultdict(int)
    first: dict[int, _Pair] = {}
    for pair in pairs:
        claims[pair.source_id] += pair.claims
        first.setdefault(pair.source_id, pair)
    return {
        pk: Node(f"s{pk}", p.source_name, "source", p.source_kind, claims[pk])
        for pk, p in first.items()
    }


def _actor_concept(pairs: list[_Pair], left_out: int) -> Network:
    sources = _source_nodes(pairs)
    target_claims: dict[int, int] = defaultdict(int)
    target_names: dict[int, str] = {}
    edges: list[Edge] = []
    for pair in pairs:
        target_claims[pair.target_id] += pair.claims
        target_names[pair.target_id] = pair.target_name
        positive, negative = pair.positive, pair.negative
        edges.append(
            Edge(
                source=f"s{pair.source_id}",
                target=f"t{pair.target_id}",
                weight=pair.claims,
                sign=_sign(positive - negative),
                positive=positive,
                negative=negative,
                neutral=pair.claims - positive - negative,
            )
        )
    targets = [
        Node(f"t{pk}", target_names[pk], "target", "target", target_claims[pk])
        for pk in sorted(target_names)
    ]
    nodes = sorted(sources.values(), key=lambda n: (n.label.casefold(), n.id)) + targets
    return Network(ACTOR_CONCEPT, nodes, edges, left_out)


def _actor_actor(pairs: list[_Pair], left_out: int) -> Network:
    """Each source's signed stances as two bit masks over the targets (favor, against):
    a pair's shared targets, agreements and oppositions are a few integer operations
    (``int.bit_count``), not a loop over every target's pairs of sources (33 → 12 ms of
    CPU for the 11,175 pairs of 150 sources, bench/RESULTS.md). The edges come in the
    order of their first shared target, then by source ids (as that loop made them)."""
    sources = _source_nodes(pairs)
    order = sorted({pair.target_id for pair in pairs})
    bit = {pk: 1 << i for i, pk in enumerate(order)}
    favor: dict[int, int] = defaultdict(int)
    against: dict[int, int] = defaultdict(int)
    for pair in pairs:
        sign = _sign(pair.positive - pair.negative)
        if sign > 0:
            favor[pair.source_id] |= bit[pair.target_id]
        elif sign < 0:
            against[pair.source_id] |= bit[pair.target_id]
    masks = [
        (sources[pk].id, favor[pk], against[pk]) for pk in sorted(favor.keys() | against.keys())
    ]
    shared_targets: dict[int, tuple[int, ...]] = {}  # one tuple per set of shared targets
    by_first: list[list[Edge]] = [[] for _ in order]  # by their first shared target
    linked: set[str] = set()
    for i, (a, favor_a, against_a) in enumerate(masks):
        either_a = favor_a | against_a
        for b, favor_b, against_b in masks[i + 1 :]:
            shared = either_a & (favor_b | against_b)
            if not shared:
                continue
            agree = ((favor_a & favor_b) | (against_a & against_b)).bit_count()
            weight = shared.bit_count()
            targets = shared_targets.get(shared)
            if targets is None:
                targets = shared_targets[shared] = tuple(
                    pk for j, pk in enumerate(order) if shared >> j & 1
                )
            by_first[(shared & -shared).bit_length() - 1].append(
                Edge(
                    a, b, weight, _sign(2 * agree - weight), 0, 0, 0, agree, weight - agree, targets
                )
            )
            linked.add(a)
            linked.add(b)
    edges = [edge for first in by_first for edge in first]
    nodes = sorted(
        (n for n in sources.values() if n.id in linked), key=lambda n: (n.label.casefold(), n.id)
    )
    return Network(ACTOR_ACTOR, nodes, edges, left_out)


# --- files --------------------------------------------------------------------------------

NODE_ATTRS = (("label", "string"), ("kind", "string"), ("category", "string"), ("claims", "int"))
EDGE_ATTRS = (
    ("weight", "int"),
    ("sign", "int"),
    ("positive", "int"),
    ("negative", "int"),
    ("neutral", "int"),
    ("agree", "int"),
    ("oppose", "int"),
)


# The files are handed out this many nodes or edges at a time: an actor × actor network
# of ``MAX_TOP`` sources can have ~2 million edges, which must not be one string.
PIECE = 500


class _Buffer(io.StringIO):
    """A text sink that hands out what was written since the last ``take``."""

    def take(self) -> str:
        text = self.getvalue()
        self.seek(0)
        self.truncate()
        return text


def _start(xml: XMLGenerator, name: str, attrs: dict[str, str]) -> None:
    xml.startElement(name, AttributesImpl(attrs))


def graphml(net: Network) -> Iterator[str]:
    """The network as GraphML (directed for carrying, else undirected; every attribute
    declared as a key)."""
    out = _Buffer()
    xml = XMLGenerator(out, encoding="utf-8", short_empty_elements=True)
    xml.startDocument()
    _start(xml, "graphml", {"xmlns": "http://graphml.graphdrawing.org/xmlns"})
    for name, kind in NODE_ATTRS:
        attrs = {"id": f"n_{name}", "for": "node", "attr.name": name, "attr.type": kind}
        _start(xml, "key", attrs)
        xml.endElement("key")
    for name, kind in EDGE_ATTRS:
        attrs = {"id": f"e_{name}", "for": "edge", "attr.name": name, "attr.type": kind}
        _start(xml, "key", attrs)
        xml.endElement("key")
    direction = "directed" if net.directed else "undirected"
    _start(xml, "graph", {"id": net.kind, "edgedefault": direction})
    yield out.take()
    for i, node in enumerate(net.nodes, start=1):
        _start(xml, "node", {"id": node.id})
        for name, _ in NODE_ATTRS:
            _start(xml, "data", {"key": f"n_{name}"})
            xml.characters(str(getattr(node, name)))
            xml.endElement("data")
        xml.endElement("node")
        if i % PIECE == 0:
            yield out.take()
    yield out.take()
    for i, edge in enumerate(net.edges, start=1):
        _start(xml, "edge", {"id": edge.id, "source": edge.source, "target": edge.target})
        for name, _ in EDGE_ATTRS:
            _start(xml, "data", {"key": f"e_{name}"})
            xml.characters(str(getattr(edge, name)))
            xml.endElement("data")
        xml.endElement("edge")
        if i % PIECE == 0:
            yield out.take()
    xml.endElement("graph")
    xml.endElement("graphml")
    xml.endDocument()
    yield out.take() + "\n"


def gexf(net: Network) -> Iterator[str]:
    """The network as GEXF 1.3 (Gephi's format): edge weights as ``weight``, the rest as
    attributes."""
    out = _Buffer()
    xml = XMLGenerator(out, encoding="utf-8", short_empty_elements=True)
    xml.startDocument()
    _start(xml, "gexf", {"xmlns": "http://gexf.net/1.3", "version": "1.3"})
    _start(xml, "meta", {})
    _start(xml, "creator", {})
    xml.characters("Claimdesk")
    xml.endElement("creator")
    _start(xml, "description", {})
    xml.characters(KINDS[net.kind])
    xml.endElement("description")
    xml.endElement("meta")
    direction = "directed" if net.directed else "undirected"
    _start(xml, "graph", {"defaultedgetype": direction, "mode": "static"})
    for cls, declared in (("node", NODE_ATTRS[1:]), ("edge", EDGE_ATTRS[1:])):
        _start(xml, "attributes", {"class": cls, "mode": "static"})
        for name, kind in declared:
            _start(
                xml,
                "attribute",
                {"id": name, "title": name, "type": kind.replace("int", "integer")},
            )
            xml.endElement("attribute")
        xml.endElement("attributes")
    _start(xml, "nodes", {})
    yield out.take()
    for i, node in enumerate(net.nodes, start=1):
        _start(xml, "node", {"id": node.id, "label": node.label})
        _attvalues(xml, node, NODE_ATTRS[1:])
        xml.endElement("node")
        if i % PIECE == 0:
            yield out.take()
    xml.endElement("nodes")
    _start(xml, "edges", {})
    yield out.take()
    for i, edge in enumerate(net.edges, start=1):
        attrs = {
            "id": edge.id,
            "source": edge.source,
            "target": edge.target,
            "weight": str(edge.weight),
        }
        _start(xml, "edge", attrs)
        _attvalues(xml, edge, EDGE_ATTRS[1:])
        xml.endElement("edge")
        if i % PIECE == 0:
            yield out.take()
    xml.endElement("edges")
    xml.endElement("graph")
    xml.endElement("gexf")
    xml.endDocument()
    yield out.take() + "\n"


def _attvalues(xml: XMLGenerator, item: Any, attrs: tuple[tuple[str, str], ...]) -> None:
    _start(xml, "attvalues", {})
    for name, _ in attrs:
        _start(xml, "attvalue", {"for": name, "value": str(getattr(item, name))})
        xml.endElement("attvalue")
    xml.endElement("attvalues")


CSV_COLUMNS = (
    "source",
    "target",
    "source_label",
    "target_label",
    "weight",
    "sign",
    "positive",
    "negative",
    "neutral",
    "agree",
    "oppose",
)


def edge_csv(net: Network, *, raw: bool = False) -> Iterator[str]:
    """The edge list as CSV, a row per edge (labels formula-safe unless ``raw``)."""
    labels = {n.id: n.label for n in net.nodes}
    text = str if raw else formula_safe
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for i, edge in enumerate(net.edges):
        writer.writerow(
            [
                edge.source,
                edge.target,
                text(labels[edge.source]),
                text(labels[edge.target]),
                edge.weight,
                edge.sign,
                edge.positive,
                edge.negative,
                edge.neutral,
                edge.agree,
                edge.oppose,
            ]
        )
        if i % PIECE == PIECE - 1:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


FORMATS = {
    "graphml": ("application/graphml+xml; charset=utf-8", "graphml", graphml),
    "gexf": ("application/gexf+xml; charset=utf-8", "gexf", gexf),
    "csv": ("text/csv; charset=utf-8", "csv", edge_csv),
}


def response(
    project: Project, filters: ClaimFilters, net: Network, fmt: str, *, raw: bool
) -> StreamingHttpResponse:
    """The network as a streamed file download in ``fmt`` (a key of ``FORMATS``)."""
    content_type, extension, _ = FORMATS[fmt]
    body = (
        edge_csv(net, raw=raw) if fmt == "csv" else graphml(net) if fmt == "graphml" else gexf(net)
    )
    found = StreamingHttpResponse(body, content_type=content_type)
    name = f"{project.slug}-{net.kind}-{filters.layer_slug}.{extension}"
    found["Content-Disposition"] = f'attachment; filename="{name}"'
    return found
