"""Claim clusters: the services (layers, moves, adjudication), the suggestions, the pages
and their query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.clusters import indexing, selectors, services
from annotate.clusters import suggest as cluster_suggest
from annotate.models import (
    ChainLink,
    ClaimCluster,
    ClusterDismissal,
    ClusterMember,
    ClusterWho,
    History,
)
from annotate.review.gold import gold_accept
from tests.annotate.clusters.scene import SAME, Corpus
from tests.conftest import login
from tests.factories import VALID_LABELS, ClaimFactory, SourceFactory, claim_over


@pytest.fixture(autouse=True)
def _fresh_index() -> Any:
    cluster_suggest.forget()
    yield
    cluster_suggest.forget()


@pytest.fixture
def built(corpus: Corpus) -> Any:
    """The corpus's suggestion index, as the background task builds it."""
    return indexing.index_build(corpus.project)


def _gold(corpus: Corpus, curator: Any, *claims: Any, statement: str = "Turkey grows") -> Any:
    return services.cluster_create(
        project=corpus.project,
        actor=curator,
        annotator_id=None,
        statement=statement,
        claim_ids=[c.pk for c in claims],
    )


# --- services -----------------------------------------------------------------------------


def test_a_curator_makes_a_gold_cluster_with_history(corpus: Corpus, curator: Any) -> None:
    cluster = _gold(corpus, curator, corpus.same[0], corpus.same[1], statement="  Turkey  grows ")
    assert cluster.annotator_id is None
    assert cluster.statement == "Turkey grows"
    assert set(cluster.members.values_list("claim_id", flat=True)) == {
        corpus.same[0].pk,
        corpus.same[1].pk,
    }
    row = History.objects.get(entity="cluster", object_id=cluster.pk)
    assert row.action == "create" and row.actor == curator
    assert row.after is not None
    assert row.after["members"] == sorted([corpus.same[0].pk, corpus.same[1].pk])


@pytest.mark.parametrize("statement", ["", "   ", "x" * 501, "bad\x00text"])
def test_a_bad_statement_is_refused_and_writes_nothing(
    corpus: Corpus, curator: Any, statement: str
) -> None:
    with pytest.raises(ValidationError):
        _gold(corpus, curator, corpus.same[0], statement=statement)
    assert not ClaimCluster.objects.exists()


def test_a_claim_of_another_project_or_deleted_is_refused(corpus: Corpus, curator: Any) -> None:
    foreign = ClaimFactory()
    deleted = ClaimFactory(article=corpus.articles[0], deleted=True)
    for claim in (foreign, deleted):
        with pytest.raises(ValidationError):
            _gold(corpus, curator, claim)
    assert not ClaimCluster.objects.exists()


def test_annotators_cluster_only_their_own_layer_and_claims_when_allowed(
    corpus: Corpus, annotator: Any, curator: Any, manager: Any
) -> None:
    own = ClaimFactory(article=corpus.articles[0], annotator=annotator)
    with pytest.raises(PermissionDenied):  # the project does not let annotators cluster
        services.cluster_create(
            project=corpus.project, actor=annotator, annotator_id=annotator.pk, statement="s"
        )
    with pytest.raises(PermissionDenied):  # only managers change the setting
        services.cluster_settings_update(project=corpus.project, actor=curator, who="annotators")
    services.cluster_settings_update(
        project=corpus.project, actor=manager, who=ClusterWho.ANNOTATORS
    )
    cluster = services.cluster_create(
        project=corpus.project,
        actor=annotator,
        annotator_id=annotator.pk,
        statement="mine",
        claim_ids=[own.pk],
    )
    assert cluster.annotator_id == annotator.pk
    with pytest.raises(ValidationError):  # a gold claim is not in an annotator's pool
        services.cluster_member_add(cluster=cluster, actor=annotator, claim_id=corpus.same[1].pk)
    with pytest.raises(PermissionDenied):  # never gold, never another's layer
        services.cluster_create(
            project=corpus.project, actor=annotator, annotator_id=None, statement="gold"
        )
    with pytest.raises(PermissionDenied):
        services.cluster_create(
            project=corpus.project, actor=annotator, annotator_id=curator.pk, statement="x"
        )


