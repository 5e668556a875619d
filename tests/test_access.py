"""The access rules of every page: who is sent to log in, who gets 404, which methods."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from corpus.models import Role
from tests.conftest import login
from tests.factories import (
    PASSWORD,
    ArticleFactory,
    AssignmentFactory,
    MembershipFactory,
    SourceFactory,
    UserFactory,
)


@pytest.fixture
def source(project: Any) -> Any:
    return SourceFactory(project=project, name="Ahmet Davutoğlu")


# Each page of the project, as a function of (project, article, source) → URL.
PROJECT_PAGES: dict[str, Callable[[Any, Any, Any], str]] = {
    "project-detail": lambda p, a, s: reverse("corpus:project-detail", args=[p.slug]),
    "article-list": lambda p, a, s: reverse("corpus:article-list", args=[p.slug]),
    "article-detail": lambda p, a, s: reverse("corpus:article-detail", args=[a.pk]),
    "source-list": lambda p, a, s: reverse("annotate:source-list", args=[p.slug]),
    "source-detail": lambda p, a, s: reverse("annotate:source-detail", args=[s.pk]),
}
ALL_PAGES = {"project-list": lambda p, a, s: reverse("corpus:project-list"), **PROJECT_PAGES}


@pytest.mark.django_db
@pytest.mark.parametrize("page", ALL_PAGES)
def test_anonymous_is_sent_to_login(
    client: Client, project: Any, article: Any, source: Any, page: str
) -> None:
    url = ALL_PAGES[page](project, article, source)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.django_db
@pytest.mark.parametrize("page", ALL_PAGES)
def test_anonymous_htmx_request_is_sent_to_login_too(
    client: Client, project: Any, article: Any, source: Any, page: str
) -> None:
    url = ALL_PAGES[page](project, article, source)
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("page", PROJECT_PAGES)
def test_member_of_another_project_gets_404(
    client: Client, outsider: Any, project: Any, article: Any, source: Any, page: str
) -> None:
    login(client, outsider)
    assert client.get(PROJECT_PAGES[page](project, article, source)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("page", PROJECT_PAGES)
def test_unknown_objects_get_404(client: Client, manager: Any, project: Any, page: str) -> None:
    login(client, manager)
    missing = type("Missing", (), {"pk": 999_999, "slug": "no-such-project"})()
    assert client.get(PROJECT_PAGES[page](missing, missing, missing)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("page", ALL_PAGES)
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_pages_only_answer_get(
    client: Client, manager: Any, project: Any, article: Any, source: Any, page: str, method: str
) -> None:
    login(client, manager)
    response = getattr(client, method)(ALL_PAGES[page](project, article, source))
    assert response.status_code == 405
    assert response["Allow"] == "GET"


@pytest.mark.django_db
@pytest.mark.parametrize("page", PROJECT_PAGES)
@pytest.mark.parametrize("role", [Role.MANAGER, Role.CURATOR])
def test_managers_and_curators_see_every_page_of_their_project(
    client: Client, project: Any, article: Any, source: Any, page: str, role: str
) -> None:
    user = UserFactory()
    MembershipFactory(project=project, user=user, role=role)
    login(client, user)
    assert client.get(PROJECT_PAGES[page](project, article, source)).status_code == 200


@pytest.mark.django_db
def test_annotator_reads_an_assigned_article(
    client: Client, annotator: Any, assigned_article: Any
) -> None:
    login(client, annotator)
    url = reverse("corpus:article-detail", args=[assigned_article.pk])
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_annotator_gets_404_on_an_unassigned_article(
    client: Client, annotator: Any, other_annotator: Any, project: Any
) -> None:
    theirs = ArticleFactory(project=project)
    AssignmentFactory(article=theirs, annotator=other_annotator)
    unassigned = ArticleFactory(project=project)
    login(client, annotator)
    for article in (theirs, unassigned):
        assert client.get(reverse("corpus:article-detail", args=[article.pk])).status_code == 404


@pytest.mark.django_db
def test_annotator_may_see_the_source_registry(
    client: Client, annotator: Any, project: Any, source: Any
) -> None:
    login(client, annotator)
    assert client.get(reverse("annotate:source-list", args=[project.slug])).status_code == 200
    assert client.get(reverse("annotate:source-detail", args=[source.pk])).status_code == 200


@pytest.mark.django_db
def test_superuser_sees_every_project(client: Client, project: Any, article: Any) -> None:
    boss = UserFactory(is_superuser=True, is_staff=True)
    login(client, boss)
    assert client.get(reverse("corpus:project-detail", args=[project.slug])).status_code == 200
    assert client.get(reverse("corpus:article-detail", args=[article.pk])).status_code == 200


@pytest.mark.django_db
def test_login_page_is_public(client: Client) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="password"' in response.content


@pytest.mark.django_db
def test_login_leads_to_the_project_list(client: Client, manager: Any) -> None:
    response = client.post(reverse("login"), {"username": "manager", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("corpus:project-list")


@pytest.mark.django_db
def test_logout_needs_post(client: Client, manager: Any) -> None:
    login(client, manager)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("corpus:project-list")).status_code == 302


@pytest.mark.django_db
def test_every_page_has_a_post_logout_form(client: Client, manager: Any, project: Any) -> None:
    login(client, manager)
    html = client.get(reverse("corpus:project-detail", args=[project.slug])).content.decode()
    assert f'<form method="post" action="{reverse("logout")}"' in html
    assert 'name="csrfmiddlewaretoken"' in html


@pytest.mark.django_db
def test_not_found_page_does_not_say_whether_the_project_exists(
    client: Client, outsider: Any, project: Any
) -> None:
    login(client, outsider)
    existing = client.get(reverse("corpus:project-detail", args=[project.slug]))
    missing = client.get(reverse("corpus:project-detail", args=["no-such-project"]))
    assert existing.status_code == missing.status_code == 404

    def main(response: Any) -> str:  # the page without its per-response CSRF tokens
        html = response.content.decode()
        return html[html.index("<main") : html.index("</main>")]

    assert main(existing) == main(missing)
    assert "not a member" in main(existing)
