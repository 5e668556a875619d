"""htmx answers: several partials of a page in one response, and the page's toast.

A page's partials are ``{% partialdef %}`` blocks of its template, rendered by name
(``"annotate/workspace.html#progress"``). An htmx request swaps the response into its
target; further partials in the same response swap themselves elsewhere ``hx-swap-oob``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django_htmx.http import trigger_client_event

# The event the pages' scripts show as a toast (static/claimdesk/workspace.js, review.js).
TOAST = "claimdesk:toast"


def fragments(
    request: HttpRequest,
    template: str,
    parts: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    status: int = 200,
) -> HttpResponse:
    """One response of several partials of ``template``, each ``(name, context)``: the
    first is the swap target's content, the later ones swap out of band (their context
    says how: ``oob`` and the like, which the partials turn into ``hx-swap-oob``)."""
    html = "".join(
        render_to_string(f"{template}#{name}", context, request=request) for name, context in parts
    )
    return HttpResponse(html, status=status)


def toast(response: HttpResponse, message: str, *, undo: str = "") -> HttpResponse:
    """``response`` with the page's toast saying ``message`` (``HX-Trigger``; other events
    the response triggers stay); ``undo`` is the URL its Undo button posts to, if any."""
    trigger_client_event(response, TOAST, {"message": message, "undo": undo})
    return response
