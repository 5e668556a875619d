"""Logging in to the API: tokens (obtain, use, revoke), the session, and what an
anonymous caller is told."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import login
from tests.factories import PASSWORD, UserFactory

TOKEN_URL = "/api/auth/token/"


@pytest.mark.django_db
def test_token_is_given_for_a_username_and_password(anon: APIClient, annotator: Any) -> None:
    response = anon.post(TOKEN_URL, {"username": "annotator", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "token": Token.objects.get(user=annotator).key,
        "username": "annotator",
        "expires": None,
    }


@pytest.mark.django_db
def test_the_token_opens_the_api(anon: APIClient, annotator: Any, project: Any) -> None:
    key = anon.post(
        TOKEN_URL, {"username": "annotator", "password": PASSWORD}, format="json"
    ).json()["token"]
    response = anon.get("/api/projects/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert [p["slug"] for p in response.json()["results"]] == [project.slug]


@pytest.mark.django_db
def test_asking_twice_gives_the_same_token(anon: APIClient, annotator: Any) -> None:
    body = {"username": "annotator", "password": PASSWORD}
    first = anon.post(TOKEN_URL, body, format="json").json()["token"]
    assert anon.post(TOKEN_URL, body, format="json").json()["token"] == first


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"username": "annotator", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
    ],
)
def test_wrong_credentials_get_400_without_saying_which(
    anon: APIClient, annotator: Any, body: dict[str, str]
) -> None:
    response = anon.post(TOKEN_URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "non_field_errors": ["Unable to log in with this username and password."]
    }
    assert not Token.objects.exists()


@pytest.mark.django_db
def test_an_inactive_user_gets_no_token(anon: APIClient) -> None:
    UserFactory(username="gone", is_active=False)
    response = anon.post(TOKEN_URL, {"username": "gone", "password": PASSWORD}, format="json")
    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "annotator"}, "password"),
        ({"username": 42, "password": PASSWORD}, "username"),
        ({"username": "annotator", "password": PASSWORD, "remember": True}, "non_field_errors"),
    ],
)
def test_token_request_errors_name_the_field(
    anon: APIClient, annotator: Any, body: dict[str, Any], field: str
) -> None:
    response = anon.post(TOKEN_URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.django_db
def test_revoking_the_token_locks_it_out(client_for: Any, annotator: Any) -> None:
    client = client_for(annotator)
    assert client.get("/api/projects/").status_code == 200
    assert client.delete(TOKEN_URL).status_code == 204
    assert not Token.objects.filter(user=annotator).exists()
    response = client.get("/api/projects/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


@pytest.mark.django_db
def test_revoking_needs_a_login(anon: APIClient) -> None:
    assert anon.delete(TOKEN_URL).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Token " + "0" * 40, "Token abc\x00def", "Token a b"])
def test_a_bad_token_gets_401(anon: APIClient, project: Any, header: str) -> None:
    response = anon.get("/api/projects/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_anonymous_gets_401_json_not_the_login_page(anon: APIClient, project: Any) -> None:
    response = anon.get(f"/api/projects/{project.slug}/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


@pytest.mark.django_db
def test_the_browser_session_works_for_reading(client: Client, annotator: Any) -> None:
    login(client, annotator)
    assert client.get("/api/projects/").status_code == 200


@pytest.mark.django_db
def test_session_writes_need_the_csrf_token(
    annotator: Any, assigned_article: Any, project: Any
) -> None:
    client = Client(enforce_csrf_checks=True)
    login(client, annotator)
    response = client.post(
        f"/api/projects/{project.slug}/targets/", {"name": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.django_db
def test_unknown_api_paths_answer_json_404(client_for: Any, annotator: Any, anon: Any) -> None:
    for client in (client_for(annotator), anon):
        for path in ("/api/nothing/", "/api/claims/-1/", "/api/claims/abc/"):
            response = client.get(path)
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_wrong_method_gets_405(client_for: Any, annotator: Any) -> None:
    response = client_for(annotator).put("/api/projects/", {}, format="json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_a_stale_token_header_does_not_stop_logging_in(anon: APIClient, annotator: Any) -> None:
    response = anon.post(
        TOKEN_URL,
        {"username": "annotator", "password": PASSWORD},
        format="json",
        HTTP_AUTHORIZATION="Token " + "f" * 40,
    )
    assert response.status_code == 200
