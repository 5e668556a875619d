"""The claim-cluster pages: a layer's clusters (and a claim finder to start one), a
cluster's page with its first appearance, spread and suggested members (accepted or
turned down with one key), and the review of clusterings (agreement, adjudication into
gold). Curators and managers; annotators in their own layer when the project lets them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotate.analysis import search as analysis_search
from annotate.clusters import selectors, services
from annotate.clusters import suggest as cluster_suggest
from annotate.clusters import tasks as cluster_tasks
from annotate.clusters.selectors import cluster_for, may_cluster
from annotate.models import ClaimCluster, ClusterRelation, ClusterWho
from annotate.review.agreement.clustering import clustering_agreement
from common.http import HtmxHttpRequest
from common.params import id_or_none, parse_id
from corpus import permissions
from corpus.models import Project
from corpus.selectors import members_of

LAYER_GOLD = "gold"
LAYER_MINE = "mine"
FOUND_CLAIMS = 20
BAD_REQUEST = 400


def _require_clusterer(user: Any, project: Project) -> None:
    if not may_cluster(user, project):
        raise PermissionDenied("Clustering claims is for the project's curators and managers.")


def _layer(request: HtmxHttpRequest, project: Project, raw: str) -> tuple[str, int | None]:
    """The layer asked for: ("gold", None), ("mine", own id) or, for a curator, another
    member's id. An annotator always gets their own layer."""
    curator = permissions.can_curate(request.user, project)
    if not curator or raw == LAYER_MINE:
        return LAYER_MINE, request.user.pk
    member = id_or_none(raw)
    if member is not None and members_of(project).filter(user_id=member).exists():
        return str(member), member
    return LAYER_GOLD, None


