"""Hostile parameters, everywhere: every route of the URL conf, every parameter its view
reads, every kind of user. The answer is never a 5xx, and a refused write leaves every
table as it was.

For each route, method and user (``ACTORS``):

1. Find the parameters by calling the view: once bare, once with plausible values
   (``plausible``: the world's own offsets, ids, labels and versions, so that the view gets
   past its first checks). ``hostile.recording`` notes every key read from the query, the
   form, the files and the JSON body (nested keys too: ``stances[0].target``).
2. Send each hostile value (``hostile.HOSTILE``) in each parameter in turn, the others
   plausible; 10 MB once per body; a JSON body nested 5,000 deep; and each hostile value in
   place of each URL keyword (numbers only for ``<int:...>``, which matches digits alone).
   A user whose call read no parameter (refused before reading) gets every parameter of the
   route at once, one value at a time.

Each request runs in a transaction that is rolled back, so every user meets the same world.
A write answered 4xx that ran an INSERT/UPDATE/DELETE is checked against the state of every
table (``django.apps.get_models()``: row counts and a digest of the rows).

The failures of a route are listed together: route, method, user, parameter, value, status,
exception and where it was raised. ``HOSTILE_SWEEP_REPORT=path`` also appends them to a file
as JSON lines.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.urls.converters import get_converters

from annotate.scheme import LABEL_FIELDS
from tests.security import hostile
from tests.security.conftest import ACTORS, LABELS, World, api_client, page_client
from tests.security.routes import Route, all_routes, kwargs_for

# Django's admin is Django's (and guarded by is_staff, tests/test_admin.py).
SKIPPED_PREFIXES = ("admin:", "<unnamed admin/")
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def world(shared_world: World) -> World:
    """The security tests' world, its rows written once for the module rather than once
    per test (tests/security/conftest.py: ``shared_world``)."""
    return shared_world


def _routes() -> dict[str, Route]:
    return {r.name: r for r in all_routes() if not r.name.startswith(SKIPPED_PREFIXES)}


ROUTES = sorted(_routes())


# --- The world's plausible values ----------------------------------------------------------


def _route_object(route: Route, world: World) -> Any:
    from tests.security.routes import object_kind

    kind = object_kind(route)
    return getattr(world, kind) if kind else None


def plausible(world: World, route: Route) -> dict[str, Any]:
    """Values that pass a view's first checks, by parameter name (a list: several values)."""
    claim, other = world.claim, world.other_claim
    obj = _route_object(route, world)
    version = getattr(obj, "version", None) or claim.version
    values: dict[str, Any] = {
        "start": claim.start,
        "end": claim.end,
        "quote": claim.quote,
        "version": version,
        "source": world.source.pk,
        "target": world.target.pk,
        "claim": other.pk,
        "claims": [claim.pk, other.pk],
        f"version-{claim.pk}": claim.version,
        f"version-{other.pk}": other.version,
        f"stance-{world.target.pk}": "favor",
        "take-span": other.pk,
        "unit": 0,
        "rationale": "Both read it so.",
        "note": "A note.",
        "article": world.article.pk,
        "annotator": world.users["annotator_unassigned"].pk,
        "annotators": [world.users["annotator_unassigned"].pk],
        "k": 1,
        "merge": world.source.pk,
        "name": "A new name",
        "kind": "person",
        "target_name": "A new target",
        "description": "Someone.",
        "external_id": "Q42",
        "aliases": ["Another name"],
        "text": "An article says things about Turkey’s influence.",
        "title": "A title",
        "q": "Ahmet",
        "page": 1,
        "page_size": 10,
        "status": "done",
        "sort": "name",
        # DRF reads ``format`` on every API route (404 for a format it can't render).
        "format": "jsonl" if "export" in route.name or not route.is_api else "json",
        "overlap": "0.5",
        "heat": "span",
        "background": "",
        "back": "",
        "username": "manager",
        # The team: a user to add, a role, an invitation's token.
        "who": "outsider",
        "role": "curator",
        "token": world.invitation_token,
        "password": "secret",
        "email": "manager@example.com",
        "mention_start": claim.start,
        "mention_end": claim.end,
        "include_deleted": "true",
        "stances": [{"target": world.target.pk, "stance": "favor"}],
        "mention": {"start": claim.start, "end": claim.end},
        **LABELS,
    }
    values.update({f"take-{name}": other.pk for name in LABEL_FIELDS})
    return values


