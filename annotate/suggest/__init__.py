"""Suggested claims: the interface (``base``), the rule-based suggester (``rules``), the
language-model one (``llm``), the registry of both (``backends``) and their evaluation
(``evaluate``). Pure modules: text and registry entries in, proposals out (``llm`` calls
an HTTP endpoint)."""

from __future__ import annotations

from annotate.suggest.base import (
    ProjectContext,
    Proposal,
    RegistryEntry,
    Suggester,
    TargetEntry,
)
from annotate.suggest.rules import RuleSuggester


def default_suggester() -> Suggester:
    """The suggester of a project that chose none (``backends.DEFAULT``)."""
    return RuleSuggester()


__all__ = [
    "ProjectContext",
    "Proposal",
    "RegistryEntry",
    "RuleSuggester",
    "Suggester",
    "TargetEntry",
    "default_suggester",
]
