"""Attribution chains written with their claim: checks, version bumps, history, Undo,
duplicates, the bulk path, and the registry's merge and delete around them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from annotate.chains.links import MAX_LINKS, LinkInput, chain_key, chain_reliability, weakest
from annotate.claims.bulk import claims_create_many
from annotate.claims.checks import StanceInput
from annotate.claims.services import (
    DuplicateClaim,
    StaleVersion,
    claim_create,
    claim_delete,
    claim_restore,
    claim_update,
)
from annotate.claims.values import ClaimChanges, ClaimFields
from annotate.models import ChainLink, History
from annotate.sources.services import source_delete, source_merge
from tests.factories import VALID_LABELS, SourceFactory, TargetFactory, make_claim, span

ORDER = ["A", "B", "C", "D", "E", "F"]


# --- pure ----------------------------------------------------------------------------


def test_the_weakest_link_is_the_worst_rating_and_blank_counts_for_nothing() -> None:
    assert weakest(["B", "D", "A"], ORDER) == "D"
    assert weakest(["B", "", "C"], ORDER) == "C"
    assert weakest(["", ""], ORDER) == ""
    # F (cannot be judged) makes the chain unjudgeable; an unknown value is weaker still.
    assert weakest(["A", "F", "B"], ORDER) == "F"
    assert weakest(["F", "Z"], ORDER) == "Z"
    assert chain_reliability("A", ["C", "B"], ORDER) == "C"
    assert chain_reliability("E", ["A"], ORDER) == "E"
    assert chain_reliability("", [], ORDER) == ""


def test_a_chain_key_is_its_carriers_in_order() -> None:
    assert chain_key([{"source": 3}, {"source": "7"}]) == (3, 7)
    assert chain_key([]) == ()


# --- with a claim --------------------------------------------------------------------


@pytest.fixture
def outlets(project: Any) -> tuple[Any, Any]:
    return (
        SourceFactory(project=project, name="Berliner Zeitung", kind="outlet"),
        SourceFactory(project=project, name="inosmi.ru", kind="outlet"),
    )


@pytest.mark.django_db
def test_a_claim_is_created_with_its_chain_and_history(
    assigned_article: Any, annotator: Any, outlets: Any
) -> None:
    paper, site = outlets
    mention = span(assigned_article.text, "Akıncı")
    claim = make_claim(
        assigned_article,
        annotator,
        chain=[
            LinkInput(source=paper.pk, mention=mention, mention_quote="Akıncı", reliability="B"),
            LinkInput(source=site, reliability="D"),
        ],
    )
    links = list(claim.chain.order_by("position"))
    assert [(link.position, link.source_id, link.reliability) for link in links] == [
        (1, paper.pk, "B"),
        (2, site.pk, "D"),
    ]
    assert (links[0].mention_start, links[0].mention_end) == mention
    after = History.objects.get(entity="claim", object_id=claim.pk).after
    assert after is not None
    assert after["chain"] == [
        {
            "position": 1,
            "source": paper.pk,
            "source_mention": {"start": mention[0], "end": mention[1]},
            "reliability": "B",
        },
        {"position": 2, "source": site.pk, "source_mention": None, "reliability": "D"},
    ]


@pytest.mark.django_db
def test_every_bad_link_is_reported_and_nothing_is_written(
    assigned_article: Any, annotator: Any, outlets: Any
) -> None:
    foreign = SourceFactory(name="Elsewhere")
    start, end = span(assigned_article.text, "Akıncı")
    with pytest.raises(ValidationError) as caught:
        make_claim(
            assigned_article,
            annotator,
            chain=[
                LinkInput(source=foreign.pk),
                LinkInput(source=outlets[0].pk, mention=(start, end), mention_quote="Akinci"),
                LinkInput(source=outlets[1].pk, reliability="Q"),
                LinkInput(source="x", mention=(5,)),
            ],
        )
    messages = caught.value.message_dict["chain"]
    assert messages[0] == f"link 1: source {foreign.pk} is not in this project's registry."
    assert messages[1].startswith("link 2: mention: the quote does not match")
    assert messages[2] == "link 3: “Q” is not a reliability of this project; use one of: " + (
        ", ".join(ORDER) + "."
    )
    assert "link 4: source x is not in this project's registry." in messages
    assert "link 4: a mention is two offsets: start and end." in messages
    assert not ChainLink.objects.exists() and not History.objects.exists()


@pytest.mark.django_db
def test_too_long_a_chain_is_refused(assigned_article: Any, annotator: Any, outlets: Any) -> None:
    with pytest.raises(ValidationError, match=f"at most {MAX_LINKS} links"):
        make_claim(
            assigned_article, annotator, chain=[LinkInput(source=outlets[0])] * (MAX_LINKS + 1)
        )


@pytest.mark.django_db
def test_changing_the_chain_bumps_the_version_and_undo_keeps_it(
    assigned_article: Any, annotator: Any, outlets: Any
) -> None:
    paper, site = outlets
    claim = make_claim(assigned_article, annotator)
    updated = claim_update(
        claim=claim,
        actor=annotator,
        version=1,
        changes=ClaimChanges(
            chain=[LinkInput(source=paper), LinkInput(source=site, reliability="C")]
        ),
    )
    assert updated.version == 2
    assert [link.source_id for link in updated.chain.all()] == [paper.pk, site.pk]
    row = History.objects.filter(object_id=claim.pk).first()
    assert row is not None and row.before is not None and row.after is not None
    assert row.before["chain"] == [] and len(row.after["chain"]) == 2
    # The same chain again changes nothing.
    same = claim_update(
        claim=claim,
        actor=annotator,
        version=2,
        changes=ClaimChanges(
            chain=[LinkInput(source=paper), LinkInput(source=site, reliability="C")]
        ),
    )
    assert same.version == 2
    # A writer on the old version is refused, the chain untouched.
    with pytest.raises(StaleVersion):
        claim_update(
            claim=claim,
            actor=annotator,
            version=1,
            changes=ClaimChanges(chain=[]),
        )
    # Delete and Undo: the chain comes back with the claim.
    claim_delete(claim=claim, actor=annotator)
    restored = claim_restore(claim=claim, actor=annotator)
    assert [link.source_id for link in restored.chain.all()] == [paper.pk, site.pk]
    # Reversed, then removed.
    reversed_ = claim_update(
        claim=claim,
        actor=annotator,
        version=restored.version,
        changes=ClaimChanges(chain=[LinkInput(source=site), LinkInput(source=paper)]),
    )
    assert [link.source_id for link in reversed_.chain.all()] == [site.pk, paper.pk]
    cleared = claim_update(
        claim=claim,
        actor=annotator,
        version=reversed_.version,
        changes=ClaimChanges(chain=[]),
    )
    assert not cleared.chain.exists() and not ChainLink.objects.exists()


@pytest.mark.django_db
def test_a_claim_differing_only_in_its_chain_is_not_a_duplicate(
    assigned_article: Any, annotator: Any, outlets: Any
) -> None:
    first = make_claim(assigned_article, annotator)
    with pytest.raises(DuplicateClaim):
        make_claim(assigned_article, annotator, source=first.source)
    second = make_claim(
        assigned_article, annotator, source=first.source, chain=[LinkInput(source=outlets[0])]
    )
    assert second.pk != first.pk
    with pytest.raises(DuplicateClaim):
        make_claim(
            assigned_article, annotator, source=first.source, chain=[LinkInput(source=outlets[0])]
        )


@pytest.mark.django_db
def test_the_bulk_path_writes_chains_in_a_fixed_number_of_queries(
    django_assert_max_num_queries: Any, assigned_article: Any, annotator: Any, outlets: Any
) -> None:
    project = assigned_article.project
    source = SourceFactory(project=project)
    target = TargetFactory(project=project)
    start, end = span(assigned_article.text, "Turkey’s influence")

    def item(n: int) -> ClaimFields:
        return ClaimFields(
            start=start,
            end=end,
            source=source.pk,
            stances=[StanceInput(target=target.pk, stance="favor")],
            chain=[LinkInput(source=outlets[n % 2].pk), LinkInput(source=outlets[1].pk)],
            note=f"n{n}",
            labels=VALID_LABELS,
        )

    # Each INSERT of claims, stances and history rows is cut into statements of 16, 8, 4,
    # 2, 1 rows (common.inserts keeps the statement shapes few): 30 claims, 4 statements
    # each; the number depends on the batch, never on the chains' links. One is the
    # writer's role (which proposed sources they may cite: ``citable_sources``).
    bound = 19
    with django_assert_max_num_queries(bound):
        claims = claims_create_many(
            article_claims=[(assigned_article, item(n)) for n in range(30)], annotator=annotator
        )
    assert ChainLink.objects.count() == 60
    after = History.objects.get(object_id=claims[1].pk).after
    assert after is not None
    assert [link["source"] for link in after["chain"]] == [outlets[1].pk, outlets[1].pk]
    with pytest.raises(ValidationError, match="item 0: chain: link 1: source 999999"):
        claims_create_many(
            article_claims=[
                (assigned_article, ClaimFields(start=start, end=end, chain=[LinkInput(999999)]))
            ],
            annotator=annotator,
        )


@pytest.mark.django_db
def test_merging_a_carrier_repoints_its_links_and_deleting_it_is_refused(
    assigned_article: Any, annotator: Any, outlets: Any
) -> None:
    paper, site = outlets
    speaker = SourceFactory(project=assigned_article.project, name="Daria Isachenko")
    claim = make_claim(assigned_article, annotator, source=speaker, chain=[LinkInput(source=paper)])
    with pytest.raises(ValidationError, match="carries 1 claim"):
        source_delete(source=paper)
    source_merge(keep=site, merge=paper)
    assert list(claim.chain.values_list("source_id", flat=True)) == [site.pk]


@pytest.mark.django_db
def test_a_gold_claim_takes_a_chain(article: Any, curator: Any, outlets: Any) -> None:
    start, end = span(article.text, "Turkey’s influence")
    gold = claim_create(
        article=article,
        annotator=None,
        actor=curator,
        fields=ClaimFields(
            start=start,
            end=end,
            source=SourceFactory(project=article.project),
            stances=[StanceInput(target=TargetFactory(project=article.project), stance="favor")],
            chain=[LinkInput(source=outlets[0])],
            labels=VALID_LABELS,
        ),
    )
    assert gold.chain.get().source_id == outlets[0].pk
