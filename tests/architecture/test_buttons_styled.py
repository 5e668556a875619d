"""Every button in the templates has a class: a bare ``<button>`` is drawn by the browser's
own style (grey, small, a different font), as the cluster, recommender, suggestion and
source pages' buttons were until a screenshot showed it."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
BUTTON = re.compile(r"<button\b[^>]*>", re.S)


def test_no_template_has_a_bare_button() -> None:
    bare = [
        f"{path.relative_to(TEMPLATES)}: {tag}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for tag in BUTTON.findall(path.read_text(encoding="utf-8"))
        if not re.search(r"\bclass=", tag)
    ]
    assert bare == []
