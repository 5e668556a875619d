"""API tokens end: with every password change (on each path Django offers), and after
``API_TOKEN_TTL`` seconds when it is set."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.conftest import login
from tests.factories import PASSWORD, UserFactory

TOKEN_URL = "/api/auth/token/"
NEW_PASSWORD = "a-much-longer-passphrase-91"


def _works(token: Token | str) -> int:
    key = token if isinstance(token, str) else token.key
    return int(APIClient().get("/api/projects/", HTTP_AUTHORIZATION=f"Token {key}").status_code)


@pytest.mark.django_db
def test_changing_the_password_on_the_site_revokes_the_token(
    client: Client, annotator: Any
) -> None:
    token = Token.objects.create(user=annotator)
    assert _works(token) == 200
    login(client, annotator)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert _works(token) == 401
    assert not Token.objects.filter(user=annotator).exists()


@pytest.mark.django_db
def test_changing_a_password_in_the_admin_revokes_the_token(client: Client, annotator: Any) -> None:
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    token = Token.objects.create(user=annotator)
    login(client, admin)
    response = client.post(
        f"/admin/auth/user/{annotator.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _works(token) == 401


@pytest.mark.django_db
def test_changepassword_command_and_set_password_revoke_the_token(
    annotator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = Token.objects.create(user=annotator)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)
    call_command("changepassword", annotator.username, stdout=None)
    assert _works(token) == 401
    token = Token.objects.create(user=annotator)
    user = get_user_model().objects.get(pk=annotator.pk)
    user.set_password("another-long-passphrase-17")
    user.save()
    assert _works(token) == 401


@pytest.mark.django_db
def test_saving_a_user_without_a_new_password_keeps_the_token(annotator: Any) -> None:
    token = Token.objects.create(user=annotator)
    annotator.first_name = "Ann"
    annotator.save()
    assert _works(token) == 200


@pytest.mark.django_db
def test_an_expired_token_is_401_and_a_new_one_is_handed_out(
    settings: Any, annotator: Any, project: Any
) -> None:
    settings.API_TOKEN_TTL = 3600
    token = Token.objects.create(user=annotator)
    assert _works(token) == 200
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - dt.timedelta(hours=2))

    response = APIClient().get("/api/projects/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert "expired" in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Token"

    answer = (
        APIClient()
        .post(TOKEN_URL, {"username": annotator.username, "password": PASSWORD}, format="json")
        .json()
    )
    assert answer["token"] != token.key
    expires = dt.datetime.fromisoformat(answer["expires"])
    assert dt.timedelta(minutes=59) < expires - timezone.now() <= dt.timedelta(hours=1)
    assert _works(answer["token"]) == 200


@pytest.mark.django_db
def test_without_a_ttl_tokens_do_not_expire(settings: Any, annotator: Any) -> None:
    settings.API_TOKEN_TTL = None
    token = Token.objects.create(user=annotator)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - dt.timedelta(days=3650))
    assert _works(token) == 200
