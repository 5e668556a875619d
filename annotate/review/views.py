# One module: the curators' screens' request handling; presenters.py shapes what they show.
"""Curators' screens: the agreement dashboard, the disagreement queue, the review screen of an
article (adjudication into gold). The managers' assignment page is
annotate/assignments/views.py.

Permissions: someone outside the project gets 404 (existence does not leak); a member who is
not a curator or manager gets 403. Annotators never see other annotators' claims through any of
these. Writes go through the services (``annotate.review.gold``); an adjudication answers with
the group's section (and the progress, out of band); a stale claim version answers 409 with the
group as it is now, a form error 422."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotate.chains.links import MAX_LINKS
from annotate.claims import services as claim_services
from annotate.claims.forms import ClaimInput
from annotate.claims.offsets import validate_span
from annotate.models import Claim, Target
from annotate.review import figures as review
from annotate.review import gold as gold_services
from annotate.review.data import agreement_ready, needs_background, overlap_threshold
from annotate.review.gold import MERGEABLE
from annotate.review.presenters import (
    dashboard_context,
    gold_form_context,
    gold_form_values,
    posted_form_values,
    review_context,
    suggester_rows,
)
from annotate.review.tasks import progress_of, start_agreement
from annotate.suggest import scoring as suggest_scoring
from annotate.workspace.context import error_messages as _errors
from common.htmx import fragments, toast
from common.http import HtmxHttpRequest
from common.params import (
    MAX_INT32,
    int_or_none,
    optional_int,
    parse_id,
    parse_int,
    parse_offset,
    parse_version,
)
from corpus import permissions
from corpus.models import Article, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import User

PAGE = "annotate/review.html"
REVIEW_QUEUE = "annotate/review_queue.html"
REVIEW_QUEUE_PER_PAGE = review.QUEUE_PER_PAGE
UNPROCESSABLE = 422
CONFLICT = 409
STALE = (
    "An annotator changed one of these claims since you opened the page. Here is the group as "
    "it is now; nothing was decided — look again and decide."
)
DECIDED_MEANWHILE = (
    "Someone decided this group meanwhile. Here it is as it is now; nothing was decided — "
    "look again, or reload the page."
)


# --- access ------------------------------------------------------------------------------


def curated_article(user: User, pk: int) -> Article:
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


@require_GET
@login_required
def agreement(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The project's agreement figures: from the cache, computed now, or (large projects)
    computed by a background task while the page shows its progress."""
    project = permissions.project_for(request.user, slug, Role.CURATOR, "review its claims")
    threshold = overlap_threshold(project, request.GET.get("overlap"))
    heat = request.GET.get("heat", "span")
    board = review.dashboard_of(project, threshold, compute=False)
    context: dict[str, Any] = {"project": project, "threshold": threshold}
    if board is None and needs_background(project):
        context["progress"] = start_agreement(project, threshold)
        return render(request, "annotate/agreement.html", context)
    if board is None:
        board = review.dashboard_of(project, threshold, compute=True)
    assert board is not None  # computed now
    context |= dashboard_context(project, board, heat)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "annotate/agreement.html#heat-map", context)
    return render(request, "annotate/agreement.html", context)


