"""Every suggester scored as an annotator against the gold layer (annotate.suggest.scoring,
the page /projects/<slug>/suggesters/ and GET /api/projects/{slug}/suggesters/)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.models import Claim, Suggestion
from annotate.suggest.scoring import suggester_scores
from tests.conftest import login
from tests.factories import ArticleFactory, ClaimFactory, SourceAliasFactory, SourceFactory

TEXT = "0123456789" * 6  # 60 characters: the spans below are plain offsets


def _article(project: Any, n: int) -> Any:
    text = f"{TEXT} (article {n})"
    return ArticleFactory(project=project, text=text, char_count=len(text))


def _suggest(article: Any, start: int, end: int, suggester: str, **kw: Any) -> Suggestion:
    return Suggestion.objects.create(
        article=article,
        start=start,
        end=end,
        quote=article.text[start:end],
        suggester=suggester,
        **kw,
    )


@pytest.fixture
def scored(project: Any) -> dict[str, Any]:
    """Two gold articles (three gold claims), one article without gold, two suggesters."""
    s1 = SourceFactory(project=project, name="Mevlüt Çavuşoğlu")
    s2 = SourceFactory(project=project, name="Ahmet Davutoğlu")
    SourceAliasFactory(source=s2, alias="Davutoglu")
    a1 = _article(project, 1)
    a2 = _article(project, 2)
    a3 = _article(project, 3)
    ClaimFactory(article=a1, annotator=None, start=0, end=10, source=s1, claim_type="factual")
    ClaimFactory(article=a1, annotator=None, start=20, end=30, source=s2, claim_type="evaluative")
    ClaimFactory(article=a2, annotator=None, start=0, end=10, source=s2)
    # A deleted gold claim and an annotator's claim are not gold.
    ClaimFactory(article=a2, annotator=None, start=40, end=50, deleted=True)
    ClaimFactory(article=a2, start=40, end=50)
    # rules/2: an exact match (right source), an overlap of 9/10 (wrong source), a miss.
    _suggest(a1, 0, 10, "rules/2", source=s1, labels={"claim_type": "factual"})
    _suggest(a1, 21, 30, "rules/2", source=s1, labels={"claim_type": "evaluative"})
    _suggest(a1, 40, 45, "rules/2", source=s1, labels={"claim_type": "factual"})
    # llm/gpt: an exact match proposing a new source by the gold source's alias; a proposal
    # in an article without gold, which is not scored.
    _suggest(a2, 0, 10, "llm/gpt", new_source_name="DAVUTOGLU")
    _suggest(a3, 0, 10, "llm/gpt", source=s1)
    return {"a1": a1, "a2": a2, "s1": s1}


def test_hand_computed_figures(project: Any, scored: dict[str, Any]) -> None:
    scores = suggester_scores(project)
    assert (scores.overlap_threshold, scores.n_gold_articles, scores.n_gold_claims) == (0.5, 2, 3)
    llm, rules = scores.suggesters
    assert (rules.name, rules.version) == ("rules", "2")
    assert (rules.n_articles, rules.n_gold_claims, rules.n_proposals) == (1, 3, 3)
    assert rules.overlap.matched == 2
    assert rules.overlap.precision == pytest.approx(2 / 3)
    assert rules.overlap.recall == pytest.approx(2 / 3)
    assert rules.overlap.f1 == pytest.approx(2 * 2 / (3 + 3))
    assert rules.exact.matched == 1
    assert rules.exact.f1 == pytest.approx(2 * 1 / 6)
    assert (rules.source_correct, rules.source_accuracy) == (1, 0.5)
    fields = {f.field: f for f in rules.fields}
    # Only what it proposes: a source and a claim type (no attribution, no reliability).
    assert set(fields) == {"source", "claim_type"}
    # Both matched pairs agree on the claim type, over two categories: α = 1 on 2 units.
    assert fields["claim_type"].alpha.value == pytest.approx(1.0)
    assert (fields["claim_type"].alpha.n_units, fields["claim_type"].n_proposed) == (2, 2)

    assert (llm.suggester, llm.n_articles, llm.n_proposals) == ("llm/gpt", 1, 1)
    assert (llm.overlap.matched, llm.overlap.precision) == (1, 1.0)
    assert llm.overlap.recall == pytest.approx(1 / 3)
    assert llm.overlap.f1 == pytest.approx(2 / 4)
    # "DAVUTOGLU" is the gold source's alias: the right source.
    assert (llm.source_correct, llm.source_accuracy) == (1, 1.0)


def test_threshold_changes_matching(project: Any, scored: dict[str, Any]) -> None:
    rules = next(s for s in suggester_scores(project, 0.95).suggesters if s.name == "rules")
    assert rules.overlap.matched == 1  # the 9/10 overlap no longer matches


def test_no_gold_scores_nothing(project: Any) -> None:
    article = _article(project, 1)
    _suggest(article, 0, 10, "rules/2")
    scores = suggester_scores(project)
    assert (scores.n_gold_articles, scores.suggesters) == (0, [])


def test_queries_constant_in_suggestions(project: Any, scored: dict[str, Any]) -> None:
    with CaptureQueriesContext(connection) as few:
        suggester_scores(project, use_cache=False)
    for i in range(8):
        _suggest(scored["a2"], 10 + i, 12 + i, f"bulk/{i}", labels={"claim_type": "factual"})
    with CaptureQueriesContext(connection) as many:
        scores = suggester_scores(project, use_cache=False)
    assert len(scores.suggesters) == 10
    assert len(many) == len(few) <= 6


def test_cached_scores_cost_one_query_until_gold_or_suggestions_change(
    project: Any, scored: dict[str, Any]
) -> None:
    first = suggester_scores(project)
    with CaptureQueriesContext(connection) as cached:
        again = suggester_scores(project)
    assert again == first and len(cached) == 1  # the key's query only

    # A new gold claim changes the answer (rules' recall: 2 of 4 gold claims now).
    ClaimFactory(article=scored["a1"], annotator=None, start=50, end=58, source=scored["s1"])
    rules = next(s for s in suggester_scores(project).suggesters if s.name == "rules")
    assert (rules.n_gold_claims, rules.overlap.recall) == (4, pytest.approx(2 / 4))

    # So does a new suggestion: a third suggester, and the deletion of one.
    extra = _suggest(scored["a1"], 50, 58, "late/1", source=scored["s1"])
    names = [s.suggester for s in suggester_scores(project).suggesters]
    assert names == ["late/1", "llm/gpt", "rules/2"]
    extra.delete()
    names = [s.suggester for s in suggester_scores(project).suggesters]
    assert names == ["llm/gpt", "rules/2"]

    # And an edit of a gold claim (its source), and a deleted gold claim.
    gold = project_gold(project).get(start=50)
    gold.source = None
    gold.save()
    rules = next(s for s in suggester_scores(project).suggesters if s.name == "rules")
    assert rules.n_gold_claims == 4
    gold.deleted_at = gold.updated
    gold.save()
    rules = next(s for s in suggester_scores(project).suggesters if s.name == "rules")
    assert rules.n_gold_claims == 3
    assert rules == next(
        s for s in suggester_scores(project, use_cache=False).suggesters if s.name == "rules"
    )


def test_the_cache_key_reads_no_claim_and_follows_stances_and_aliases(
    project: Any, scored: dict[str, Any], targets: list[Any]
) -> None:
    """The key is one query that reads the project's version counter, not the gold claims
    (issue 21: it scanned them); a gold claim's stance and a new alias change it."""
    from annotate.models import ClaimStance
    from annotate.suggest.scoring import cache_key

    with CaptureQueriesContext(connection) as captured:
        key = cache_key(project, 0.5)
    assert len(captured) == 1
    assert "annotate_claim" not in captured.captured_queries[0]["sql"]
    assert cache_key(project, 0.5) == key and cache_key(project, 0.6) != key
    gold = project_gold(project).filter(deleted_at__isnull=True).first()
    ClaimStance.objects.create(claim=gold, target=targets[0], stance="favor")
    after_stance = cache_key(project, 0.5)
    assert after_stance != key
    SourceAliasFactory(source=scored["s1"], alias="Çavuşoğlu")
    assert cache_key(project, 0.5) != after_stance


