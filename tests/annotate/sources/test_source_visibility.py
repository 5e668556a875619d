"""Who may cite a proposed source (issue 18): its proposer, the annotators who joined it
(proposed the same name), those whose claims already cite it, curators and managers. Any
other annotator naming its id — through the API, the workspace form, a chain link, an
accepted suggestion or a bulk write — gets the answer an unknown id gets (4xx, nothing
written, nothing that says it exists)."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.chains.links import LinkInput
from annotate.claims.bulk import claims_create_many
from annotate.claims.checks import StanceInput
from annotate.claims.services import claim_update
from annotate.claims.values import ClaimChanges, ClaimFields, claim_changes
from annotate.models import Claim, Source, SourceJoin, SourceStatus, Suggestion, SuggestionResponse
from annotate.sources import selectors as source_selectors
from annotate.sources.services import source_add, source_merge_recorded, source_split
from annotate.suggest.services import suggestion_accept
from tests.conftest import login
from tests.factories import (
    VALID_LABELS,
    AssignmentFactory,
    SourceFactory,
    TargetFactory,
    make_claim,
    span,
)
from tests.helpers import HX, claim_form

WORDS = "Turkey’s influence"


@pytest.fixture
def both(assigned_article: Any, other_annotator: Any) -> Any:
    AssignmentFactory(article=assigned_article, annotator=other_annotator)
    return assigned_article


@pytest.fixture
def hidden(both: Any, annotator: Any) -> Source:
    """``annotator``'s proposal, hidden from ``other_annotator``."""
    source = source_add(project=both.project, name="Zhanna Nemtsova", actor=annotator)
    assert source.status == SourceStatus.PROPOSED
    return source


def fields(source: Any, target: Any, article: Any, **extra: Any) -> ClaimFields:
    start, end = span(article.text, WORDS)
    return ClaimFields(
        start=start,
        end=end,
        source=source.pk if source is not None else None,
        stances=[StanceInput(target=target, stance="favor")],
        labels=VALID_LABELS,
        **extra,
    )


def unknown_message(source_id: int) -> str:
    return f"Source {source_id} is not in this project's registry."


@pytest.mark.django_db
def test_the_api_refuses_another_annotators_proposal_like_an_unknown_id(
    both: Any, hidden: Source, other_annotator: Any
) -> None:
    target = TargetFactory(project=both.project)
    start, end = span(both.text, WORDS)
    body = {
        "start": start,
        "end": end,
        "quote": WORDS,
        "source": hidden.pk,
        "stances": [{"target": target.pk, "stance": "favor"}],
        **VALID_LABELS,
    }
    api = APIClient()
    api.force_authenticate(other_annotator)
    refused = api.post(f"/api/articles/{both.pk}/claims/", body, format="json")
    assert refused.status_code == 400
    assert unknown_message(hidden.pk) in refused.content.decode()
    unknown = api.post(
        f"/api/articles/{both.pk}/claims/", body | {"source": hidden.pk + 1000}, format="json"
    )
    # The same answer as for an id that names nothing: the proposal's existence doesn't leak.
    other = hidden.pk + 1000
    assert refused.content.decode().replace(f"Source {hidden.pk} ", "Source N ") == (
        unknown.content.decode().replace(f"Source {other} ", "Source N ")
    )
    assert "Nemtsova" not in refused.content.decode()
    assert not Claim.objects.exists()

    # An edit that names it is refused too; the claim stays as it was.
    own = make_claim(both, other_annotator, source=SourceFactory(project=both.project))
    changed = api.patch(
        f"/api/claims/{own.pk}/", {"version": own.version, "source": hidden.pk}, format="json"
    )
    assert changed.status_code == 400
    own.refresh_from_db()
    assert own.source_id != hidden.pk and own.version == 1

    # Its proposer cites it.
    api.force_authenticate(Source.objects.get(pk=hidden.pk).proposed_by)
    assert api.post(f"/api/articles/{both.pk}/claims/", body, format="json").status_code == 201


@pytest.mark.django_db
def test_the_workspace_form_refuses_another_annotators_proposal(
    client: Client, both: Any, hidden: Source, other_annotator: Any
) -> None:
    target = TargetFactory(project=both.project)
    login(client, other_annotator)
    url = reverse("annotate:claim-create", args=[both.pk])
    post = claim_form(both, "Akıncı", hidden, target) | {"chain-source": [str(hidden.pk)]}
    response = client.post(url, post, **HX)
    assert response.status_code == 422
    html = unescape(response.content.decode())
    assert unknown_message(hidden.pk) in html and "Nemtsova" not in html
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_a_chain_link_may_not_carry_another_annotators_proposal(
    both: Any, hidden: Source, annotator: Any, other_annotator: Any
) -> None:
    outlet = SourceFactory(project=both.project)
    target = TargetFactory(project=both.project)
    given = fields(outlet, target, both, chain=[LinkInput(source=hidden.pk)])
    with pytest.raises(ValidationError, match=f"link 1: source {hidden.pk} is not in this"):
        claims_create_many(article_claims=[(both, given)], annotator=other_annotator)
    api = APIClient()
    api.force_authenticate(other_annotator)
    start, end = span(both.text, WORDS)
    body = {
        "start": start,
        "end": end,
        "quote": WORDS,
        "source": outlet.pk,
        "stances": [{"target": target.pk, "stance": "favor"}],
        "chain": [{"source": hidden.pk}],
        **VALID_LABELS,
    }
    response = api.post(f"/api/articles/{both.pk}/claims/", body, format="json")
    assert response.status_code == 400
    assert f"source {hidden.pk} is not in this project's registry" in response.content.decode()
    assert not Claim.objects.exists()
    # The proposer may; and an annotator whose claim's chain carries it sees it.
    claim = make_claim(both, annotator, source=outlet, chain=[LinkInput(source=hidden.pk)])
    assert [link.source_id for link in claim.chain.all()] == [hidden.pk]


