# One module: the workspace's request handling; workspace/context.py shapes what it shows.
"""The annotation workspace (one article, the annotator's own claims) and the queue.

Blind by design: every lookup goes through the user's own assignment or own claim, so an
article not assigned to the user, or another annotator's claim, answers 404. Writes go through
the services (``annotate.claims.services``); a write answers with the fragments that changed
(the panel, plus out-of-band rows) and tells the page about it with ``HX-Trigger`` events.

Form errors answer 422 and a stale version 409, both with the form to swap in: the page
configures htmx to swap those statuses (``htmx-config`` in ``annotate/workspace.html``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from annotate.assignments import selectors as assignment_selectors
from annotate.assignments import services as assignment_services
from annotate.claims import selectors as claim_selectors
from annotate.claims import services as claim_services
from annotate.claims.forms import ClaimInput
from annotate.claims.offsets import validate_span
from annotate.models import (
    AssignmentStatus,
    ChainLink,
    Claim,
    ClaimStance,
    SourceKind,
    SourceStatus,
)
from annotate.scheme import field_spec
from annotate.sources import selectors as source_selectors
from annotate.sources import services as source_services
from annotate.workspace.context import (
    claim_urls,
    error_messages,
    form_context,
    last_labels,
    list_context,
    mention_quote,
    open_suggestions,
    progress_context,
    row_of,
    saved_event,
    values_from_claim,
    values_from_post,
)
from common.htmx import fragments, toast
from common.http import HtmxHttpRequest
from common.paging import EitherEndPaginator
from common.params import InvalidNumber, parse_offset, parse_version
from corpus.markdown import render_markdown
from corpus.models import Article
from corpus.permissions import can_add_source, proposes_sources
from corpus.text import search_key

PAGE = "annotate/workspace.html"
QUEUE_PER_PAGE = 50  # a campaign can assign thousands of articles to one annotator
UNPROCESSABLE = 422
CONFLICT = 409
SAVED = "claimdesk:saved"
SOURCE_OPTIONS_LIMIT = 10

# The helpers' old private names, which ``annotate.suggest.views`` imports from here.
_errors = error_messages
_form_context = form_context
_list_context = list_context
_mention_quote = mention_quote
_progress_context = progress_context
_values_from_post = values_from_post


# --- responses -----------------------------------------------------------------------------


def _form(
    request: HtmxHttpRequest, article: Article, status: int = 200, **kwargs: Any
) -> HttpResponse:
    return render(request, f"{PAGE}#claim-form", form_context(article, **kwargs), status=status)


def _row_context(claim: Claim, **extra: Any) -> dict[str, Any]:
    """The context of one claim row (partial ``claim-row``): the claim's source and
    stances (with targets) must be loaded."""
    return {"claim": row_of(claim), "claim_urls": claim_urls(), **extra}


# --- pages ---------------------------------------------------------------------------------


@require_GET
@login_required
@vary_on_headers("HX-Request")
def queue(request: HtmxHttpRequest) -> HttpResponse:
    """The articles assigned to me in each project, my status and claim count on each."""
    filters = assignment_selectors.QueueFilters.from_query(request.GET)
    # (The last pages read from the end: QUEUE_ORDER ends with the article, one a row.)
    page = EitherEndPaginator(
        assignment_selectors.queue_of(request.user, filters), QUEUE_PER_PAGE
    ).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "page": page,
        "assignments": assignment_selectors.queue_rows(list(page.object_list)),
        "filters": filters,
        "statuses": AssignmentStatus.choices,
        "counts": assignment_selectors.queue_counts(request.user),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "annotate/queue.html#queue-list", context)
    context["next"] = assignment_selectors.next_assignment(request.user)
    return render(request, "annotate/queue.html", context)


@require_GET
@login_required
def workspace(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One article with my claims: the text, the claim list and the claim panel."""
    assignment = assignment_selectors.assignment_for(request.user, pk)
    article = assignment.article
    project = article.project
    context = list_context(assignment, request.user)
    context |= {
        "project": project,
        "claim_count": len(context["claims"]),
        "guidelines": render_markdown(project.guidelines),
        "stance_values": field_spec(project.scheme, "stance").get("values", []),
        "last": last_labels(request.user, project),
    }
    if project.suggestions_enabled:
        context["suggestions_enabled"] = True
        context["suggestions"] = open_suggestions(article, request.user)
    return render(request, PAGE, context)