def test_a_claim_states_one_cluster_per_layer_and_moves(corpus: Corpus, curator: Any) -> None:
    first = _gold(corpus, curator, corpus.same[0], corpus.same[1])
    second = _gold(corpus, curator, corpus.same[2], statement="other")
    services.cluster_member_add(cluster=second, actor=curator, claim_id=corpus.same[1].pk)
    assert list(first.members.values_list("claim_id", flat=True)) == [corpus.same[0].pk]
    assert second.members.filter(claim=corpus.same[1]).exists()
    # Contradicting another cluster does not move it.
    services.cluster_member_add(
        cluster=first, actor=curator, claim_id=corpus.same[1].pk, relation="contradicts"
    )
    assert second.members.filter(claim=corpus.same[1], relation="member").exists()
    assert first.members.filter(claim=corpus.same[1], relation="contradicts").exists()
    with pytest.raises(ValidationError):
        services.cluster_member_add(
            cluster=first, actor=curator, claim_id=corpus.same[2].pk, relation="maybe"
        )


def test_adjudication_picks_or_merges_into_gold(
    corpus: Corpus, curator: Any, annotator: Any
) -> None:
    a = services.cluster_create(
        project=corpus.project,
        actor=curator,
        annotator_id=curator.pk,
        statement="A's",
        claim_ids=[corpus.same[0].pk, corpus.same[1].pk],
    )
    b = services.cluster_create(
        project=corpus.project,
        actor=curator,
        annotator_id=curator.pk,
        statement="B's",
        claim_ids=[corpus.same[2].pk],
    )
    services.cluster_member_add(
        cluster=b, actor=curator, claim_id=corpus.other[0].pk, relation="contradicts"
    )
    gold = services.cluster_adjudicate(
        project=corpus.project, curator=curator, cluster_ids=[a.pk, b.pk], statement=""
    )
    assert gold.annotator_id is None and gold.statement == "A's"
    assert set(gold.members.filter(relation="member").values_list("claim_id", flat=True)) == {
        c.pk for c in corpus.same
    }
    assert list(gold.members.filter(relation="contradicts").values_list("claim_id", flat=True)) == [
        corpus.other[0].pk
    ]
    with pytest.raises(PermissionDenied):
        services.cluster_adjudicate(project=corpus.project, curator=annotator, cluster_ids=[a.pk])
    with pytest.raises(ValidationError):
        services.cluster_adjudicate(project=corpus.project, curator=curator, cluster_ids=[])
    with pytest.raises(ValidationError):
        services.cluster_adjudicate(
            project=corpus.project, curator=curator, cluster_ids=[ClaimFactory().pk + 999]
        )


def test_adjudication_puts_the_gold_claims_of_adjudicated_annotator_claims_in_gold(
    corpus: Corpus, curator: Any, annotator: Any, other_annotator: Any
) -> None:
    """Two annotators cluster their own versions of claims the curator has adjudicated:
    the gold cluster holds the gold claims (one per adjudicated pair), and an annotator
    claim not adjudicated yet stays itself."""
    article, other_article = corpus.articles[0], corpus.articles[1]
    full = {"source": corpus.sources[0], "stances": {corpus.targets[0]: "favor"}, **VALID_LABELS}
    mine = claim_over(article, SAME[0], annotator, **full)
    theirs = claim_over(article, SAME[0], other_annotator, **full)
    pending = claim_over(other_article, SAME[1], annotator, **full)
    made = gold_accept(curator=curator, claim=theirs, considered=[mine, theirs])
    clusters = [
        services.cluster_create(
            project=corpus.project,
            actor=curator,
            annotator_id=curator.pk,
            statement="grows",
            claim_ids=[c.pk for c in claims],
        )
        for claims in ([mine, pending], [theirs])
    ]
    gold = services.cluster_adjudicate(
        project=corpus.project, curator=curator, cluster_ids=[c.pk for c in clusters]
    )
    assert set(gold.members.values_list("claim_id", flat=True)) == {made.pk, pending.pk}


