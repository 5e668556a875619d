"""Reading exports back in tests."""

from __future__ import annotations

from typing import Any

from annotate.exchange import formats
from annotate.exchange.options import ExportOptions
from corpus.models import Article, Project


def export_bytes(fmt: str, project: Project, **options: Any) -> bytes:
    return b"".join(formats.stream(fmt, project, ExportOptions(**options)))


def texts(project: Project) -> dict[str, str]:
    """Article texts by SHA-256."""
    return dict(Article.objects.filter(project=project).values_list("sha256", "text"))
