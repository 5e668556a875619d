"""The team page of a project (managers): its members, their roles and work; adding an
existing user, changing a role, removing a member; inviting new people and revoking
invitations. And the invitation link's page, where the invited person joins.

Managers only: someone outside the project gets 404, any other member 403. Every write
goes through ``corpus.services``, ``corpus.invitations`` or ``annotate.team.services``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from annotate.team import selectors, services
from annotate.team.forms import JoinForm
from common.http import HtmxHttpRequest
from corpus import invitations, permissions
from corpus.models import Project, Role
from corpus.services import membership_add, membership_set

PAGE = "annotate/team.html"

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def managed_project(user: User, slug: str) -> Project:
    return permissions.project_for(user, slug, Role.MANAGER, "change its team")


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for ms in error.message_dict.values() for m in ms]
    return list(error.messages)


def _refuse(request: HtmxHttpRequest, error: ValidationError) -> None:
    for message in _messages(error):
        messages.error(request, message)


def _page(request: HtmxHttpRequest, project: Project, **extra: Any) -> HttpResponse:
    context = {
        "project": project,
        "members": selectors.members_with_work(project),
        "invitations": [
            (invitation, invitations.invitation_state(invitation))
            for invitation in selectors.pending_invitations(project)
        ],
        "roles": Role.choices,
        "email_configured": invitations.email_configured(),
        "invitation_days": settings.CLAIMDESK_INVITATION_DAYS,
        **extra,
    }
    return render(request, PAGE, context)


@require_GET
@login_required
def team(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """The members with their roles and work, and the open invitations."""
    return _page(request, managed_project(request.user, slug))


@require_POST
@login_required
def team_add(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Add an existing user, by username or e-mail address."""
    project = managed_project(request.user, slug)
    try:
        membership = membership_add(
            project=project,
            who=request.POST.get("who", ""),
            role=request.POST.get("role", Role.ANNOTATOR),
        )
    except ValidationError as error:
        _refuse(request, error)
    else:
        messages.success(
            request,
            f"{membership.user.get_username()} joined as {membership.get_role_display().lower()}.",
        )
    return redirect("annotate:team", slug=project.slug)


def _member(project: Project, pk: int) -> Any:
    membership = selectors.member_of(project, pk)
    if membership is None:
        raise Http404("No such member.")
    return membership


@require_POST
@login_required
def member_role(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    project = managed_project(request.user, slug)
    membership = _member(project, pk)
    try:
        changed = membership_set(
            project=project, user=membership.user, role=request.POST.get("role", "")
        )
    except ValidationError as error:
        _refuse(request, error)
    else:
        messages.success(
            request,
            f"{membership.user.get_username()} is now {changed.get_role_display().lower()}.",
        )
        if membership.user_id == request.user.pk and changed.role != Role.MANAGER:
            return redirect("corpus:project-detail", slug=project.slug)
    return redirect("annotate:team", slug=project.slug)


@require_POST
@login_required
def member_remove(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    project = managed_project(request.user, slug)
    membership = _member(project, pk)
    try:
        taken = services.member_remove(membership=membership, actor=request.user)
    except ValidationError as error:
        _refuse(request, error)
    else:
        back = f", and {taken} assignment{'s' if taken != 1 else ''} taken back" if taken else ""
        messages.success(request, f"{membership.user.get_username()} left the project{back}.")
        if membership.user_id == request.user.pk:
            return redirect("corpus:project-list")
    return redirect("annotate:team", slug=project.slug)


@require_POST
@login_required
def team_invite(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    """Invite an e-mail address: the page comes back with the link (to copy; it is shown
    this once) and whether it was e-mailed."""
    project = managed_project(request.user, slug)
    try:
        invitation, token = invitations.invitation_create(
            project=project,
            email=request.POST.get("email", ""),
            role=request.POST.get("role", Role.ANNOTATOR),
            inviter=request.user,
        )
    except ValidationError as error:
        _refuse(request, error)
        return redirect("annotate:team", slug=project.slug)
    link = request.build_absolute_uri(reverse("annotate:invitation", args=[token]))
    emailed = invitations.invitation_send(invitation=invitation, link=link)
    return _page(request, project, new_invitation=invitation, new_link=link, emailed=emailed)


@require_POST
@login_required
def invitation_revoke(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    project = managed_project(request.user, slug)
    invitation = selectors.invitation_of(project, pk)
    if invitation is None:
        raise Http404("No such invitation.")
    try:
        invitations.invitation_revoke(invitation=invitation)
    except ValidationError as error:
        _refuse(request, error)
    else:
        messages.success(request, f"The invitation of {invitation.email} is withdrawn.")
    return redirect("annotate:team", slug=project.slug)


_STATUS = {"unknown": 404, "used": 410, "revoked": 410, "expired": 410}


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """The invitation link: a new person chooses a username and password; a logged-in
    user accepts. Either way they land in their queue, a member of the project. A link
    that is unknown, used, revoked or expired gets a page that says so."""
    page = "annotate/invitation.html"
    try:
        found = invitations.invitation_for_token(token)
    except invitations.InvitationError as error:
        return render(
            request, page, {"refusal": error.messages[0]}, status=_STATUS.get(error.reason, 404)
        )
    form = JoinForm(request.POST or None) if not request.user.is_authenticated else None
    if request.method == "POST":
        try:
            if form is None:
                membership = invitations.invitation_accept(token=token, user=request.user)
            elif form.is_valid():
                membership = invitations.invitation_accept_new(
                    token=token,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"],
                )
                login(request, membership.user)
            else:
                membership = None
        except invitations.InvitationError as error:  # used or revoked meanwhile
            return render(request, page, {"refusal": error.messages[0]}, status=410)
        except ValidationError as error:
            membership = None
            if form is None:
                _refuse(request, error)
            elif hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    name = "password1" if field == "password" else field
                    for message in errors:
                        form.add_error(name if name in form.fields else None, message)
            else:
                form.add_error(None, error)
        if membership is not None:
            messages.success(
                request,
                f"Welcome to “{membership.project}”: you are "
                f"{membership.get_role_display().lower()} there.",
            )
            return redirect("annotate:queue")
    return render(request, page, {"invitation": found, "form": form})
