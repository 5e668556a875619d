"""Reads of claim clusters: who may cluster in which layer, the claims a layer's clusters
may hold, a cluster with what its page shows, and the layers' clusterings for agreement."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Prefetch, Q
from django.http import Http404

from annotate.models import (
    ChainLink,
    Claim,
    ClaimCluster,
    ClaimQuerySet,
    ClaimStance,
    ClusterMember,
    ClusterRelation,
    ClusterSettings,
    ClusterWho,
    DecisionOrigin,
)
from corpus.models import Project, Role
from corpus.permissions import can_curate, role_in

GOLD_KEY = 0  # ClusterMember.layer_key of the gold layer


def layer_key(annotator_id: int | None) -> int:
    return GOLD_KEY if annotator_id is None else annotator_id


def annotators_may_cluster(project: Project) -> bool:
    return ClusterSettings.objects.filter(project=project, who=ClusterWho.ANNOTATORS).exists()


def may_cluster(user: Any, project: Project) -> bool:
    """Curators and managers cluster; annotators too when the project says so."""
    if can_curate(user, project):
        return True
    return role_in(user, project) == Role.ANNOTATOR and annotators_may_cluster(project)


def require_layer_writer(user: Any, project: Project, annotator_id: int | None) -> None:
    """403 unless the user may change the clusters of this layer: gold and their own
    layer for curators and managers, their own layer for annotators the project lets
    cluster."""
    if annotator_id is None:
        if not can_curate(user, project):
            raise PermissionDenied("Only the project's curators and managers change gold clusters.")
        return
    if annotator_id != user.pk or not may_cluster(user, project):
        raise PermissionDenied("You can change only the clusters of your own layer.")


def require_layer_reader(user: Any, cluster: ClaimCluster) -> None:
    """Curators read every layer; an annotator only their own (if they may cluster)."""
    if can_curate(user, cluster.project):
        return
    if cluster.annotator_id != user.pk or not may_cluster(user, cluster.project):
        raise PermissionDenied("The project's clusters are for its curators and managers.")


def claim_pool(project: Project, annotator_id: int | None, *, curator: bool) -> ClaimQuerySet:
    """The live claims a cluster of this layer may hold: any of the project's for a
    curator's (or gold) layer, the annotator's own for an annotator's layer."""
    claims = Claim.objects.live().filter(article__project=project)
    if annotator_id is not None and not curator:
        claims = claims.filter(annotator_id=annotator_id)
    return claims


def cluster_for(user: Any, pk: int) -> ClaimCluster:
    """The cluster if the user may read it: 404 outside the project, 403 for an annotator
    who may not read this layer."""
    cluster = ClaimCluster.objects.select_related("project", "annotator").filter(pk=pk).first()
    if cluster is None or role_in(user, cluster.project) is None:
        raise Http404("No such cluster.")
    require_layer_reader(user, cluster)
    return cluster


def clusters_of_layer(project: Project, annotator_id: int | None) -> Any:
    """The layer's clusters with their counts of members and contradicting claims, newest
    first: one query."""
    return (
        ClaimCluster.objects.filter(project=project, annotator_id=annotator_id)
        .annotate(
            n_members=Count("members", filter=Q(members__relation=ClusterRelation.MEMBER)),
            n_contradicting=Count(
                "members", filter=Q(members__relation=ClusterRelation.CONTRADICTS)
            ),
        )
        .order_by("-updated", "-id")
    )


def clustering_layers(project: Project) -> list[tuple[int | None, int]]:
    """The layers with clusters: (annotator id or None for gold, clusters), gold first."""
    rows = (
        ClaimCluster.objects.filter(project=project)
        .order_by()
        .values("annotator_id")
        .annotate(n=Count("pk"))
    )
    found = [(row["annotator_id"], row["n"]) for row in rows]
    return sorted(found, key=lambda r: (r[0] is not None, r[0] or 0))


# --- the cluster page ---------------------------------------------------------------------


