"""The suggesters a project can choose (``Project.suggestion_backend``): name → class.

Every class implements ``Suggester``; one that needs the project's scheme or targets has
a ``for_context(ProjectContext)`` constructor, the others are built without arguments.
A class with ``background = True`` (the language model) runs only as a background task
(``annotate.suggest.tasks.start_suggestions``), never inside a request; the others may run at once
(the after-import hook runs the rules inline). The names are ``corpus.models.
SuggestionBackend``'s: a test checks the two lists agree.
"""

from __future__ import annotations

from typing import Any

from annotate.suggest.base import ProjectContext, Suggester
from annotate.suggest.llm import LLMSuggester
from annotate.suggest.rules import RuleSuggester

DEFAULT = "rules"
BACKENDS: dict[str, type[Any]] = {
    "rules": RuleSuggester,
    "llm": LLMSuggester,
}


def build(name: str, context: ProjectContext | None = None) -> Suggester:
    """A suggester of the backend ``name`` (``KeyError`` for an unknown one; the
    backend's own error, e.g. ``LLMNotConfigured``, when it cannot run here)."""
    cls = BACKENDS[name]
    factory = getattr(cls, "for_context", None)
    suggester: Suggester = factory(context or ProjectContext()) if factory else cls()
    return suggester


def runs_in_background(name: str) -> bool:
    return bool(getattr(BACKENDS.get(name), "background", False))
