"""``common.http`` and ``common.htmx``: the typed requests' user, and the htmx answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import RequestFactory
from django_htmx.http import trigger_client_event

from common.htmx import TOAST, fragments, toast
from common.http import user_of

PAGE = "annotate/workspace.html"


def test_fragments_are_the_partials_in_order_with_the_status(rf: RequestFactory) -> None:
    request = rf.post("/")
    response = fragments(
        request, PAGE, [("panel-empty", {}), ("panel-message", {"message": "Hello"})], status=422
    )
    first = render_to_string(f"{PAGE}#panel-empty", {}, request=request)
    second = render_to_string(f"{PAGE}#panel-message", {"message": "Hello"}, request=request)
    assert response.status_code == 422
    assert response.content.decode() == first + second
    assert "Hello" in second


def test_toast_adds_its_event_to_those_the_response_triggers() -> None:
    response = HttpResponse()
    trigger_client_event(response, "claimdesk:saved", {"id": 1})
    assert toast(response, "Claim deleted.", undo="/undo/") is response
    events = json.loads(response["HX-Trigger"])
    assert events == {
        "claimdesk:saved": {"id": 1},
        TOAST: {"message": "Claim deleted.", "undo": "/undo/"},
    }


@pytest.mark.django_db
def test_user_of_is_the_logged_in_user_and_refuses_anonymous(
    rf: RequestFactory, annotator: Any
) -> None:
    request = rf.get("/")
    request.user = annotator
    assert user_of(request) is annotator
    request.user = AnonymousUser()
    with pytest.raises(PermissionDenied):
        user_of(request)