def project_gold(project: Any) -> Any:
    return Claim.objects.filter(article__project=project, annotator__isnull=True)


def test_page_shows_figures_with_n(client: Any, project: Any, curator: Any, scored: Any) -> None:
    login(client, curator)
    response = client.get(reverse("annotate:suggester-scores", args=[project.slug]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-suggester="rules/2"' in body and 'data-suggester="llm/gpt"' in body
    # Three proposals, two matches: each figure says too few, with its n.
    assert "too few (n = 3)" in body
    assert "too few (n = 2)" in body


def test_page_linked_from_agreement_and_project(client: Any, project: Any, curator: Any) -> None:
    login(client, curator)
    url = reverse("annotate:suggester-scores", args=[project.slug])
    agreement = client.get(reverse("annotate:agreement", args=[project.slug]))
    assert url in agreement.content.decode()
    detail = client.get(reverse("corpus:project-detail", args=[project.slug]))
    assert url in detail.content.decode()


def test_api(client: Any, project: Any, manager: Any, scored: Any) -> None:
    login(client, manager)
    url = reverse("api:suggester-scores", args=[project.slug])
    body = client.get(url).json()
    assert (body["n_gold_articles"], body["n_gold_claims"]) == (2, 3)
    rules = next(s for s in body["suggesters"] if s["suggester"] == "rules/2")
    assert rules["overlap"] == {
        "matched": 2,
        "proposals": 3,
        "gold": 3,
        "precision": pytest.approx(2 / 3),
        "recall": pytest.approx(2 / 3),
        "f1": pytest.approx(2 / 3),
    }
    assert rules["source_accuracy"] == 0.5
    claim_type = next(f for f in rules["fields"] if f["field"] == "claim_type")
    assert claim_type["alpha"]["n_units"] == 2
    assert client.get(url, {"overlap": "0.95"}).json()["overlap_threshold"] == 0.95
    assert client.get(url, {"overlap": "2"}).status_code == 400


@pytest.mark.parametrize("who, status", [("annotator", 403), ("outsider", 404)])
def test_blind_to_annotators_and_outsiders(
    client: Any, project: Any, scored: Any, request: Any, who: str, status: int
) -> None:
    login(client, request.getfixturevalue(who))
    page = client.get(reverse("annotate:suggester-scores", args=[project.slug]))
    api = client.get(reverse("api:suggester-scores", args=[project.slug]))
    assert (page.status_code, api.status_code) == (status, status)
    assert b"rules/2" not in page.content + api.content
