"""Writes of claim clusters: make, rename and delete a cluster, add and remove claims,
turn a suggested member down, adjudicate layers' clusters into gold, and the project's
setting of who clusters. Every write checks who may change the layer, records History
and runs in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from annotate.clusters.selectors import (
    adjudicated_into,
    claim_pool,
    layer_key,
    require_layer_writer,
)
from annotate.history import history_record
from annotate.models import (
    Claim,
    ClaimCluster,
    ClusterDismissal,
    ClusterMember,
    ClusterRelation,
    ClusterSettings,
    ClusterWho,
    HistoryAction,
)
from common.limits import CLUSTER_STATEMENT
from common.text import check_text
from corpus.models import Project
from corpus.permissions import can_curate, can_manage

ENTITY = "cluster"


def _statement(value: str) -> str:
    text = check_text(" ".join(str(value).split()), field="statement", limit=CLUSTER_STATEMENT)
    if not text:
        raise ValidationError({"statement": "Write the proposition the claims state."})
    return text


def _relation(value: str) -> str:
    if value not in ClusterRelation.values:
        raise ValidationError(
            {"relation": f"A claim states a cluster or contradicts it, not “{value[:20]}”."}
        )
    return value


def snapshot(cluster: ClaimCluster) -> dict[str, Any]:
    """The cluster as History keeps it."""
    members = list(
        ClusterMember.objects.filter(cluster=cluster)
        .order_by("claim_id")
        .values_list("claim_id", "relation")
    )
    return {
        "statement": cluster.statement,
        "layer": "gold" if cluster.annotator_id is None else cluster.annotator_id,
        "members": [c for c, r in members if r == ClusterRelation.MEMBER],
        "contradicting": [c for c, r in members if r == ClusterRelation.CONTRADICTS],
    }


def _record(cluster: ClaimCluster, action: str, actor: Any, before: dict[str, Any] | None) -> None:
    history_record(
        project_id=cluster.project_id,
        entity=ENTITY,
        object_id=cluster.pk,
        action=action,
        actor=actor,
        before=before,
        after=snapshot(cluster) if action != HistoryAction.DELETE else None,
    )


def _pool_claims(
    project: Project, annotator_id: int | None, actor: Any, claim_ids: Iterable[int]
) -> list[Claim]:
    """The claims, each live, of the project and of the layer's pool, else a 400."""
    wanted = list(dict.fromkeys(claim_ids))
    pool = claim_pool(project, annotator_id, curator=can_curate(actor, project))
    found = {c.pk: c for c in pool.filter(pk__in=wanted)}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise ValidationError(
            {"claim": f"No live claim {missing[0]} of this project that this layer can hold."}
        )
    return [found[pk] for pk in wanted]


def _touch(cluster: ClaimCluster) -> None:
    cluster.version += 1
    cluster.save(update_fields=["version", "updated"])


def _put(cluster: ClaimCluster, claim: Claim, relation: str, actor: Any) -> list[ClaimCluster]:
    """Put the claim in the cluster with the relation. A claim states one cluster per
    layer: stating this one moves it out of another of the layer (that cluster is
    returned, to be recorded)."""
    key = layer_key(cluster.annotator_id)
    moved_from: list[ClaimCluster] = []
    if relation == ClusterRelation.MEMBER:
        others = ClusterMember.objects.filter(
            layer_key=key, claim=claim, relation=ClusterRelation.MEMBER
        ).exclude(cluster=cluster)
        moved_from = [m.cluster for m in others.select_related("cluster")]
        others.delete()
    ClusterMember.objects.update_or_create(
        cluster=cluster,
        claim=claim,
        defaults={"relation": relation, "layer_key": key, "added_by": _user(actor)},
    )
    ClusterDismissal.objects.filter(cluster=cluster, claim=claim).delete()
    return moved_from


def _user(actor: Any) -> Any:
    return actor if actor is not None and actor.is_authenticated else None


@transaction.atomic
def cluster_create(
    *,
    project: Project,
    actor: Any,
    annotator_id: int | None,
    statement: str,
    claim_ids: Sequence[int] = (),
) -> ClaimCluster:
    """A new cluster in the layer (``annotator_id`` None: gold) with its first claims."""
    require_layer_writer(actor, project, annotator_id)
    text = _statement(statement)
    claims = _pool_claims(project, annotator_id, actor, claim_ids)
    cluster = ClaimCluster.objects.create(
        project=project, annotator_id=annotator_id, statement=text, created_by=_user(actor)
    )
    for claim in claims:
        for other in _put(cluster, claim, ClusterRelation.MEMBER, actor):
            _moved(other, actor)
    _record(cluster, HistoryAction.CREATE, actor, None)
    return cluster


def _moved(cluster: ClaimCluster, actor: Any) -> None:
    before = snapshot(cluster)
    _touch(cluster)
    _record(cluster, HistoryAction.UPDATE, actor, before)


@transaction.atomic
def cluster_update(*, cluster: ClaimCluster, actor: Any, statement: str) -> ClaimCluster:
    require_layer_writer(actor, cluster.project, cluster.annotator_id)
    cluster = ClaimCluster.objects.select_for_update().get(pk=cluster.pk)
    before = snapshot(cluster)
    cluster.statement = _statement(statement)
    cluster.version += 1
    cluster.save(update_fields=["statement", "version", "updated"])
    _record(cluster, HistoryAction.UPDATE, actor, before)
    return cluster


