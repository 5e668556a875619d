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

from common import limits
from common.limits import Limit
from common.text import text_problem

SCHEME_VERSION = 1


class SchemeValue(TypedDict, total=False):
    value: str
    label: str
    help: str


class SchemeField(TypedDict, total=False):
    label: str
    help: str
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


# What a scheme may hold: a misspelt key ("requird") would otherwise be a silent no-op.
SCHEME_KEYS = frozenset({"version", "fields", "default_targets", "agreement"})
FIELD_KEYS = frozenset({"label", "help", "required", "hidden", "values", "ordinal", "missing"})
VALUE_KEYS = frozenset({"value", "label", "help"})
VALUE_CODE_SIZE = 32


def _text_problem(value: Any, what: str, limit: Limit) -> str | None:
    if not isinstance(value, str):
        return f"{what} must be text."
    problem = text_problem(value)
    if problem is not None:
        return f"{what}: {problem}"
    if len(value) > limit.size:
        return f"{what}: {limit.message(len(value))}"
    return None


def _value_problems(name: str, values: Any) -> list[str]:
    if not isinstance(values, list) or not values:
        return [f"“{name}” needs at least one value."]
    if len(values) > limits.SCHEME_VALUES.size:
        return [f"“{name}”: {limits.SCHEME_VALUES.message(len(values))}"]
    errors: list[str] = []
    seen: set[str] = set()
    for item in values:
        if not isinstance(item, dict):
            errors.append(f"Every value of “{name}” must be an object with a “value”.")
            continue
        unknown = sorted(str(k) for k in item if k not in VALUE_KEYS)
        if unknown:
            errors.append(f"A value of “{name}” has unknown keys: {', '.join(unknown)}.")
        value = item.get("value")
        if (
            not isinstance(value, str)
            or not value.strip()
            or value != value.strip()
            or len(value) > VALUE_CODE_SIZE
            or text_problem(value) is not None
        ):
            errors.append(
                f"Every value of “{name}” needs a code of 1–{VALUE_CODE_SIZE} visible "
                "characters, without spaces around it."
            )
            continue
        if value in seen:
            errors.append(f"“{name}” lists the value “{value}” twice.")
        seen.add(value)
        for key, limit in (("label", limits.SCHEME_LABEL), ("help", limits.SCHEME_HELP)):
            if key in item:
                problem = _text_problem(item[key], f"“{name}={value}” {key}", limit)
                if problem:
                    errors.append(problem)
    return errors


def _field_problems(name: str, spec: Any) -> list[str]:
    if not isinstance(spec, dict):
        return [f"The scheme lacks the field “{name}”."]
    errors: list[str] = []
    unknown = sorted(str(k) for k in spec if k not in FIELD_KEYS)
    if unknown:
        errors.append(f"“{name}” has unknown keys: {', '.join(unknown)}.")
    for flag in ("required", "hidden", "ordinal"):
        if flag in spec and not isinstance(spec[flag], bool):
            errors.append(f"“{name}.{flag}” must be true or false.")
    if spec.get("required") is True and spec.get("hidden") is True:
        errors.append(f"“{name}” cannot be both required and hidden.")
    for key, limit in (("label", limits.SCHEME_LABEL), ("help", limits.SCHEME_HELP)):
        if key in spec:
            problem = _text_problem(spec[key], f"“{name}.{key}”", limit)
            if problem:
                errors.append(problem)
    if name in CHOICE_FIELDS:
        value_errors = _value_problems(name, spec.get("values"))
        errors.extend(value_errors)
        missing = spec.get("missing", [])
        if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
            errors.append(f"“{name}.missing” must be a list of values.")
        elif not value_errors:
            codes = {v["value"] for v in spec["values"]}
            stray = [m for m in missing if m not in codes]
            if stray:
                errors.append(f"“{name}.missing” names values it lacks: {', '.join(stray)}.")
    else:
        for key in ("values", "ordinal", "missing"):
            if key in spec:
                errors.append(f"“{name}” takes no “{key}”: only choice fields have values.")
    return errors


def _targets_problems(targets: Any) -> list[str]:
    if not isinstance(targets, list):
        return ["“default_targets” must be a list of names."]
    errors: list[str] = []
    for target in targets:
        problem = _text_problem(target, "A default target", limits.TARGET_NAME)
        if problem is None and not target.strip():
            problem = "A default target needs a name."
        if problem:
            errors.append(problem)
    return errors


def validate_scheme(scheme: Any) -> dict[str, Any]:
    """Check a project's scheme; return it or raise ``ValidationError`` saying what is
    wrong: every field present (and no other), choice fields with 1–100 distinct value
    codes, labels and help texts as one-line text within ``common.limits``, the flags as
    booleans, no field both required and hidden."""
    if not isinstance(scheme, dict):
        raise ValidationError("The scheme must be a JSON object.")
    fields = scheme.get("fields")
    if not isinstance(fields, dict):
        raise ValidationError("The scheme needs a “fields” object.")
    errors: list[str] = []
    unknown = sorted(str(k) for k in scheme if k not in SCHEME_KEYS)
    if unknown:
        errors.append(
            f"The scheme has unknown keys: {', '.join(unknown)}; it takes "
            f"{', '.join(sorted(SCHEME_KEYS))}."
        )
    if "version" in scheme and (
        isinstance(scheme["version"], bool) or not isinstance(scheme["version"], int)
    ):
        errors.append("“version” must be a whole number.")
    if "agreement" in scheme and not isinstance(scheme["agreement"], dict):
        errors.append("“agreement” must be an object.")
    stray = sorted(str(k) for k in fields if k not in (*CHOICE_FIELDS, *STRUCTURAL_FIELDS))
    if stray:
        errors.append(
            f"The scheme has unknown fields: {', '.join(stray)}; the fields are "
            f"{', '.join((*CHOICE_FIELDS, *STRUCTURAL_FIELDS))}."
        )
    for name in (*CHOICE_FIELDS, *STRUCTURAL_FIELDS):
        errors.extend(_field_problems(name, fields.get(name)))
    errors.extend(_targets_problems(scheme.get("default_targets", [])))
    if errors:
        raise ValidationError(errors)
    return scheme