def test_layer_clusterings_key_annotator_claims_by_their_gold_claim(
    corpus: Corpus, curator: Any
) -> None:
    _gold(corpus, curator, corpus.same[0], corpus.same[1])
    found = selectors.layer_clusterings(corpus.project)
    assert set(found) == {None}
    assert set(found[None]) == {corpus.same[0].pk, corpus.same[1].pk}


# --- suggestions --------------------------------------------------------------------------


def test_suggestions_rank_the_same_proposition_of_other_articles_first(
    corpus: Corpus, curator: Any, built: Any
) -> None:
    found = cluster_suggest.suggestions_for_claim(corpus.same[0], curator=True)
    ids = [s.claim.pk for s in found]
    assert set(ids[:2]) == {corpus.same[1].pk, corpus.same[2].pk}
    assert corpus.same[0].pk not in ids
    assert all(s.claim.article_id != corpus.same[0].article_id for s in found)
    assert found[0].score >= found[1].score


def test_cluster_suggestions_leave_out_members_and_rejected(
    corpus: Corpus, curator: Any, built: Any
) -> None:
    cluster = _gold(corpus, curator, corpus.same[0])
    ids = [s.claim.pk for s in cluster_suggest.suggestions_for_cluster(cluster, curator=True)]
    assert set(ids[:2]) == {
        corpus.same[1].pk,
        corpus.same[2].pk,
    }
    services.cluster_dismiss(cluster=cluster, actor=curator, claim_id=corpus.same[1].pk)
    cluster_suggest.forget()
    ids = [s.claim.pk for s in cluster_suggest.suggestions_for_cluster(cluster, curator=True)]
    assert corpus.same[1].pk not in ids and corpus.same[0].pk not in ids
    assert ids[0] == corpus.same[2].pk


# --- pages --------------------------------------------------------------------------------


def test_the_cluster_page_shows_the_first_appearance_outlets_and_stances(
    client: Client, corpus: Corpus, curator: Any, django_assert_max_num_queries: Any
) -> None:
    cluster = _gold(corpus, curator, *corpus.same)
    login(client, curator)
    url = reverse("annotate:cluster", args=[cluster.pk])
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    page = response.context["page"]
    # Daily Sabah, 2023-11-05, is the earliest.
    assert page.first.pk == corpus.same[1].pk
    assert page.timeline == [("2023-11-05", 1), ("2024-01-09", 1), ("2024-03-01", 1)]
    assert dict(page.outlets) == {"Berliner Zeitung": 1, "Daily Sabah": 1, "inosmi.ru": 1}
    by_name = {row.name: row for row in page.sources}
    assert ("Turkey's influence", "against") in by_name["Danilov"].stances
    body = response.content.decode()
    assert "Daily Sabah" in body and 'id="first-appearance"' in body


def test_the_page_query_count_does_not_grow_with_members(
    client: Client, corpus: Corpus, curator: Any
) -> None:
    small = _gold(corpus, curator, corpus.same[0])
    big = _gold(corpus, curator, *corpus.same[1:], *corpus.other, statement="big")
    login(client, curator)
    counts = []
    for cluster in (small, big):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("annotate:cluster", args=[cluster.pk])).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]


def _chain(claim: Any, *carriers: Any) -> None:
    for position, carrier in enumerate(carriers, start=1):
        ChainLink.objects.create(claim=claim, position=position, source=carrier)


