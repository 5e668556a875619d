"""The user's own page: projects and roles, password, personal API tokens."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from corpus.models import ApiToken
from corpus.services import api_token_create
from tests.conftest import login
from tests.factories import PASSWORD, MembershipFactory, UserFactory

NEW_PASSWORD = "a-much-longer-passphrase-91"
pytestmark = pytest.mark.django_db
ACCOUNT = "/account/"


def _works(key: str) -> bool:
    response = APIClient().get("/api/projects/", HTTP_AUTHORIZATION=f"Token {key}")
    return response.status_code == 200


def test_the_page_shows_the_users_projects_with_roles(
    client: Client, project: Any, curator: Any, django_assert_max_num_queries: Any
) -> None:
    MembershipFactory(user=curator, role="annotator", project__name="Second project")
    login(client, curator)
    with django_assert_max_num_queries(8):
        html = client.get(ACCOUNT).content.decode()
    assert project.name in html and "Second project" in html
    assert "role-curator" in html and "role-annotator" in html


def test_a_token_is_made_shown_once_and_revoked(client: Client, annotator: Any) -> None:
    login(client, annotator)
    made = client.post(reverse("corpus:account-token-create"), {"name": "laptop"})
    html = made.content.decode()
    token = ApiToken.objects.get(user=annotator)
    key = html.split('id="new-token-key"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert key.startswith(token.prefix) and _works(key)
    assert key not in client.get(ACCOUNT).content.decode()  # shown once
    assert "laptop" in client.get(ACCOUNT).content.decode()
    client.post(reverse("corpus:account-token-revoke", args=[token.pk]))
    assert not ApiToken.objects.exists() and not _works(key)


def test_a_duplicate_token_name_is_refused_with_a_message(client: Client, annotator: Any) -> None:
    api_token_create(user=annotator, name="laptop")
    login(client, annotator)
    response = client.post(reverse("corpus:account-token-create"), {"name": "laptop"}, follow=True)
    assert "already" in response.content.decode()
    assert ApiToken.objects.count() == 1


def test_someone_elses_token_cannot_be_revoked(client: Client, annotator: Any) -> None:
    theirs, _ = api_token_create(user=UserFactory(), name="theirs")
    login(client, annotator)
    assert client.post(reverse("corpus:account-token-revoke", args=[theirs.pk])).status_code == 404
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


def test_changing_the_password_keeps_the_session_and_revokes_every_token(
    client: Client, annotator: Any
) -> None:
    _, key = api_token_create(user=annotator, name="laptop")
    login_token = Token.objects.create(user=annotator)
    login(client, annotator)
    response = client.post(
        reverse("corpus:account-password"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "API tokens are revoked" in response.content.decode()
    assert client.get(ACCOUNT).status_code == 200  # still logged in
    assert not _works(key) and not _works(login_token.key)
    annotator.refresh_from_db()
    assert annotator.check_password(NEW_PASSWORD)


def test_a_wrong_old_password_or_weak_new_one_changes_nothing(
    client: Client, annotator: Any
) -> None:
    _, key = api_token_create(user=annotator, name="laptop")
    login(client, annotator)
    for data in (
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        {"old_password": PASSWORD, "new_password1": "abc", "new_password2": "abc"},
    ):
        response = client.post(reverse("corpus:account-password"), data)
        assert response.status_code == 200
        assert 'class="field-error"' in response.content.decode()
    annotator.refresh_from_db()
    assert annotator.check_password(PASSWORD) and _works(key)
