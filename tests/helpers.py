"""Helpers several test modules share (fixtures are in the conftest.py files)."""

from __future__ import annotations

from typing import Any

from django.db import connection

from annotate.models import Target
from annotate.sources.services import project_targets_ensure
from tests.factories import SourceAliasFactory, SourceFactory

# The header htmx sends: a view answers with the fragment alone.
HX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


def default_targets(project: Any) -> list[Target]:
    """The project's default stance targets (made if missing)."""
    return project_targets_ensure(project=project)


def isachenko(project: Any) -> Any:
    """The source Daria Isachenko, with the alias "Isachenko"."""
    source = SourceFactory(project=project, name="Daria Isachenko")
    SourceAliasFactory(source=source, alias="Isachenko")
    return source


def claim_form(article: Any, word: str, source: Any, target: Any, **extra: str) -> dict[str, Any]:
    """The workspace's new-claim form over the first occurrence of ``word``, as posted."""
    start = article.text.index(word)
    return {
        "start": start,
        "end": start + len(word),
        "quote": word,
        "source": source.pk,
        "attribution": "direct",
        f"stance-{target.pk}": "against",
        "source_reliability": "B",
        "information_credibility": "2",
        "claim_type": "evaluative",
        "note": "",
        **extra,
    }


def post_merge(client: Any, article: Any, left: Any, right: Any, takes: dict[str, Any]) -> Any:
    """The review page's merge of two claims of unit 0 (both at version 1), as htmx posts it:
    ``takes`` are the form's other fields (``{"take-attribution": right.pk}``, …)."""
    from django.urls import reverse

    return client.post(
        reverse("annotate:review-merge", args=[article.pk]),
        {
            "unit": 0,
            "claims": [left.pk, right.pk],
            f"version-{left.pk}": 1,
            f"version-{right.pk}": 1,
            **takes,
        },
        **HX,
    )


def installed_triggers() -> set[str]:
    """The names of the database's triggers (PostgreSQL's user triggers, SQLite's)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}