@dataclass
class SourceRow:
    source_id: int | None
    name: str
    claims: int = 0
    stances: Counter[tuple[str, str]] = field(default_factory=Counter)  # (target, stance) → n

    @property
    def stance_list(self) -> list[tuple[str, str, int]]:
        return [(t, s, n) for (t, s), n in sorted(self.stances.items())]


@dataclass
class PathRow:
    """One attribution path of the members: the speaker, then each carrier in order (names
    and source ids), with the claims that came that way."""

    steps: tuple[tuple[int | None, str], ...]  # (source id, name), the speaker first
    claims: int = 0

    @property
    def carried(self) -> bool:
        return len(self.steps) > 1


@dataclass
class CarrierRow:
    """A carrier that passed the proposition on: the member claims it carried (at any
    position of their chains), and from whom it took them (source name → claims)."""

    source_id: int
    name: str
    claims: int = 0
    took_from: Counter[str] = field(default_factory=Counter)

    @property
    def took_from_list(self) -> list[tuple[str, int]]:
        return sorted(self.took_from.items(), key=lambda kv: (-kv[1], kv[0].casefold()))


@dataclass
class ClusterPage:
    cluster: ClaimCluster
    members: list[Claim]
    contradicting: list[Claim]
    first: Claim | None
    timeline: list[tuple[str, int]]  # (published date or "undated", claims)
    outlets: list[tuple[str, int]]  # (outlet, claims)
    sources: list[SourceRow]
    paths: list[PathRow] = field(default_factory=list)  # the members' paths, most used first
    carriers: list[CarrierRow] = field(default_factory=list)  # most claims first


def _first_key(claim: Claim) -> tuple[Any, ...]:
    published = claim.article.published
    return (published is None, published or date.min, claim.article_id, claim.start, claim.pk)


def member_claims(cluster: ClaimCluster) -> list[tuple[str, Claim]]:
    """(relation, claim) of each member with its article (no text), source, annotator,
    stances and chain (each link with its source, in order): three queries."""
    rows = (
        ClusterMember.objects.filter(cluster=cluster)
        .select_related("claim__article", "claim__source", "claim__annotator")
        .defer("claim__article__text", "claim__article__metadata")
        .prefetch_related(
            Prefetch(
                "claim__stances",
                queryset=ClaimStance.objects.select_related("target").order_by(
                    "target__position", "target_id"
                ),
            ),
            Prefetch(
                "claim__chain",
                queryset=ChainLink.objects.select_related("source").order_by("position"),
            ),
        )
        .order_by(F("claim__article__published").asc(nulls_last=True), "claim__article_id", "id")
    )
    return [(row.relation, row.claim) for row in rows]


def cluster_page(cluster: ClaimCluster) -> ClusterPage:
    """What the cluster page shows, from ``member_claims`` (three queries); deleted claims
    are left out."""
    members: list[Claim] = []
    contradicting: list[Claim] = []
    for relation, claim in member_claims(cluster):
        if claim.deleted_at is not None:
            continue
        (members if relation == ClusterRelation.MEMBER else contradicting).append(claim)
    members.sort(key=_first_key)
    timeline: Counter[str] = Counter()
    outlets: Counter[str] = Counter()
    sources: dict[int | None, SourceRow] = {}
    for claim in members:
        published = claim.article.published
        timeline[published.isoformat() if published else "undated"] += 1
        outlets[claim.article.outlet or "(no outlet)"] += 1
        row = sources.get(claim.source_id)
        if row is None:
            name = claim.source.name if claim.source else "(no source)"
            row = sources[claim.source_id] = SourceRow(source_id=claim.source_id, name=name)
        row.claims += 1
        for stance in claim.stances.all():
            row.stances[(stance.target.name, stance.stance)] += 1
    paths, carriers = attribution_paths(members)
    return ClusterPage(
        cluster=cluster,
        members=members,
        contradicting=contradicting,
        first=members[0] if members else None,
        timeline=sorted(timeline.items(), key=lambda kv: (kv[0] == "undated", kv[0])),
        outlets=outlets.most_common(),
        sources=sorted(sources.values(), key=lambda r: (-r.claims, r.name.casefold())),
        paths=paths,
        carriers=carriers,
    )


