"""The layers of ``annotate`` (pyproject.toml, contract ``annotate-layers``) name modules one by
one, because a feature package spans them (its views on top, its services in the middle). So
import-linter cannot tell when a new module is in no layer: this test does. And the top of
``annotate`` holds only what belongs to the whole app, never a loose view, API or serializer.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "annotate"
# Django loads these; nothing imports them, so no layer needs to hold them.
OUTSIDE = ("annotate.apps", "annotate.migrations")
# Packages whose __init__ re-exports from modules of one layer (checked below).
REEXPORTS = {"annotate.suggest": "annotate.suggest.base : annotate.suggest.rules"}
# What the top of annotate may hold: the app's own modules (models, admin, urls, permissions,
# the audit trail, the scheme and the schema helpers), and the feature packages.
TOP_LEVEL = {
    "__init__.py",
    "admin.py",
    "apps.py",
    "db_bulk.py",
    "db_guards.py",
    "db_network_counts.py",
    "db_overview_counts.py",
    "db_triggers.py",
    "db_versions.py",
    "db_indexes.py",
    "history.py",
    "models.py",
    "permissions.py",
    "scheme.py",
    "urls.py",
}


def _layered() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["id"] == "annotate-layers"]
    names: set[str] = set()
    for layer in layers:
        for part in layer.replace("\\\n", " ").replace("|", ":").split(":"):
            names.add(part.strip())
    return names


def _has_code(path: Path) -> bool:
    """Whether a package's ``__init__.py`` holds more than a docstring."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return any(not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)) for n in body)


def _modules() -> list[str]:
    found = []
    for path in APP.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            if not _has_code(path):
                continue
            parts = parts[:-1]
        found.append(".".join(parts))
    return sorted(found)


def _covered(module: str, layered: set[str]) -> bool:
    parts = module.split(".")
    return any(".".join(parts[:i]) in layered for i in range(1, len(parts) + 1))


def test_every_module_of_annotate_is_in_a_layer() -> None:
    layered = _layered()
    loose = [
        m
        for m in _modules()
        if not m.startswith(OUTSIDE)
        and m not in {"annotate", *REEXPORTS}
        and not _covered(m, layered)
    ]
    assert not loose, f"add these to a layer of annotate-layers in pyproject.toml: {loose}"


def test_the_layers_name_only_modules_that_exist() -> None:
    # A layer naming a module that was moved away would check nothing.
    missing = [
        name
        for name in _layered()
        if not (ROOT / (name.replace(".", "/") + ".py")).exists()
        and not (ROOT / name.replace(".", "/")).is_dir()
    ]
    assert not missing, missing


def test_the_top_of_annotate_holds_no_loose_views_api_or_serializers() -> None:
    files = {p.name for p in APP.glob("*.py")}
    assert files <= TOP_LEVEL, sorted(files - TOP_LEVEL)


def test_a_reexporting_package_imports_only_what_it_says() -> None:
    # Listing such a package whole in a layer would put its views there too; instead its
    # __init__ may import only the modules named here (all of one layer).
    for package, allowed in REEXPORTS.items():
        init = ROOT / package.replace(".", "/") / "__init__.py"
        tree = ast.parse(init.read_text(encoding="utf-8"))
        imported = {
            n.module
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("annotate")
        }
        assert imported <= {a.strip() for a in allowed.split(":")}, (package, imported)