@require_GET
@login_required
def next_article(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Go to my next unfinished article after this one, or to the queue if none is left."""
    assignment = assignment_selectors.assignment_for(request.user, pk)
    following = assignment_selectors.next_assignment(request.user, after=assignment.article)
    if following is None:
        return HttpResponseRedirect(reverse("annotate:queue"))
    return HttpResponseRedirect(reverse("annotate:workspace", args=[following.article_id]))


# --- claims --------------------------------------------------------------------------------


@require_GET
@login_required
def claim_new(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The form for a new claim over ``start``–``end`` (code points), whose ``quote`` the
    browser read from the page: a mismatch means the page and the text disagree."""
    article = assignment_selectors.assignment_for(request.user, pk).article
    try:
        start = parse_offset(request.GET.get("start", ""), name="start")
        end = parse_offset(request.GET.get("end", ""), name="end")
        span = validate_span(article.text, start, end, request.GET.get("quote"))
    except InvalidNumber:
        return render(
            request,
            f"{PAGE}#panel-message",
            {"message": "The selection has no valid offsets."},
            status=UNPROCESSABLE,
        )
    except ValidationError as error:
        return render(
            request,
            f"{PAGE}#panel-message",
            {"message": " ".join(error.messages)},
            status=UNPROCESSABLE,
        )
    values = {"start": span.start, "end": span.end, "quote": span.quote, "stances": {}}
    return _form(request, article, values=values)


@require_POST
@login_required
def claim_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    assignment = assignment_selectors.assignment_for(request.user, pk)
    article = assignment.article
    try:
        data = ClaimInput.from_post(request.POST, with_span=True, with_version=False)
        claim = claim_services.claim_create(
            article=article, annotator=request.user, fields=data.fields()
        )
    except ValidationError as error:
        values = values_from_post(article, request.POST, viewer=request.user)
        return _form(
            request, article, status=UNPROCESSABLE, values=values, errors=error_messages(error)
        )
    assignment.refresh_from_db(fields=["status"])
    prefetch_related_objects(
        [claim],
        Prefetch("stances", queryset=ClaimStance.objects.select_related("target")),
        Prefetch("chain", queryset=ChainLink.objects.select_related("source")),
    )
    # Only the new row, inserted where it belongs in text order: the list may be long.
    following = claim_selectors.my_claim_after(claim)
    insert = f"beforebegin:#claim-row-{following}" if following else "beforeend:#claim-rows"
    response = fragments(
        request,
        PAGE,
        [
            ("panel-empty", {"article": article}),
            ("claim-row-inserted", _row_context(claim, insert=insert)),
            ("progress", progress_context(assignment, request.user, oob=True)),
        ],
    )
    trigger_client_event(response, SAVED, saved_event(claim, created=True))
    return toast(response, "Claim saved.")


@require_GET
@login_required
def claim_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    claim = claim_selectors.my_claim(request.user, pk)
    return _form(request, claim.article, values=values_from_claim(claim), claim=claim)


@require_POST
@login_required
def claim_update(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Save an edit made on ``version``; if the claim moved on since, nothing is written
    and the form comes back (409) with the current state."""
    # The service re-reads the claim (stances and all) under a lock: here only the check.
    claim = claim_selectors.my_claim(request.user, pk, stances=False)
    article = claim.article
    try:
        data = ClaimInput.from_post(request.POST, with_span=False, with_version=True)
        claim = claim_services.claim_update(
            claim=claim,
            actor=request.user,
            version=data.version,
            changes=data.changes(span=data.start is not None),
        )
    except claim_services.StaleVersion as stale:
        current = stale.current
        return _form(
            request,
            article,
            status=CONFLICT,
            values=values_from_claim(current),
            claim=current,
            notice="This claim was changed elsewhere (another tab or window). Below is its "
            "current state; nothing of your edit was saved — apply it again if still needed.",
        )
    except ValidationError as error:
        values = values_from_post(article, request.POST, viewer=request.user)
        return _form(
            request,
            article,
            status=UNPROCESSABLE,
            values=values,
            claim=claim,
            errors=error_messages(error),
        )
    response = fragments(
        request,
        PAGE,
        [("panel-empty", {"article": article}), ("claim-row", _row_context(claim, row_oob=True))],
    )
    trigger_client_event(response, SAVED, saved_event(claim, created=False))
    return toast(response, "Claim updated.")


@require_POST
@login_required
def claim_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Delete softly; the toast offers Undo (``claim_restore``)."""
    claim = claim_selectors.my_claim(request.user, pk, stances=False)
    # No version: delete whatever the claim is now; a malformed one is a 400.
    version = request.POST.get("version", "")
    try:
        claim_services.claim_delete(
            claim=claim,
            actor=request.user,
            version=parse_version(version) if version else None,
        )
    except claim_services.StaleVersion as stale:
        current = stale.current
        return _form(
            request,
            claim.article,
            status=CONFLICT,
            values=values_from_claim(current),
            claim=current,
            notice="This claim was changed elsewhere, so it was not deleted. Here is its "
            "current state.",
        )
    assignment = assignment_selectors.assignment_for(request.user, claim.article_id)
    response = fragments(
        request,
        PAGE,
        [
            ("panel-empty", {"article": claim.article}),
            ("claim-row-deleted", {"claim": claim}),
            ("progress", progress_context(assignment, request.user, oob=True)),
        ],
    )
    return toast(
        response, "Claim deleted.", undo=reverse("annotate:claim-restore", args=[claim.pk])
    )


@require_POST
@login_required
def claim_restore(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Undo a delete: the claim list comes back with the claim in it."""
    claim = claim_selectors.my_claim(request.user, pk, live=False)
    claim_services.claim_restore(claim=claim, actor=request.user)
    assignment = assignment_selectors.assignment_for(request.user, claim.article_id)
    response = fragments(
        request,
        PAGE,
        [
            ("claim-list", list_context(assignment, request.user)),
            ("progress", progress_context(assignment, request.user, oob=True)),
        ],
    )
    trigger_client_event(response, SAVED, saved_event(claim, created=False))
    return toast(response, "Claim restored.")


# --- progress ------------------------------------------------------------------------------


@require_POST
@login_required
def assignment_done(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _progress_change(
        request, pk, assignment_services.assignment_mark_done, "Article marked as done."
    )


@require_POST
@login_required
def assignment_reopen(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _progress_change(request, pk, assignment_services.assignment_reopen, "Article reopened.")


def _progress_change(request: HtmxHttpRequest, pk: int, change: Any, message: str) -> HttpResponse:
    """Done / reopen: the service changes the status; the progress region is re-rendered
    with the article already loaded by the permission check (no second lookup)."""
    loaded = assignment_selectors.assignment_for(request.user, pk)
    assignment = change(assignment=loaded, actor=request.user)
    assignment.article = loaded.article
    response = render(request, f"{PAGE}#progress", progress_context(assignment, request.user))
    return toast(response, message)


# --- the source registry and targets, from the form -------------------------------------


def _source_choices(request: HtmxHttpRequest, article: Article, query: str) -> dict[str, Any]:
    """What the source search and the new-source confirmation show for ``query``: the
    matches (direct, then near misses), the source already answering to that name or
    alias (``taken``: nobody is offered to create it again), and whether this user may
    add a source at all (``can_create``: the project's ``annotator_sources``)."""
    project = article.project
    user = request.user
    taken = source_selectors.source_key_taken(project, query, viewer=user)
    return {
        "article": article,
        "query": query,
        "options": source_selectors.source_options(
            project, query, SOURCE_OPTIONS_LIMIT, viewer=user
        ),
        "taken": taken,
        "taken_by_alias": taken is not None and taken.name_key != search_key(query),
        "can_create": can_add_source(user, project),
        "proposes": proposes_sources(user, project),
    }


def _source_query(request: HtmxHttpRequest) -> str:
    return request.GET.get("q", "").strip()[:200]


@require_GET
@login_required
def source_search(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Autocomplete options over the registry (name and aliases, diacritic-insensitive,
    near misses too), and under them the way to add a new source: never one of the
    options, so no arrow key and Enter can create one."""
    article = assignment_selectors.assignment_for(request.user, pk).article
    context = _source_choices(request, article, _source_query(request))
    return render(request, f"{PAGE}#source-results", context)


@require_GET
@login_required
def source_confirm(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The confirmation before a new source is added: the name, the closest existing
    names to take instead, and the button that creates it (Enter, since it has focus)."""
    article = assignment_selectors.assignment_for(request.user, pk).article
    context = _source_choices(request, article, _source_query(request))
    context["kinds"] = SourceKind.choices
    return render(request, f"{PAGE}#source-confirm", context)


@require_POST
@login_required
def source_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Add a source to the registry from the form and select it (after the confirmation;
    refused with 403 when the project doesn't let this user add sources)."""
    article = assignment_selectors.assignment_for(request.user, pk).article
    if not can_add_source(request.user, article.project):
        raise PermissionDenied("In this project, a curator adds new sources.")
    name = request.POST.get("name", "")
    try:
        source = source_services.source_add(
            project=article.project,
            name=name,
            kind=request.POST.get("kind") or "person",
            actor=request.user,
        )
    except ValidationError as error:
        return render(
            request,
            f"{PAGE}#source-picker",
            {
                "article": article,
                "values": {"source": None},
                "source_query": name,
                "source_error": " ".join(error.messages),
            },
            status=UNPROCESSABLE,
        )
    response = render(
        request, f"{PAGE}#source-picker", {"article": article, "values": {"source": source}}
    )
    if source.status == SourceStatus.PROPOSED:
        return toast(response, f"“{source.name}” proposed: a curator will confirm it.")
    return toast(response, f"“{source.name}” added to the registry.")


@require_POST
@login_required
def target_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Add a stance target to the project; the stance table comes back with the stances
    already chosen in the form kept (they are posted along)."""
    article = assignment_selectors.assignment_for(request.user, pk).article
    values = values_from_post(article, request.POST, viewer=request.user)
    try:
        target = source_services.target_create(
            project=article.project, name=request.POST.get("target_name", "")
        )
    except ValidationError as error:
        context = form_context(article, values=values)
        context["target_error"] = " ".join(error.messages)
        return render(request, f"{PAGE}#stance-table", context, status=UNPROCESSABLE)
    context = form_context(article, values=values)
    context["new_target"] = target
    return render(request, f"{PAGE}#stance-table", context)
