"""``corpus`` never uses ``annotate``: not in Python (import-linter holds that in
``make lint``) and not in templates either, which import-linter cannot see. A corpus
template, or one every page extends, loads only template tags from outside ``annotate``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import engines

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
LOAD = re.compile(r"{%\s*load\s+([^%]+?)\s*%}")


def _below_annotate() -> list[Path]:
    """The templates ``corpus`` renders: its own and the shared ones (base, includes, …)."""
    return [
        path
        for path in TEMPLATES.rglob("*.html")
        if path.relative_to(TEMPLATES).parts[0] not in ("annotate", "drf_spectacular")
    ]


def test_the_templates_outside_annotate_exist() -> None:
    names = {str(p.relative_to(TEMPLATES)) for p in _below_annotate()}
    assert {"base.html", "corpus/article_detail.html"} <= names


@pytest.mark.parametrize("path", _below_annotate(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_a_template_outside_annotate_loads_no_annotate_tags(path: Path) -> None:
    modules = engines["django"].engine.libraries  # type: ignore[attr-defined]  # name → module
    for match in LOAD.finditer(path.read_text(encoding="utf-8")):
        for name in match.group(1).split():
            assert not modules[name].startswith("annotate."), f"loads {name} ({modules[name]})"