def _flat(value: Any) -> Any:
    """A plausible value as a form field carries it."""
    if isinstance(value, list):
        return [v for v in value if not isinstance(v, dict | list)]
    if isinstance(value, dict):
        return None
    return value


def url_kwargs(route: Route, world: World) -> dict[str, Any]:
    keywords = set(re.findall(r"<(?:\w+:)?(\w+)>", route.pattern))
    extra = {"uidb64": "MQ", "token": "set-password"}
    known = {k: v for k, v in extra.items() if k in keywords}
    rest = Route(
        route.name,
        re.sub(r"<(?:\w+:)?(?:uidb64|token)>", "", route.pattern),
        route.callback,
        route.methods,
        route.is_api,
    )
    return {**kwargs_for(rest, world), **known}


def converters(route: Route) -> dict[str, str]:
    """Each URL keyword's kind: "int" (digits only: ``int``, ``id``), "slug" or "str"."""
    kinds = {}
    for converter, keyword in re.findall(r"<(?:(\w+):)?(\w+)>", route.pattern):
        regex = get_converters()[converter or "str"].regex
        digits = re.sub(r"\{[\d,]*\}|[+*?]", "", regex) in ("[0-9]", r"\d")
        kinds[keyword] = "int" if digits else "slug" if converter == "slug" else "str"
    return kinds


# --- One request -----------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    form: dict[str, Any] | None = None  # urlencoded, or multipart when there are files
    files: dict[str, bytes] = field(default_factory=dict)
    json: str | None = None  # the body's JSON text
    multipart: bool = False

    def send(self, client: Client) -> Any:
        path = f"{self.path}?{hostile.encode_query(self.query)}" if self.query else self.path
        if self.json is not None:
            data, kind = self.json.encode("utf-8", "surrogatepass"), "application/json"
        elif self.files or self.multipart:
            data, kind = hostile.encode_multipart(self.form or {}, self.files), hostile.MULTIPART
        elif self.form is not None:
            data, kind = hostile.encode_form(self.form), "application/x-www-form-urlencoded"
        else:
            data, kind = b"", "application/octet-stream"
        return client.generic(self.method, path, data, content_type=kind)


@dataclass
class Found:
    """The parameters one user's calls read, by where they go."""

    query: set[str] = field(default_factory=set)
    form: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    json: set[hostile.Key] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.query or self.form or self.files or self.json)

    def within(self, other: Found) -> bool:
        return (
            self.query <= other.query
            and self.form <= other.form
            and self.files <= other.files
            and self.json <= other.json
        )

    def add(self, other: Found) -> None:
        self.query |= other.query
        self.form |= other.form
        self.files |= other.files
        self.json |= other.json


def _found(reads: hostile.Reads, response: Any, method: str) -> Found:
    found = Found(json=set(reads.json))
    request = getattr(response, "wsgi_request", None)
    drf = (getattr(response, "renderer_context", None) or {}).get("request")
    get = request.__dict__.get("GET") if request is not None else None
    files = [getattr(request, "_files", None), getattr(drf, "_files", None)]
    for container, key in reads.multi:
        if not isinstance(container, QueryDict) and not any(container is f for f in files):
            continue  # not a parameter: the URL resolver's, say
        if container is get:
            found.query.add(key)
        elif any(container is f for f in files if f is not None):
            found.files.add(key)
        elif method == "GET":
            found.query.add(key)
        else:
            found.form.add(key)
    return found


# --- The sweep of one route ------------------------------------------------------------------