@pytest.mark.django_db
def test_a_bulk_write_refuses_it_and_writes_nothing(
    both: Any, hidden: Source, other_annotator: Any, curator: Any
) -> None:
    target = TargetFactory(project=both.project)
    fine = SourceFactory(project=both.project)
    items = [(both, fields(fine, target, both)), (both, fields(hidden, target, both))]
    with pytest.raises(ValidationError, match=f"item 1: source: Source {hidden.pk} is not"):
        claims_create_many(article_claims=items, annotator=other_annotator)
    assert not Claim.objects.exists()
    # A curator importing the annotator's claims may name any source of the project.
    made = claims_create_many(article_claims=items, annotator=other_annotator, actor=curator)
    assert [c.source_id for c in made] == [fine.pk, hidden.pk]


@pytest.mark.django_db
def test_accepting_a_suggestion_that_names_a_hidden_proposal(
    both: Any, hidden: Source, other_annotator: Any
) -> None:
    start, end = span(both.text, WORDS)
    by_id = Suggestion.objects.create(
        article=both, start=start, end=end, quote=WORDS, suggester="rules", source=hidden
    )
    with pytest.raises(ValidationError, match=unknown_message(hidden.pk)):
        suggestion_accept(suggestion=by_id, annotator=other_annotator)
    assert not Claim.objects.exists() and not SuggestionResponse.objects.exists()

    # A suggestion that proposes the name joins the proposal, as proposing it would.
    start, end = span(both.text, "Akıncı")
    by_name = Suggestion.objects.create(
        article=both,
        start=start,
        end=end,
        quote="Akıncı",
        suggester="rules",
        new_source_name="zhanna nemtsova",
    )
    target = TargetFactory(project=both.project)
    claim = suggestion_accept(
        suggestion=by_name,
        annotator=other_annotator,
        overrides=claim_changes(
            {"stances": [StanceInput(target=target, stance="favor")], **VALID_LABELS}
        ),
    )
    assert claim.source_id == hidden.pk
    assert SourceJoin.objects.filter(source=hidden, user=other_annotator).exists()


@pytest.mark.django_db
def test_joining_by_proposing_the_same_name_lets_them_cite_it_at_once(
    client: Client, both: Any, hidden: Source, other_annotator: Any
) -> None:
    login(client, other_annotator)
    joined = client.post(
        reverse("annotate:workspace-source-create", args=[both.pk]),
        {"name": "zhanna  nemtsova", "kind": "person"},
        **HX,
    )
    assert joined.status_code == 200
    assert f'value="{hidden.pk}"' in joined.content.decode()
    assert Source.objects.filter(project=both.project).count() == 1
    # Before citing it, they see it (its page, the picker) and may cite it.
    assert source_selectors.source_for(other_annotator, hidden.pk) == hidden
    found = client.get(
        reverse("annotate:workspace-source-search", args=[both.pk]), {"q": "nemtsova"}, **HX
    ).content.decode()
    assert f'data-source-id="{hidden.pk}"' in found
    target = TargetFactory(project=both.project)
    response = client.post(
        reverse("annotate:claim-create", args=[both.pk]),
        claim_form(both, "Akıncı", hidden, target),
        **HX,
    )
    assert response.status_code == 200, response.content.decode()
    assert Claim.objects.get().source_id == hidden.pk


@pytest.mark.django_db
def test_a_claim_keeps_a_source_it_already_cites(
    both: Any, hidden: Source, other_annotator: Any, curator: Any
) -> None:
    # A curator set another annotator's claim to the proposal: that annotator now cites it
    # (so sees it), and may edit the claim and make new claims with it.
    target = TargetFactory(project=both.project)
    claim = make_claim(both, other_annotator, source=SourceFactory(project=both.project))
    claim = claim_update(
        claim=claim, actor=curator, version=claim.version, changes=ClaimChanges(source=hidden.pk)
    )
    assert claim.source_id == hidden.pk
    claim = claim_update(
        claim=claim,
        actor=other_annotator,
        version=claim.version,
        changes=ClaimChanges(source=hidden.pk, note="still"),
    )
    assert claim.note == "still"
    made = make_claim(both, other_annotator, "Akıncı", source=hidden, target=target)
    assert made.source_id == hidden.pk


@pytest.mark.django_db
def test_a_merge_carries_the_joins_and_a_split_brings_them_back(
    both: Any, hidden: Source, other_annotator: Any, curator: Any
) -> None:
    source_add(project=both.project, name="Zhanna Nemtsova", actor=other_annotator)  # joins
    keep = source_add(project=both.project, name="Zhanna Nemtsova (TV)", actor=curator)
    keep.status = SourceStatus.PROPOSED
    keep.save()
    already = SourceJoin.objects.create(source=keep, user=curator)  # joined before the merge
    record = source_merge_recorded(keep=keep, merge=hidden, actor=curator)
    assert record.merged["joined"] == [other_annotator.pk]
    assert record.merged["joins_copied"] == [other_annotator.pk]
    assert SourceJoin.objects.filter(source=keep, user=other_annotator).exists()
    back = source_split(record=record, actor=curator)
    assert list(back.joins.values_list("user_id", flat=True)) == [other_annotator.pk]
    assert source_selectors.source_for(other_annotator, back.pk) == back
    # The join the merge copied to the kept source goes with the split (it stayed, and the
    # joiner could still see and cite the kept proposal); the one it had before stays.
    assert list(keep.joins.all()) == [already]
    with pytest.raises(Http404):
        source_selectors.source_for(other_annotator, keep.pk)
