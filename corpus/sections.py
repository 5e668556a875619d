"""Cards other apps add to a project's home page.

``corpus`` never imports ``annotate``, but some of the project's sections depend on what
only ``annotate`` knows (whether this annotator may cluster claims, for one). Each dotted
path in ``settings.CLAIMDESK_PROJECT_SECTIONS`` names a callable ``(user, project)``
returning the ``Section``s that user gets on the project's page, after the fixed cards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Section:
    """A card on the project's page: its title, one line on what it holds, its URL."""

    title: str
    meta: str
    url: str


def project_sections(user: Any, project: Any) -> list[Section]:
    """The cards the configured apps give this user on this project's page."""
    found: list[Section] = []
    for path in getattr(settings, "CLAIMDESK_PROJECT_SECTIONS", ()):
        found.extend(import_string(path)(user, project))
    return found
