"""Pages of the corpus: the project list, a project, its articles and the reader."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from common.http import HtmxHttpRequest
from common.paging import CappedPaginator, rows_by_id
from corpus import permissions, search, selectors, services
from corpus.markdown import render_markdown
from corpus.models import Role
from corpus.sections import project_sections

ARTICLES_PER_PAGE = 25
SEARCH_COUNT_CAP = search.COUNT_CAP  # a search's matches counted at most (pages: the first)
WEB_SCHEMES = ("http://", "https://")


@require_GET
@login_required
def project_list(request: HtmxHttpRequest) -> HttpResponse:
    """The user's projects; archived ones only with ``?archived=1``."""
    show_archived = request.GET.get("archived") == "1"
    projects = selectors.projects_for_user(request.user).filter(archived=show_archived)
    return render(
        request,
        "corpus/project_list.html",
        {
            "projects": projects,
            "show_archived": show_archived,
            "can_create": permissions.can_create_project(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def project_create(request: HtmxHttpRequest) -> HttpResponse:
    """A new project; its creator becomes its manager (``CLAIMDESK_PROJECT_CREATORS``
    says who may)."""
    if not permissions.can_create_project(request.user):
        raise PermissionDenied("You may not create projects here: ask an administrator.")
    context: dict[str, Any] = {}
    if request.method == "POST":
        values = {
            "name": request.POST.get("name", ""),
            "description": request.POST.get("description", ""),
            "guidelines": request.POST.get("guidelines", ""),
        }
        try:
            project = services.project_start(
                creator=request.user,
                name=values["name"],
                description=values["description"],
                guidelines=values["guidelines"],
            )
        except ValidationError as error:
            context |= {"values": values, "errors": error.messages}
            return render(request, "corpus/project_create.html", context, status=400)
        messages.success(
            request, f"“{project.name}” is created and you manage it: shape its scheme in Settings."
        )
        return redirect("corpus:project-detail", slug=project.slug)
    return render(request, "corpus/project_create.html", context | {"values": {}})


@require_GET
@login_required
def project_detail(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project = permissions.project_for(request.user, slug)
    role = permissions.role_in(request.user, project)
    is_manager = role == Role.MANAGER
    return render(
        request,
        "corpus/project_detail.html",
        {
            "project": project,
            "role": role,
            "guidelines": render_markdown(project.guidelines),
            "article_count": permissions.visible_articles(request.user, project).count(),
            "members": selectors.members_of(project) if is_manager else None,
            "sections": project_sections(request.user, project),
        },
    )


@require_GET
@login_required
@vary_on_headers("HX-Request")
def article_list(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project = permissions.project_for(request.user, slug)
    role = permissions.role_in(request.user, project)
    filters = selectors.ArticleFilters.from_query(request.GET)
    articles = selectors.article_list(request.user, project, filters)
    # A search counts at most SEARCH_COUNT_CAP matches ("more than 1,000 articles match").
    paginator = (
        CappedPaginator(articles, ARTICLES_PER_PAGE, cap=SEARCH_COUNT_CAP)
        if filters.q
        else Paginator(articles, ARTICLES_PER_PAGE)
    )
    # The page's ids by the filters, its rows read by id (a search sorted every match's
    # whole row by title: 80 → 40 ms of PostgreSQL for "pipeline" at 20,001 articles).
    page = rows_by_id(
        paginator.get_page(request.GET.get("page")),
        selectors.article_list(request.user, project, selectors.ArticleFilters()),
    )
    context: dict[str, Any] = {
        "project": project,
        "role": role,
        "filters": filters,
        "page": page,
        "show_status": role == Role.ANNOTATOR,
    }
    # An htmx swap gets the partial; a history restore (cache miss) needs the whole page.
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "corpus/article_list.html#article-list", context)
    context |= {
        "outlets": selectors.outlets_of(permissions.visible_articles(request.user, project)),
        "statuses": selectors.assignment_statuses(),
    }
    return render(request, "corpus/article_list.html", context)


@require_GET
@login_required
def article_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    article = permissions.article_for(request.user, pk)
    return render(
        request,
        "corpus/article_detail.html",
        {
            "article": article,
            # Only web links become links: a stored "javascript:" URL must stay inert text.
            "article_url": article.url if article.url.lower().startswith(WEB_SCHEMES) else "",
            "project": article.project,
            "role": permissions.role_in(request.user, article.project),
        },
    )
