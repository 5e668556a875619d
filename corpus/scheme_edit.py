"""Editing a project's scheme (pure): the presets to start from, and the scheme editor's
operations, each taking a scheme and returning a changed copy (checked by
``validate_scheme``) or raising ``ValidationError`` with what is wrong.

Whether a change would make the project's claims invalid is not decided here (corpus
knows no claims): ``annotate.campaign.services.scheme_apply`` counts that, and carries
out a value's renaming on every claim.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from common import limits
from common.text import check_text
from corpus.scheme import (
    CHOICE_FIELDS,
    STRUCTURAL_FIELDS,
    VALUE_CODE_SIZE,
    default_scheme,
    validate_scheme,
)

FIELDS = (*CHOICE_FIELDS, *STRUCTURAL_FIELDS)


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    description: str

    def scheme(self) -> dict[str, Any]:
        return _PRESET_SCHEMES[self.name]()


def _only(visible: dict[str, bool]) -> dict[str, Any]:
    """The default scheme with only ``visible`` fields shown (name → required); the other
    fields hidden and optional, no default targets."""
    scheme = default_scheme()
    for name, spec in scheme["fields"].items():
        if name in visible:
            spec.update(hidden=False, required=visible[name])
        else:
            spec.update(hidden=True, required=False)
    scheme["default_targets"] = []
    return scheme


_PRESET_SCHEMES = {
    "claims": default_scheme,
    "span-source": lambda: _only({"source": True, "source_mention": False, "note": False}),
    "checkworthy": lambda: _only({"checkworthy": True, "note": False}),
}

PRESETS = (
    Preset(
        "claims",
        "Claims and stances (the default)",
        "Source, attribution, stance toward targets, Admiralty reliability and "
        "credibility, claim type.",
    ),
    Preset("span-source", "Span + source", "A claim's span and who makes it; nothing else."),
    Preset(
        "checkworthy",
        "Check-worthiness only",
        "A claim's span and whether it is worth fact-checking (yes / no).",
    ),
)


def preset(name: Any) -> Preset:
    for found in PRESETS:
        if found.name == name:
            return found
    names = ", ".join(p.name for p in PRESETS)
    raise ValidationError({"preset": f"Unknown preset {name!r}; the presets are {names}."})


# --- Operations ----------------------------------------------------------------------


def _copy(scheme: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(scheme)


def _field(scheme: dict[str, Any], name: Any) -> dict[str, Any]:
    if name not in FIELDS:
        raise ValidationError(
            {"field": f"Unknown field {name!r}; the fields are {', '.join(FIELDS)}."}
        )
    spec: dict[str, Any] = scheme["fields"][name]
    return spec


def _choice_field(scheme: dict[str, Any], name: Any) -> dict[str, Any]:
    spec = _field(scheme, name)
    if name not in CHOICE_FIELDS:
        raise ValidationError({"field": f"“{name}” has no values to choose from."})
    return spec


def _values(spec: dict[str, Any]) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = spec["values"]
    return values


def _index(spec: dict[str, Any], value: Any) -> int:
    for i, item in enumerate(_values(spec)):
        if item["value"] == value:
            return i
    raise ValidationError({"value": f"The field has no value {value!r}."})


def _code(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError({"value": "The value's code must be text."})
    value = check_text(value.strip(), field="value")
    if not value or len(value) > VALUE_CODE_SIZE:
        raise ValidationError(
            {"value": f"A value's code has 1–{VALUE_CODE_SIZE} characters (stored on claims)."}
        )
    return value


def _label(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError({field: "It must be text."})
    limit = limits.SCHEME_HELP if field == "help" else limits.SCHEME_LABEL
    return check_text(value.strip(), field=field, limit=limit)


def field_set(
    scheme: dict[str, Any],
    name: str,
    *,
    label: str | None = None,
    help: str | None = None,
    required: bool | None = None,
    hidden: bool | None = None,
) -> dict[str, Any]:
    """Change a field's label, help text, or whether it is required or hidden."""
    changed = _copy(scheme)
    spec = _field(changed, name)
    if label is not None:
        spec["label"] = _label(label, "label") or name
    if help is not None:
        spec["help"] = _label(help, "help")
    if required is not None:
        spec["required"] = bool(required)
    if hidden is not None:
        spec["hidden"] = bool(hidden)
    if spec.get("required") and spec.get("hidden"):
        raise ValidationError(
            {"hidden": f"“{spec.get('label', name)}” can't be required and hidden."}
        )
    return validate_scheme(changed)


