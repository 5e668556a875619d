"""Invitations to a project: the services that make, send, revoke and accept them.

A manager invites an e-mail address with a role; the invitation's link carries a random
token of which only the SHA-256 is stored (``Invitation.token_hash``). The link works once,
for ``CLAIMDESK_INVITATION_DAYS`` days, unless revoked. Opening it, a new person chooses a
username and password (``invitation_accept_new``), or a logged-in user accepts
(``invitation_accept``); either way they become a member with the invitation's role.

A link that is unknown (mistyped, tampered with), used, revoked or expired is refused with
an ``InvitationError`` whose ``reason`` says which, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from common import limits
from common.text import check_text
from corpus.models import Invitation, Membership, Project, Role
from corpus.services import membership_set

log = logging.getLogger(__name__)

# secrets.token_urlsafe(32): 43 characters of the URL-safe alphabet.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
# The backend that sends nothing: with it, the team page shows the link to copy instead.
DUMMY_BACKEND = "django.core.mail.backends.dummy.EmailBackend"


class InvitationError(ValidationError):
    """Why an invitation link can't be used: ``reason`` is ``unknown``, ``used``,
    ``revoked`` or ``expired``."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message, code=f"invitation_{reason}")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def email_configured() -> bool:
    """Whether invitations go out by e-mail: a default mailer that is not the dummy one
    (``EMAIL_BACKEND`` unset, see config/settings.py)."""
    mailer = settings.MAILERS.get("default")
    return mailer is not None and mailer.get("BACKEND") != DUMMY_BACKEND


def email_clean(email: str) -> str:
    """The address, trimmed, with its domain in lower case; else a ValidationError."""
    email = check_text((email or "").strip(), field="email", limit=limits.EMAIL)
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": f"“{email}” is not an e-mail address."}) from error
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def _role_clean(role: str) -> str:
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role “{role}”: use one of {Role.values}."})
    return role


@transaction.atomic
def invitation_create(
    *, project: Project, email: str, role: str, inviter: Any
) -> tuple[Invitation, str]:
    """Invite ``email`` to the project as ``role``: the invitation and its token (for the
    link; shown once, only its hash is stored). Refused when a member already has this
    address, or a pending invitation for it has not expired."""
    email = email_clean(email)
    role = _role_clean(role)
    if Membership.objects.filter(project=project, user__email__iexact=email).exists():
        raise ValidationError(
            {"email": f"A member of “{project}” has the address {email} already."}
        )
    now = timezone.now()
    if (
        Invitation.objects.pending()
        .filter(project=project, email__iexact=email, expires__gt=now)
        .exists()
    ):
        raise ValidationError(
            {
                "email": f"{email} has an invitation to “{project}” that is still open: "
                "revoke it first to send a new one."
            }
        )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        project=project,
        email=email,
        role=role,
        inviter=inviter,
        token_hash=token_hash(token),
        expires=now + dt.timedelta(days=settings.CLAIMDESK_INVITATION_DAYS),
    )
    return invitation, token


def invitation_send(*, invitation: Invitation, link: str) -> bool:
    """E-mail the link to the invited address, if a backend is configured. Whether it was
    sent: a failing mail server is logged, and the page shows the link to copy instead."""
    if not email_configured():
        return False
    inviter = invitation.inviter.get_username() if invitation.inviter else "A manager"
    body = (
        f"{inviter} invites you to annotate in “{invitation.project}” on Claimdesk, as "
        f"{invitation.get_role_display().lower()}.\n\n"
        f"Open this link to join (it works once, until "
        f"{invitation.expires:%Y-%m-%d %H:%M} UTC):\n\n{link}\n"
    )
    try:
        send_mail(
            f"Invitation to “{invitation.project}”",
            body,
            None,
            [invitation.email],
            fail_silently=False,
        )
    except (OSError, ConnectionError) as error:  # smtplib's errors are OSErrors
        log.warning("invitation %s: the e-mail was not sent: %s", invitation.pk, error)
        return False
    return True


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> Invitation:
    """Revoke a pending invitation: its link stops working."""
    current = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if current.used_at is not None:
        raise ValidationError(f"{current.email} has accepted this invitation already.")
    if current.revoked_at is None:
        current.revoked_at = timezone.now()
        current.save(update_fields=["revoked_at"])
    return current


def invitation_state(invitation: Invitation) -> str:
    """``pending``, ``used``, ``revoked`` or ``expired``."""
    if invitation.used_at is not None:
        return "used"
    if invitation.revoked_at is not None:
        return "revoked"
    if timezone.now() >= invitation.expires:
        return "expired"
    return "pending"


_REFUSALS = {
    "used": "This invitation has been used already: each link works once. Log in, or ask "
    "the project's manager for a new invitation.",
    "revoked": "This invitation was withdrawn by the project's manager.",
    "expired": "This invitation has expired: ask the project's manager for a new one.",
}


def invitation_for_token(token: str, *, lock: bool = False) -> Invitation:
    """The pending invitation of this link's token, else an ``InvitationError``."""
    found = None
    if _TOKEN.fullmatch(token or ""):
        rows = Invitation.objects.select_related("project", "inviter")
        if lock:
            rows = rows.select_for_update(of=("self",))
        found = rows.filter(token_hash=token_hash(token)).first()
    if found is None:
        raise InvitationError(
            "unknown",
            "This invitation link is not valid: check that it was copied whole, or ask "
            "the project's manager for a new one.",
        )
    state = invitation_state(found)
    if state != "pending":
        raise InvitationError(state, _REFUSALS[state])
    return found


def _use(invitation: Invitation, user: Any) -> Membership:
    """Make the user a member with the invitation's role (a member already keeps their
    role), and mark the invitation used."""
    membership = Membership.objects.filter(project=invitation.project, user=user).first()
    if membership is None:
        membership = membership_set(project=invitation.project, user=user, role=invitation.role)
    invitation.used_at = timezone.now()
    invitation.used_by = user
    invitation.save(update_fields=["used_at", "used_by"])
    return membership


@transaction.atomic
def invitation_accept(*, token: str, user: Any) -> Membership:
    """A logged-in user accepts the invitation of ``token``: they join its project with
    its role (or keep the role they have there)."""
    invitation = invitation_for_token(token, lock=True)
    return _use(invitation, user)


@transaction.atomic
def invitation_accept_new(*, token: str, username: str, password: str) -> Membership:
    """A new person accepts the invitation of ``token``: a user with this username and
    password (Django's password validators), the invitation's e-mail address, and a
    membership with its role."""
    invitation = invitation_for_token(token, lock=True)
    users = get_user_model()
    username = check_text((username or "").strip(), field="username", limit=limits.USERNAME)
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = ["Choose a username."]
    else:
        try:
            users.username_validator(username)
        except ValidationError as error:
            errors["username"] = list(error.messages)
        if users.objects.filter(username__iexact=username).exists():
            errors["username"] = [f"The username “{username}” is taken: choose another."]
    candidate = users(username=username, email=invitation.email)
    try:
        validate_password(password or "", user=candidate)
    except ValidationError as error:
        errors["password"] = list(error.messages)
    if not password:
        errors["password"] = ["Choose a password."]
    if errors:
        raise ValidationError(errors)
    user = users.objects.create_user(username=username, email=invitation.email, password=password)
    return _use(invitation, user)
