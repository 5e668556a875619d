"""The user's own page: their projects and roles, their password, their personal API
tokens (named, several, with the time of last use; the secret is shown once).

Changing the password revokes every API token of the user (``corpus.api_tokens``), and the
page says so. Writes go through ``corpus.services``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from corpus import api_tokens, services
from corpus.models import ApiToken, Membership

PAGE = "corpus/account.html"


def _page(request: HttpRequest, status: int = 200, **extra: Any) -> HttpResponse:
    user: Any = request.user
    tokens = list(ApiToken.objects.filter(user=user))
    for token in tokens:
        token.expires = api_tokens.expires_at(token)  # type: ignore[attr-defined]
    context = {
        "memberships": Membership.objects.filter(user=user)
        .select_related("project")
        .order_by("project__name"),
        "tokens": tokens,
        "password_form": PasswordChangeForm(user),
        "token_ttl": settings.API_TOKEN_TTL,
        **extra,
    }
    return render(request, PAGE, context, status=status)


@require_GET
@login_required
def account(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@login_required
def account_password(request: HttpRequest) -> HttpResponse:
    """Change the password (Django's form and validators); the session stays logged in."""
    user: Any = request.user
    form = PasswordChangeForm(user, request.POST)
    if not form.is_valid():
        return _page(request, password_form=form)
    services.password_change(user=user, password=form.cleaned_data["new_password1"])
    update_session_auth_hash(request, user)
    messages.success(request, "Your password is changed, and your API tokens are revoked.")
    return redirect("corpus:account")


@require_POST
@login_required
def account_token_create(request: HttpRequest) -> HttpResponse:
    """Make a personal API token; the page comes back with its secret, shown this once."""
    try:
        token, key = services.api_token_create(user=request.user, name=request.POST.get("name", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("corpus:account")
    return _page(request, new_token=token, new_key=key)


@require_POST
@login_required
def account_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    token = ApiToken.objects.filter(user=user, pk=pk).first()
    if token is None:
        raise Http404("No such token.")
    services.api_token_revoke(token=token)
    messages.success(request, f"The token “{token.name}” is revoked.")
    return redirect("corpus:account")