def attribution_paths(claims: list[Claim]) -> tuple[list[PathRow], list[CarrierRow]]:
    """The attribution paths of the claims (speaker → carrier → …, from their prefetched
    chains) with the claims of each, and each carrier with the claims it carried and from
    whom it took them (the speaker for the first carrier, else the carrier before it). No
    query."""
    paths: dict[tuple[tuple[int | None, str], ...], PathRow] = {}
    carriers: dict[int, CarrierRow] = {}
    for claim in claims:
        speaker = (claim.source_id, claim.source.name if claim.source else "(no source)")
        steps = [speaker]
        for link in claim.chain.all():  # in position order (the prefetch orders them)
            row = carriers.get(link.source_id)
            if row is None:
                row = carriers[link.source_id] = CarrierRow(link.source_id, link.source.name)
            row.claims += 1
            row.took_from[steps[-1][1]] += 1
            steps.append((link.source_id, link.source.name))
        key = tuple(steps)
        path = paths.get(key)
        if path is None:
            path = paths[key] = PathRow(steps=key)
        path.claims += 1
    return (
        sorted(paths.values(), key=lambda p: (-p.claims, [n.casefold() for _, n in p.steps])),
        sorted(carriers.values(), key=lambda r: (-r.claims, r.name.casefold())),
    )


# --- clusterings for agreement ------------------------------------------------------------


def adjudicated_into(claim_ids: set[int]) -> dict[int, int]:
    """Annotator claim → the live gold claim the curator's newest decision on it made (a
    claim not adjudicated, or rejected, is left out). One query."""
    rows = (
        DecisionOrigin.objects.filter(
            claim_id__in=claim_ids,
            decision__gold__isnull=False,
            decision__gold__deleted_at__isnull=True,
        )
        .order_by("decision__created", "decision_id")
        .values_list("claim_id", "decision__gold_id")
    )
    return dict(rows)  # the newest decision's last


def layer_clusterings(project: Project) -> dict[int | None, dict[int, int]]:
    """Per layer (annotator id, None for gold), claim → cluster of its stating members.

    A claim is keyed by the gold claim it went into when the curator adjudicated it
    (``DecisionOrigin``), so that annotators who cluster their own claims compare on the
    same items as the gold layer and as each other; else by its own id. Two queries."""
    rows = list(
        ClusterMember.objects.filter(
            cluster__project=project,
            relation=ClusterRelation.MEMBER,
            claim__deleted_at__isnull=True,
        ).values_list("cluster__annotator_id", "cluster_id", "claim_id")
    )
    gold_of = adjudicated_into({claim_id for _, _, claim_id in rows})
    found: dict[int | None, dict[int, int]] = defaultdict(dict)
    for annotator_id, cluster_id, claim_id in rows:
        found[annotator_id][gold_of.get(claim_id, claim_id)] = cluster_id
    return dict(found)


# --- exports ------------------------------------------------------------------------------


def export_memberships(project: Project) -> dict[int, list[dict[str, Any]]]:
    """Claim id → the clusters it is in, each ``{"id", "layer", "annotator", "statement",
    "relation"}``, for the JSONL export; empty when the project has no clusters (the
    export is then byte for byte what it was before clusters). One query."""
    rows = (
        ClusterMember.objects.filter(cluster__project=project)
        .order_by("claim_id", "cluster_id")
        .values_list(
            "claim_id",
            "cluster_id",
            "cluster__annotator__username",
            "cluster__statement",
            "relation",
        )
    )
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for claim_id, cluster_id, username, statement, relation in rows:
        found[claim_id].append(
            {
                "id": cluster_id,
                "layer": "gold" if username is None else "annotator",
                "annotator": username,
                "statement": statement,
                "relation": relation,
            }
        )
    return dict(found)
