"""Random offsets and quotes through the claim service and the API: every answer is a
claim or a clear rejection (ValidationError / 400 with a message), never a 5xx, and a
rejection writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotate.claims import checks as claim_checks
from annotate.claims import services as claim_services
from annotate.claims.values import claim_fields
from annotate.models import Claim, History
from tests.security.conftest import LABELS, World, api_client

# Bigger than the text, negative, huge: everything an API client could send.
OFFSET = st.one_of(st.integers(-5, 120), st.integers(-(2**63), 2**63), st.none())
QUOTE = st.one_of(st.none(), st.text(max_size=40))
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _counts() -> tuple[int, int]:
    return Claim.objects.count(), History.objects.count()


@pytest.mark.django_db
@FUZZ
@given(start=st.integers(-5, 120), end=st.integers(-5, 120), quote=QUOTE)
def test_the_claim_service_creates_or_rejects_cleanly(
    world: World, start: int, end: int, quote: str | None
) -> None:
    before = _counts()
    text = world.article.text
    try:
        claim = claim_services.claim_create(
            article=world.article,
            annotator=world.a,
            fields=claim_fields(
                {
                    "start": start,
                    "end": end,
                    "quote": quote,
                    "source": world.source,
                    "stances": [claim_checks.StanceInput(target=world.target, stance="favor")],
                    **LABELS,
                }
            ),
        )
    except ValidationError as error:
        assert error.messages and all(m.strip() for m in error.messages)
        assert _counts() == before
    else:
        assert 0 <= claim.start < claim.end <= len(text)
        assert claim.quote == text[claim.start : claim.end]
        assert quote is None or quote == claim.quote
        claim.delete()


@pytest.mark.django_db
@FUZZ
@given(start=OFFSET, end=OFFSET, quote=QUOTE, mention=st.lists(OFFSET, max_size=3))
def test_the_claim_api_never_answers_5xx(
    world: World, start: Any, end: Any, quote: Any, mention: list[Any]
) -> None:
    before = _counts()
    body: dict[str, Any] = {
        "start": start,
        "end": end,
        "quote": quote,
        "source": world.source.pk,
        "stances": [{"target": world.target.pk, "stance": "favor"}],
        **LABELS,
    }
    if mention:
        body["source_mention"] = dict(zip(("start", "end"), mention, strict=False))
    response = api_client(world.a).post(
        reverse("api:claim-list", args=[world.article.pk]), body, format="json"
    )
    assert response.status_code in (201, 400), (response.status_code, response.content[:300])
    if response.status_code == 400:
        assert response.json()["detail"].strip()
        assert _counts() == before
    else:
        Claim.objects.filter(pk=response.json()["id"]).delete()