def test_the_cluster_page_shows_each_members_path_and_the_carriers(
    client: Client, corpus: Corpus, curator: Any
) -> None:
    """Isachenko → Berliner Zeitung → inosmi.ru, Akar → Berliner Zeitung, Danilov without
    a chain: the paths with their claims, each carrier with what it carried and from whom;
    the page's queries do not grow with the members or their chains."""
    paper = SourceFactory(project=corpus.project, name="Berliner Zeitung", kind="outlet")
    site = SourceFactory(project=corpus.project, name="inosmi.ru", kind="outlet")
    login(client, curator)
    small = _gold(corpus, curator, corpus.other[0], statement="small")
    with CaptureQueriesContext(connection) as plain:
        assert client.get(reverse("annotate:cluster", args=[small.pk])).status_code == 200
    html = client.get(reverse("annotate:cluster", args=[small.pk])).content.decode()
    assert "No member has an attribution chain" in html
    _chain(corpus.same[0], paper, site)
    _chain(corpus.same[1], paper)
    cluster = _gold(corpus, curator, *corpus.same)
    with CaptureQueriesContext(connection) as chained:
        response = client.get(reverse("annotate:cluster", args=[cluster.pk]))
    assert len(chained) == len(plain) <= 12
    page = response.context["page"]
    assert [([name for _, name in p.steps], p.claims) for p in page.paths] == [
        (["Akar", "Berliner Zeitung"], 1),
        (["Danilov"], 1),
        (["Isachenko", "Berliner Zeitung", "inosmi.ru"], 1),
    ]
    assert [(c.name, c.claims, c.took_from_list) for c in page.carriers] == [
        ("Berliner Zeitung", 2, [("Akar", 1), ("Isachenko", 1)]),
        ("inosmi.ru", 1, [("Berliner Zeitung", 1)]),
    ]
    html = response.content.decode()
    assert 'id="cluster-paths"' in html and 'id="cluster-carriers"' in html
    assert "Isachenko → Berliner Zeitung → inosmi.ru" in html  # the member's own path
    assert html.count("data-path") == 2  # Danilov's claim has no chain to show


def test_accepting_a_suggestion_adds_it_and_answers_the_body(
    client: Client, corpus: Corpus, curator: Any
) -> None:
    cluster = _gold(corpus, curator, corpus.same[0])
    login(client, curator)
    response = client.get(reverse("annotate:cluster-suggestions", args=[cluster.pk]))
    assert response.status_code == 200
    assert f'data-claim="{corpus.same[1].pk}"' in response.content.decode()
    response = client.post(
        reverse("annotate:cluster-member-add", args=[cluster.pk]),
        {"claim": corpus.same[1].pk, "relation": "member"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'id="cluster-body"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert cluster.members.filter(claim=corpus.same[1]).exists()


@pytest.mark.parametrize("claim", ["", "abc", "-1", "0", "99999999999999999999"])
def test_a_bad_claim_is_a_400_that_writes_nothing(
    client: Client, corpus: Corpus, curator: Any, claim: str
) -> None:
    cluster = _gold(corpus, curator, corpus.same[0])
    login(client, curator)
    for name in ("cluster-member-add", "cluster-dismiss", "cluster-member-remove"):
        response = client.post(reverse(f"annotate:{name}", args=[cluster.pk]), {"claim": claim})
        assert response.status_code == 400, name
    assert ClusterMember.objects.count() == 1
    assert not ClusterDismissal.objects.exists()


def test_creating_from_the_list_page_and_the_review_page(
    client: Client, corpus: Corpus, curator: Any, django_assert_max_num_queries: Any
) -> None:
    login(client, curator)
    url = reverse("annotate:clusters", args=[corpus.project.slug])
    with django_assert_max_num_queries(12):
        response = client.get(url, {"q": "influence", "layer": "gold"})
    assert response.status_code == 200
    assert f'value="{corpus.same[0].pk}"' in response.content.decode()
    response = client.post(
        reverse("annotate:cluster-create", args=[corpus.project.slug]),
        {"layer": "mine", "claim": corpus.same[0].pk, "statement": "Turkey grows"},
    )
    assert response.status_code == 302
    mine = ClaimCluster.objects.get()
    assert mine.annotator_id == curator.pk
    _gold(corpus, curator, corpus.same[0], corpus.same[1])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("annotate:cluster-review", args=[corpus.project.slug]))
    assert response.status_code == 200
    pairs = response.context["pairs"]
    assert len(pairs) == 1 and pairs[0][2].items == 2
    response = client.post(
        reverse("annotate:cluster-adjudicate", args=[corpus.project.slug]),
        {"cluster": [mine.pk], "statement": ""},
    )
    assert response.status_code == 302
    assert ClaimCluster.objects.filter(annotator=None).count() == 2
