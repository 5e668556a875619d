"""The team API: members (who is who), invitations and accepting one, assignments by
username, and personal API tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from annotate.models import Assignment
from corpus.models import ApiToken, Invitation, Membership, Role
from tests.factories import PASSWORD, UserFactory, make_claim

NEW_PASSWORD = "a-much-longer-passphrase-91"
pytestmark = pytest.mark.django_db
Clients = Callable[[Any], APIClient]


def _members(project: Any) -> str:
    return f"/api/projects/{project.slug}/members/"


def test_the_member_list_answers_who_is_who(
    client_for: Clients, project: Any, manager: Any, curator: Any, annotator: Any
) -> None:
    response = client_for(curator).get(_members(project))
    assert response.status_code == 200
    rows = [(m["username"], m["id"], m["role"]) for m in response.json()["results"]]
    assert rows == [
        ("manager", manager.pk, "manager"),
        ("curator", curator.pk, "curator"),
        ("annotator", annotator.pk, "annotator"),
    ]


def test_annotators_cannot_list_or_change_the_team_and_outsiders_see_nothing(
    client_for: Clients, project: Any, manager: Any, annotator: Any, curator: Any, outsider: Any
) -> None:
    assert client_for(annotator).get(_members(project)).status_code == 403
    body = {"username": "outsider", "role": "annotator"}
    assert client_for(curator).post(_members(project), body, format="json").status_code == 403
    assert client_for(outsider).get(_members(project)).status_code == 404
    url = f"{_members(project)}{annotator.pk}/"
    assert client_for(curator).patch(url, {"role": "manager"}, format="json").status_code == 403
    assert client_for(annotator).delete(url).status_code == 403
    assert Membership.objects.get(project=project, user=annotator).role == Role.ANNOTATOR


def test_a_manager_adds_changes_and_removes_a_member(
    client_for: Clients, project: Any, manager: Any
) -> None:
    api = client_for(manager)
    newcomer = UserFactory(username="aida", email="aida@example.org")
    added = api.post(_members(project), {"email": "aida@example.org"}, format="json")
    assert added.status_code == 201, added.json()
    assert (added.json()["id"], added.json()["role"]) == (newcomer.pk, "annotator")
    url = f"{_members(project)}{newcomer.pk}/"
    assert api.patch(url, {"role": "curator"}, format="json").json()["role"] == "curator"
    assert api.delete(url).status_code == 204
    assert not Membership.objects.filter(user=newcomer).exists()


def test_adding_names_the_user_exactly_once(
    client_for: Clients, project: Any, manager: Any
) -> None:
    api = client_for(manager)
    both = api.post(_members(project), {"username": "a", "email": "a@b.c"}, format="json")
    assert both.status_code == 400
    unknown = api.post(_members(project), {"user": 999999}, format="json")
    assert unknown.status_code == 400 and "999999" in unknown.json()["errors"]["user"][0]


def test_removal_is_refused_while_the_member_has_claims(
    client_for: Clients, project: Any, manager: Any, annotator: Any, assigned_article: Any
) -> None:
    make_claim(assigned_article, annotator)
    response = client_for(manager).delete(f"{_members(project)}{annotator.pk}/")
    assert response.status_code == 400
    assert "claim" in response.json()["detail"]
    assert Membership.objects.filter(user=annotator).exists()
    assert Assignment.objects.filter(annotator=annotator).exists()


def test_the_last_manager_cannot_leave_or_step_down(
    client_for: Clients, project: Any, manager: Any
) -> None:
    api = client_for(manager)
    url = f"{_members(project)}{manager.pk}/"
    assert api.delete(url).status_code == 400
    demoted = api.patch(url, {"role": "annotator"}, format="json")
    assert demoted.status_code == 400 and "last manager" in demoted.json()["errors"]["role"][0]
    assert Membership.objects.get(user=manager).role == Role.MANAGER


def test_assignments_take_a_username(
    client_for: Clients, project: Any, manager: Any, annotator: Any, article: Any
) -> None:
    url = f"/api/projects/{project.slug}/assignments/"
    api = client_for(manager)
    made = api.post(url, {"article": article.pk, "username": "annotator"}, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["annotator"] == annotator.pk
    stranger = api.post(url, {"article": article.pk, "username": "outsider"}, format="json")
    assert stranger.status_code == 400 and "username" in stranger.json()["errors"]
    neither = api.post(url, {"article": article.pk}, format="json")
    both = api.post(
        url, {"article": article.pk, "annotator": annotator.pk, "username": "x"}, format="json"
    )
    assert (neither.status_code, both.status_code) == (400, 400)


# --- Invitations -----------------------------------------------------------------------


def _invite(api: APIClient, project: Any, email: str = "new@example.org") -> Any:
    return api.post(
        f"/api/projects/{project.slug}/invitations/",
        {"email": email, "role": "annotator"},
        format="json",
    )


def test_an_invitation_through_the_api_is_accepted_by_a_new_person(
    client_for: Clients, project: Any, manager: Any, anon: APIClient
) -> None:
    made = _invite(client_for(manager), project)
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["emailed"] is True and body["state"] == "pending"
    token = body["link"].rstrip("/").rsplit("/", 1)[1]
    listed = client_for(manager).get(f"/api/projects/{project.slug}/invitations/").json()
    assert [i["email"] for i in listed["results"]] == ["new@example.org"]
    accepted = anon.post(
        "/api/invitations/accept/",
        {"token": token, "username": "dana", "password": NEW_PASSWORD},
        format="json",
    )
    assert accepted.status_code == 201, accepted.json()
    assert accepted.json() == {"project": project.slug, "username": "dana", "role": "annotator"}
    login = anon.post(
        "/api/auth/token/", {"username": "dana", "password": NEW_PASSWORD}, format="json"
    )
    assert login.status_code == 200
    again = anon.post(
        "/api/invitations/accept/",
        {"token": token, "username": "eve", "password": NEW_PASSWORD},
        format="json",
    )
    assert again.status_code == 400 and "used already" in again.json()["detail"]


@pytest.mark.parametrize("how", ["expired", "tampered", "revoked"])
def test_a_bad_invitation_is_a_400_that_writes_nothing(
    client_for: Clients, project: Any, manager: Any, anon: APIClient, how: str
) -> None:
    body = _invite(client_for(manager), project).json()
    token = body["link"].rstrip("/").rsplit("/", 1)[1]
    if how == "expired":
        Invitation.objects.update(expires=timezone.now() - dt.timedelta(seconds=1))
    elif how == "tampered":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    else:
        url = f"/api/projects/{project.slug}/invitations/{body['id']}/"
        assert client_for(manager).delete(url).status_code == 204
    members = Membership.objects.count()
    response = anon.post(
        "/api/invitations/accept/",
        {"token": token, "username": "dana", "password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 400
    assert Membership.objects.count() == members
    assert not Membership.objects.filter(user__username="dana").exists()


def test_a_logged_in_user_accepts_as_themselves(
    client_for: Clients, project: Any, manager: Any
) -> None:
    token = _invite(client_for(manager), project).json()["link"].rstrip("/").rsplit("/", 1)[1]
    someone = UserFactory(username="elif")
    with_password = client_for(someone).post(
        "/api/invitations/accept/", {"token": token, "password": "x"}, format="json"
    )
    assert with_password.status_code == 400
    response = client_for(someone).post("/api/invitations/accept/", {"token": token}, format="json")
    assert response.status_code == 200 and response.json()["username"] == "elif"


# --- Personal API tokens ---------------------------------------------------------------


def _use(key: str) -> int:
    client = APIClient()
    return int(client.get("/api/projects/", HTTP_AUTHORIZATION=f"Token {key}").status_code)


def test_a_personal_token_is_made_listed_used_and_revoked(
    client_for: Clients, annotator: Any
) -> None:
    api = client_for(annotator)
    made = api.post("/api/tokens/", {"name": "nightly"}, format="json")
    assert made.status_code == 201
    key = made.json()["token"]
    assert ApiToken.objects.get().last_used is None
    assert _use(key) == 200
    assert ApiToken.objects.get().last_used is not None  # last use noted
    listed = api.get("/api/tokens/").json()["results"]
    assert [(t["name"], "token" in t, t["last_used"] is not None) for t in listed] == [
        ("nightly", False, True)
    ]
    assert api.delete(f"/api/tokens/{made.json()['id']}/").status_code == 204
    assert _use(key) == 401  # revoked: refused


def test_the_last_use_is_noted_again_after_a_minute(annotator: Any) -> None:
    from corpus.services import api_token_create

    token, key = api_token_create(user=annotator, name="script")
    long_ago = timezone.now() - dt.timedelta(hours=1)
    ApiToken.objects.update(last_used=long_ago)
    assert _use(key) == 200
    last_used = ApiToken.objects.get().last_used
    assert last_used is not None and last_used > long_ago


def test_someone_elses_token_is_404(client_for: Clients, annotator: Any, manager: Any) -> None:
    made = client_for(manager).post("/api/tokens/", {"name": "mine"}, format="json").json()
    assert client_for(annotator).delete(f"/api/tokens/{made['id']}/").status_code == 404
    assert _use(made["token"]) == 200


def test_a_personal_token_expires_with_the_ttl(
    client_for: Clients, annotator: Any, settings: Any
) -> None:
    key = client_for(annotator).post("/api/tokens/", {"name": "n"}, format="json").json()["token"]
    settings.API_TOKEN_TTL = 60
    ApiToken.objects.update(created=timezone.now() - dt.timedelta(seconds=61))
    response = APIClient().get("/api/projects/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401 and response.json()["code"] == "token_expired"


def test_a_password_change_revokes_personal_tokens(client_for: Clients, annotator: Any) -> None:
    key = client_for(annotator).post("/api/tokens/", {"name": "n"}, format="json").json()["token"]
    annotator.set_password(NEW_PASSWORD)
    annotator.save()
    assert _use(key) == 401


@pytest.mark.parametrize("key", ["cdp_" + "0" * 40, "cdp_" + "g" * 40, "cdp_\x00" + "0" * 39])
def test_a_wrong_personal_token_is_401(db: Any, key: str) -> None:
    assert _use(key) == 401


def test_the_login_token_still_works_beside_personal_ones(anon: APIClient, annotator: Any) -> None:
    from corpus.services import api_token_create

    api_token_create(user=annotator, name="n")
    login = anon.post(
        "/api/auth/token/", {"username": "annotator", "password": PASSWORD}, format="json"
    )
    assert _use(login.json()["token"]) == 200
