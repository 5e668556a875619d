"""The annotation scheme (pure): its default, and validation of a project's version.

A project's scheme is JSON stored on ``Project.scheme``. A manager may rename labels, add
or remove values, and mark fields required, optional or hidden. Stance targets are rows
(``annotate.Target``) so that claims can point at them; ``default_targets`` seeds them.
See ``ANNOTATION_SCHEME.md`` in the shared folder for the meaning of every field.
"""

from __future__ import annotations

import copy
from typing import Any, TypedDict

from django.core.exceptions import ValidationError

SCHEME_VERSION = 1


class SchemeValue(TypedDict, total=False):
    value: str
    label: str
    help: str


class SchemeField(TypedDict, total=False):
    label: str
    required: bool
    hidden: bool
    values: list[SchemeValue]
    ordinal: bool
    missing: list[str]


# A claim's labels: its attributes that take one value from the scheme field of the same
# name. The one list of them (annotate's checks, forms, exports and suggesters read it).
LABEL_FIELDS = (
    "attribution",
    "source_reliability",
    "information_credibility",
    "claim_type",
    "checkworthy",
)
# Fields whose values are chosen from a list: the labels and a stance's value (in the
# scheme's order); the others (source, source_mention, stances, note) are structural and
# can only be made optional or hidden.
CHOICE_FIELDS = (LABEL_FIELDS[0], "stance", *LABEL_FIELDS[1:])
STRUCTURAL_FIELDS = ("source", "source_mention", "stances", "note")

_DEFAULT: dict[str, Any] = {
    "version": SCHEME_VERSION,
    "fields": {
        "source": {"label": "Source", "required": True, "hidden": False},
        "attribution": {
            "label": "Attribution",
            "required": True,
            "hidden": False,
            "values": [
                {"value": "author", "label": "Author", "help": "The writer's own voice."},
                {"value": "direct", "label": "Direct quote", "help": "Quotation of the source."},
                {
                    "value": "reported",
                    "label": "Reported",
                    "help": "Indirect speech or paraphrase.",
                },
                {
                    "value": "unnamed",
                    "label": "Unnamed",
                    "help": "A vague or anonymous source (“experts”, “officials”).",
                },
            ],
        },
        "source_mention": {"label": "Source mention", "required": False, "hidden": False},
        "stances": {"label": "Stance", "required": True, "hidden": False},
        "stance": {
            "label": "Stance",
            "required": True,
            "hidden": False,
            "values": [
                {"value": "favor", "label": "Favor", "help": "The source supports the target."},
                {"value": "against", "label": "Against", "help": "The source opposes it."},
                {"value": "none", "label": "None", "help": "Neither, or neutral."},
            ],
        },
        "source_reliability": {
            "label": "Source reliability",
            "required": True,
            "hidden": False,
            "ordinal": True,
            "missing": ["F"],
            "values": [
                {"value": "A", "label": "A", "help": "Completely reliable"},
                {"value": "B", "label": "B", "help": "Usually reliable"},
                {"value": "C", "label": "C", "help": "Fairly reliable"},
                {"value": "D", "label": "D", "help": "Not usually reliable"},
                {"value": "E", "label": "E", "help": "Unreliable"},
                {"value": "F", "label": "F", "help": "Reliability cannot be judged"},
            ],
        },
        "information_credibility": {
            "label": "Information credibility",
            "required": True,
            "hidden": False,
            "ordinal": True,
            "missing": ["6"],
            "values": [
                {"value": "1", "label": "1", "help": "Confirmed by other sources"},
                {"value": "2", "label": "2", "help": "Probably true"},
                {"value": "3", "label": "3", "help": "Possibly true"},
                {"value": "4", "label": "4", "help": "Doubtful"},
                {"value": "5", "label": "5", "help": "Improbable"},
                {"value": "6", "label": "6", "help": "Truth cannot be judged"},
            ],
        },
        "claim_type": {
            "label": "Claim type",
            "required": True,
            "hidden": False,
            "values": [
                {"value": "factual", "label": "Factual", "help": "A checkable statement of fact."},
                {
                    "value": "evaluative",
                    "label": "Evaluative",
                    "help": "A judgement or interpretation.",
                },
                {"value": "predictive", "label": "Predictive", "help": "A forecast."},
                {"value": "prescriptive", "label": "Prescriptive", "help": "A call for action."},
            ],
        },
        "checkworthy": {
            "label": "Check-worthy",
            "required": False,
            "hidden": True,
            "values": [
                {"value": "yes", "label": "Yes", "help": "Worth fact-checking."},
                {"value": "no", "label": "No", "help": "Not worth fact-checking."},
            ],
        },
        "note": {"label": "Note", "required": False, "hidden": False},
    },
    "default_targets": [
        "Turkey's influence in Central Asia",
        "Russia's influence in Central Asia",
        "China's influence in Central Asia",
        "the Organization of Turkic States",
        "the CSTO",
    ],
}


def default_scheme() -> dict[str, Any]:
    """A fresh copy of the default scheme (a callable, for ``JSONField(default=...)``)."""
    return copy.deepcopy(_DEFAULT)


def field_values(scheme: dict[str, Any], field: str) -> list[str]:
    """The allowed values of a choice field, in order."""
    return [v["value"] for v in scheme["fields"][field].get("values", [])]


def validate_scheme(scheme: Any) -> dict[str, Any]:
    """Check a project's scheme; return it or raise ``ValidationError`` saying what is wrong."""
    if not isinstance(scheme, dict):
        raise ValidationError("The scheme must be a JSON object.")
    fields = scheme.get("fields")
    if not isinstance(fields, dict):
        raise ValidationError("The scheme needs a “fields” object.")
    errors: list[str] = []
    for name in (*CHOICE_FIELDS, *STRUCTURAL_FIELDS):
        spec = fields.get(name)
        if not isinstance(spec, dict):
            errors.append(f"The scheme lacks the field “{name}”.")
            continue
        for flag in ("required", "hidden"):
            if flag in spec and not isinstance(spec[flag], bool):
                errors.append(f"“{name}.{flag}” must be true or false.")
        if spec.get("required") and spec.get("hidden"):
            errors.append(f"“{name}” cannot be both required and hidden.")
        if name in CHOICE_FIELDS:
            values = spec.get("values")
            if not isinstance(values, list) or not values:
                errors.append(f"“{name}” needs at least one value.")
                continue
            seen: set[str] = set()
            for item in values:
                value = item.get("value") if isinstance(item, dict) else None
                if not isinstance(value, str) or not value.strip() or len(value) > 32:
                    errors.append(f"Every value of “{name}” needs a code of 1–32 characters.")
                elif value in seen:
                    errors.append(f"“{name}” lists the value “{value}” twice.")
                else:
                    seen.add(value)
    if errors:
        raise ValidationError(errors)
    return scheme