class Sweep:
    def __init__(self, route: Route, world: World) -> None:
        self.route = route
        self.world = world
        self.plausible = plausible(world, route)
        self.kwargs = url_kwargs(route, world)
        self.path = reverse(route.name, kwargs=self.kwargs)
        self.clients = {
            actor: (api_client if route.is_api else page_client)(world.users.get(actor))
            for actor in ACTORS
        }
        self.before = hostile.tables_state()
        self.failures: list[dict[str, Any]] = []
        self.requests = 0

    # One request, rolled back; a 5xx, an exception or a refused write is a failure.
    def call(self, actor: str, request: Request, param: str, value: str) -> tuple[Any, Found]:
        self.requests += 1
        response = None
        with hostile.recording() as reads:
            try:
                with transaction.atomic():
                    with hostile.watching_writes() as writes:
                        response = request.send(self.clients[actor])
                    status = response.status_code
                    if status >= 500:
                        self.fail(actor, request, param, value, status, "", "")
                    elif request.method in WRITE_METHODS and 400 <= status < 500 and writes:
                        changed = hostile.state_diff(self.before, hostile.tables_state())
                        if changed:
                            self.fail(actor, request, param, value, status, f"wrote: {changed}")
                    transaction.set_rollback(True)
            except Exception as error:
                self.fail(
                    actor,
                    request,
                    param,
                    value,
                    "exception",
                    f"{type(error).__name__}: {hostile.short(str(error))}",
                    hostile.where(error),
                )
        return response, _found(reads, response, request.method)

    def fail(
        self,
        actor: str,
        request: Request,
        param: str,
        value: str,
        status: Any,
        error: str,
        where: str = "",
    ) -> None:
        self.failures.append(
            {
                "route": self.route.name,
                "method": request.method,
                "actor": actor,
                "param": param,
                "value": value,
                "status": status,
                "error": error,
                "where": where,
            }
        )

    # Step 1: which parameters the view reads, for this user.
    def discover(self, actor: str, method: str) -> tuple[Found, str]:
        """The parameters read, and how the body is sent ("form", "multipart", "json")."""
        body = "json" if self.route.is_api and method in WRITE_METHODS else "form"
        first = Request(method, self.path, json="{}" if body == "json" else None)
        response, found = self.call(actor, first, "(bare)", "")
        if body == "json" and response is not None and response.status_code == 415:
            body = "multipart"  # an upload
            bare = Request(method, self.path, form={}, multipart=True)
            response, found = self.call(actor, bare, "(bare)", "")
        if not found:
            return found, body  # refused before reading anything
        # Again with plausible values (all of them for a form or query: a view that reads
        # keys by walking the form, such as ``stance-<id>``, shows them then).
        second = self.request(method, found, body, everything=True)
        _, more = self.call(actor, second, "(plausible)", "")
        found.add(more)
        return found, body

    def request(self, method: str, found: Found, body: str, everything: bool = False) -> Request:
        """A request with plausible values for the parameters found."""
        values = {k: _flat(v) for k, v in self.plausible.items() if _flat(v) is not None}
        if everything and method == "GET":
            query = dict(values)
        else:
            query = {k: values[k] for k in found.query if k in values}
        request = Request(method, self.path, query=query, multipart=body == "multipart")
        if body == "json":
            top = {path[0] for path in found.json if len(path) >= 1}
            request.json = json.dumps({k: self.plausible[k] for k in top if k in self.plausible})
        elif method != "GET":
            request.form = (
                dict(values) if everything else {k: values[k] for k in found.form if k in values}
            )
            # An upload's file: in FILES, or (DRF) among the data's keys with no value here.
            files = found.files | (
                {k for k in found.form if k not in values} if body == "multipart" else set()
            )
            request.files = dict.fromkeys(files, UPLOAD)
        return request

    # Step 2: hostile values, one parameter at a time.
    def attack(self, actor: str, method: str, found: Found, body: str, huge: bool) -> None:
        base = self.request(method, found, body)
        extra = (hostile.HUGE,) if huge else ()
        for key in sorted(found.query):
            for value in hostile.IN_FORM:
                request = self.request(method, found, body)
                request.query[key] = value.raw
                self.call(actor, request, f"?{key}", value.label)
        for key in sorted(found.form):
            for value in (*hostile.IN_FORM, *extra):
                request = self.request(method, found, body)
                assert request.form is not None
                if key in request.files:
                    request.files[key] = value.raw
                    self.call(actor, request, f"file {key}", value.label)
                else:
                    request.form[key] = value.raw
                    self.call(actor, request, key, value.label)
            extra = ()
        for key in sorted(found.files):
            for value in hostile.IN_FORM:
                request = self.request(method, found, body)
                request.files[key] = value.raw
                self.call(actor, request, f"file {key}", value.label)
        if body != "json":
            return
        body_value = json.loads(base.json or "{}")
        for path in sorted(found.json, key=str):
            name = ".".join(str(p) for p in path)
            for value in (*hostile.HOSTILE, *extra):
                for fragment in value.json:
                    request = self.request(method, found, body)
                    request.json = hostile.json_with(body_value, path, fragment)
                    kind = "string" if fragment.startswith('"') else "number"
                    self.call(actor, request, f"json {name}", f"{value.label} ({kind})")
            extra = ()
        for text, label in (
            ("[" * hostile.DEPTH + "]" * hostile.DEPTH, f"nested {hostile.DEPTH} deep"),
            ("[" * hostile.DEPTH, f"{hostile.DEPTH} × ["),
        ):
            self.call(actor, Request(method, self.path, json=text), "json body", label)

    def at_once(self, actor: str, method: str, found: Found, body: str, values: Any) -> None:
        """Every parameter of ``found`` at once, one value at a time."""
        for value in values:
            request = Request(
                method,
                self.path,
                query=dict.fromkeys(found.query, value.raw),
                multipart=body == "multipart",
            )
            if body == "json" and method in WRITE_METHODS:
                top = sorted({p[0] for p in found.json if p and isinstance(p[0], str)})
                pairs = (f"{json.dumps(k)}: {value.json[0]}" for k in top)
                request.json = "{" + ", ".join(pairs) + "}"
            elif method != "GET":
                request.form = dict.fromkeys(found.form, value.raw)
                request.files = dict.fromkeys(found.files, value.raw)
            self.call(actor, request, "(every parameter)", value.label)

    def attack_path(self, actor: str, method: str, values: dict[str, Any]) -> None:
        for name, converter in converters(self.route).items():
            for value in values.get(converter, values["str"]):
                kwargs = dict(self.kwargs)
                kwargs[name] = 8675309 if converter == "int" else "hostile-sentinel"
                path = reverse(self.route.name, kwargs=kwargs).replace(
                    str(kwargs[name]), hostile.segment(value.raw), 1
                )
                self.call(actor, Request(method, path), f"<{name}>", value.label)

    def run(self) -> None:
        for method in self.route.methods:
            found = {}
            bodies = {}
            for actor in ACTORS:
                found[actor], bodies[actor] = self.discover(actor, method)
            union = Found()
            for f in found.values():
                union.add(f)
            # One parameter at a time for the first user to read each parameter (users who
            # read more first); the others get them all at once.
            swept = Found()
            for actor in sorted(ACTORS, key=lambda a: -_size(found[a])):
                if not found[actor]:
                    self.at_once(actor, method, union, bodies[actor], [hostile.MIXED])
                elif found[actor].within(swept):
                    self.at_once(actor, method, found[actor], bodies[actor], hostile.AT_ONCE)
                else:
                    self.attack(actor, method, found[actor], bodies[actor], huge=not swept)
                    swept.add(found[actor])
                self.attack_path(actor, method, hostile.PATH_EVERY_USER)
            self.attack_path(PATH_USER, method, hostile.PATH_ONE_USER)


