"""Managers restore annotators' deleted claims from the article's "Deleted claims" page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotate.models import Claim, History, HistoryAction
from tests.conftest import login
from tests.factories import ClaimFactory


@pytest.fixture
def deleted(assigned_article: Any, annotator: Any) -> Claim:
    claim: Claim = ClaimFactory(article=assigned_article, annotator=annotator)
    Claim.objects.filter(pk=claim.pk).update(deleted_at=timezone.now())
    claim.refresh_from_db()
    return claim


def list_url(claim: Claim) -> str:
    return reverse("annotate:deleted-claims", args=[claim.article_id])


def restore_url(claim: Claim) -> str:
    return reverse("annotate:deleted-claim-restore", args=[claim.pk])


def test_the_article_reader_links_managers_to_its_deleted_claims(
    client: Client, manager: Any, curator: Any, deleted: Claim
) -> None:
    reader = reverse("corpus:article-detail", args=[deleted.article_id])
    assert list_url(deleted) in login(client, manager).get(reader).content.decode()
    assert list_url(deleted) not in login(Client(), curator).get(reader).content.decode()


def test_managers_see_deleted_claims_of_every_annotator_but_not_live_ones(
    client: Client, manager: Any, annotator: Any, other_annotator: Any, deleted: Claim
) -> None:
    other = ClaimFactory(article=deleted.article, annotator=other_annotator)
    Claim.objects.filter(pk=other.pk).update(deleted_at=timezone.now())
    live = ClaimFactory(article=deleted.article, annotator=annotator, start=1)
    response = login(client, manager).get(list_url(deleted))
    assert response.status_code == 200
    shown = [c.pk for c in response.context["claims"]]
    assert sorted(shown) == sorted([deleted.pk, other.pk])
    assert live.pk not in shown
    html = response.content.decode()
    assert annotator.username in html and other_annotator.username in html
    assert restore_url(deleted) in html


def test_a_manager_restores_another_annotators_claim_and_is_named_in_its_history(
    client: Client, manager: Any, deleted: Claim
) -> None:
    response = login(client, manager).post(restore_url(deleted))
    assert response.status_code == 302
    assert response["Location"] == list_url(deleted)
    claim = Claim.objects.get(pk=deleted.pk)
    assert claim.deleted_at is None
    assert claim.version == deleted.version + 1
    row = History.objects.filter(entity="claim", object_id=claim.pk).latest("id")
    assert (row.action, row.actor_id) == (HistoryAction.RESTORE, manager.pk)


@pytest.mark.parametrize("who", ["curator", "annotator", "other_annotator"])
def test_other_members_may_not_use_the_managers_restore(
    client: Client, request: pytest.FixtureRequest, who: str, deleted: Claim
) -> None:
    user = request.getfixturevalue(who)
    login(client, user)
    assert client.get(list_url(deleted)).status_code == 403
    assert client.post(restore_url(deleted)).status_code == 403
    assert Claim.objects.get(pk=deleted.pk).deleted_at is not None


def test_a_manager_of_another_project_gets_404(
    client: Client, outsider: Any, deleted: Claim
) -> None:
    login(client, outsider)
    assert client.get(list_url(deleted)).status_code == 404
    assert client.post(restore_url(deleted)).status_code == 404
    assert Claim.objects.get(pk=deleted.pk).deleted_at is not None


def test_anonymous_is_sent_to_log_in(client: Client, deleted: Claim) -> None:
    for response in (client.get(list_url(deleted)), client.post(restore_url(deleted))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_wrong_methods_are_405(client: Client, manager: Any, deleted: Claim) -> None:
    login(client, manager)
    assert client.post(list_url(deleted)).status_code == 405
    assert client.get(restore_url(deleted)).status_code == 405
    assert Claim.objects.get(pk=deleted.pk).deleted_at is not None


def test_gold_claims_are_not_restored_here(
    client: Client, manager: Any, assigned_article: Any
) -> None:
    gold = ClaimFactory(article=assigned_article, annotator=None)
    Claim.objects.filter(pk=gold.pk).update(deleted_at=timezone.now())
    assert login(client, manager).post(restore_url(gold)).status_code == 404


def test_the_list_takes_a_fixed_number_of_queries(
    client: Client,
    manager: Any,
    other_annotator: Any,
    deleted: Claim,
    django_assert_max_num_queries: Any,
) -> None:
    for start in range(1, 4):
        claim = ClaimFactory(article=deleted.article, annotator=other_annotator, start=start)
        Claim.objects.filter(pk=claim.pk).update(deleted_at=timezone.now())
    login(client, manager)
    with django_assert_max_num_queries(12):
        assert client.get(list_url(deleted)).status_code == 200
