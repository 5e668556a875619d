"""Where an export came from: the tool's version, the scheme's hash and the manifest that
every format carries (a line's ``provenance``, a file's header or metadata, brat's
``manifest.json``), and how dates go into JSON.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from functools import cache
from typing import Any

from django.conf import settings
from django.utils import timezone

from annotate.exchange.options import ExportOptions
from corpus.models import Project


@cache
def tool_version() -> str:
    """Claimdesk's version, from pyproject.toml (the project is not an installed package)."""
    try:
        with open(settings.BASE_DIR / "pyproject.toml", "rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):  # pragma: no cover - a broken tree
        return "unknown"


def scheme_digest(scheme: dict[str, Any]) -> str:
    """A hash of the scheme as stored, so that an edited scheme is told apart even when
    its version number stayed the same."""
    canonical = json.dumps(scheme, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def manifest(
    project: Project, options: ExportOptions, fmt: str, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Where an export came from: the tool, the project and its scheme, the time and the
    options. Article hashes are on every row/line (``article_sha256``/``sha256``);
    brat's manifest adds the full list."""
    return {
        "tool": "claimdesk",
        "tool_version": tool_version(),
        "format": fmt,
        "exported_at": (now or timezone.now()).isoformat(),
        "project": {"slug": project.slug, "name": project.name},
        "scheme_version": project.scheme.get("version"),
        "scheme_sha256": scheme_digest(project.scheme),
        "filters": options.as_dict(),
        "order": "article title, article id, start, end, claim id",
    }


def json_default(value: Any) -> Any:
    """Dates and times as ISO 8601 in JSON output."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
