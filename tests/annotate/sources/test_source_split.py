"""Merging sources asks for confirmation and is recorded; a manager splits it back
(issue 18)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.models import Claim, History, HistoryAction, Source, SourceMerge, Suggestion
from annotate.sources.services import (
    source_add,
    source_create,
    source_merge,
    source_merge_recorded,
    source_split,
    source_update,
)
from tests.conftest import login
from tests.factories import ArticleFactory, ClaimFactory, SourceFactory


def registry(project: Any) -> dict[int, tuple[Any, ...]]:
    """Every source of the project: its fields and its aliases."""
    return {
        s.pk: (
            s.name,
            s.name_key,
            s.kind,
            s.description,
            s.external_id,
            s.status,
            s.proposed_by_id,
            s.created,
            tuple(sorted(s.aliases.values_list("alias", flat=True))),
        )
        for s in Source.objects.filter(project=project).prefetch_related("aliases")
    }


def citations(project: Any) -> dict[int, int | None]:
    """Every claim (deleted ones too) and suggestion of the project → its source."""
    claims = Claim.objects.filter(article__project=project).values_list("pk", "source_id")
    suggestions = Suggestion.objects.filter(article__project=project)
    return {
        **dict(claims),
        **{-pk: source for pk, source in suggestions.values_list("pk", "source_id")},
    }


@pytest.fixture
def duplicates(project: Any, annotator: Any) -> dict[str, Any]:
    """Two registry entries for one person, each cited: live, deleted and gold claims,
    and a suggestion."""
    article = ArticleFactory(project=project)
    keep = source_create(project=project, name="Ahmet Davutoğlu", aliases=["Davutoğlu"])
    merge = source_create(
        project=project,
        name="A. Davutoglu",
        aliases=["Davutoglu", "Ahmet D."],
        description="Former foreign minister",
        external_id="Q310",
    )
    return {
        "article": article,
        "keep": keep,
        "merge": merge,
        "kept_claim": ClaimFactory(article=article, annotator=annotator, source=keep),
        "live": ClaimFactory(article=article, annotator=annotator, source=merge),
        "deleted": ClaimFactory(article=article, annotator=annotator, source=merge, deleted=True),
        "gold": ClaimFactory(article=article, annotator=None, source=merge),
        "suggestion": Suggestion.objects.create(
            article=article, start=0, end=4, quote=article.text[:4], suggester="t", source=merge
        ),
    }


@pytest.mark.django_db
def test_merge_then_split_restores_the_registry_and_claims_exactly(
    project: Any, duplicates: dict[str, Any], manager: Any
) -> None:
    before_registry, before_citations = registry(project), citations(project)
    merge_pk = duplicates["merge"].pk

    record = source_merge_recorded(keep=duplicates["keep"], merge=duplicates["merge"])
    merged = registry(project)
    assert merge_pk not in merged
    assert set(citations(project).values()) == {duplicates["keep"].pk}
    assert merged[duplicates["keep"].pk][3:5] == ("Former foreign minister", "Q310")  # filled
    assert record.moved["annotate.claim:source"] == sorted(
        [duplicates["live"].pk, duplicates["deleted"].pk, duplicates["gold"].pk]
    )

    back = source_split(record=record, actor=manager)

    assert back.pk == merge_pk
    assert registry(project) == before_registry
    assert citations(project) == before_citations
    record.refresh_from_db()
    assert record.split_at is not None and record.split_by == manager
    actions = History.objects.filter(entity="source", object_id=back.pk).values_list(
        "action", flat=True
    )
    assert set(actions) >= {HistoryAction.MERGE, HistoryAction.SPLIT}


@pytest.mark.django_db
def test_a_split_moves_back_a_suggestion_made_again_since_the_merge(
    project: Any, duplicates: dict[str, Any], manager: Any
) -> None:
    """A refresh of the article's suggestions (or a restored archive, which holds none)
    makes them again as new rows: the merge records them by article, span and suggester."""
    old, article = duplicates["suggestion"], duplicates["article"]
    record = source_merge_recorded(keep=duplicates["keep"], merge=duplicates["merge"])
    assert record.moved["annotate.suggestion:source"] == [[article.pk, 0, 4, "t"]]
    old.delete()
    again = Suggestion.objects.create(
        article=article, start=0, end=4, quote=old.quote, suggester="t", source=duplicates["keep"]
    )
    other = Suggestion.objects.create(
        article=article, start=0, end=4, quote=old.quote, suggester="u", source=duplicates["keep"]
    )
    back = source_split(record=record, actor=manager)
    again.refresh_from_db()
    other.refresh_from_db()
    assert (again.source_id, other.source_id) == (back.pk, duplicates["keep"].pk)


@pytest.mark.django_db
def test_a_record_listing_suggestion_ids_still_splits_them_back(
    project: Any, duplicates: dict[str, Any], manager: Any
) -> None:
    """A merge recorded before suggestions were recorded by key lists their ids."""
    suggestion = duplicates["suggestion"]
    record = source_merge_recorded(keep=duplicates["keep"], merge=duplicates["merge"])
    record.moved["annotate.suggestion:source"] = [suggestion.pk]
    record.save(update_fields=["moved"])
    back = source_split(record=record, actor=manager)
    suggestion.refresh_from_db()
    assert suggestion.source_id == back.pk


@pytest.mark.django_db
def test_a_proposed_source_comes_back_proposed_by_its_annotator(
    project: Any, annotator: Any, manager: Any
) -> None:
    keep = source_create(project=project, name="Zhanna Nemtsova")
    proposed = source_add(project=project, name="Zh. Nemtsova", actor=annotator)
    before = registry(project)
    record = source_merge_recorded(keep=keep, merge=proposed)
    source_split(record=record, actor=manager)
    assert registry(project) == before


@pytest.mark.django_db
def test_split_after_further_edits_keeps_what_changed_since(
    project: Any, duplicates: dict[str, Any], annotator: Any, manager: Any
) -> None:
    """What changed after the merge stays: a moved claim edited to cite a third source,
    a claim made afterwards citing the kept source, an alias added to it by hand, a
    description rewritten since the merge filled it."""
    keep, merge = duplicates["keep"], duplicates["merge"]
    third = source_create(project=project, name="Hakan Fidan")
    record = source_merge_recorded(keep=keep, merge=merge)
    Claim.objects.filter(pk=duplicates["live"].pk).update(source=third)
    later = ClaimFactory(article=duplicates["article"], annotator=annotator, source=keep)
    keep = source_update(
        source=Source.objects.get(pk=keep.pk),
        description="Prime minister 2014–2016",
        aliases=["Davutoğlu", "Davutoglu", "Ahmet D.", "A. Davutoglu", "Hoca"],
    )

    back = source_split(record=record, actor=manager)

    keep.refresh_from_db()
    assert Claim.objects.get(pk=duplicates["live"].pk).source_id == third.pk
    assert Claim.objects.get(pk=later.pk).source_id == keep.pk
    assert Claim.objects.get(pk=duplicates["deleted"].pk).source_id == back.pk
    assert Claim.objects.get(pk=duplicates["gold"].pk).source_id == back.pk
    assert sorted(keep.aliases.values_list("alias", flat=True)) == ["Davutoğlu", "Hoca"]
    assert keep.description == "Prime minister 2014–2016"
    assert keep.external_id == ""  # filled by the merge and unchanged: taken back
    assert sorted(back.aliases.values_list("alias", flat=True)) == ["Ahmet D.", "Davutoglu"]


@pytest.mark.django_db
def test_a_split_is_refused_twice_and_waits_for_a_later_merge(
    project: Any, duplicates: dict[str, Any], manager: Any
) -> None:
    keep, merge = duplicates["keep"], duplicates["merge"]
    merge_pk = merge.pk
    outer = source_create(project=project, name="Davutoğlu, Ahmet (minister)")
    first = source_merge_recorded(keep=keep, merge=merge)
    second = source_merge_recorded(keep=outer, merge=Source.objects.get(pk=keep.pk))
    writes = (Source.objects.count(), list(Claim.objects.values_list("pk", "source_id")))

    with pytest.raises(ValidationError, match="Split that later merge first"):
        source_split(record=first, actor=manager)
    assert (Source.objects.count(), list(Claim.objects.values_list("pk", "source_id"))) == writes

    source_split(record=second, actor=manager)
    source_split(record=first, actor=manager)
    assert Claim.objects.get(pk=duplicates["live"].pk).source_id == merge_pk
    assert Claim.objects.get(pk=duplicates["kept_claim"].pk).source_id == keep.pk
    with pytest.raises(ValidationError, match="already split back"):
        source_split(record=first, actor=manager)


@pytest.mark.django_db
def test_a_split_is_refused_when_the_name_was_taken_since(
    project: Any, duplicates: dict[str, Any], manager: Any
) -> None:
    record = source_merge_recorded(keep=duplicates["keep"], merge=duplicates["merge"])
    # The kept source takes the merged one's name.
    source_update(source=Source.objects.get(pk=duplicates["keep"].pk), name="A. Davutoglu")
    with pytest.raises(ValidationError, match="already has “A. Davutoglu”"):
        source_split(record=record, actor=manager)
    assert not Source.objects.filter(pk=duplicates["merge"].pk).exists()
    record.refresh_from_db()
    assert record.split_at is None


# --- the pages ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_merge_confirmation_lists_what_will_change_and_writes_nothing(
    client: Client, duplicates: dict[str, Any], curator: Any
) -> None:
    keep, merge = duplicates["keep"], duplicates["merge"]
    login(client, curator)
    url = reverse("annotate:source-merge", args=[keep.pk])

    response = client.get(url, {"merge": merge.pk})

    html = response.content.decode()
    assert response.status_code == 200
    assert "2 claims citing “A. Davutoglu” will cite “Ahmet Davutoğlu”" in html
    assert "(1 in the gold layer), and 1 deleted one" in html
    # The new aliases ("Davutoglu" is one already, as "Davutoğlu").
    assert "New aliases of “Ahmet Davutoğlu”: “A. Davutoglu”, “Ahmet D.”." in html
    assert "Q310" in html and "1 suggestion will propose" in html
    assert Source.objects.filter(pk=merge.pk).exists()
    assert not SourceMerge.objects.exists()
    # ?into= asks the other way round (rejecting a proposal from the queue).
    reverse_html = client.get(
        reverse("annotate:source-merge", args=[merge.pk]), {"into": keep.pk}
    ).content.decode()
    assert "Merge “A. Davutoglu” into “Ahmet Davutoğlu”?" in reverse_html


@pytest.mark.django_db
def test_a_merge_from_the_page_is_recorded_and_only_a_manager_splits_it(
    client: Client, duplicates: dict[str, Any], curator: Any, manager: Any
) -> None:
    keep, merge = duplicates["keep"], Source.objects.get(pk=duplicates["merge"].pk)
    login(client, curator)
    client.post(reverse("annotate:source-merge", args=[keep.pk]), {"merge": merge.pk})
    record = SourceMerge.objects.get()
    assert record.actor == curator and record.kept_id == keep.pk
    detail = client.get(reverse("annotate:source-detail", args=[keep.pk])).content.decode()
    assert f'data-merge-record="{record.pk}"' in detail and "Split" not in detail

    split = reverse("annotate:source-split", args=[record.pk])
    assert client.post(split).status_code == 403
    assert not Source.objects.filter(pk=merge.pk).exists()

    login(client, manager)
    assert (
        "Split “A. Davutoglu” back out"
        in client.get(reverse("annotate:source-detail", args=[keep.pk])).content.decode()
    )
    response = client.post(split)
    assert response.status_code == 302
    assert response["Location"] == reverse("annotate:source-detail", args=[merge.pk])
    assert Claim.objects.get(pk=duplicates["live"].pk).source_id == merge.pk


@pytest.mark.django_db
def test_the_api_lists_merges_and_splits_for_managers(
    duplicates: dict[str, Any], curator: Any, manager: Any
) -> None:
    keep, merge = duplicates["keep"], duplicates["merge"]
    api = APIClient()
    api.force_authenticate(curator)
    merged = api.post(f"/api/sources/{keep.pk}/merge/", {"merge": merge.pk}, format="json")
    assert merged.status_code == 200
    records = api.get(f"/api/sources/{keep.pk}/merges/").json()["results"]
    assert [(r["merged"]["name"], r["actor"]) for r in records] == [("A. Davutoglu", "curator")]
    # Not split yet: null, which the schema allows (schemathesis found it claimed a string).
    assert (records[0]["split_at"], records[0]["split_by"]) == (None, None)
    schema = api.get("/api/schema/", {"format": "json"}).json()
    fields = schema["components"]["schemas"]["SourceMergeRecord"]["properties"]
    assert all(fields[name].get("nullable") for name in ("actor", "split_at", "split_by"))
    assert sorted(records[0]["claim_ids"]) == sorted(
        [duplicates["live"].pk, duplicates["deleted"].pk, duplicates["gold"].pk]
    )
    split = f"/api/source-merges/{records[0]['id']}/split/"
    assert api.post(split).status_code == 403

    api.force_authenticate(manager)
    response = api.post(split)
    assert response.status_code == 201
    assert response.json()["id"] == merge.pk
    assert api.post(split).status_code == 400  # already split


@pytest.mark.django_db
def test_merging_keeps_the_plain_function(project: Any) -> None:
    """``source_merge`` still returns the kept source (callers unchanged)."""
    keep = SourceFactory(project=project, name="X")
    other = SourceFactory(project=project, name="Y")
    assert source_merge(keep=keep, merge=other) == keep
    assert SourceMerge.objects.get().merged["name"] == "Y"


@pytest.mark.django_db
def test_a_merged_carrier_moves_in_the_chains_and_back_on_split(
    project: Any, duplicates: dict[str, Any], manager: Any
) -> None:
    """A source that carried claims (a chain link, issue 20) is repointed by the merge like
    a claim's speaker, and the split moves the link back."""
    from annotate.models import ChainLink

    link = ChainLink.objects.create(
        claim=duplicates["kept_claim"], position=1, source=duplicates["merge"], reliability="C"
    )
    record = source_merge_recorded(keep=duplicates["keep"], merge=duplicates["merge"])
    link.refresh_from_db()
    assert link.source_id == duplicates["keep"].pk
    assert record.moved["annotate.chainlink:source"] == [link.pk]

    back = source_split(record=record, actor=manager)
    link.refresh_from_db()
    assert link.source_id == back.pk
