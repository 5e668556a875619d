"""The managers' assignment page: the project's articles in pages of 50, filtered, each with
its annotators, a form to assign one more and buttons to take one back; and bulk assignment.

Managers only: someone outside the project gets 404, any other member 403. After a write
the page comes back at the filters and page the form was sent from (the ``back`` field),
rebuilt from the parameters the page knows — never a URL taken from the request.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from annotate.assignments import services as assignment_services
from annotate.assignments.selectors import (
    ASSIGNMENT_STATES,
    AssignmentFilters,
    assignment_articles,
    header_figures,
    parse_id,
)
from annotate.models import Assignment
from annotate.review import figures as review
from annotate.workspace.context import error_messages as _errors
from common.http import HtmxHttpRequest
from corpus import permissions
from corpus.models import Article, Membership, Project, Role

PAGE = "annotate/assignments.html"
PER_PAGE = 50
# ``back`` is a query string of at most four short parameters; more is not ours.
MAX_BACK = 1000


def _assignment_context(project: Project, params: QueryDict) -> dict[str, Any]:
    """One page of the filtered articles, each with its assignments and the annotators it
    could still be given; a fixed number of queries whatever the project's size."""
    members = list(
        Membership.objects.filter(project=project, role=Role.ANNOTATOR)
        .select_related("user")
        .order_by("user__username")
    )
    filters = AssignmentFilters.from_query(params)
    if filters.annotator not in {m.user_id for m in members}:
        # Not an annotator of this project (or none asked for): the filter shows "Anyone".
        filters = replace(filters, annotator=None)
    page = Paginator(assignment_articles(project, filters), PER_PAGE).get_page(params.get("page"))
    articles = list(page.object_list)
    by_article = review.assignments_of(a.pk for a in articles)
    rows = []
    for article in articles:
        assigned = by_article.get(article.pk, [])
        taken = {a.annotator_id for a in assigned}
        rows.append((article, assigned, [m.user for m in members if m.user_id not in taken]))
    return {
        "project": project,
        "filters": filters,
        "page": page,
        "rows": rows,
        "members": members,
        "annotator_choices": [(m.user_id, m.user.get_username()) for m in members],
        "states": ASSIGNMENT_STATES,
    }


def _back(project: Project, raw: str, *, fragment: str = "") -> str:
    """The assignment page at the filters and page of ``raw`` (a query string): only the
    known parameters, re-encoded, so ``back`` cannot send the manager anywhere else."""
    params = QueryDict(raw[:MAX_BACK].lstrip("?"))
    query = AssignmentFilters.from_query(params).as_query()
    page = parse_id(params.get("page"))
    if page:
        query["page"] = str(page)
    url = reverse("annotate:assignments", args=[project.slug])
    return url + (f"?{urlencode(query)}" if query else "") + fragment


@require_GET
@login_required
def assignments(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Who annotates which article, a page at a time; assign by hand or in bulk."""
    project = permissions.project_for(request.user, slug, Role.MANAGER, "assign articles")
    context = _assignment_context(project, request.GET)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, f"{PAGE}#assignment-list", context)
    # Outside the list (so not for an htmx swap): the header and the bulk form's loads.
    loads, figures = header_figures(project)
    context |= {
        "figures": figures,
        "annotators": [(m.user, loads.get(m.user_id, 0)) for m in context["members"]],
    }
    return render(request, PAGE, context)


@require_POST
@login_required
def assignments_bulk(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project = permissions.project_for(request.user, slug, Role.MANAGER, "assign articles")
    chosen = [parse_id(v) for v in request.POST.getlist("annotators")]
    try:
        made = assignment_services.assignments_bulk(
            project=project,
            k=parse_id(request.POST.get("k")) or 0,
            only_unassigned=request.POST.get("only_unassigned") == "on",
            annotators=[pk for pk in chosen if pk] or None,
            assigned_by=request.user,
        )
    except ValidationError as error:
        for ms in _errors(error).values():
            for m in ms:
                messages.error(request, m)
    else:
        n = len(made)
        messages.success(request, f"{n} assignment{'s' if n != 1 else ''} made.")
    return redirect("annotate:assignments", slug=project.slug)


@require_POST
@login_required
def assignment_add(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Assign one article to one annotator by hand."""
    project = permissions.project_for(request.user, slug, Role.MANAGER, "assign articles")
    article_pk = parse_id(request.POST.get("article"))
    annotator_pk = parse_id(request.POST.get("annotator"))
    article = (
        Article.objects.in_project(project).filter(pk=article_pk).first() if article_pk else None
    )
    member = (
        Membership.objects.filter(project=project, user_id=annotator_pk)
        .select_related("user")
        .first()
        if annotator_pk
        else None
    )
    if article is None or member is None:
        messages.error(request, "Choose an article and an annotator of this project.")
    else:
        assignment_services.assignment_create(
            article=article, annotator=member.user, assigned_by=request.user
        )
        messages.success(request, f"“{article.title}” assigned to {member.user.get_username()}.")
    fragment = f"#article-{article.pk}" if article else ""
    return redirect(_back(project, request.POST.get("back", ""), fragment=fragment))


@require_POST
@login_required
def assignment_remove(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    assignment = (
        Assignment.objects.select_related("article__project", "annotator").filter(pk=pk).first()
    )
    if assignment is None or permissions.role_in(request.user, assignment.article.project) is None:
        raise Http404("No such assignment.")
    project = permissions.project_for(
        request.user, assignment.article.project.slug, Role.MANAGER, "assign articles"
    )
    try:
        assignment_services.assignment_delete(assignment=assignment, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"“{assignment.article.title}” taken back from {assignment.annotator.get_username()}.",
        )
    return redirect(_back(project, request.POST.get("back", "")))
