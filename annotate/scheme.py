"""Validation of a claim's labels against its project's annotation scheme (pure).

The scheme itself (defaults, shape) lives in ``corpus.scheme`` because it belongs to the
project; this module answers "are these values allowed here?" for claims.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from corpus.scheme import LABEL_FIELDS, field_values

__all__ = ["LABEL_FIELDS", "Labels", "validate_labels"]


@dataclass
class Labels:
    """A claim's labels, before they are checked against the scheme."""

    attribution: str = ""
    source_reliability: str = ""
    information_credibility: str = ""
    claim_type: str = ""
    checkworthy: str = ""
    has_source: bool = False
    stances: list[tuple[Any, str]] = field(default_factory=list)  # (target, stance)


def field_spec(scheme: dict[str, Any], name: str) -> dict[str, Any]:
    spec: dict[str, Any] = scheme["fields"].get(name, {})
    return spec


def is_required(scheme: dict[str, Any], name: str) -> bool:
    spec = field_spec(scheme, name)
    return bool(spec.get("required")) and not spec.get("hidden")


def value_label(scheme: dict[str, Any], name: str, value: str) -> str:
    """The display label of a value (``"B — Usually reliable"`` style help is separate)."""
    for item in field_spec(scheme, name).get("values", []):
        if item["value"] == value:
            return str(item.get("label", value))
    return value


def validate_labels(scheme: dict[str, Any], labels: Labels) -> None:
    """Raise ``ValidationError`` (a dict of field → messages) if a label is not allowed by
    the scheme or a required one is missing."""
    errors: dict[str, list[str]] = {}
    for name in LABEL_FIELDS:
        value = getattr(labels, name)
        spec = field_spec(scheme, name)
        allowed = field_values(scheme, name) if spec else []
        if value:
            if spec.get("hidden"):
                errors.setdefault(name, []).append(f"“{name}” is not used in this project.")
            elif value not in allowed:
                errors.setdefault(name, []).append(
                    f"“{value}” is not a value of {spec.get('label', name)}; "
                    f"use one of: {', '.join(allowed)}."
                )
        elif is_required(scheme, name):
            errors.setdefault(name, []).append(f"{spec.get('label', name)} is required.")
    if is_required(scheme, "source") and not labels.has_source:
        errors.setdefault("source", []).append("Choose the source that makes the claim.")
    stance_values = field_values(scheme, "stance")
    seen: set[Any] = set()
    for target, stance in labels.stances:
        if stance not in stance_values:
            errors.setdefault("stances", []).append(
                f"“{stance}” is not a stance; use one of: {', '.join(stance_values)}."
            )
        if target in seen:
            errors.setdefault("stances", []).append(f"The target “{target}” is listed twice.")
        seen.add(target)
    if is_required(scheme, "stances") and not labels.stances:
        errors.setdefault("stances", []).append("Give the stance toward at least one target.")
    if errors:
        raise ValidationError(errors)
