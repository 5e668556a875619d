"""Adjudication into the gold layer: every path records a decision with its origins and
versions, refuses stale versions, and only curators and managers may do it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from annotate.claims.checks import StanceInput
from annotate.claims.services import StaleVersion, claim_update
from annotate.claims.values import claim_changes, claim_fields
from annotate.models import Claim, Decision, DecisionAction, History
from annotate.review.gold import (
    gold_accept,
    gold_add,
    gold_bulk_accept,
    gold_edit,
    gold_merge,
    gold_reject,
)
from tests.factories import make_claim, span
from tests.scenes import Scene

AKAR = "Ankara is ready to help"
UMAROV = "Moscow disagrees"
CHINA = "China watches quietly"


def stances_of(claim: Claim) -> dict[int, str]:
    return {s.target_id: s.stance for s in claim.stances.all()}


def test_accept_copies_the_claim_into_gold_and_records_the_decision(
    scene: Scene, curator: Any
) -> None:
    a, b = scene.ann
    mine = make_claim(scene.article, a, AKAR, attribution="direct")
    theirs = make_claim(scene.article, b, AKAR, attribution="reported")

    gold = gold_accept(curator=curator, claim=mine, considered=[theirs], rationale="quote marks")

    assert gold.annotator_id is None
    assert (gold.start, gold.end, gold.quote) == (mine.start, mine.end, AKAR)
    assert gold.attribution == "direct" and gold.source_id == mine.source_id
    assert stances_of(gold) == stances_of(mine)
    decision = Decision.objects.get()
    assert decision.action == DecisionAction.ACCEPT
    assert (decision.gold, decision.curator, decision.rationale) == (gold, curator, "quote marks")
    origins = {o.claim_id: o for o in decision.origins.all()}
    assert origins[mine.pk].claim_version == mine.version == 1
    assert "span" in origins[mine.pk].fields and "attribution" in origins[mine.pk].fields
    assert origins[theirs.pk].fields == []
    history = History.objects.get(entity="decision")
    assert history.actor == curator and history.object_id == decision.pk
    assert list(Claim.objects.gold()) == [gold]


def test_merge_takes_the_span_from_one_and_fields_from_another(scene: Scene, curator: Any) -> None:
    a, b = scene.ann
    t1, t2 = scene.targets
    left = make_claim(scene.article, a, "Ankara is ready to help, said Akar")
    right = make_claim(
        scene.article,
        b,
        AKAR,
        source=scene.sources[1],
        stances=[StanceInput(t2, "against")],
        source_reliability="D",
    )

    gold = gold_merge(
        curator=curator,
        article=scene.article,
        span_from=right,
        fields_from={"source": left, "stances": left},
        rationale="span from B, source and stance from A",
    )

    assert (gold.start, gold.end) == span(scene.article.text, AKAR)
    assert gold.source_id == left.source_id
    assert stances_of(gold) == {t1.pk: "favor"}
    assert gold.source_reliability == "D"  # not named: from the span's claim
    decision = Decision.objects.get()
    assert decision.action == DecisionAction.MERGE
    fields = {o.claim_id: set(o.fields) for o in decision.origins.all()}
    assert {"source", "stances"} <= fields[left.pk]
    assert "span" not in fields[left.pk]
    assert {"span", "source_reliability"} <= fields[right.pk]
    assert "source" not in fields[right.pk]


def test_merge_refuses_an_unknown_field(scene: Scene, curator: Any) -> None:
    a, _ = scene.ann
    mine = make_claim(scene.article, a, AKAR)
    with pytest.raises(ValidationError):
        gold_merge(
            curator=curator, article=scene.article, span_from=mine, fields_from={"bogus": mine}
        )
    assert not Claim.objects.gold().exists()


def test_edit_changes_the_gold_claim_and_records_an_edit(scene: Scene, curator: Any) -> None:
    a, _ = scene.ann
    gold = gold_accept(curator=curator, claim=make_claim(scene.article, a, AKAR))

    edited = gold_edit(
        curator=curator,
        gold=gold,
        version=gold.version,
        rationale="x",
        changes=claim_changes({"claim_type": "predictive"}),
    )

    assert edited.claim_type == "predictive" and edited.version == 2
    assert Decision.objects.filter(action=DecisionAction.EDIT, gold=gold).count() == 1
    with pytest.raises(StaleVersion):
        gold_edit(
            curator=curator, gold=gold, version=1, changes=claim_changes({"claim_type": "factual"})
        )


def test_edit_refuses_an_annotator_claim(scene: Scene, curator: Any) -> None:
    mine = make_claim(scene.article, scene.ann[0], AKAR)
    with pytest.raises(ValidationError):
        gold_edit(
            curator=curator,
            gold=mine,
            version=1,
            changes=claim_changes({"claim_type": "predictive"}),
        )


def test_add_creates_a_gold_claim_nobody_made(scene: Scene, curator: Any) -> None:
    start, end = span(scene.article.text, CHINA)
    gold = gold_add(
        curator=curator,
        article=scene.article,
        rationale="both missed it",
        fields=claim_fields(
            {
                "start": start,
                "end": end,
                "quote": CHINA,
                "source": scene.sources[0].pk,
                "attribution": "author",
                "source_reliability": "C",
                "information_credibility": "3",
                "claim_type": "evaluative",
                "stances": [StanceInput(scene.targets[0], "none")],
            }
        ),
    )
    assert gold.annotator_id is None and gold.quote == CHINA
    decision = Decision.objects.get()
    assert decision.action == DecisionAction.ADD and not decision.origins.exists()


def test_add_validates_like_claim_create(scene: Scene, curator: Any) -> None:
    start, end = span(scene.article.text, CHINA)
    with pytest.raises(ValidationError) as error:
        gold_add(
            curator=curator,
            article=scene.article,
            fields=claim_fields({"start": start, "end": end, "quote": "wrong"}),
        )
    assert "source" in error.value.message_dict
    assert not Decision.objects.exists()


def test_reject_records_a_decision_without_gold(scene: Scene, curator: Any) -> None:
    mine = make_claim(scene.article, scene.ann[0], CHINA)
    decision = gold_reject(curator=curator, claims=[mine], rationale="not a claim")
    assert decision.action == DecisionAction.REJECT and decision.gold is None
    assert [(o.claim_id, o.claim_version) for o in decision.origins.all()] == [(mine.pk, 1)]
    assert not Claim.objects.gold().exists()


def test_a_later_decision_supersedes_the_gold_of_the_same_group(scene: Scene, curator: Any) -> None:
    a, b = scene.ann
    mine = make_claim(scene.article, a, AKAR)
    theirs = make_claim(scene.article, b, AKAR, claim_type="evaluative")
    first = gold_accept(curator=curator, claim=mine, considered=[theirs])
    second = gold_accept(curator=curator, claim=theirs, considered=[mine])
    assert list(Claim.objects.gold().live()) == [second]
    first.refresh_from_db()
    assert first.deleted_at is not None
    gold_reject(curator=curator, claims=[mine, theirs])
    assert not Claim.objects.gold().live().exists()


def test_a_stale_version_is_refused(scene: Scene, curator: Any) -> None:
    a, b = scene.ann
    mine = make_claim(scene.article, a, AKAR)
    theirs = make_claim(scene.article, b, AKAR)
    seen = Claim.objects.get(pk=mine.pk)
    claim_update(
        claim=mine, actor=a, version=1, changes=claim_changes({"claim_type": "predictive"})
    )

    with pytest.raises(StaleVersion):
        gold_accept(curator=curator, claim=seen)
    with pytest.raises(StaleVersion):
        gold_reject(curator=curator, claims=[seen])
    with pytest.raises(StaleVersion):
        gold_merge(
            curator=curator, article=scene.article, span_from=theirs, fields_from={"source": seen}
        )
    with pytest.raises(StaleVersion):
        gold_accept(curator=curator, claim=theirs, versions={theirs.pk: 7})
    assert not Decision.objects.exists() and not Claim.objects.gold().exists()


def test_bulk_accept_takes_only_unanimous_groups(scene: Scene, curator: Any) -> None:
    a, b = scene.ann
    same = [make_claim(scene.article, user, AKAR, note=f"by {user}") for user in (a, b)]
    make_claim(scene.article, a, UMAROV, source_reliability="A")
    make_claim(scene.article, b, UMAROV, source_reliability="E")  # a field differs
    make_claim(scene.article, a, CHINA)  # b has none: missing
    make_claim(scene.article, a, "Yana Orekhova thinks")
    make_claim(scene.article, b, "Yana Orekhova thinks the OTS matters")  # boundaries differ

    made = gold_bulk_accept(curator=curator, article=scene.article)

    assert [g.quote for g in made] == [AKAR]
    decision = Decision.objects.get()
    assert decision.action == DecisionAction.BULK_ACCEPT
    assert {o.claim_id for o in decision.origins.all()} == {c.pk for c in same}
    assert gold_bulk_accept(curator=curator, article=scene.article) == []  # idempotent
    assert Decision.objects.count() == 1


def test_bulk_accept_skips_groups_that_differ_in_stances(scene: Scene, curator: Any) -> None:
    a, b = scene.ann
    t1, _ = scene.targets
    make_claim(scene.article, a, AKAR, stances=[StanceInput(t1, "favor")])
    make_claim(scene.article, b, AKAR, stances=[StanceInput(t1, "against")])
    assert gold_bulk_accept(curator=curator, article=scene.article) == []


@pytest.mark.parametrize("who", ["annotator", "outsider"])
def test_only_curators_and_managers_adjudicate(
    scene: Scene, who: str, request: pytest.FixtureRequest, manager: Any
) -> None:
    user = request.getfixturevalue(who)
    mine = make_claim(scene.article, scene.ann[0], AKAR)
    with pytest.raises(PermissionDenied):
        gold_accept(curator=user, claim=mine)
    with pytest.raises(PermissionDenied):
        gold_reject(curator=user, claims=[mine])
    with pytest.raises(PermissionDenied):
        gold_bulk_accept(curator=user, article=scene.article)
    assert gold_accept(curator=manager, claim=mine).annotator_id is None


def test_claims_of_another_article_are_refused(scene: Scene, curator: Any) -> None:
    from tests.factories import ArticleFactory

    other = ArticleFactory(project=scene.project, text=scene.article.text + " More.")
    mine = make_claim(other, scene.ann[0], AKAR)
    here = make_claim(scene.article, scene.ann[1], AKAR)
    with pytest.raises(ValidationError):
        gold_merge(
            curator=curator, article=scene.article, span_from=here, fields_from={"source": mine}
        )


def test_gold_claim_history_names_the_curator(scene: Scene, curator: Any) -> None:
    a, _ = scene.ann
    mine = make_claim(scene.article, a, AKAR)
    gold = gold_accept(curator=curator, claim=mine)
    row = History.objects.get(entity="claim", object_id=gold.pk, action="create")
    assert row.actor == curator
