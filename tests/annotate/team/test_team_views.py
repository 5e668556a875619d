"""The team page (managers) and the invitation link's page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotate.models import Assignment
from corpus import invitations
from corpus.models import Invitation, Membership, Role
from tests.conftest import login
from tests.factories import MembershipFactory, UserFactory, make_claim

NEW_PASSWORD = "a-much-longer-passphrase-91"
pytestmark = pytest.mark.django_db


def _team(project: Any) -> str:
    return reverse("annotate:team", args=[project.slug])


def _link_in(html: str) -> str:
    found = re.search(r'value="(https?://[^"]+/invitations/[^"]+/)"', html)
    assert found, "no invitation link on the page"
    return found.group(1)


def test_the_team_page_lists_members_with_their_work(
    client: Client, project: Any, manager: Any, annotator: Any, assigned_article: Any,
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    make_claim(assigned_article, annotator)
    login(client, manager)
    with django_assert_max_num_queries(12):
        response = client.get(_team(project))
    html = response.content.decode()
    assert response.status_code == 200
    row = html[html.index(f'id="member-{annotator.pk}"') :]
    assert "1 article, 1 claim" in row[: row.index("</tr>")]


def test_a_curator_gets_403_and_an_outsider_404(
    client: Client, project: Any, curator: Any, outsider: Any
) -> None:
    assert login(client, curator).get(_team(project)).status_code == 403
    assert login(Client(), outsider).get(_team(project)).status_code == 404


def test_a_manager_adds_a_user_by_email_and_changes_their_role(
    client: Client, project: Any, manager: Any
) -> None:
    newcomer = UserFactory(username="aida", email="aida@example.org")
    login(client, manager)
    response = client.post(
        reverse("annotate:team-add", args=[project.slug]),
        {"who": "AIDA@example.org", "role": "annotator"},
        follow=True,
    )
    assert "aida joined as annotator" in response.content.decode()
    client.post(
        reverse("annotate:member-role", args=[project.slug, newcomer.pk]), {"role": "curator"}
    )
    assert Membership.objects.get(project=project, user=newcomer).role == Role.CURATOR


def test_removing_a_member_with_claims_is_refused(
    client: Client, project: Any, manager: Any, annotator: Any, assigned_article: Any
) -> None:
    make_claim(assigned_article, annotator)
    login(client, manager)
    response = client.post(
        reverse("annotate:member-remove", args=[project.slug, annotator.pk]), follow=True
    )
    assert "has 1 claim" in response.content.decode()
    assert Membership.objects.filter(project=project, user=annotator).exists()
    assert Assignment.objects.filter(annotator=annotator).exists()


def test_removing_a_member_without_claims_takes_their_assignments_back(
    client: Client, project: Any, manager: Any, annotator: Any, assigned_article: Any
) -> None:
    login(client, manager)
    response = client.post(
        reverse("annotate:member-remove", args=[project.slug, annotator.pk]), follow=True
    )
    assert "1 assignment taken back" in response.content.decode()
    assert not Membership.objects.filter(project=project, user=annotator).exists()
    assert not Assignment.objects.filter(annotator=annotator).exists()


def test_the_last_manager_cannot_leave_from_the_page(
    client: Client, project: Any, manager: Any
) -> None:
    login(client, manager)
    response = client.post(
        reverse("annotate:member-remove", args=[project.slug, manager.pk]), follow=True
    )
    assert "last manager" in response.content.decode()
    client.post(
        reverse("annotate:member-role", args=[project.slug, manager.pk]), {"role": "curator"}
    )
    assert Membership.objects.get(project=project, user=manager).role == Role.MANAGER


def test_a_member_of_another_project_is_404_on_the_member_routes(
    client: Client, project: Any, manager: Any, outsider: Any
) -> None:
    login(client, manager)
    url = reverse("annotate:member-remove", args=[project.slug, outsider.pk])
    assert client.post(url).status_code == 404


def test_inviting_shows_the_link_once_and_emails_it(
    client: Client, project: Any, manager: Any
) -> None:
    login(client, manager)
    response = client.post(
        reverse("annotate:team-invite", args=[project.slug]),
        {"email": "new@example.org", "role": "annotator"},
    )
    link = _link_in(response.content.decode())
    assert "Sent by e-mail" in response.content.decode()
    assert link in mail.outbox[0].body
    again = client.get(_team(project)).content.decode()
    assert "new@example.org" in again and link not in again  # listed, the link not shown again


def test_without_a_mailer_the_page_says_to_copy_the_link(
    client: Client, project: Any, manager: Any, settings: Any
) -> None:
    settings.MAILERS = {"default": {"BACKEND": invitations.DUMMY_BACKEND}}
    login(client, manager)
    response = client.post(
        reverse("annotate:team-invite", args=[project.slug]), {"email": "new@example.org"}
    )
    html = response.content.decode()
    assert "copy it to new@example.org" in html and _link_in(html)
    assert mail.outbox == []


def test_a_revoked_invitation_link_stops_working(
    client: Client, project: Any, manager: Any
) -> None:
    invitation, token = invitations.invitation_create(
        project=project, email="new@example.org", role="annotator", inviter=manager
    )
    login(client, manager)
    client.post(reverse("annotate:invitation-revoke", args=[project.slug, invitation.pk]))
    response = Client().get(reverse("annotate:invitation", args=[token]))
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()


# --- The invitation link ---------------------------------------------------------------


def _invited(project: Any, manager: Any, **kw: Any) -> str:
    _, token = invitations.invitation_create(
        project=project, email="new@example.org", role=kw.get("role", "annotator"), inviter=manager
    )
    return reverse("annotate:invitation", args=[token])


def test_a_new_person_signs_up_and_lands_in_their_queue(project: Any, manager: Any) -> None:
    url = _invited(project, manager)
    client = Client()
    page = client.get(url)
    assert page.status_code == 200 and "Join “" in page.content.decode()
    response = client.post(
        url, {"username": "dana", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == reverse("annotate:queue")
    queue = client.get(response["Location"])
    assert queue.status_code == 200 and queue.wsgi_request.user.username == "dana"
    assert Membership.objects.get(user__username="dana").role == Role.ANNOTATOR


def test_a_weak_password_keeps_the_form_with_the_reason(project: Any, manager: Any) -> None:
    url = _invited(project, manager)
    response = Client().post(url, {"username": "dana", "password1": "abc", "password2": "abc"})
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not get_user_model().objects.filter(username="dana").exists()
    assert Invitation.objects.get().used_at is None


def test_a_logged_in_user_accepts(client: Client, project: Any, manager: Any) -> None:
    url = _invited(project, manager, role="curator")
    someone = UserFactory(username="elif")
    login(client, someone)
    assert "Join as elif" in client.get(url).content.decode()
    response = client.post(url)
    assert response["Location"] == reverse("annotate:queue")
    assert Membership.objects.get(project=project, user=someone).role == Role.CURATOR


@pytest.mark.parametrize("how", ["expired", "reused", "tampered"])
def test_a_bad_link_gets_a_clear_page_and_writes_nothing(
    project: Any, manager: Any, how: str
) -> None:
    url = _invited(project, manager)
    if how == "expired":
        Invitation.objects.update(expires=timezone.now() - dt.timedelta(minutes=1))
    elif how == "reused":
        Client().post(
            url, {"username": "first", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )
    else:
        url = url[:-3] + ("x/" if url[-2] != "x" else "y/")
    users, members = get_user_model().objects.count(), Membership.objects.count()
    client = Client()
    page = client.get(url)
    response = client.post(
        url, {"username": "dana", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    expected = {"expired": "has expired", "reused": "used already", "tampered": "not valid"}[how]
    for answer in (page, response):
        assert answer.status_code == (404 if how == "tampered" else 410)
        assert expected in answer.content.decode()
    assert (get_user_model().objects.count(), Membership.objects.count()) == (users, members)


def test_a_project_page_links_the_team_for_managers_only(
    client: Client, project: Any, manager: Any, curator: Any
) -> None:
    detail = reverse("corpus:project-detail", args=[project.slug])
    assert _team(project) in login(client, manager).get(detail).content.decode()
    assert _team(project) not in login(Client(), curator).get(detail).content.decode()


def test_another_manager_may_leave_and_lands_on_the_project_list(
    client: Client, project: Any, manager: Any
) -> None:
    MembershipFactory(project=project, role=Role.MANAGER)
    login(client, manager)
    response = client.post(reverse("annotate:member-remove", args=[project.slug, manager.pk]))
    assert response["Location"] == reverse("corpus:project-list")


def test_the_sign_up_form_needs_the_csrf_token(project: Any, manager: Any) -> None:
    url = _invited(project, manager)
    data = {"username": "dana", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert Client(enforce_csrf_checks=True).post(url, data).status_code == 403
    assert not get_user_model().objects.filter(username="dana").exists()
