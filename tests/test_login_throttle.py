"""Repeated failed logins for one username are refused for a while, on the page and the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD


@pytest.fixture
def small_limit(settings: Any) -> None:
    settings.LOGIN_THROTTLE_FAILURES = 3
    settings.LOGIN_THROTTLE_SECONDS = 600


def post_login(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_login_page_locks_a_username_after_repeated_failures(
    client: Client, annotator: Any, small_limit: None
) -> None:
    for _ in range(3):
        response = post_login(client, annotator.username, "wrong")
        assert response.status_code == 200
        assert "Too many failed logins" not in response.content.decode()

    # Now even the right password is refused until the lock expires.
    response = post_login(client, annotator.username, PASSWORD)
    assert response.status_code == 200
    assert "Too many failed logins for this username" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_successful_login_resets_the_count(
    client: Client, annotator: Any, small_limit: None
) -> None:
    for _ in range(2):
        post_login(client, annotator.username, "wrong")
    assert post_login(client, annotator.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        post_login(client, annotator.username, "wrong")
    assert post_login(client, annotator.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_other_usernames_are_not_locked(
    client: Client, annotator: Any, curator: Any, small_limit: None
) -> None:
    for _ in range(3):
        post_login(client, annotator.username, "wrong")
    assert post_login(client, curator.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_token_api_is_throttled_with_429(client: Client, annotator: Any, small_limit: None) -> None:
    url = "/api/auth/token/"
    for _ in range(3):
        response = client.post(
            url,
            {"username": annotator.username, "password": "wrong"},
            content_type="application/json",
        )
        assert response.status_code == 400
    response = client.post(
        url, {"username": annotator.username, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 429
    assert "Too many failed logins" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_page_and_api_share_the_count(client: Client, annotator: Any, small_limit: None) -> None:
    for _ in range(3):
        post_login(client, annotator.username, "wrong")
    response = client.post(
        "/api/auth/token/",
        {"username": annotator.username, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 429
