"""Every route of the URL conf, with its name and the HTTP methods its view answers.

Generated from ``get_resolver()``, so a new URL shows up here (and in the permission
matrix, which fails until it has a rule) without anyone listing it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

PROBED = ("GET", "POST")


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    pattern: str  # the route as written, prefixes joined ("articles/<id:pk>/annotate/")
    callback: Callable[..., Any]
    methods: tuple[str, ...]
    is_api: bool

    def __str__(self) -> str:
        return self.name


def _declared_methods(view: Any) -> tuple[str, ...] | None:
    """The methods of ``require_http_methods`` (``require_GET``, ``require_POST``) found in
    the closures of the view's decorator chain; None when no decorator names them."""
    func = view
    while func is not None:
        for cell in getattr(func, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if (
                isinstance(value, list | tuple)
                and value
                and all(isinstance(v, str) and v.isupper() for v in value)
            ):
                return tuple(sorted(value))
        func = getattr(func, "__wrapped__", None)
    return None


def _methods(callback: Any) -> tuple[str, ...]:
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is not None and hasattr(cls, "http_method_names"):
        own = [
            m.upper()
            for m in cls.http_method_names
            if m not in ("options", "head") and hasattr(cls, m)
        ]
        return tuple(sorted(own))
    return _declared_methods(callback) or PROBED


def _walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            joined = f"{namespace}:{ns}".strip(":") if ns else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), joined)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}".strip(":") if entry.name else ""
            pattern = prefix + str(entry.pattern)
            yield Route(
                name=name or f"<unnamed {pattern}>",
                pattern=pattern,
                callback=entry.callback,
                methods=_methods(entry.callback),
                is_api=pattern.startswith("api/"),
            )


def all_routes() -> list[Route]:
    """Every named route once (the first pattern of a name wins, as ``reverse`` does)."""
    seen: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns, "", ""):
        seen.setdefault(route.name, route)
    return list(seen.values())


# The object a URL keyword names, by the path segment before it.
_KINDS = (
    ("team/<int:pk>", "member"),
    ("members/<int:pk>", "member"),
    ("invitations/<int:pk>", "invitation"),
    ("tokens/<int:pk>", "api_token"),
    ("clusters/<int:pk>", "cluster"),
    ("suggestions/<int:pk>", "suggestion"),
    ("recommender/<int:pk>", "learned_model"),
    ("gold/<int:pk>", "gold"),
    ("claims/<int:pk>", "claim"),
    ("source-merges/<int:pk>", "source_merge"),
    ("sources/<int:pk>", "source"),
    ("assignments/<int:pk>", "assignment"),
    ("articles/<int:pk>", "article"),
)


def object_kind(route: Route) -> str | None:
    """Which object the route's ``pk`` names ("claim", "article", ...), or None."""
    pattern = re.sub(r"<\w+:pk>", "<int:pk>", route.pattern)  # <id:pk> is an <int:pk>
    for segment, kind in _KINDS:
        if segment in pattern:
            return kind
    return None


def kwargs_for(route: Route, world: Any) -> dict[str, Any]:
    """URL keywords that name the world's objects."""
    keywords = set(re.findall(r"<(?:\w+:)?(\w+)>", route.pattern))
    kwargs: dict[str, Any] = {}
    if "slug" in keywords:
        kwargs["slug"] = world.project.slug
    if "job" in keywords:
        kwargs["job"] = world.job
    if "token" in keywords:
        kwargs["token"] = world.invitation_token
    if "kind" in keywords:  # a network's kind
        kwargs["kind"] = "actor-concept"
    if "pk" in keywords:
        kind = object_kind(route)
        if kind is None:
            raise AssertionError(f"{route}: no object kind for {route.pattern!r}")
        kwargs["pk"] = getattr(world, kind).pk
    unknown = keywords - kwargs.keys()
    if unknown:
        raise AssertionError(f"{route}: don't know how to fill {sorted(unknown)}")
    return kwargs
