"""Writes to the corpus's people: service users, memberships and roles (a project always
keeps a manager), passwords and API tokens. Re-exported by ``corpus.services``, the
corpus's one write path."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from common import limits
from common.text import check_text
from corpus import api_tokens, selectors
from corpus.models import (
    ApiToken,
    Membership,
    Project,
    Role,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def user_ensure(*, username: str) -> Any:
    """The user called ``username``, made if there is none: no usable password, not staff
    (a service account for commands, e.g. the evaluation's annotator)."""
    users = get_user_model().objects
    found = users.filter(username=username).first()
    if found is not None:
        return found
    return users.create_user(username=username)


@transaction.atomic
def membership_set(*, project: Project, user: User, role: str) -> Membership:
    """Give the user this role in the project (creating or changing the membership)."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role “{role}”: use one of {Role.values}."})
    if role != Role.MANAGER:
        _keep_a_manager(project, user, "stop managing it")
    membership, _ = Membership.objects.update_or_create(
        project=project, user=user, defaults={"role": role}
    )
    user.__dict__.pop("_claimdesk_roles", None)
    return membership


def _keep_a_manager(project: Project, user: Any, action: str) -> None:
    """Refuse when the user is the project's last manager: a project always keeps one.
    The managers' rows are locked first, so that two managers demoting each other at
    once cannot both pass."""
    managers = list(
        Membership.objects.select_for_update()
        .filter(project=project, role=Role.MANAGER)
        .values_list("user_id", flat=True)
    )
    if managers == [user.pk]:
        raise ValidationError(
            {
                "role": f"{user} is the last manager of “{project}” and can't {action}: "
                "make someone else a manager first."
            }
        )


@transaction.atomic
def membership_add(*, project: Project, who: str, role: str) -> Membership:
    """Add an existing user to the project, found by username or e-mail address
    (``corpus.selectors.user_by_name_or_email``); refused if they are a member already."""
    user = selectors.user_by_name_or_email(who)
    if Membership.objects.filter(project=project, user=user).exists():
        raise ValidationError(
            {"who": f"{user} is already a member of “{project}”: change their role instead."}
        )
    return membership_set(project=project, user=user, role=role)


@transaction.atomic
def membership_delete(*, membership: Membership) -> None:
    """Take the user out of the project (their claims and assignments stay; the team page
    and API remove members through ``annotate.team.services.member_remove``, which first
    checks their claims). The last manager stays."""
    if membership.role == Role.MANAGER:
        _keep_a_manager(membership.project, membership.user, "leave it")
    membership.delete()
    membership.user.__dict__.pop("_claimdesk_roles", None)


@transaction.atomic
def password_change(*, user: User, password: str) -> None:
    """Set the user's new password (checked by the caller's form against Django's password
    validators). Saving it revokes their API tokens (``corpus.api_tokens``)."""
    user.set_password(password)
    user.save(update_fields=["password"])


@transaction.atomic
def token_issue(*, user: User) -> Token:
    """The user's API token: the existing one while it is valid (``API_TOKEN_TTL``), else
    a new one."""
    token, created = Token.objects.select_for_update().get_or_create(user=user)
    if not created and api_tokens.is_expired(token):
        token.delete()
        token = Token.objects.create(user=user)
    return token


@transaction.atomic
def token_revoke(*, user: User) -> int:
    """Delete the user's API tokens, the login token and every personal one: requests
    with them are refused from now on."""
    deleted, _ = Token.objects.filter(user=user).delete()
    personal, _ = ApiToken.objects.filter(user=user).delete()
    return deleted + personal


@transaction.atomic
def api_token_create(*, user: Any, name: str) -> tuple[ApiToken, str]:
    """A new personal API token for the user, and its secret (shown once: only its hash
    is stored). Names are the user's own labels, one token each."""
    name = check_text(name.strip(), field="name", limit=limits.TOKEN_NAME)
    if not name:
        raise ValidationError({"name": "Give the token a name (what uses it)."})
    if ApiToken.objects.filter(user=user, name=name).exists():
        raise ValidationError({"name": f"You have a token called “{name}” already."})
    if ApiToken.objects.filter(user=user).count() >= api_tokens.MAX_PERSONAL_TOKENS:
        raise ValidationError(
            {"name": f"You have {api_tokens.MAX_PERSONAL_TOKENS} tokens: revoke one first."}
        )
    key = api_tokens.new_personal_key()
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=api_tokens.key_hash(key), prefix=key[:12]
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    """Revoke a personal API token: requests with it are refused from now on."""
    ApiToken.objects.filter(pk=token.pk).delete()


def api_token_touch(*, token: ApiToken) -> None:
    """Note the token's use, at most once every ``API_TOKEN_TOUCH_SECONDS`` (one UPDATE
    per interval, not one per request)."""
    now = timezone.now()
    interval = dt.timedelta(seconds=settings.API_TOKEN_TOUCH_SECONDS)
    if token.last_used is None or now - token.last_used >= interval:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
