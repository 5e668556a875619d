"""The key under which figures are cached: what a project's figures depend on, read in one
query. The analysis pages (``annotate.analysis.filters``) and the assignment page's header
(``annotate.assignments.selectors``) keep their figures under it: a read, below both.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Subquery

from annotate.models import ProjectVersion
from corpus.models import Article, Project

FIGURES_SECONDS = 600  # (the key changes with the data; this bounds what the key can't see)


def figures_version(project: Project) -> tuple[Any, ...]:
    """What the analysis figures depend on, in one query whatever the project's size: the
    counter the database bumps on every write to the project's claims, stances,
    assignments, decisions and sources (``annotate.db_versions``), and its articles'
    number and latest edit (an import, a deletion, an outlet or date changed: index
    ``article_project_updated``)."""
    articles = Article.objects.filter(project=OuterRef("pk")).order_by().values("project")
    version = ProjectVersion.objects.filter(project_id=OuterRef("pk")).values("value")[:1]
    # The latest edit as the first row of the index backwards (``updated`` is never null):
    # MAX() grouped by project read all the project's index entries (7 of this query's 25
    # ms at 20,001 articles on PostgreSQL).
    latest = Article.objects.filter(project=OuterRef("pk")).order_by("-updated")
    return tuple(
        Project.objects.filter(pk=project.pk)
        .annotate(
            _v=Subquery(version),
            # COUNT(*), not of the ids: the ids are in no index of the project's, so
            # PostgreSQL read every article's row (18.7 ms at 20,001 articles); the
            # rows alone are counted by an index-only scan (1.9 ms, vacuumed).
            _n=Subquery(articles.annotate(n=Count("*")).values("n")),
            _edited=Subquery(latest.values("updated")[:1]),
        )
        .values_list("_v", "_n", "_edited")
        .get()
    )
