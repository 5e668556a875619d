"""Validation of a claim's labels against its project's annotation scheme (pure).

The scheme itself (defaults, shape) lives in ``corpus.scheme`` because it belongs to the
project; this module answers "are these values allowed here?" for claims.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from corpus.scheme import LABEL_FIELDS, field_values

__all__ = ["LABEL_FIELDS", "Labels", "Rules", "labels_problems", "rules_of", "validate_labels"]


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


@dataclass(frozen=True)
class Rules:
    """What ``validate_labels`` reads of a scheme, read once (a bulk write checks 20,000
    claims against the same scheme): per label field, its name, shown name, whether it is
    hidden or required and its values (in order, and as a set)."""

    fields: tuple[tuple[str, str, bool, bool, list[str], frozenset[str]], ...]
    source_required: bool
    stances_required: bool
    stance_values: list[str]
    stance_set: frozenset[str]


def rules_of(scheme: dict[str, Any]) -> Rules:
    fields = []
    for name in LABEL_FIELDS:
        spec = field_spec(scheme, name)
        allowed = field_values(scheme, name) if spec else []
        fields.append(
            (
                name,
                str(spec.get("label", name)),
                bool(spec.get("hidden")),
                is_required(scheme, name),
                allowed,
                frozenset(allowed),
            )
        )
    stance_values = field_values(scheme, "stance")
    return Rules(
        fields=tuple(fields),
        source_required=is_required(scheme, "source"),
        stances_required=is_required(scheme, "stances"),
        stance_values=stance_values,
        stance_set=frozenset(stance_values),
    )


def _among(value: Any, values: list[str], as_set: frozenset[str]) -> bool:
    return value in as_set if type(value) is str else value in values


def labels_problems(
    rules: Rules,
    values: dict[str, str],
    *,
    has_source: bool,
    stances: list[tuple[Any, str]],
) -> dict[str, list[str]]:
    """``validate_labels``'s problems by field ({} when none), from the scheme's ``Rules``
    and the label ``values`` by field name."""
    errors: dict[str, list[str]] = {}
    for name, shown, hidden, required, allowed, allowed_set in rules.fields:
        value = values.get(name, "")
        if value:
            if hidden:
                errors.setdefault(name, []).append(f"“{name}” is not used in this project.")
            elif not _among(value, allowed, allowed_set):
                errors.setdefault(name, []).append(
                    f"“{value}” is not a value of {shown}; use one of: {', '.join(allowed)}."
                )
        elif required:
            errors.setdefault(name, []).append(f"{shown} is required.")
    if rules.source_required and not has_source:
        errors.setdefault("source", []).append("Choose the source that makes the claim.")
    seen: set[Any] = set()
    for target, stance in stances:
        if not _among(stance, rules.stance_values, rules.stance_set):
            errors.setdefault("stances", []).append(
                f"“{stance}” is not a stance; use one of: {', '.join(rules.stance_values)}."
            )
        if target in seen:
            errors.setdefault("stances", []).append(f"The target “{target}” is listed twice.")
        seen.add(target)
    if rules.stances_required and not stances:
        errors.setdefault("stances", []).append("Give the stance toward at least one target.")
    return errors


def validate_labels(scheme: dict[str, Any], labels: Labels) -> None:
    """Raise ``ValidationError`` (a dict of field → messages) if a label is not allowed by
    the scheme or a required one is missing."""
    errors = labels_problems(
        rules_of(scheme),
        {name: getattr(labels, name) for name in LABEL_FIELDS},
        has_source=labels.has_source,
        stances=labels.stances,
    )
    if errors:
        raise ValidationError(errors)
