"""CSRF protection on every form and htmx request.

The clients here enforce CSRF checks (Django's test client skips them by default). Every
route that takes a POST refuses one without the token, for a user who may otherwise make
it; with the token the same request gets past the check. Every page carries the token:
in ``hx-headers`` on ``<body>`` for htmx, in each POST form for plain submissions.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import login
from tests.security.conftest import ACTORS, World
from tests.security.routes import kwargs_for
from tests.security.test_permission_matrix import RULES, _routes

# Not a write of ours: the catch-all answers 404 to everything.
NOT_WRITES = {"api:not-found", "home"}


@pytest.fixture
def world(shared_world: World) -> World:
    """The security tests' world, its rows written once for the module rather than once
    per test (tests/security/conftest.py: ``shared_world``)."""
    return shared_world


def _allowed_actor(name: str, method: str) -> str:
    """The first logged-in actor the matrix lets through (so a 403 can only be the CSRF
    check; a public route's anonymous visitor has no session to ride)."""
    row = dict(zip(ACTORS, RULES[name][method].split(), strict=True))
    return next(a for a, outcome in row.items() if outcome == "ok" and a != "anonymous")


def _csrf_client(user: Any) -> Client:
    return login(Client(enforce_csrf_checks=True), user)


def _token(client: Client) -> str:
    client.get(reverse("corpus:project-list"))
    return str(client.cookies["csrftoken"].value)


POSTS = sorted(name for name, rule in RULES.items() if name not in NOT_WRITES and "POST" in rule)
UNSAFE = sorted(
    (name, method)
    for name, rule in RULES.items()
    if name.startswith("api:") and name not in NOT_WRITES
    for method in rule
    if method in ("POST", "PATCH", "DELETE")
)


@pytest.mark.django_db
@pytest.mark.parametrize("name", [n for n in POSTS if not n.startswith("api:")])
def test_page_posts_without_the_token_are_refused(world: World, name: str) -> None:
    url = reverse(name, kwargs=kwargs_for(_routes()[name], world))
    client = _csrf_client(world.users[_allowed_actor(name, "POST")])
    htmx_or_not: tuple[dict[str, Any], ...] = ({}, {"HTTP_HX_REQUEST": "true"})
    for headers in htmx_or_not:
        response = client.post(url, {}, **headers)
        assert response.status_code == 403, f"{url} {headers}: {response.status_code}"
        assert b"CSRF" in response.content
    token = _token(client)
    response = client.post(url, {}, HTTP_X_CSRFTOKEN=token, HTTP_HX_REQUEST="true")
    assert response.status_code != 403, f"{url}: refused even with the token"


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), UNSAFE, ids=[f"{n}-{m}" for n, m in UNSAFE])
def test_api_writes_with_a_session_need_the_token(world: World, name: str, method: str) -> None:
    """A browser session can't be ridden into the API; token clients need no CSRF token
    (they send no cookie), which the matrix checks."""
    url = reverse(name, kwargs=kwargs_for(_routes()[name], world))
    client = _csrf_client(world.users[_allowed_actor(name, method)])
    response = getattr(client, method.lower())(url, "{}", content_type="application/json")
    assert response.status_code == 403, f"{method} {url}: {response.status_code}"
    assert "CSRF" in response.json()["detail"]


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.body_headers: str | None = None
        self.post_forms = 0
        self.forms_without_token = 0
        self._form: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "body":
            self.body_headers = attr.get("hx-headers")
        elif tag == "form" and (attr.get("method") or "").lower() == "post":
            self._form = {"token": False}
            self.post_forms += 1
        elif (
            tag == "input" and self._form is not None and attr.get("name") == "csrfmiddlewaretoken"
        ):
            self._form["token"] = bool(attr.get("value"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            self.forms_without_token += not self._form["token"]
            self._form = None


PAGES = sorted(
    name
    for name, rule in RULES.items()
    if not name.startswith("api:")
    # (a network edge's claims: a fragment without forms, 400 without its ``a`` and ``b``)
    and name not in NOT_WRITES | {"healthz", "annotate:stance-map-csv", "annotate:network-edge"}
    and "GET" in rule
    and not name.startswith("annotate:export-")
)


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_pages_carry_the_token(world: World, name: str) -> None:
    url = reverse(name, kwargs=kwargs_for(_routes()[name], world))
    client = _csrf_client(world.users[_allowed_actor(name, "GET")])
    response = client.get(url, follow=True)
    assert response.status_code in (200, 422)  # 422: a form asked for without its data
    if not response["Content-Type"].startswith("text/html") or b"<body" not in response.content:
        return  # a fragment-only answer (the page it goes into carries the token)
    forms = _Forms()
    forms.feed(response.content.decode())
    assert forms.body_headers, f"{url}: no hx-headers on <body>"
    # A masked token (64 characters), as {% csrf_token %} and get_token() give.
    assert len(json.loads(forms.body_headers).get("X-CSRFToken", "")) == 64
    assert forms.forms_without_token == 0, f"{url}: {forms.forms_without_token} POST forms"


@pytest.mark.django_db
def test_the_login_form_carries_the_token() -> None:
    forms = _Forms()
    forms.feed(Client(enforce_csrf_checks=True).get(reverse("login")).content.decode())
    assert forms.post_forms == 1
    assert forms.forms_without_token == 0