@transaction.atomic
def cluster_delete(*, cluster: ClaimCluster, actor: Any) -> None:
    """Delete the cluster (its claims stay; History keeps what it held)."""
    require_layer_writer(actor, cluster.project, cluster.annotator_id)
    before = snapshot(cluster)
    _record(cluster, HistoryAction.DELETE, actor, before)
    cluster.delete()


@transaction.atomic
def cluster_member_add(
    *, cluster: ClaimCluster, actor: Any, claim_id: int, relation: str = ClusterRelation.MEMBER
) -> ClusterMember:
    """Add a claim to the cluster (or change how it relates to it)."""
    require_layer_writer(actor, cluster.project, cluster.annotator_id)
    relation = _relation(relation)
    (claim,) = _pool_claims(cluster.project, cluster.annotator_id, actor, [claim_id])
    cluster = ClaimCluster.objects.select_for_update().get(pk=cluster.pk)
    before = snapshot(cluster)
    for other in _put(cluster, claim, relation, actor):
        _moved(other, actor)
    _touch(cluster)
    _record(cluster, HistoryAction.UPDATE, actor, before)
    return ClusterMember.objects.get(cluster=cluster, claim=claim)


@transaction.atomic
def cluster_member_remove(*, cluster: ClaimCluster, actor: Any, claim_id: int) -> None:
    require_layer_writer(actor, cluster.project, cluster.annotator_id)
    cluster = ClaimCluster.objects.select_for_update().get(pk=cluster.pk)
    before = snapshot(cluster)
    deleted, _ = ClusterMember.objects.filter(cluster=cluster, claim_id=claim_id).delete()
    if not deleted:
        raise ValidationError({"claim": f"Claim {claim_id} is not in this cluster."})
    _touch(cluster)
    _record(cluster, HistoryAction.UPDATE, actor, before)


@transaction.atomic
def cluster_dismiss(*, cluster: ClaimCluster, actor: Any, claim_id: int) -> ClusterDismissal:
    """Turn a suggested member down: it is not suggested for this cluster again."""
    require_layer_writer(actor, cluster.project, cluster.annotator_id)
    (claim,) = _pool_claims(cluster.project, cluster.annotator_id, actor, [claim_id])
    dismissal, _ = ClusterDismissal.objects.get_or_create(
        cluster=cluster, claim=claim, defaults={"by": _user(actor)}
    )
    return dismissal


@transaction.atomic
def cluster_adjudicate(
    *, project: Project, curator: Any, cluster_ids: Sequence[int], statement: str = ""
) -> ClaimCluster:
    """Pick one cluster (of any layer) or merge several into a new gold cluster: its
    claims are the union of theirs (a claim stating one of them states the gold
    cluster; one only contradicting contradicts it), its statement the one given or the
    first cluster's. Gold keeps one cluster per claim: a claim stating another gold
    cluster moves into this one."""
    if not can_curate(curator, project):
        raise PermissionDenied("Only the project's curators and managers adjudicate clusters.")
    wanted = list(dict.fromkeys(cluster_ids))
    if not wanted:
        raise ValidationError({"clusters": "Pick at least one cluster."})
    found = {c.pk: c for c in ClaimCluster.objects.filter(project=project, pk__in=wanted)}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise ValidationError({"clusters": f"No cluster {missing[0]} in this project."})
    rows = list(
        ClusterMember.objects.filter(
            cluster_id__in=wanted, claim__deleted_at__isnull=True
        ).values_list("claim_id", "relation")
    )
    # An annotator's claim the curator adjudicated stands for its gold claim: the gold
    # cluster holds gold claims (with their adjudicated chains and labels) where there
    # are some, and two annotators' versions of one claim become one member.
    gold_of = adjudicated_into({c for c, _ in rows})
    stating = {gold_of.get(c, c) for c, r in rows if r == ClusterRelation.MEMBER}
    contradicting = {
        gold_of.get(c, c) for c, r in rows if r == ClusterRelation.CONTRADICTS
    } - stating
    gold = cluster_create(
        project=project,
        actor=curator,
        annotator_id=None,
        statement=statement.strip() or found[wanted[0]].statement,
        claim_ids=sorted(stating),
    )
    if contradicting:
        before = snapshot(gold)
        for claim in Claim.objects.filter(pk__in=sorted(contradicting)):
            _put(gold, claim, ClusterRelation.CONTRADICTS, curator)
        _record(gold, HistoryAction.UPDATE, curator, before)
    return gold


@transaction.atomic
def cluster_settings_update(*, project: Project, actor: Any, who: str) -> ClusterSettings:
    """Who clusters in the project: curators (and managers), or annotators too."""
    if not can_manage(actor, project):
        raise PermissionDenied("Only the project's managers change who clusters claims.")
    if who not in ClusterWho.values:
        raise ValidationError({"who": f"Choose one of {', '.join(ClusterWho.values)}."})
    found, _ = ClusterSettings.objects.update_or_create(project=project, defaults={"who": who})
    return found
