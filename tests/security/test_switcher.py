"""Every page with the top bar has the project switcher (``corpus.context_processors``),
not just the pages whose view remembered to pass it: walks every GET route of the URL conf
(the security world's objects fill the URLs) as the manager and as an assigned annotator."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import login
from tests.factories import MembershipFactory, ProjectFactory
from tests.security.conftest import World
from tests.security.routes import all_routes, kwargs_for

TOPBAR = '<header class="topbar">'
SWITCHER = '<details class="switcher">'


@pytest.fixture
def world(shared_world: World) -> World:
    """The security tests' world, its rows written once for the module rather than once
    per test (tests/security/conftest.py: ``shared_world``); each test's writes are rolled
    back with its savepoint."""
    return shared_world


def _pages(world: World, actor: str) -> dict[str, str]:
    """The full HTML pages (with the top bar) that ``actor`` gets from a plain GET."""
    client = Client()
    login(client, world.users[actor])
    pages: dict[str, str] = {}
    for route in all_routes():
        if route.is_api or route.name.startswith(("admin:", "<unnamed")):
            continue
        if "GET" not in route.methods or route.name in ("logout", "corpus:logout"):
            continue
        try:
            kwargs = kwargs_for(route, world)
        except AssertionError:  # (the password reset's uidb64: no project page)
            continue
        response = client.get(reverse(route.name, kwargs=kwargs))
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = b"".join(response).decode() if response.streaming else response.content.decode()
        if TOPBAR in html:
            pages[route.name] = html
    return pages


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["manager", "annotator_own"])
def test_every_page_with_the_top_bar_has_the_project_switcher(world: World, actor: str) -> None:
    pages = _pages(world, actor)
    assert len(pages) >= (30 if actor == "manager" else 8), sorted(pages)
    missing = sorted(name for name, html in pages.items() if SWITCHER not in html)
    assert missing == []
    link = f'<li><a href="{reverse("corpus:project-detail", args=[world.project.slug])}"'
    for name, html in pages.items():
        assert link in html, name  # the world's project is in it


@pytest.mark.django_db
def test_the_switcher_lists_only_the_users_active_projects(world: World, client: Client) -> None:
    archived = ProjectFactory(name="Old archived project", archived=True)
    MembershipFactory(project=archived, user=world.users["manager"])
    login(client, world.users["manager"])
    html = client.get(reverse("annotate:queue")).content.decode()
    assert SWITCHER in html
    assert world.project.name in html
    assert "Old archived project" not in html
