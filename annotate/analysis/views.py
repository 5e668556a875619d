"""The analysis pages: corpus overview, stance map (and its CSV), claim search, source
profiles and the discourse networks (with their GraphML, GEXF and CSV files). They show
the claims of every annotator, so they are for the project's curators and managers:
annotators get 403, users outside the project 404."""

from __future__ import annotations

import csv
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from annotate.analysis import filters as analysis_filters
from annotate.analysis import networks, profiles, search
from annotate.analysis import overview as overview_page
from annotate.analysis import stance_map as stance_map_page
from annotate.analysis.filters import ClaimFilters
from annotate.models import ClaimStance, Source
from annotate.scheme import field_spec, value_label
from annotate.sources import selectors as source_selectors
from common.http import HtmxHttpRequest
from common.params import id_or_none, int_or_none
from common.spreadsheet import formula_safe
from corpus import permissions
from corpus.models import Article, Project, Role
from corpus.scheme import field_values
from corpus.selectors import outlets_of

SOURCES_PER_PAGE = 50  # the stance map's rows: a row is a link per target and stance value
CLAIMS_PER_PAGE = 50
EDGE_ROWS = 500  # the network page's table of edges: the strongest
SCHEME_FILTERS = (*analysis_filters.LABEL_FILTERS, "checkworthy", "stance")
# The pages are for the project's curators and managers ("Only … can see the analysis").
ANALYSIS = "see the analysis"


def _choice_label(scheme: dict[str, Any], name: str, value: str) -> str:
    """What a filter option says after the value: the value's label, or — where the label is
    the value itself (reliability "A", credibility "1") — its help ("Completely reliable")."""
    label = value_label(scheme, name, value)
    if label != value:
        return label
    values: list[dict[str, Any]] = field_spec(scheme, name).get("values", [])
    spec = next((v for v in values if v["value"] == value), {})
    return str(spec.get("help") or label)


def _annotating_members(project: Project) -> list[Any]:
    return analysis_filters.annotating_members(project)


def _context(request: HtmxHttpRequest, project: Project) -> dict[str, Any]:
    """What every analysis page needs: the layers and outlets to filter on, the filters."""
    members = _annotating_members(project)
    layers = [
        (analysis_filters.LAYER_GOLD, "Gold layer"),
        (analysis_filters.LAYER_ALL, "All annotators"),
    ]
    layers += [(str(m.user_id), f"{m.user.get_username()} (annotator)") for m in members]
    filters = ClaimFilters.from_query(request.GET, annotator_ids={m.user_id for m in members})
    return {
        "project": project,
        "filters": filters,
        "layers": layers,
        "layer_label": dict(layers)[filters.layer],
        "outlets": outlets_of(Article.objects.in_project(project)),
        "choices": {
            name: [
                (v, _choice_label(project.scheme, name, v))
                for v in field_values(project.scheme, name)
            ]
            for name in SCHEME_FILTERS
            if name in project.scheme["fields"]
        },
    }


