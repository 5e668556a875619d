"""Fixtures of the API tests: clients that authenticate as a user, and the objects a
claim needs (a source, a target, a complete set of labels)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotate import services
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
    start = article.text.index(words)
    return start, start + len(words)


def labels(source: Any, target: Any) -> dict[str, Any]:
    """A complete, valid set of labels for the default scheme."""
    return {
        "source": source.pk,
        "attribution": "reported",
        "stances": [{"target": target.pk, "stance": "favor"}],
        "source_reliability": "B",
        "information_credibility": "2",
        "claim_type": "factual",
    }


def claim_body(
    article: Any, source: Any, target: Any, words: str = "Turkey’s influence"
) -> dict[str, Any]:
    start, end = span_of(article, words)
    return {"start": start, "end": end, "quote": words, **labels(source, target)}


@pytest.fixture
def make_claim(source: Any, target: Any) -> Callable[..., Any]:
    """A claim made through the service, as the workspace would."""

    def make(article: Any, annotator: Any, words: str = "Turkey’s influence") -> Any:
        start, end = span_of(article, words)
        return services.claim_create(
            article=article,
            annotator=annotator,
            start=start,
            end=end,
            quote=words,
            source=source,
            stances=[services.StanceInput(target=target, stance="favor")],
            attribution="reported",
            source_reliability="B",
            information_credibility="2",
            claim_type="factual",
        )

    return make
