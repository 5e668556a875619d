"""The team's services: adding members, the last manager, invitations (made, sent, expired,
reused, tampered with, revoked, accepted) and personal API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from corpus import invitations
from corpus.invitations import InvitationError
from corpus.models import ApiToken, Invitation, Membership, Role
from corpus.services import (
    api_token_create,
    api_token_touch,
    membership_add,
    membership_delete,
    membership_set,
    token_revoke,
)
from tests.factories import MembershipFactory, UserFactory

NEW_PASSWORD = "a-much-longer-passphrase-91"
pytestmark = pytest.mark.django_db


def _state() -> tuple[int, int, int]:
    return (
        get_user_model().objects.count(),
        Membership.objects.count(),
        Invitation.objects.filter(used_at__isnull=False).count(),
    )


# --- Members ---------------------------------------------------------------------------


def test_a_user_is_added_by_username_or_email_ignoring_case(project: Any) -> None:
    UserFactory(username="Aigerim", email="aigerim@example.org")
    UserFactory(username="bolat", email="Bolat@Example.org")
    by_name = membership_add(project=project, who="aigerim", role=Role.ANNOTATOR)
    by_email = membership_add(project=project, who="bolat@example.org", role=Role.CURATOR)
    assert (by_name.user.username, by_name.role) == ("Aigerim", "annotator")
    assert (by_email.user.username, by_email.role) == ("bolat", "curator")


def test_adding_a_member_twice_or_a_stranger_is_refused(project: Any, annotator: Any) -> None:
    with pytest.raises(ValidationError, match="already a member"):
        membership_add(project=project, who="annotator", role=Role.MANAGER)
    with pytest.raises(ValidationError, match="invite them by e-mail"):
        membership_add(project=project, who="nobody@example.org", role=Role.ANNOTATOR)
    assert Membership.objects.get(project=project, user=annotator).role == Role.ANNOTATOR


def test_an_address_two_users_share_is_refused_as_ambiguous(project: Any) -> None:
    UserFactory(username="one", email="shared@example.org")
    UserFactory(username="two", email="SHARED@example.org")
    with pytest.raises(ValidationError, match="Several users"):
        membership_add(project=project, who="shared@example.org", role=Role.ANNOTATOR)


def test_the_last_manager_can_neither_leave_nor_step_down(project: Any, manager: Any) -> None:
    membership = Membership.objects.get(project=project, user=manager)
    with pytest.raises(ValidationError, match="last manager"):
        membership_delete(membership=membership)
    with pytest.raises(ValidationError, match="last manager"):
        membership_set(project=project, user=manager, role=Role.CURATOR)
    assert Membership.objects.get(pk=membership.pk).role == Role.MANAGER


def test_a_manager_may_leave_once_another_manages(project: Any, manager: Any) -> None:
    MembershipFactory(project=project, role=Role.MANAGER)
    membership_set(project=project, user=manager, role=Role.ANNOTATOR)
    assert Membership.objects.get(project=project, user=manager).role == Role.ANNOTATOR


# --- Invitations -----------------------------------------------------------------------


def _invite(project: Any, manager: Any, email: str = "new@example.org", **kw: Any) -> Any:
    return invitations.invitation_create(
        project=project, email=email, role=kw.get("role", Role.ANNOTATOR), inviter=manager
    )


def test_an_invitation_stores_only_the_tokens_hash_and_expires_after_the_setting(
    project: Any, manager: Any, settings: Any
) -> None:
    settings.CLAIMDESK_INVITATION_DAYS = 3
    invitation, token = _invite(project, manager, "New@EXAMPLE.org")
    assert invitation.email == "New@example.org"
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    assert invitation.token_hash == invitations.token_hash(token)
    days = (invitation.expires - invitation.created).total_seconds() / 86400
    assert round(days, 3) == 3


def test_a_new_person_accepts_with_a_username_and_password(project: Any, manager: Any) -> None:
    _, token = _invite(project, manager, role=Role.CURATOR)
    membership = invitations.invitation_accept_new(
        token=token, username="dana", password=NEW_PASSWORD
    )
    user = membership.user
    assert (user.username, user.email, membership.role) == ("dana", "new@example.org", "curator")
    assert user.check_password(NEW_PASSWORD)
    assert Invitation.objects.get().used_by == user


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("dana", "short", "password"),  # Django's validators: too short
        ("danaevans", "danaevans1", "password"),  # too like the username
        ("dana", "12345678901234", "password"),  # all digits
        ("manager", NEW_PASSWORD, "username"),  # taken
        ("MANAGER", NEW_PASSWORD, "username"),  # taken, in other case
        ("a b", NEW_PASSWORD, "username"),  # not a username
        ("", NEW_PASSWORD, "username"),
        ("dana", "", "password"),
        ("da\x00na", NEW_PASSWORD, "username"),
    ],
)
def test_a_bad_username_or_password_is_refused_and_writes_nothing(
    project: Any, manager: Any, username: str, password: str, field: str
) -> None:
    _, token = _invite(project, manager)
    before = _state()
    with pytest.raises(ValidationError) as caught:
        invitations.invitation_accept_new(token=token, username=username, password=password)
    assert field in caught.value.message_dict
    assert _state() == before


def test_an_existing_user_accepts_and_a_member_keeps_their_role(
    project: Any, manager: Any, curator: Any
) -> None:
    outsider = UserFactory(username="elif")
    _, token = _invite(project, manager)
    assert invitations.invitation_accept(token=token, user=outsider).role == Role.ANNOTATOR
    _, second = _invite(project, manager, "other@example.org", role=Role.ANNOTATOR)
    assert invitations.invitation_accept(token=second, user=curator).role == Role.CURATOR


def test_a_reused_link_is_refused_and_writes_nothing(project: Any, manager: Any) -> None:
    _, token = _invite(project, manager)
    invitations.invitation_accept_new(token=token, username="dana", password=NEW_PASSWORD)
    before = _state()
    with pytest.raises(InvitationError) as caught:
        invitations.invitation_accept_new(token=token, username="eve", password=NEW_PASSWORD)
    assert caught.value.reason == "used"
    with pytest.raises(InvitationError):
        invitations.invitation_accept(token=token, user=UserFactory())
    assert _state()[1:] == before[1:]
    assert not get_user_model().objects.filter(username="eve").exists()


def test_an_expired_link_is_refused_and_writes_nothing(project: Any, manager: Any) -> None:
    invitation, token = _invite(project, manager)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires=timezone.now() - dt.timedelta(seconds=1)
    )
    before = _state()
    with pytest.raises(InvitationError, match="expired") as caught:
        invitations.invitation_accept_new(token=token, username="dana", password=NEW_PASSWORD)
    assert caught.value.reason == "expired"
    assert _state() == before


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character changed
        lambda t: t[:-1],  # cut short
        lambda t: t + "x",
        lambda t: "",
        lambda t: t[:10] + "\x00" + t[11:],
    ],
)
def test_a_tampered_link_is_refused_and_writes_nothing(
    project: Any, manager: Any, mangle: Any
) -> None:
    _, token = _invite(project, manager)
    before = _state()
    with pytest.raises(InvitationError) as caught:
        invitations.invitation_accept_new(
            token=mangle(token), username="dana", password=NEW_PASSWORD
        )
    assert caught.value.reason == "unknown"
    assert _state() == before


def test_a_revoked_link_is_refused_and_a_used_one_cannot_be_revoked(
    project: Any, manager: Any
) -> None:
    invitation, token = _invite(project, manager)
    invitations.invitation_revoke(invitation=invitation)
    with pytest.raises(InvitationError) as caught:
        invitations.invitation_accept(token=token, user=UserFactory())
    assert caught.value.reason == "revoked"
    used, used_token = _invite(project, manager, "second@example.org")
    invitations.invitation_accept_new(token=used_token, username="dana", password=NEW_PASSWORD)
    with pytest.raises(ValidationError, match="accepted"):
        invitations.invitation_revoke(invitation=used)


def test_a_second_open_invitation_or_one_to_a_member_is_refused(
    project: Any, manager: Any, annotator: Any
) -> None:
    _invite(project, manager)
    with pytest.raises(ValidationError, match="still open"):
        _invite(project, manager, "NEW@example.org")
    with pytest.raises(ValidationError, match="has the address"):
        _invite(project, manager, annotator.email)
    with pytest.raises(ValidationError, match="not an e-mail address"):
        _invite(project, manager, "not an address")
    assert Invitation.objects.count() == 1


def test_the_invitation_is_emailed_when_a_mailer_is_configured(project: Any, manager: Any) -> None:
    # The test runner's mailer is the in-memory one: configured.
    invitation, token = _invite(project, manager)
    assert invitations.invitation_send(invitation=invitation, link=f"http://x/i/{token}/")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.org"]
    assert token in mail.outbox[0].body


def test_without_a_mailer_nothing_is_sent(project: Any, manager: Any, settings: Any) -> None:
    settings.MAILERS = {"default": {"BACKEND": invitations.DUMMY_BACKEND}}
    invitation, token = _invite(project, manager)
    assert not invitations.invitation_send(invitation=invitation, link=f"http://x/i/{token}/")
    assert mail.outbox == []


# --- Personal API tokens ---------------------------------------------------------------


def test_a_personal_token_is_stored_hashed_and_named_once(annotator: Any) -> None:
    token, key = api_token_create(user=annotator, name="  nightly export ")
    assert token.name == "nightly export"
    assert key.startswith("cdp_") and key not in token.key_hash and key.startswith(token.prefix)
    with pytest.raises(ValidationError, match="already"):
        api_token_create(user=annotator, name="nightly export")
    with pytest.raises(ValidationError, match="name"):
        api_token_create(user=annotator, name="   ")
    assert ApiToken.objects.count() == 1


def test_touching_a_token_writes_at_most_once_a_minute(
    annotator: Any, django_assert_num_queries: Any
) -> None:
    token, _ = api_token_create(user=annotator, name="script")
    with django_assert_num_queries(1):
        api_token_touch(token=token)
    first = token.last_used
    with django_assert_num_queries(0):
        api_token_touch(token=token)
    assert ApiToken.objects.get().last_used == first


def test_revoking_the_users_tokens_takes_the_personal_ones_too(annotator: Any) -> None:
    api_token_create(user=annotator, name="a")
    api_token_create(user=annotator, name="b")
    other, _ = api_token_create(user=UserFactory(), name="a")
    assert token_revoke(user=annotator) == 2
    assert list(ApiToken.objects.all()) == [other]
