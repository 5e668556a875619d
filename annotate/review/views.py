"""Curators' screens: the agreement dashboard, the disagreement queue, the review screen of an
article (adjudication into gold). The managers' assignment page is
annotate/assignments/views.py.

Permissions: someone outside the project gets 404 (existence does not leak); a member who is
not a curator or manager gets 403. Annotators never see other annotators' claims through any of
these. Writes go through the services (``annotate.review.gold``); an adjudication answers with
the group's section (and the progress, out of band); a stale claim version answers 409 with the
group as it is now, a form error 422."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from annotate.claims import services as claim_services
from annotate.claims.forms import ClaimInput
from annotate.claims.offsets import validate_span
from annotate.models import Claim, Source, Target
from annotate.review import figures as review
from annotate.review import gold as gold_services
from annotate.review.agreement import FIGURE_HELP, alpha_reading
from annotate.review.agreement.records import STANCE_PREFIX
from annotate.review.data import agreement_ready, needs_background, overlap_threshold
from annotate.review.gold import MERGEABLE
from annotate.review.tasks import progress_of, start_agreement
from annotate.scheme import LABEL_FIELDS, field_spec
from annotate.sources.views import HtmxHttpRequest
from annotate.suggest import scoring as suggest_scoring
from annotate.workspace.context import choice_fields as _choice_fields
from annotate.workspace.context import error_messages as _errors
from annotate.workspace.context import label_maps as _label_maps
from common.params import (
    MAX_INT32,
    id_or_none,
    int_or_none,
    optional_int,
    parse_id,
    parse_int,
    parse_offset,
    parse_version,
)
from corpus import permissions
from corpus.models import Article, Project
from corpus.selectors import project_switcher

PAGE = "annotate/review.html"
REVIEW_QUEUE = "annotate/review_queue.html"
REVIEW_QUEUE_PER_PAGE = 50
UNPROCESSABLE = 422
CONFLICT = 409
TOAST = "claimdesk:toast"
STALE = (
    "An annotator changed one of these claims since you opened the page. Here is the group as "
    "it is now; nothing was decided — look again and decide."
)
DECIDED_MEANWHILE = (
    "Someone decided this group meanwhile. Here it is as it is now; nothing was decided — "
    "look again, or reload the page."
)


# --- access ------------------------------------------------------------------------------


def curated_project(user: Any, slug: str) -> Project:
    project = permissions.project_for(user, slug)
    if not permissions.can_curate(user, project):
        raise PermissionDenied("Only the project's curators and managers review.")
    return project


def curated_article(user: Any, pk: int) -> Article:
    """The article if the user reviews in its project. Someone who may not read it (an
    annotator it is not assigned to) gets the 404 every other page gives them; someone
    who may read it but not review, a 403."""
    article = Article.objects.select_related("project").filter(pk=pk).first()
    if article is None:
        raise Http404("No such article.")
    if permissions.can_curate(user, article.project):
        return article
    if not permissions.visible_articles(user, article.project).filter(pk=pk).exists():
        raise Http404("No such article.")
    raise PermissionDenied("Only the project's curators and managers review.")


# --- the dashboard -----------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _heat(value: float | None) -> str:
    """A background colour for a figure in [0, 1] (red → amber → green); grey if None."""
    if value is None:
        return "hsl(0 0% 92%)"
    clamped = max(0.0, min(1.0, value))
    return f"hsl({round(clamped * 120)} 65% {round(88 - clamped * 10)}%)"


# Fewer units than this and a field's α is not read as reliable/tentative/revise: on a handful
# of units one disagreement swings it anywhere.
MIN_UNITS_TO_READ = 5


def _reading(figure: Any) -> tuple[str, str]:
    """What the "Reading" column says of a field's α, and its CSS class's suffix: the
    conventional reading on enough units; otherwise a neutral note of why there is none."""
    reading = alpha_reading(figure.value)
    if figure.n_units < MIN_UNITS_TO_READ:
        return f"too few (n = {figure.n_units})", "neutral"
    if reading is None:
        if figure.observed_agreement == 1:
            return "all agree (one value used)", "neutral"
        return "not computable", "neutral"
    return reading, reading


def _field_label(project: Project, name: str, targets: dict[str, str]) -> str:
    if name.startswith("stance:"):
        return f"Stance · {targets.get(name.removeprefix('stance:'), name)}"
    return str(field_spec(project.scheme, name).get("label", name))


def dashboard_context(project: Project, board: review.Dashboard, heat: str) -> dict[str, Any]:
    data = board.data
    report = data.report
    names = data.annotator_names
    targets = {
        str(pk): name
        for pk, name in Target.objects.filter(project=project).values_list("pk", "name")
    }
    fields = [
        {
            "name": f.field,
            "label": _field_label(project, f.field, targets),
            "level": f.level,
            "alpha": _fmt(f.alpha.value),
            "observed": _fmt(f.alpha.observed_agreement),
            "n_units": f.alpha.n_units,
            "n_values": f.alpha.n_values,
            "reading": _reading(f.alpha)[0],
            "reading_class": _reading(f.alpha)[1],
            "why": f.alpha.undefined_reason or "",
            "fleiss": _fmt(f.fleiss_kappa.value) if f.fleiss_kappa else "",
            "not_judgeable": (
                f"{f.not_judgeable_share:.0%}" if f.not_judgeable_share is not None else "—"
            ),
            "colour": _heat(f.alpha.value),
        }
        for f in report.fields
    ]
    people = list(report.annotator_ids)
    pair_value: dict[tuple[Any, Any], tuple[float | None, int]] = {}
    if heat == "span":
        for s in report.span_pairs:
            pair_value[(s.annotator_a, s.annotator_b)] = (s.overlap.f1, s.overlap.n_claims)
    else:
        chosen = next((f for f in report.fields if f.field == heat), None)
        for p in chosen.pairs if chosen else []:
            pair_value[(p.annotator_a, p.annotator_b)] = (p.alpha.value, p.alpha.n_units)
    matrix = []
    for a in people:
        cells = []
        for b in people:
            value, n = pair_value.get((a, b)) or pair_value.get((b, a)) or (None, 0)
            cells.append({"same": a == b, "value": _fmt(value), "n": n, "colour": _heat(value)})
        matrix.append({"name": names.get(int(a), str(a)), "cells": cells})
    trend = [
        {
            "week": row.week,
            "n_articles": row.n_articles,
            "n_units": row.n_units,
            "f1": _fmt(row.span_f1.f1),
            "colour": _heat(row.span_f1.f1),
            "fields": [
                (_fmt(row.fields[f["name"]].value), row.fields[f["name"]].n_units)
                if f["name"] in row.fields
                else ("—", 0)
                for f in fields
            ],
        }
        for row in data.trend
    ]
    return {
        "project": project,
        "report": report,
        "spans": report.spans,
        "f1_exact": _fmt(report.spans.exact.f1),
        "f1_overlap": _fmt(report.spans.overlap.f1),
        "alpha_u": _fmt(report.unitizing.alpha_u.value),
        "coverage_alpha": _fmt(report.unitizing.coverage_alpha.value),
        "fields": fields,
        "heat": heat,
        "heat_choices": [("span", "Span F1 (overlap)")] + [(f["name"], f["label"]) for f in fields],
        "people": [names.get(int(a), str(a)) for a in people],
        "matrix": matrix,
        "trend": trend,
        "worst": board.worst,
        "help": FIGURE_HELP,
    }


@require_GET
@login_required
def agreement(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The project's agreement figures: from the cache, computed now, or (large projects)
    computed by a background task while the page shows its progress."""
    project = curated_project(request.user, slug)
    threshold = overlap_threshold(project, request.GET.get("overlap"))
    heat = request.GET.get("heat", "span")
    board = review.dashboard_of(project, threshold, compute=False)
    context: dict[str, Any] = {"project": project, "threshold": threshold}
    if board is None and needs_background(project):
        context["progress"] = start_agreement(project, threshold)
        context["switcher"] = project_switcher(request.user)
        return render(request, "annotate/agreement.html", context)
    if board is None:
        board = review.dashboard_of(project, threshold, compute=True)
    assert board is not None  # computed now
    context |= dashboard_context(project, board, heat)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "annotate/agreement.html#heat-map", context)
    context["switcher"] = project_switcher(request.user)
    return render(request, "annotate/agreement.html", context)