def _render(request: HtmxHttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The page, or only its ``analysis-results`` partial for an htmx filter swap."""
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, f"{template}#analysis-results", context)
    return render(request, template, context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def overview(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project = permissions.project_for(request.user, slug, Role.CURATOR, ANALYSIS)
    context = _context(request, project)
    data = overview_page.overview(project, context["filters"])
    context["overview"] = data
    context["charts"] = {
        "per-article": {
            "label": "Articles",
            "labels": [label for label, _ in data.per_article],
            "data": [n for _, n in data.per_article],
        },
        "per-outlet": {
            "label": "Claims",
            "labels": [row["article__outlet"] or "(no outlet)" for row in data.per_outlet],
            "data": [row["claims"] for row in data.per_outlet],
        },
        "claim-types": {
            "label": "Claims",
            "labels": [label for _, label, _ in data.claim_types.rows],
            "data": [n for _, _, n in data.claim_types.rows],
        },
        "attributions": {
            "label": "Claims",
            "labels": [label for _, label, _ in data.attributions.rows],
            "data": [n for _, _, n in data.attributions.rows],
        },
        "progress": {
            "label": "Assignments",
            "labels": [label for _, label, _ in data.progress],
            "data": [n for _, _, n in data.progress],
        },
    }
    return _render(request, "annotate/analysis/overview.html", context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def stance_map(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project = permissions.project_for(request.user, slug, Role.CURATOR, ANALYSIS)
    context = _context(request, project)
    sort = request.GET.get("sort", "")[:40]
    matrix, page = stance_map_page.stance_map_page(
        project,
        context["filters"].without_search(),
        sort,
        request.GET.get("page"),
        SOURCES_PER_PAGE,
    )
    # Each count links to its claims: the page's filters kept, built once rather than by a
    # {% querystring %} per link (2,250 links on a page of 50 sources and 15 columns).
    kept = request.GET.copy()
    for name in ("sort", "page", "source", "target", "stance"):
        kept.pop(name, None)
    cell_url = reverse("annotate:claim-search", args=[project.slug]) + "?"
    cell_url += f"{kept.urlencode()}&" if kept else ""
    context.update(matrix=matrix, sort=sort, cell_url=cell_url, page=page)
    return _render(request, "annotate/analysis/stance_map.html", context)


@require_GET
@login_required
def stance_map_csv(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The stance map as CSV: a row per source, a column per target and stance. Source
    names and the headers made of target names are formula-safe unless ``csv_raw=1``
    (``common.spreadsheet``); the counts are numbers."""
    project = permissions.project_for(request.user, slug, Role.CURATOR, ANALYSIS)
    filters = _context(request, project)["filters"].without_search()
    matrix = stance_map_page.stance_map(project, filters, request.GET.get("sort", "")[:40])
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{project.slug}-stance-map-{filters.layer_slug}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    raw = request.GET.get("csv_raw", "").lower() in ("1", "true", "yes", "on")
    text = str if raw else formula_safe
    writer = csv.writer(response)
    writer.writerow(
        ["source_id", "source"]
        + [text(f"{t.name}: {s}") for t in matrix.targets for s, _ in matrix.stances]
        + ["total"]
    )
    for row in matrix.rows:
        writer.writerow(
            [row.source_id or "", text(row.name)]
            + [n for cell in row.cells for _, n in cell.counts]
            + [row.total]
        )
    return response


@require_GET
@login_required
@vary_on_headers("HX-Request")
def claim_search(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project = permissions.project_for(request.user, slug, Role.CURATOR, ANALYSIS)
    context = _context(request, project)
    filters: ClaimFilters = context["filters"]
    page, updating = search.search_page(project, filters, request.GET.get("page"), CLAIMS_PER_PAGE)
    context.update(
        page=page,
        updating=updating,
        sources=Source.objects.in_project(project).values_list("id", "name"),
        targets=project.targets.order_by("position", "id"),
        chosen_article=(
            Article.objects.in_project(project).without_text().filter(pk=filters.article).first()
            if filters.article is not None
            else None
        ),
    )
    return _render(request, "annotate/analysis/search.html", context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def source_profile(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    source = source_selectors.source_for(request.user, pk)
    project = source.project
    permissions.require_role(request.user, project, Role.CURATOR, ANALYSIS)
    context = _context(request, project)
    filters = context["filters"].without_search()
    profile = profiles.source_profile(source, filters, request.GET.get("page"), CLAIMS_PER_PAGE)
    context.update(
        source=source,
        page=profile.page,
        updating=profile.updating,
        stances=profiles.source_stances(source, filters),
        stance_values=stance_map_page.stance_values(project),
        reliability=profile.figures.reliability,
        credibility=profile.figures.credibility,
        agreement=profile.figures.agreement,
        quoted_by=profile.figures.quoted_by,
        carried=profile.figures.carried,
    )
    return _render(request, "annotate/analysis/source_profile.html", context)


# --- discourse networks (annotate/analysis/networks.py) -----------------------------------


def _network_params(request: HtmxHttpRequest) -> tuple[str, int]:
    kind = request.GET.get("kind", networks.ACTOR_CONCEPT)
    if kind not in networks.KINDS:
        kind = networks.ACTOR_CONCEPT
    top = int_or_none(request.GET.get("top", ""), min_value=1, max_value=networks.MAX_TOP)
    return kind, top or networks.TOP


@require_GET
@login_required
@vary_on_headers("HX-Request")
def network(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The actor × concept or actor × actor network of a layer, drawn with Cytoscape.js
    from the JSON the page embeds; a table of its edges beside it."""
    project = permissions.project_for(request.user, slug, Role.CURATOR, ANALYSIS)
    context = _context(request, project)
    kind, top = _network_params(request)
    net = networks.network(project, context["filters"], kind, top)
    labels = {n.id: n.label for n in net.nodes}
    # The table lists the strongest edges (the graph and the downloads have them all):
    # an actor × actor network of 150 sources can have 11,000.
    strongest = net.by_weight[:EDGE_ROWS]
    # Each row's link to the edge's claims, the page's query built once (not per row).
    kept = request.GET.copy()
    for name in ("kind", "top", "page", "a", "b"):
        kept.pop(name, None)
    if kind == networks.CARRYING:  # the edge's claims are those carried, not the stances
        kept["kind"] = kind
    prefix = reverse("annotate:network-edge", args=[project.slug]) + "?"
    prefix += f"{kept.urlencode()}&" if kept else ""
    context.update(
        kind=kind,
        kinds=networks.KINDS,
        top=top,
        net=net,
        graph=net.drawn,
        edges=[
            (
                e,
                labels[e.source],
                labels[e.target],
                prefix + urlencode({"a": e.source, "b": e.target}),
            )
            for e in strongest
        ],
        formats=list(networks.FORMATS),
    )
    return _render(request, "annotate/analysis/network.html", context)


@require_GET
@login_required
def network_export(request: HtmxHttpRequest, slug: str) -> HttpResponseBase:
    """The network of the page as GraphML, GEXF or a CSV edge list (``?export=``)."""
    project = permissions.project_for(request.user, slug, Role.CURATOR, ANALYSIS)
    filters = _context(request, project)["filters"]
    kind, top = _network_params(request)
    fmt = request.GET.get("export", "graphml")
    if fmt not in networks.FORMATS:
        return HttpResponseBadRequest(
            f"export must be one of {', '.join(networks.FORMATS)}.", content_type="text/plain"
        )
    net = networks.network(project, filters, kind, top)
    return networks.response(project, filters, net, fmt, raw=_raw(request.GET.get("csv_raw", "")))


def _raw(value: str) -> bool:
    return value.lower() in ("1", "true", "yes", "on")


@require_GET
@login_required
def network_edge(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The claims behind one edge of the network (``?a=s12&b=t3`` or ``?a=s12&b=s40``; with
    ``kind=carrying``, the claims ``a`` carried from ``b``), in the layer and window of
    the page: a fragment."""
    project = permissions.project_for(request.user, slug, Role.CURATOR, ANALYSIS)
    filters = _context(request, project)["filters"].without_search()
    a, b = request.GET.get("a", "")[:24], request.GET.get("b", "")[:24]
    source_a = id_or_none(a[1:]) if a.startswith("s") else None
    if source_a is None or b[:1] not in ("s", "t") or id_or_none(b[1:]) is None:
        return HttpResponseBadRequest(
            "a must name a source (s<id>), b a source or a target (t<id>).",
            content_type="text/plain",
        )
    other = int(b[1:])
    claims = analysis_filters.layer_claims(project, filters)
    if request.GET.get("kind") == networks.CARRYING:
        if not b.startswith("s"):
            return HttpResponseBadRequest(
                "In the carrying network, b names a source (s<id>).", content_type="text/plain"
            )
        claims = claims.filter(pk__in=networks.chains_carried(source_a, other))
    elif b.startswith("t"):
        claims = claims.filter(source_id=source_a, stances__target_id=other)
    else:
        shared = set(
            ClaimStance.objects.filter(
                analysis_filters.claim_q(project, filters, "claim__"), claim__source_id=source_a
            ).values_list("target_id", flat=True)
        ) & set(
            ClaimStance.objects.filter(
                analysis_filters.claim_q(project, filters, "claim__"), claim__source_id=other
            ).values_list("target_id", flat=True)
        )
        claims = claims.filter(source_id__in=(source_a, other), stances__target_id__in=shared)
    claims = search.with_context(claims.distinct()).order_by(
        F("article__published").asc(nulls_last=True), "article_id", "start", "id"
    )
    return render(
        request,
        "annotate/analysis/network_edge.html",
        {"project": project, "claims": claims[:CLAIMS_PER_PAGE], "a": a, "b": b},
    )
