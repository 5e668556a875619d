"""Suggested claims: the interface (``base``), the rule-based suggester (``rules``) and
its evaluation (``evaluate``). Pure modules: text and registry entries in, proposals out."""

from __future__ import annotations

from annotate.suggest.base import Proposal, RegistryEntry, Suggester
from annotate.suggest.rules import RuleSuggester


def default_suggester() -> Suggester:
    """The suggester the app uses; swap this for a better one."""
    return RuleSuggester()


__all__ = ["Proposal", "RegistryEntry", "RuleSuggester", "Suggester", "default_suggester"]