def _messages(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return " ".join(m for ms in error.message_dict.values() for m in ms)
    return " ".join(error.messages)


def _bad(request: HtmxHttpRequest, error: ValidationError) -> HttpResponse:
    """A refused write: 400 with the reason, shown in the page's notice region."""
    response = render(
        request, "annotate/clusters/notice.html", {"notice": _messages(error)}, status=BAD_REQUEST
    )
    response["HX-Retarget"] = "#cluster-notice"
    response["HX-Reswap"] = "innerHTML"
    return response


def _claim_id(request: HtmxHttpRequest) -> int:
    return parse_id(request.POST.get("claim", ""), name="claim")


@require_GET
@login_required
@vary_on_headers("HX-Request")
def cluster_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """A layer's clusters, and claims of the layer's pool found by words, each with a form
    to start a cluster from it."""
    project = permissions.project_for(request.user, slug)
    _require_clusterer(request.user, project)
    layer, annotator_id = _layer(request, project, request.GET.get("layer", "")[:24])
    curator = permissions.can_curate(request.user, project)
    writable = True
    try:
        selectors.require_layer_writer(request.user, project, annotator_id)
    except PermissionDenied:
        writable = False
    q = request.GET.get("q", "").strip()[:200]
    found: list[Any] = []
    if q and writable:
        pool = selectors.claim_pool(project, annotator_id, curator=curator)
        found = list(
            analysis_search.with_context(analysis_search.text_match(pool, q)).order_by(
                "article__published", "article_id", "start", "id"
            )[:FOUND_CLAIMS]
        )
    others = [
        (str(pk), label)
        for pk, label in (
            (row[0], row[1]) for row in members_of(project).values_list("user_id", "user__username")
        )
        if pk != request.user.pk
    ]
    context = {
        "project": project,
        "layer": layer,
        "layer_id": annotator_id,
        "curator": curator,
        "writable": writable,
        "others": others if curator else [],
        "clusters": selectors.clusters_of_layer(project, annotator_id)[:200],
        "q": q,
        "found": found,
        "who": (
            project.cluster_settings.who
            if hasattr(project, "cluster_settings")
            else ClusterWho.CURATORS
        ),
        "whos": ClusterWho.choices,
        "manager": permissions.can_manage(request.user, project),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "annotate/clusters/list.html#cluster-found", context)
    return render(request, "annotate/clusters/list.html", context)


@require_POST
@login_required
def cluster_create(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project = permissions.project_for(request.user, slug)
    _require_clusterer(request.user, project)
    _, annotator_id = _layer(request, project, request.POST.get("layer", "")[:24])
    try:
        claim = _claim_id(request)
        cluster = services.cluster_create(
            project=project,
            actor=request.user,
            annotator_id=annotator_id,
            statement=request.POST.get("statement", ""),
            claim_ids=[claim],
        )
    except ValidationError as error:
        return _bad(request, error)
    return redirect("annotate:cluster", pk=cluster.pk)


def _writable(user: Any, cluster: ClaimCluster) -> bool:
    try:
        selectors.require_layer_writer(user, cluster.project, cluster.annotator_id)
    except PermissionDenied:
        return False
    return True


def _page_context(request: HtmxHttpRequest, cluster: ClaimCluster) -> dict[str, Any]:
    page = selectors.cluster_page(cluster)
    writable = _writable(request.user, cluster)
    return {
        "project": cluster.project,
        "cluster": cluster,
        "page": page,
        "writable": writable,
        "chart": {
            "timeline": {
                "label": "Claims",
                "labels": [day for day, _ in page.timeline],
                "data": [n for _, n in page.timeline],
            },
            "outlets": {
                "label": "Claims",
                "labels": [outlet for outlet, _ in page.outlets],
                "data": [n for _, n in page.outlets],
            },
        },
    }


def _suggestions(request: HtmxHttpRequest, cluster: ClaimCluster) -> dict[str, Any]:
    """The suggestions from the project's last built index, and the index's state (a
    build is queued if it is missing or stale: never made here)."""
    curator = permissions.can_curate(request.user, cluster.project)
    status = cluster_tasks.index_refresh(cluster.project)
    found = []
    if status.index is not None:
        found = cluster_suggest.suggestions_for_cluster(
            cluster, curator=curator, index=status.index
        )
    return {"suggestions": found, "index": status}


@require_GET
@login_required
def cluster_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    cluster = cluster_for(request.user, pk)
    context = _page_context(request, cluster)
    return render(request, "annotate/clusters/cluster.html", context)


@require_GET
@login_required
def cluster_suggestions(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The suggested members: a fragment the cluster page loads."""
    cluster = cluster_for(request.user, pk)
    context = {
        "cluster": cluster,
        "writable": _writable(request.user, cluster),
        **_suggestions(request, cluster),
    }
    return render(request, "annotate/clusters/cluster.html#cluster-suggestions", context)


def _after_write(request: HtmxHttpRequest, cluster: ClaimCluster) -> HttpResponse:
    """The cluster page's body again (members, chart data, suggestions) for htmx; a
    redirect to the page otherwise."""
    if not request.htmx:
        return redirect("annotate:cluster", pk=cluster.pk)
    cluster.refresh_from_db()
    context = _page_context(request, cluster)
    context.update(_suggestions(request, cluster))
    return render(request, "annotate/clusters/cluster.html#cluster-body", context)


@require_POST
@login_required
def cluster_member_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    cluster = cluster_for(request.user, pk)
    try:
        services.cluster_member_add(
            cluster=cluster,
            actor=request.user,
            claim_id=_claim_id(request),
            relation=request.POST.get("relation", ClusterRelation.MEMBER)[:16],
        )
    except ValidationError as error:
        return _bad(request, error)
    return _after_write(request, cluster)


@require_POST
@login_required
def cluster_member_remove(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    cluster = cluster_for(request.user, pk)
    try:
        services.cluster_member_remove(
            cluster=cluster, actor=request.user, claim_id=_claim_id(request)
        )
    except ValidationError as error:
        return _bad(request, error)
    return _after_write(request, cluster)


@require_POST
@login_required
def cluster_dismiss(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    cluster = cluster_for(request.user, pk)
    try:
        services.cluster_dismiss(cluster=cluster, actor=request.user, claim_id=_claim_id(request))
    except ValidationError as error:
        return _bad(request, error)
    return _after_write(request, cluster)


@require_POST
@login_required
def cluster_update(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    cluster = cluster_for(request.user, pk)
    try:
        services.cluster_update(
            cluster=cluster, actor=request.user, statement=request.POST.get("statement", "")
        )
    except ValidationError as error:
        return _bad(request, error)
    return redirect("annotate:cluster", pk=cluster.pk)


@require_POST
@login_required
def cluster_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    cluster = cluster_for(request.user, pk)
    project = cluster.project
    layer = LAYER_GOLD if cluster.annotator_id is None else LAYER_MINE
    services.cluster_delete(cluster=cluster, actor=request.user)
    return redirect(f"{reverse('annotate:clusters', args=[project.slug])}?layer={layer}")


@require_GET
@login_required
def cluster_review(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Agreement between the layers' clusterings (each pair, and each against gold) and
    every layer's clusters, to pick or merge into gold."""
    project = permissions.project_for(request.user, slug)
    if not permissions.can_curate(request.user, project):
        raise PermissionDenied("Reviewing clusters is for the project's curators and managers.")
    clusterings = selectors.layer_clusterings(project)
    names = dict(members_of(project).values_list("user_id", "user__username"))

    def name(layer: int | None) -> str:
        return "Gold" if layer is None else names.get(layer, f"user {layer}")

    layers = sorted(clusterings, key=lambda k: (k is not None, k or 0))
    pairs = [
        (name(a), name(b), clustering_agreement(clusterings[a], clusterings[b]))
        for i, a in enumerate(layers)
        for b in layers[i + 1 :]
    ]
    columns = [
        (name(layer), list(selectors.clusters_of_layer(project, layer)[:200]))
        for layer, _ in selectors.clustering_layers(project)
    ]
    context = {
        "project": project,
        "pairs": pairs,
        "columns": columns,
    }
    return render(request, "annotate/clusters/review.html", context)


@require_POST
@login_required
def cluster_adjudicate(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project = permissions.project_for(request.user, slug)
    try:
        ids = [parse_id(raw, name="cluster") for raw in request.POST.getlist("cluster")[:200]]
        gold = services.cluster_adjudicate(
            project=project,
            curator=request.user,
            cluster_ids=ids,
            statement=request.POST.get("statement", ""),
        )
    except ValidationError as error:
        return _bad(request, error)
    return redirect("annotate:cluster", pk=gold.pk)


@require_POST
@login_required
def cluster_settings(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project = permissions.project_for(request.user, slug)
    try:
        services.cluster_settings_update(
            project=project, actor=request.user, who=request.POST.get("who", "")[:16]
        )
    except ValidationError as error:
        return _bad(request, error)
    return redirect("annotate:clusters", slug=project.slug)
