"""The form of the invitation page for a new person: a username and a password, twice.

Only the shape and the repeated password are checked here; the username's rules and
Django's password validators are ``corpus.invitations.invitation_accept_new``'s.
"""

from __future__ import annotations

from typing import Any

from django import forms

from common import limits


class JoinForm(forms.Form):
    username = forms.CharField(
        max_length=limits.USERNAME.size,
        help_text="Letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        one, two = cleaned.get("password1"), cleaned.get("password2")
        if one and two and one != two:
            self.add_error("password2", "The two passwords differ.")
        return cleaned
