"""The 403 and 500 pages and the Export page wear the app's style (issue 18: unstyled)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from config.urls import server_error
from tests.factories import PASSWORD, SourceFactory

pytestmark = pytest.mark.django_db


def test_a_403_is_the_apps_page_not_djangos_bare_one(client: Client, annotator: Any) -> None:
    source = SourceFactory(project=annotator.memberships.get().project)
    client.login(username=annotator.username, password=PASSWORD)
    response = client.post(reverse("annotate:source-merge", args=[source.pk]), {"merge": ""})
    assert response.status_code == 403
    page = response.content.decode()
    assert "claimdesk/app.css" in page
    assert "Not allowed" in page and 'class="auth-card"' in page


def test_the_500_page_links_the_css_and_needs_no_database(
    django_assert_num_queries: Any,
) -> None:
    request = RequestFactory().get("/anything/")
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    page = response.content.decode()
    assert '<link rel="stylesheet" href="/static/claimdesk/app.css">' in page
    assert "Something went wrong" in page and 'class="auth-card"' in page


def test_the_export_forms_text_inputs_are_styled_text_inputs(client: Client, curator: Any) -> None:
    client.login(username=curator.username, password=PASSWORD)
    project = curator.memberships.get().project
    page = client.get(reverse("annotate:export", args=[project.slug])).content.decode()
    assert 'class="export-form"' in page
    # An <input> without a type matched none of app.css's input rules (it showed bare).
    for name in ("stance", "article", "seed", "ratios"):
        assert f'type="text" name="{name}"' in page.replace(f'id="export-{name}" ', "")
