"""Proposed sources (issue 18): where the project says "propose" (the default), an
annotator's new source is proposed — usable at once in their claims, hidden from other
annotators — and a curator confirms it (renamed if need be) or folds it into an existing
source."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.models import Claim, History, HistoryAction, Source, SourceStatus
from annotate.sources import selectors as source_selectors
from annotate.sources.services import source_add, source_confirm, source_create, source_reject
from corpus.models import AnnotatorSources
from corpus.services import project_update
from tests.conftest import login
from tests.factories import AssignmentFactory, make_claim

HX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def both_assigned(assigned_article: Any, other_annotator: Any) -> Any:
    AssignmentFactory(article=assigned_article, annotator=other_annotator)
    return assigned_article


def propose(client: Client, article: Any, user: Any, name: str) -> Any:
    login(client, user)
    url = reverse("annotate:workspace-source-create", args=[article.pk])
    return client.post(url, {"name": name, "kind": "person"}, **HX)


def search(client: Client, article: Any, q: str) -> str:
    url = reverse("annotate:workspace-source-search", args=[article.pk])
    return client.get(url, {"q": q}, **HX).content.decode()


@pytest.mark.django_db
def test_an_annotators_new_source_is_proposed_and_cited_at_once(
    client: Client, assigned_article: Any, annotator: Any
) -> None:
    response = propose(client, assigned_article, annotator, "Zhanna Nemtsova")

    assert response.status_code == 200
    source = Source.objects.get(name="Zhanna Nemtsova")
    assert source.status == SourceStatus.PROPOSED
    assert source.proposed_by == annotator
    html = response.content.decode()
    assert f'value="{source.pk}"' in html  # selected, and marked as proposed
    assert 'title="Proposed: a curator has not confirmed it yet">proposed</span>' in html
    claim = make_claim(assigned_article, annotator, source=source)
    assert claim.source == source
    # The proposer finds it in the picker, marked as proposed.
    found = search(client, assigned_article, "nemtsova")
    assert f'data-source-id="{source.pk}"' in found and "proposed" in found


@pytest.mark.django_db
def test_the_confirmation_says_propose(
    client: Client, assigned_article: Any, annotator: Any
) -> None:
    login(client, annotator)
    url = reverse("annotate:workspace-source-confirm", args=[assigned_article.pk])
    html = client.get(url, {"q": "Zhanna Nemtsova"}, **HX).content.decode()
    assert "Propose “Zhanna Nemtsova” as a new source?" in html
    assert 'data-action="create-source" data-name="Zhanna Nemtsova"' in html
    assert "Propose “Zhanna Nemtsova”" in html


@pytest.mark.django_db
def test_a_proposal_is_hidden_from_other_annotators(
    client: Client, both_assigned: Any, annotator: Any, other_annotator: Any, curator: Any
) -> None:
    propose(client, both_assigned, annotator, "Zhanna Nemtsova")
    source = Source.objects.get(name="Zhanna Nemtsova")

    login(client, other_annotator)
    assert f'data-source-id="{source.pk}"' not in search(client, both_assigned, "nemtsova")
    assert f'data-source-id="{source.pk}"' not in search(client, both_assigned, "nemtsovva")
    detail = reverse("annotate:source-detail", args=[source.pk])
    assert client.get(detail).status_code == 404
    page = client.get(reverse("annotate:source-list", args=[both_assigned.project.slug]))
    assert "Nemtsova" not in page.content.decode()
    api = APIClient()
    api.force_authenticate(other_annotator)
    listed = api.get(f"/api/projects/{both_assigned.project.slug}/sources/").json()
    assert "Zhanna Nemtsova" not in [s["name"] for s in listed["results"]]
    assert api.get(f"/api/sources/{source.pk}/").status_code == 404

    # Curators see it, in the queue with its count.
    login(client, curator)
    page = client.get(reverse("annotate:source-list", args=[both_assigned.project.slug]))
    html = page.content.decode()
    assert "data-proposed-count>1<" in html and f'data-proposed-source="{source.pk}"' in html


@pytest.mark.django_db
def test_proposing_a_name_another_annotator_proposed_joins_it_without_naming_them(
    client: Client, both_assigned: Any, annotator: Any, other_annotator: Any
) -> None:
    propose(client, both_assigned, annotator, "Zhanna Nemtsova")
    first = Source.objects.get(name="Zhanna Nemtsova")

    response = propose(client, both_assigned, other_annotator, "zhanna  nemtsova")

    assert response.status_code == 200
    assert Source.objects.filter(project=both_assigned.project).count() == 1
    assert f'value="{first.pk}"' in response.content.decode()
    assert "annotator" not in response.content.decode().split("source-picker", 1)[1][:2000]
    # Citing it makes it visible to them.
    make_claim(both_assigned, other_annotator, source=first)
    assert source_selectors.source_for(other_annotator, first.pk) == first


@pytest.mark.django_db
def test_a_curator_confirms_a_proposal_renamed(
    project: Any, annotator: Any, other_annotator: Any, curator: Any
) -> None:
    source = source_add(project=project, name="Zhana Nemtsova", actor=annotator)
    assert source.status == SourceStatus.PROPOSED

    confirmed = source_confirm(source=source, actor=curator, name="Zhanna Nemtsova")

    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.name) == (SourceStatus.CONFIRMED, "Zhanna Nemtsova")
    assert confirmed.proposed_by == annotator  # who proposed it stays recorded
    entry = History.objects.get(entity="source", object_id=source.pk, action=HistoryAction.CONFIRM)
    assert entry.actor == curator
    assert entry.before is not None and entry.after is not None
    assert entry.before["status"] == "proposed" and entry.after["status"] == "confirmed"
    assert source_selectors.source_for(other_annotator, source.pk) == confirmed
    with pytest.raises(ValidationError, match="already confirmed"):
        source_confirm(source=confirmed, actor=curator)


@pytest.mark.django_db
def test_the_confirm_page_action_is_for_curators(
    client: Client, project: Any, annotator: Any, curator: Any
) -> None:
    source = source_add(project=project, name="Zhanna Nemtsova", actor=annotator)
    url = reverse("annotate:source-confirm", args=[source.pk])
    login(client, annotator)
    assert client.post(url).status_code == 403
    login(client, curator)
    response = client.post(url, {"name": "Zhanna Nemtsova", "kind": "person", "next": "list"})
    assert response.status_code == 302
    assert response["Location"] == reverse("annotate:source-list", args=[project.slug])
    source.refresh_from_db()
    assert source.status == SourceStatus.CONFIRMED


@pytest.mark.django_db
def test_rejecting_folds_the_proposal_into_an_existing_source(
    project: Any, assigned_article: Any, annotator: Any, curator: Any
) -> None:
    existing = source_create(project=project, name="Zhanna Nemtsova")
    proposed = source_add(project=project, name="Zh. Nemtsova", actor=annotator)
    claim = make_claim(assigned_article, annotator, source=proposed)

    record = source_reject(source=proposed, into=existing, actor=curator)

    assert not Source.objects.filter(pk=proposed.pk).exists()
    assert Claim.objects.get(pk=claim.pk).source_id == existing.pk
    assert "Zh. Nemtsova" in existing.aliases.values_list("alias", flat=True)
    assert record.moved["annotate.claim:source"] == [claim.pk]
    with pytest.raises(ValidationError, match="is confirmed"):
        source_reject(source=existing, into=source_create(project=project, name="Other"))


@pytest.mark.django_db
def test_the_project_setting_decides(project: Any, annotator: Any, curator: Any) -> None:
    assert source_add(project=project, name="A", actor=curator).status == "confirmed"
    project_update(project=project, annotator_sources=AnnotatorSources.CREATE)
    assert source_add(project=project, name="B", actor=annotator).status == "confirmed"
    project_update(project=project, annotator_sources=AnnotatorSources.PROPOSE)
    assert source_add(project=project, name="C", actor=annotator).status == "proposed"


@pytest.mark.django_db
def test_the_api_proposes_and_shows_status_and_proposer(
    project: Any, annotator: Any, other_annotator: Any, curator: Any
) -> None:
    api = APIClient()
    api.force_authenticate(annotator)
    made = api.post(
        f"/api/projects/{project.slug}/sources/", {"name": "Zhanna Nemtsova"}, format="json"
    )
    assert made.status_code == 201
    assert (made.json()["status"], made.json()["proposed_by"]) == ("proposed", "annotator")

    api.force_authenticate(curator)
    queue = api.get(f"/api/projects/{project.slug}/sources/", {"status": "proposed"}).json()
    assert [(s["name"], s["proposed_by"]) for s in queue["results"]] == [
        ("Zhanna Nemtsova", "annotator")
    ]
    pk = made.json()["id"]
    confirmed = api.post(f"/api/sources/{pk}/confirm/", {"kind": "organisation"}, format="json")
    assert confirmed.status_code == 200
    assert (confirmed.json()["status"], confirmed.json()["kind"]) == ("confirmed", "organisation")

    # Other annotators see the confirmed source, not who proposed it.
    api.force_authenticate(other_annotator)
    shown = api.get(f"/api/sources/{pk}/").json()
    assert (shown["status"], shown["proposed_by"]) == ("confirmed", None)
    assert api.post(f"/api/sources/{pk}/confirm/", {}, format="json").status_code == 403


@pytest.mark.django_db
def test_the_api_refuses_annotators_where_curators_add_sources(
    project: Any, annotator: Any
) -> None:
    project_update(project=project, annotator_sources=AnnotatorSources.NONE)
    api = APIClient()
    api.force_authenticate(annotator)
    response = api.post(
        f"/api/projects/{project.slug}/sources/", {"name": "Zhanna Nemtsova"}, format="json"
    )
    assert response.status_code == 403
    assert not Source.objects.filter(project=project).exists()


@pytest.mark.django_db
def test_the_settings_page_sets_what_annotators_may_do(
    client: Client, project: Any, manager: Any
) -> None:
    login(client, manager)
    url = reverse("annotate:project-settings", args=[project.slug])
    assert 'name="annotator_sources" value="propose" checked' in client.get(url).content.decode()

    response = client.post(url, {"action": "sources", "annotator_sources": "create"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.annotator_sources == AnnotatorSources.CREATE

    bad = client.post(url, {"action": "sources", "annotator_sources": "maybe"})
    assert bad.status_code == 400
    project.refresh_from_db()
    assert project.annotator_sources == AnnotatorSources.CREATE


@pytest.mark.django_db
def test_my_claims_marks_a_proposed_source_as_the_picker_does(
    client: Client, assigned_article: Any, annotator: Any
) -> None:
    from tests.factories import SourceFactory, TargetFactory
    from tests.helpers import claim_form

    proposed = source_add(project=assigned_article.project, name="Zhanna Nemtsova", actor=annotator)
    confirmed = SourceFactory(project=assigned_article.project, name="Temur Umarov")
    make_claim(assigned_article, annotator, source=confirmed)
    mark = 'data-proposed title="Proposed: a curator has not confirmed it yet">proposed</span>'
    login(client, annotator)
    page = client.get(reverse("annotate:workspace", args=[assigned_article.pk])).content.decode()
    row = page.split('class="claim-row"', 1)[1].split("</li>", 1)[0]
    assert "Temur Umarov" in row and mark not in row

    # The row a new claim answers with, and the page's list, mark the proposed source.
    url = reverse("annotate:claim-create", args=[assigned_article.pk])
    target = TargetFactory(project=assigned_article.project)
    answer = client.post(url, claim_form(assigned_article, "Akıncı", proposed, target), **HX)
    assert answer.status_code == 200
    new_row = answer.content.decode().split('class="claim-row"', 1)[1].split("</li>", 1)[0]
    assert 'Zhanna Nemtsova</span> <span class="status status-proposed" ' + mark in new_row
    page = client.get(reverse("annotate:workspace", args=[assigned_article.pk])).content.decode()
    assert page.count(mark) >= 1
    rows = [r.split("</li>", 1)[0] for r in page.split('class="claim-row"')[1:]]
    assert [mark in r for r in rows] == ["Zhanna Nemtsova" in r for r in rows] and any(
        "Zhanna Nemtsova" in r for r in rows
    )

    # Once confirmed, no mark.
    source_confirm(source=proposed)
    page = client.get(reverse("annotate:workspace", args=[assigned_article.pk])).content.decode()
    rows = [r.split("</li>", 1)[0] for r in page.split('class="claim-row"')[1:]]
    assert not any(mark in r for r in rows)