def value_add(
    scheme: dict[str, Any], name: str, *, value: str, label: str = "", help: str = ""
) -> dict[str, Any]:
    """Add a value at the end of a choice field's list."""
    changed = _copy(scheme)
    spec = _choice_field(changed, name)
    code = _code(value)
    if any(item["value"] == code for item in _values(spec)):
        raise ValidationError({"value": f"“{spec.get('label', name)}” already has “{code}”."})
    item = {"value": code, "label": _label(label, "label") or code}
    if help:
        item["help"] = _label(help, "help")
    _values(spec).append(item)
    return validate_scheme(changed)


def value_set(
    scheme: dict[str, Any],
    name: str,
    *,
    value: str,
    label: str | None = None,
    help: str | None = None,
) -> dict[str, Any]:
    """Change the label or help text of a value (its code, stored on claims, stays)."""
    changed = _copy(scheme)
    spec = _choice_field(changed, name)
    item = _values(spec)[_index(spec, value)]
    if label is not None:
        item["label"] = _label(label, "label") or item["value"]
    if help is not None:
        item["help"] = _label(help, "help")
    return validate_scheme(changed)


def value_move(scheme: dict[str, Any], name: str, *, value: str, by: int) -> dict[str, Any]:
    """Move a value ``by`` places in its list (−1: up one), stopping at either end."""
    changed = _copy(scheme)
    spec = _choice_field(changed, name)
    values = _values(spec)
    at = _index(spec, value)
    to = max(0, min(len(values) - 1, at + by))
    values.insert(to, values.pop(at))
    return validate_scheme(changed)


def value_remove(scheme: dict[str, Any], name: str, *, value: str) -> dict[str, Any]:
    """Retire a value: it leaves the list (refused by ``scheme_apply`` while claims use
    it; rename it into another code first, or keep it)."""
    changed = _copy(scheme)
    spec = _choice_field(changed, name)
    values = _values(spec)
    if len(values) == 1:
        raise ValidationError(
            {"value": "A field keeps at least one value: hide the field instead."}
        )
    del values[_index(spec, value)]
    if "missing" in spec:
        spec["missing"] = [m for m in spec["missing"] if m != value]
    return validate_scheme(changed)


def value_rename(scheme: dict[str, Any], name: str, *, value: str, new: str) -> dict[str, Any]:
    """Change a value's code (``scheme_apply`` then renames it on every claim, with
    history): the rename to pass along is ``{name: {value: new}}``."""
    changed = _copy(scheme)
    spec = _choice_field(changed, name)
    code = _code(new)
    item = _values(spec)[_index(spec, value)]
    if code == value:
        return validate_scheme(changed)
    if any(other["value"] == code for other in _values(spec)):
        raise ValidationError(
            {"new": f"“{spec.get('label', name)}” already has “{code}”: pick another code."}
        )
    if item.get("label") == value:
        item["label"] = code
    item["value"] = code
    if "missing" in spec:
        spec["missing"] = [code if m == value else m for m in spec["missing"]]
    return validate_scheme(changed)


def renames_checked(
    before: dict[str, Any], after: dict[str, Any], renames: Any
) -> dict[str, dict[str, str]]:
    """The value renames ``{field: {old: new}}`` from ``before`` to ``after``: each old code
    a value of ``before`` and not of ``after``, each new one a value of ``after`` and not of
    ``before`` (no swaps, no merges); else a ValidationError."""
    if renames in (None, {}):
        return {}
    if not isinstance(renames, dict):
        raise ValidationError({"renames": "Renames are an object: {field: {old: new}}."})
    checked: dict[str, dict[str, str]] = {}
    errors: list[str] = []
    for name, pairs in renames.items():
        if name not in CHOICE_FIELDS:
            errors.append(f"{name!r} is no choice field; they are {', '.join(CHOICE_FIELDS)}.")
            continue
        if not isinstance(pairs, dict):
            errors.append(f"The renames of “{name}” are an object: {{old: new}}.")
            continue
        old_codes = {v["value"] for v in before["fields"][name]["values"]}
        new_codes = {v["value"] for v in after["fields"][name]["values"]}
        targets: set[str] = set()
        for old, new in pairs.items():
            if old not in old_codes or old in new_codes:
                errors.append(
                    f"“{name}”: “{old}” must be a value of the scheme that the new one lacks."
                )
            elif not isinstance(new, str) or new not in new_codes or new in old_codes:
                errors.append(
                    f"“{name}”: “{old}” must be renamed to a new value of the new scheme "
                    "(not one the scheme has already)."
                )
            elif new in targets:
                errors.append(f"“{name}”: two values are renamed to “{new}”.")
            else:
                targets.add(new)
                checked.setdefault(name, {})[old] = new
    if errors:
        raise ValidationError({"renames": errors})
    return checked