@require_GET
@login_required
def agreement_progress(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Polled by the dashboard while a background computation runs; when the figures are
    ready, tells htmx to reload the page."""
    project = curated_project(request.user, slug)
    threshold = overlap_threshold(project, request.GET.get("overlap"))
    if agreement_ready(project, threshold):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    context = {
        "project": project,
        "threshold": threshold,
        "progress": progress_of(project, threshold),
    }
    return render(request, "annotate/agreement.html#agreement-progress", context)


def _share(part: int, whole: int, value: float | None) -> str:
    """A proportion with its n, "too few" below ``MIN_UNITS_TO_READ``."""
    if whole < MIN_UNITS_TO_READ:
        return f"too few (n = {whole})"
    return f"{_fmt(value)} (n = {whole})"


@require_GET
@login_required
def suggester_scores(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Every suggester scored as an annotator against the gold layer of the project."""
    project = curated_project(request.user, slug)
    threshold = overlap_threshold(project, request.GET.get("overlap"))
    scores = suggest_scoring.suggester_scores(project, threshold)
    targets = {
        str(pk): name
        for pk, name in Target.objects.filter(project=project).values_list("pk", "name")
    }
    rows = []
    for s in scores.suggesters:
        rows.append(
            {
                "score": s,
                "precision": _share(s.overlap.matched, s.overlap.proposals, s.overlap.precision),
                "recall": _share(s.overlap.matched, s.overlap.gold, s.overlap.recall),
                "f1": _share(s.overlap.matched, s.overlap.proposals + s.overlap.gold, s.overlap.f1),
                "exact_f1": _share(s.exact.matched, s.exact.proposals + s.exact.gold, s.exact.f1),
                "source": _share(s.source_correct, s.overlap.matched, s.source_accuracy),
                "fields": [
                    {
                        "label": _field_label(project, f.field, targets),
                        "level": f.level,
                        "alpha": _fmt(f.alpha.value),
                        "n_units": f.alpha.n_units,
                        "n_proposed": f.n_proposed,
                        "reading": _reading(f.alpha)[0],
                        "reading_class": _reading(f.alpha)[1],
                        "why": f.alpha.undefined_reason or "",
                    }
                    for f in s.fields
                ],
            }
        )
    context = {
        "project": project,
        "threshold": threshold,
        "scores": scores,
        "rows": rows,
        "switcher": project_switcher(request.user),
    }
    return render(request, "annotate/suggester_scores.html", context)


# --- the disagreement queue --------------------------------------------------------------


@require_GET
@login_required
def review_queue(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Articles with two or more annotators, most disagreement first, with what is disputed
    and how far adjudication has come."""
    project = curated_project(request.user, slug)
    threshold = overlap_threshold(project)
    rows = review.disagreement_queue(project, threshold, compute=False)
    context: dict[str, Any] = {"project": project, "threshold": threshold}
    if rows is None and needs_background(project):
        # Large projects: the groups come from the agreement task; the page polls for them.
        context["computing"] = start_agreement(project, threshold)
        context["switcher"] = project_switcher(request.user)
        return render(request, REVIEW_QUEUE, context)
    if rows is None:
        rows = review.disagreement_queue(project, threshold, compute=True) or []
    filters = review.QueueFilters.from_query(request.GET)
    page = Paginator(review.filter_queue(rows, filters), REVIEW_QUEUE_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context |= {
        "page": page,
        "rows": list(page.object_list),
        "filters": filters,
        "progress": review.project_progress(rows),
        "states": review.QUEUE_STATES,
        "dispute_kinds": [(kind, kind) for kind in review.DISPUTE_KINDS],
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, REVIEW_QUEUE + "#review-list", context)
    context["switcher"] = project_switcher(request.user)
    return render(request, REVIEW_QUEUE, context)


# --- the review screen -------------------------------------------------------------------


def _segments(text: str, units: list[review.ReviewUnit]) -> list[tuple[str, list[int]]]:
    """The text cut where a group starts or ends: (piece, indices of the groups covering it)."""
    cuts = sorted({0, len(text), *(u.start for u in units), *(u.end for u in units)})
    pieces = []
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        covering = [u.index for u in units if u.start < hi and lo < u.end]
        pieces.append((text[lo:hi], covering))
    return pieces


NO_MENTION = "(not marked)"


def _values(claim: Claim | None, labels: dict[str, dict[str, str]]) -> dict[str, str]:
    """What a cell shows for each field; stances one per target (``stance-<target id>``)."""
    if claim is None:
        return {}
    stance_labels = labels.get("stance", {})
    stances = sorted(
        (s.target.name, stance_labels.get(s.stance, s.stance)) for s in claim.stances.all()
    )
    mention = NO_MENTION
    if claim.mention_start is not None and claim.mention_end is not None:
        mention = f"“{claim.article.text[claim.mention_start : claim.mention_end]}”"
    shown = {
        "span": f"“{claim.quote}”",
        "source": claim.source.name if claim.source else "",
        "mention": mention,
        "stances": "; ".join(f"{label} → {name}" for name, label in stances),
    }
    for s in claim.stances.all():
        shown[f"stance-{s.target_id}"] = stance_labels.get(s.stance, s.stance)
    for name in LABEL_FIELDS:
        value = getattr(claim, name)
        shown[name] = labels.get(name, {}).get(value, value)
    return shown


def _field_rows(project: Project, targets: list[Target] | None = None) -> list[tuple[str, str]]:
    """The rows of a group's table: (row name, label). Each stance target has its own row
    (``stance-<id>``), so that stances are compared — and merged — target by target."""
    rows = [("span", "Span"), ("source", "Source"), ("mention", "Source mention")]
    if targets is None:
        targets = list(Target.objects.filter(project=project).order_by("name"))
    rows += [(f"stance-{t.pk}", f"Stance · {t.name}") for t in targets]
    for name in LABEL_FIELDS:
        spec = field_spec(project.scheme, name)
        if spec and not spec.get("hidden"):
            rows.append((name, str(spec.get("label", name))))
    return rows


def _differs(unit: review.ReviewUnit, name: str) -> bool:
    if name.startswith("stance-"):
        return f"{STANCE_PREFIX}{name.removeprefix('stance-')}" in unit.differing
    return name in unit.differing


def _giver(unit: review.ReviewUnit, name: str) -> int | None:
    """The claim whose value of the row the group's gold claim took (None: not decided)."""
    if unit.outcome is None or unit.outcome.gold is None:
        return None
    given = unit.outcome.given
    if name.startswith("stance-"):
        target = name.removeprefix("stance-")
        return given.get(f"{STANCE_PREFIX}{target}", given.get("stances"))
    return given.get(name)


def _unit_context(
    rv: review.ArticleReview,
    unit: review.ReviewUnit,
    labels: dict[str, dict[str, str]],
    fields: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    fields = fields if fields is not None else _field_rows(rv.article.project)
    gold = unit.outcome.gold if unit.outcome else None
    gold_values = _values(gold, labels)
    columns = []
    for n, (user, claim) in enumerate(zip(rv.annotators, unit.cells, strict=True), start=1):
        columns.append({"n": n, "user": user, "claim": claim, "values": _values(claim, labels)})
    first = next((col for col in columns if col["claim"] is not None), None)
    rows = []
    for name, label in fields:
        # Chosen: the version the gold claim took (after a merge), else the first
        # annotator's until the curator picks another.
        giver = _giver(unit, name)
        chosen = next(
            (col for col in columns if col["claim"] is not None and col["claim"].pk == giver),
            first,
        )
        values = [col["values"].get(name, "") for col in columns if col["claim"] is not None]
        if name.startswith("stance-") and not any(values) and not gold_values.get(name):
            continue  # a target nobody took a stance toward
        rows.append(
            {
                "name": name,
                "label": label,
                "differs": _differs(unit, name),
                "cells": [(col, col["values"].get(name, ""), col is chosen) for col in columns],
                "gold": gold_values.get(name, ""),
            }
        )
    return {
        "article": rv.article,
        "unit": unit,
        "columns": columns,
        "rows": rows,
        "gold": gold,
        "field_rows": fields,
    }


def _review_context(article: Article) -> dict[str, Any]:
    rv = review.article_review(article)
    labels = _label_maps(article.project.scheme)
    fields = _field_rows(article.project)
    return {
        "article": article,
        "project": article.project,
        "rv": rv,
        "units": [_unit_context(rv, u, labels, fields) for u in rv.units],
        "added": [(g, _values(g, labels)) for g in rv.added],
        "segments": _segments(article.text, rv.units),
        "field_rows": fields,
    }


@require_GET
@login_required
def review_article(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Every annotator's claims on the article, group by group, side by side, with the
    gold outcome of each group."""
    article = curated_article(request.user, pk)
    context = _review_context(article)
    context["switcher"] = project_switcher(request.user)
    return render(request, PAGE, context)


def _respond_unit(
    request: HtmxHttpRequest, article: Article, index: int, *, status: int = 200, notice: str = ""
) -> HttpResponse:
    """The group's section again, and the progress out of band."""
    context = _review_context(article)
    unit = next((u for u in context["units"] if u["unit"].index == index), None)
    if unit is None:  # the groups moved (an annotator changed claims): the whole list
        return _respond_body(request, article, context=context, notice=notice, status=status)
    html = render_to_string(
        f"{PAGE}#unit", {**context, **unit, "notice": notice}, request=request
    ) + render_to_string(f"{PAGE}#review-progress", {**context, "oob": True}, request=request)
    return HttpResponse(html, status=status)


def _respond_body(
    request: HtmxHttpRequest,
    article: Article,
    *,
    context: dict[str, Any] | None = None,
    notice: str = "",
    status: int = 200,
    clear_panel: bool = False,
) -> HttpResponse:
    context = context or _review_context(article)
    html: str = render_to_string(
        f"{PAGE}#review-body", {**context, "notice": notice}, request=request
    ) + render_to_string(f"{PAGE}#review-progress", {**context, "oob": True}, request=request)
    if clear_panel:
        html += '<div id="review-panel" class="rv-panel" hx-swap-oob="innerHTML"></div>'
    return HttpResponse(html, status=status)


def _unit_version(data: Any) -> int | None:
    """The group's version the curator saw (``unit-version``; None if the form has none)."""
    return optional_int(data.get("unit-version", ""), name="unit-version")


def _posted_claims(article: Article, data: Any) -> tuple[list[Claim], dict[int, int]]:
    """The group's claims named in the form (``claims``), and the version of each that the
    curator saw (``version-<id>``)."""
    ids = [parse_id(v, name="claims") for v in data.getlist("claims")]
    claims = review.group_claims(article, ids)
    versions = {}
    for claim in claims:
        raw = data.get(f"version-{claim.pk}", "")
        if raw:
            versions[claim.pk] = parse_version(raw, name=f"version-{claim.pk}")
    return claims, versions


def _unit_index(data: Any) -> int:
    raw = data.get("unit", "")
    return parse_int(raw, name="unit", max_value=MAX_INT32) if raw else -1


def _adjudicate(request: HtmxHttpRequest, pk: int, action: Any, done: str) -> HttpResponse:
    article = curated_article(request.user, pk)
    index = _unit_index(request.POST)
    claims, versions = _posted_claims(article, request.POST)
    try:
        action(article, claims, versions, request.POST.get("rationale", "").strip())
    except gold_services.StaleDecision:
        return _respond_unit(request, article, index, status=CONFLICT, notice=DECIDED_MEANWHILE)
    except claim_services.StaleVersion:
        return _respond_unit(request, article, index, status=CONFLICT, notice=STALE)
    except ValidationError as error:
        notice = " ".join(m for ms in _errors(error).values() for m in ms)
        return _respond_unit(request, article, index, status=UNPROCESSABLE, notice=notice)
    response = _respond_unit(request, article, index)
    trigger_client_event(response, TOAST, {"message": done, "undo": ""})
    return response


def _by_id(claims: list[Claim], raw: str) -> Claim:
    found = next((c for c in claims if str(c.pk) == raw), None)
    if found is None:
        raise ValidationError("Choose one of the group's claims.")
    return found


@require_POST
@login_required
def review_accept(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Accept one annotator's claim (``claim``) as it is; the group's other claims are
    recorded as considered."""

    def accept(article: Article, claims: list[Claim], versions: dict[int, int], why: str) -> None:
        chosen = _by_id(claims, request.POST.get("claim", ""))
        gold_services.gold_accept(
            curator=request.user,
            claim=chosen,
            considered=claims,
            versions=versions,
            unit_version=_unit_version(request.POST),
            rationale=why,
        )

    return _adjudicate(request, pk, accept, "Accepted.")


@require_POST
@login_required
def review_merge(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A gold claim with the span from ``take-span`` and each field from ``take-<field>``."""

    def merge(article: Article, claims: list[Claim], versions: dict[int, int], why: str) -> None:
        # Boundaries nobody disputes offer no choice: the first claim's are everyone's.
        span_from = _by_id(
            claims, request.POST.get("take-span") or str(claims[0].pk if claims else "")
        )
        fields_from = {}
        for name in MERGEABLE:
            raw = request.POST.get(f"take-{name}", "")
            if raw:
                fields_from[name] = _by_id(claims, raw)
        # Stances are chosen target by target (take-stance-<target id>).
        stances_from = {}
        for key in request.POST:
            target, chosen = key.removeprefix("take-stance-"), request.POST.get(key, "")
            if key.startswith("take-stance-") and target.isdigit() and chosen:
                stances_from[int(target)] = _by_id(claims, chosen)
        known = set(
            Target.objects.filter(project=article.project, pk__in=stances_from).values_list(
                "pk", flat=True
            )
        )
        stances_from = {t: c for t, c in stances_from.items() if t in known}
        gold_services.gold_merge(
            curator=request.user,
            article=article,
            span_from=span_from,
            fields_from=fields_from,
            considered=claims,
            versions=versions,
            unit_version=_unit_version(request.POST),
            rationale=why,
            stances_from=stances_from,
        )

    return _adjudicate(request, pk, merge, "Merged.")


@require_POST
@login_required
def review_reject(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    def reject(article: Article, claims: list[Claim], versions: dict[int, int], why: str) -> None:
        gold_services.gold_reject(
            curator=request.user,
            claims=claims,
            versions=versions,
            unit_version=_unit_version(request.POST),
            rationale=why,
        )

    return _adjudicate(request, pk, reject, "Rejected.")


@require_POST
@login_required
def review_bulk_accept(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Accept every unanimous group not decided yet."""
    article = curated_article(request.user, pk)
    _, versions = _posted_claims(article, request.POST)
    try:
        made = gold_services.gold_bulk_accept(
            curator=request.user, article=article, versions=versions
        )
    except claim_services.StaleVersion:
        return _respond_body(request, article, notice=STALE, status=CONFLICT)
    response = _respond_body(request, article)
    n = len(made)
    trigger_client_event(
        response,
        TOAST,
        {"message": f"Accepted {n} unanimous group{'s' if n != 1 else ''}.", "undo": ""},
    )
    return response


# --- gold claims: add and edit -------------------------------------------------------------


def _gold_form_context(
    article: Article,
    *,
    values: dict[str, Any],
    gold: Claim | None = None,
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    project = article.project
    fields = _choice_fields(project.scheme)
    for item in fields:
        item["value"] = values.get(item["name"], "")
    stances = values.get("stances", {})
    return {
        "article": article,
        "gold": gold,
        "values": values,
        "errors": errors or {},
        "error_list": [m for ms in (errors or {}).values() for m in ms],
        "choice_fields": fields,
        "sources": Source.objects.in_project(project).only("pk", "name"),
        "stance_values": field_spec(project.scheme, "stance").get("values", []),
        "target_rows": [(t, stances.get(t.pk, "")) for t in Target.objects.filter(project=project)],
    }


def _gold_values(gold: Claim) -> dict[str, Any]:
    return {
        "start": gold.start,
        "end": gold.end,
        "quote": gold.quote,
        "version": gold.version,
        "source": gold.source_id,
        "stances": {s.target_id: s.stance for s in gold.stances.all()},
        "note": gold.note,
        **{name: getattr(gold, name) for name in LABEL_FIELDS},
    }


def _posted_values(data: Any) -> dict[str, Any]:
    values: dict[str, Any] = {name: data.get(name, "") for name in LABEL_FIELDS}
    for name in ("start", "end", "version", "source"):
        values[name] = int_or_none(data.get(name, ""))
    values["quote"] = data.get("quote", "")
    values["note"] = data.get("note", "")
    values["stances"] = {
        target: data.get(k)
        for k in data
        if k.startswith("stance-") and (target := id_or_none(k.removeprefix("stance-")))
    }
    return values


@require_http_methods(["GET", "POST"])
@login_required
def gold_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: the form for a gold claim over the selected ``start``–``end``; POST: create it."""
    article = curated_article(request.user, pk)
    if request.method == "GET":
        try:
            start = parse_offset(request.GET.get("start", ""), name="start")
            end = parse_offset(request.GET.get("end", ""), name="end")
            span = validate_span(article.text, start, end, request.GET.get("quote"))
        except ValidationError:  # InvalidNumber too
            return render(
                request,
                f"{PAGE}#panel-message",
                {"message": "Select words of the article text first."},
                status=UNPROCESSABLE,
            )
        values = {"start": span.start, "end": span.end, "quote": span.quote}
        return render(request, f"{PAGE}#gold-form", _gold_form_context(article, values=values))
    try:
        data = ClaimInput.from_post(request.POST, with_span=True, with_version=False)
        gold_services.gold_add(
            curator=request.user,
            article=article,
            fields=data.fields(),
            rationale=request.POST.get("rationale", "").strip(),
        )
    except ValidationError as error:
        context = _gold_form_context(
            article, values=_posted_values(request.POST), errors=_errors(error)
        )
        return render(request, f"{PAGE}#gold-form", context, status=UNPROCESSABLE)
    response = _respond_body(request, article, clear_panel=True)
    response["HX-Retarget"] = "#review-body"
    response["HX-Reswap"] = "outerHTML"
    trigger_client_event(response, TOAST, {"message": "Gold claim added.", "undo": ""})
    return response


@require_http_methods(["GET", "POST"])
@login_required
def gold_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: the form to edit a gold claim's labels; POST: save on the version seen."""
    gold = (
        Claim.objects.live()
        .gold()
        .select_related("article__project", "source")
        .prefetch_related("stances")
        .filter(pk=pk)
        .first()
    )
    if gold is None:
        raise Http404("No such gold claim.")
    article = curated_article(request.user, gold.article_id)
    if request.method == "GET":
        return render(
            request,
            f"{PAGE}#gold-form",
            _gold_form_context(article, values=_gold_values(gold), gold=gold),
        )
    try:
        data = ClaimInput.from_post(request.POST, with_span=False, with_version=True)
        gold_services.gold_edit(
            curator=request.user,
            gold=gold,
            version=data.version,
            changes=data.changes(mention=False),  # the gold form has no mention
            rationale=request.POST.get("rationale", "").strip(),
        )
    except claim_services.StaleVersion as stale:
        context = _gold_form_context(
            article, values=_gold_values(stale.current), gold=stale.current
        )
        context["error_list"] = ["This gold claim was changed elsewhere; here it is now."]
        return render(request, f"{PAGE}#gold-form", context, status=CONFLICT)
    except ValidationError as error:
        context = _gold_form_context(
            article, values=_posted_values(request.POST), gold=gold, errors=_errors(error)
        )
        return render(request, f"{PAGE}#gold-form", context, status=UNPROCESSABLE)
    response = _respond_body(request, article, clear_panel=True)
    response["HX-Retarget"] = "#review-body"
    response["HX-Reswap"] = "outerHTML"
    trigger_client_event(response, TOAST, {"message": "Gold claim saved.", "undo": ""})
    return response