@require_GET
@login_required
def agreement_progress(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Polled by the dashboard while a background computation runs; when the figures are
    ready, tells htmx to reload the page."""
    project = permissions.project_for(request.user, slug, Role.CURATOR, "review its claims")
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


@require_GET
@login_required
def suggester_scores(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Every suggester scored as an annotator against the gold layer of the project."""
    project = permissions.project_for(request.user, slug, Role.CURATOR, "review its claims")
    threshold = overlap_threshold(project, request.GET.get("overlap"))
    scores = suggest_scoring.suggester_scores(project, threshold)
    rows = suggester_rows(project, scores)
    context = {
        "project": project,
        "threshold": threshold,
        "scores": scores,
        "rows": rows,
    }
    return render(request, "annotate/suggester_scores.html", context)


# --- the disagreement queue --------------------------------------------------------------


@require_GET
@login_required
def review_queue(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Articles with two or more annotators, most disagreement first, with what is disputed
    and how far adjudication has come."""
    project = permissions.project_for(request.user, slug, Role.CURATOR, "review its claims")
    threshold = overlap_threshold(project)
    filters = review.QueueFilters.from_query(request.GET)
    wanted = request.GET.get("page")
    found = review.queue_page(
        project, threshold, filters, wanted, REVIEW_QUEUE_PER_PAGE, compute=False
    )
    context: dict[str, Any] = {"project": project, "threshold": threshold}
    if found is None and needs_background(project):
        # Large projects: the groups come from the agreement task; the page polls for them.
        context["computing"] = start_agreement(project, threshold)
        return render(request, REVIEW_QUEUE, context)
    if found is None:
        found = review.queue_page(
            project, threshold, filters, wanted, REVIEW_QUEUE_PER_PAGE, compute=True
        )
    assert found is not None  # (computed)
    context |= {
        "page": found.page,
        "rows": list(found.page.object_list),
        "filters": filters,
        "progress": found.progress,
        "states": review.QUEUE_STATES,
        "dispute_kinds": [(kind, kind) for kind in review.DISPUTE_KINDS],
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, REVIEW_QUEUE + "#review-list", context)
    return render(request, REVIEW_QUEUE, context)


# --- the review screen -------------------------------------------------------------------


@require_GET
@login_required
def review_article(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Every annotator's claims on the article, group by group, side by side, with the
    gold outcome of each group."""
    article = curated_article(request.user, pk)
    context = review_context(article)
    return render(request, PAGE, context)


def _respond_unit(
    request: HtmxHttpRequest, article: Article, index: int, *, status: int = 200, notice: str = ""
) -> HttpResponse:
    """The group's section again, and the progress out of band."""
    context = review_context(article)
    unit = next((u for u in context["units"] if u["unit"].index == index), None)
    if unit is None:  # the groups moved (an annotator changed claims): the whole list
        return _respond_body(request, article, context=context, notice=notice, status=status)
    return fragments(
        request,
        PAGE,
        [
            ("unit", {**context, **unit, "notice": notice}),
            ("review-progress", {**context, "oob": True}),
        ],
        status=status,
    )


def _respond_body(
    request: HtmxHttpRequest,
    article: Article,
    *,
    context: dict[str, Any] | None = None,
    notice: str = "",
    status: int = 200,
    clear_panel: bool = False,
) -> HttpResponse:
    context = context or review_context(article)
    response = fragments(
        request,
        PAGE,
        [
            ("review-body", {**context, "notice": notice}),
            ("review-progress", {**context, "oob": True}),
        ],
        status=status,
    )
    if clear_panel:
        response.write('<div id="review-panel" class="rv-panel" hx-swap-oob="innerHTML"></div>')
    return response


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
    return toast(response, done)


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
        # Stances are chosen target by target (take-stance-<target id>). Only these keys'
        # values are read: the form's other keys are no parameter of the merge.
        stances_from = {}
        for key in request.POST:
            target = key.removeprefix("take-stance-")
            if key.startswith("take-stance-") and target.isdigit():
                chosen = request.POST.get(key, "")
                if chosen:
                    stances_from[int(target)] = _by_id(claims, chosen)
        known = set(
            Target.objects.filter(project=article.project, pk__in=stances_from).values_list(
                "pk", flat=True
            )
        )
        stances_from = {t: c for t, c in stances_from.items() if t in known}
        # A merged chain may take each position from another claim (take-chain-<n>).
        chain_from = {}
        for key in request.POST:
            if not key.startswith("take-chain-"):
                continue
            position = int_or_none(key.removeprefix("take-chain-"), max_value=MAX_LINKS)
            chosen = request.POST.get(key, "")
            if position and chosen:
                chain_from[position] = _by_id(claims, chosen)
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
            chain_from=chain_from,
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
    return toast(response, f"Accepted {n} unanimous group{'s' if n != 1 else ''}.")


# --- gold claims: add and edit -------------------------------------------------------------


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
        return render(request, f"{PAGE}#gold-form", gold_form_context(article, values=values))
    try:
        data = ClaimInput.from_post(request.POST, with_span=True, with_version=False)
        gold_services.gold_add(
            curator=request.user,
            article=article,
            fields=data.fields(),
            rationale=request.POST.get("rationale", "").strip(),
        )
    except ValidationError as error:
        context = gold_form_context(
            article, values=posted_form_values(request.POST), errors=_errors(error)
        )
        return render(request, f"{PAGE}#gold-form", context, status=UNPROCESSABLE)
    response = _respond_body(request, article, clear_panel=True)
    response["HX-Retarget"] = "#review-body"
    response["HX-Reswap"] = "outerHTML"
    toast(response, "Gold claim added.")
    return response


@require_http_methods(["GET", "POST"])
@login_required
def gold_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: the form to edit a gold claim's labels; POST: save on the version seen."""
    gold = (
        Claim.objects.live()
        .gold()
        .select_related("article__project", "source")
        .prefetch_related("stances", "chain")
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
            gold_form_context(article, values=gold_form_values(gold), gold=gold),
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
        context = gold_form_context(
            article, values=gold_form_values(stale.current), gold=stale.current
        )
        context["error_list"] = ["This gold claim was changed elsewhere; here it is now."]
        return render(request, f"{PAGE}#gold-form", context, status=CONFLICT)
    except ValidationError as error:
        context = gold_form_context(
            article, values=posted_form_values(request.POST), gold=gold, errors=_errors(error)
        )
        return render(request, f"{PAGE}#gold-form", context, status=UNPROCESSABLE)
    response = _respond_body(request, article, clear_panel=True)
    response["HX-Retarget"] = "#review-body"
    response["HX-Reswap"] = "outerHTML"
    toast(response, "Gold claim saved.")
    return response
