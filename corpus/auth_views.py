"""The login page, with failed attempts throttled (``corpus.login_throttle``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView

from corpus import login_throttle


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        assert self.request is not None
        # Counted before the password is checked, so that parallel tries can't pass the limit.
        lock = login_throttle.attempt(username, self.request)
        if lock is not None:
            raise forms.ValidationError(lock.message, code="throttled")
        cleaned = super().clean()  # a failure keeps its count
        login_throttle.reset(username, self.request)
        return cleaned


class ThrottledLoginView(LoginView):
    form_class = ThrottledAuthenticationForm
