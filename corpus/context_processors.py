"""Template context every page gets: the top bar's project switcher, from one place rather
than from each view (pages whose view forgot it had none)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from corpus.selectors import project_switcher


def switcher(request: HttpRequest) -> dict[str, Any]:
    """``switcher``: the signed-in user's active projects, a lazy queryset (no query unless
    the template shows the top bar). A view's own ``switcher`` still wins."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"switcher": project_switcher(user)}
