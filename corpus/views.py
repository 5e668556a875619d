"""Pages of the corpus: the project list, a project, its articles and the reader."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from common.http import HtmxHttpRequest
from corpus import permissions, selectors
from corpus.markdown import render_markdown
from corpus.models import Role

ARTICLES_PER_PAGE = 25
WEB_SCHEMES = ("http://", "https://")


@require_GET
@login_required
def project_list(request: HtmxHttpRequest) -> HttpResponse:
    projects = selectors.projects_for_user(request.user)
    return render(
        request,
        "corpus/project_list.html",
        {"projects": projects, "switcher": projects},
    )


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
            "switcher": selectors.project_switcher(request.user),
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
    page = Paginator(articles, ARTICLES_PER_PAGE).get_page(request.GET.get("page"))
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
        "switcher": selectors.project_switcher(request.user),
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
            "switcher": selectors.project_switcher(request.user),
        },
    )
