"""Fixtures of the API tests: clients that authenticate as a user, and the objects a
claim needs (a source, a target, a complete set of labels)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import factories
from tests.factories import SourceFactory, TargetFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for(db: Any) -> Callable[[Any], APIClient]:
    """An API client that sends the user's token, as scripts do."""

    def make(user: Any) -> APIClient:
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def source(project: Any) -> Any:
    return SourceFactory(project=project, name="Ahmet Davutoğlu")


@pytest.fixture
def target(project: Any) -> Any:
    return TargetFactory(project=project, name="Turkey's influence in Central Asia")


def span_of(article: Any, words: str) -> tuple[int, int]:
    """The code-point offsets of ``words`` in the article's text."""
    return factories.span(article.text, words)


def labels(source: Any, target: Any) -> dict[str, Any]:
    """A complete, valid set of labels for the default scheme."""
    return {
        "source": source.pk,
        "stances": [{"target": target.pk, "stance": "favor"}],
        **factories.VALID_LABELS,
    }


def claim_body(
    article: Any, source: Any, target: Any, words: str = "Turkey’s influence"
) -> dict[str, Any]:
    start, end = span_of(article, words)
    return {"start": start, "end": end, "quote": words, **labels(source, target)}


@pytest.fixture
def make_claim(source: Any, target: Any) -> Callable[..., Any]:
    """``tests.factories.make_claim`` with this module's source and target."""
    return functools.partial(factories.make_claim, source=source, target=target)