# A file for an upload: one article.
UPLOAD = b'{"text": "An article says things about Turkey\xe2\x80\x99s influence."}\n'
# The user who meets the rarer hostile URL keywords.
PATH_USER = "manager"


def _size(found: Found) -> int:
    return len(found.query) + len(found.form) + len(found.files) + len(found.json)


def describe(failure: dict[str, Any]) -> str:
    f = failure
    error = f" {f['error']}" if f["error"] else ""
    where = f" at {f['where']}" if f["where"] else ""
    return (
        f"{f['method']} {f['route']} as {f['actor']}: {f['param']} = {f['value']} "
        f"→ {f['status']}{error}{where}"
    )


@pytest.fixture
def quiet_request_log() -> Iterator[None]:
    """Django logs every 4xx and 5xx; thousands of them only slow the sweep down."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ROUTES)
def test_hostile_parameters(world: World, quiet_request_log: None, name: str) -> None:
    sweep = Sweep(_routes()[name], world)
    started = time.monotonic()
    sweep.run()
    report = os.environ.get("HOSTILE_SWEEP_REPORT")
    if report:
        with open(report, "a", encoding="utf-8") as out:
            seconds = round(time.monotonic() - started, 2)
            out.write(json.dumps({"route": name, "requests": sweep.requests, "seconds": seconds}))
            out.write("\n")
            for failure in sweep.failures:
                out.write(json.dumps(failure) + "\n")
    assert not sweep.failures, f"{len(sweep.failures)} of {sweep.requests} requests:\n" + "\n".join(
        describe(f) for f in sweep.failures
    )


def test_the_sweep_covers_every_route_but_the_admin() -> None:
    names = {r.name for r in all_routes()}
    assert set(ROUTES) == {n for n in names if not n.startswith(SKIPPED_PREFIXES)}
    assert len(ROUTES) > 60


# --- The sweep's own checks ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_finds_the_parameters_a_view_reads(world: World) -> None:
    found, body = Sweep(_routes()["annotate:source-list"], world).discover("curator", "GET")
    assert {"q", "kind", "page"} <= found.query
    # The stance map's page (common.paging, as the other lists), its sort and layer.
    found, body = Sweep(_routes()["annotate:stance-map"], world).discover("curator", "GET")
    assert {"page", "sort", "layer", "outlet"} <= found.query
    found, body = Sweep(_routes()["annotate:claim-create"], world).discover("annotator_own", "POST")
    assert {"start", "end", "quote", "source", f"stance-{world.target.pk}"} <= found.form
    found, body = Sweep(_routes()["api:claim-list"], world).discover("annotator_own", "POST")
    assert body == "json"
    assert {("quote",), ("stances",), ("stances", 0, "target")} <= found.json
    found, body = Sweep(_routes()["api:article-upload"], world).discover("manager", "POST")
    assert body == "multipart"
    assert (
        "file" in Sweep(_routes()["api:article-upload"], world).request("POST", found, body).files
    )


@pytest.mark.django_db
def test_the_sweep_sees_a_write_and_which_table_changed(world: World) -> None:
    from annotate.models import Target

    before = hostile.tables_state()
    with hostile.watching_writes() as writes:
        Target.objects.create(project=world.project, name="Russia")
    assert writes and writes[0].startswith("INSERT")
    assert "annotate_target 1→2 rows" in hostile.state_diff(before, hostile.tables_state())
    Target.objects.filter(name="Russia").update(name="Russia!")
    assert hostile.state_diff(before, hostile.tables_state())


def test_hostile_values_travel_as_bytes() -> None:
    assert hostile.encode_query({"q": hostile._text("\ud800"), "n": "²"}) == "q=%ED%A0%80&n=%C2%B2"
    body = hostile.json_with({"a": {"b": 1}}, ("a", "b"), "NaN")
    assert body == '{"a": {"b": NaN}}'


@pytest.mark.django_db
def test_an_error_quoting_a_lone_surrogate_is_a_400_not_a_500(world: World) -> None:
    """Found by the sweep: DRF's choice error quotes the input, and a lone surrogate (valid
    in JSON as \\ud800) can't be encoded as UTF-8 by the renderer."""
    url = reverse("api:source-list", args=[world.project.slug])
    body = '{"name": "Someone", "kind": "a\\ud800b"}'
    response = api_client(world.users["curator"]).generic(
        "POST", url, body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "a\ufffd" in response.json()["errors"]["kind"][0]
