"""Suggestions in the workspace: who may see and answer them, what comes back, and how
many queries the page takes with many suggestions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from annotate.models import Claim, Source, Suggestion, SuggestionResponse
from annotate.suggest import Proposal, RegistryEntry
from annotate.suggest.services import suggestion_dismiss, suggestions_refresh
from tests.conftest import login
from tests.factories import (
    ArticleFactory,
    AssignmentFactory,
    SourceFactory,
    TargetFactory,
    make_claim,
)

HX: Any = {"HTTP_HX_REQUEST": "true"}
TEXT = "“Ankara has learned the main lesson of the nineties,” notes Daria Isachenko."


class Every:
    """Proposes one suggestion per word (to load the page with many)."""

    name, version = "every-word", "1"

    def suggest(
        self, article_text: str, *, byline: str, registry: Sequence[RegistryEntry]
    ) -> list[Proposal]:
        import re

        return [
            Proposal(m.start(), m.end(), "author", registry[0].id if registry else None)
            for m in re.finditer(r"\w+", article_text)
        ]


def relaxed(project: Any) -> None:
    for name in ("stances", "source_reliability", "information_credibility", "claim_type"):
        project.scheme["fields"][name]["required"] = False
    project.save()


@pytest.fixture
def suggestion(project: Any, annotator: Any) -> Suggestion:
    project.suggestions_enabled = True
    project.save()
    SourceFactory(project=project, name="Daria Isachenko")
    article = ArticleFactory(project=project, text=TEXT, byline="")
    AssignmentFactory(article=article, annotator=annotator)
    [made] = suggestions_refresh(article=article)
    return made


def urls(suggestion: Suggestion) -> dict[str, str]:
    return {
        "list": reverse("annotate:suggestion-list", args=[suggestion.article_id]),
        "edit": reverse("annotate:suggestion-edit", args=[suggestion.pk]),
        "accept": reverse("annotate:suggestion-accept", args=[suggestion.pk]),
        "dismiss": reverse("annotate:suggestion-dismiss", args=[suggestion.pk]),
    }


def test_anonymous_users_are_sent_to_log_in(client: Client, suggestion: Suggestion) -> None:
    for name, url in urls(suggestion).items():
        method = client.post if name in ("accept", "dismiss") else client.get
        response = method(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_annotators_not_assigned_get_404(
    client: Client, suggestion: Suggestion, other_annotator: Any, manager: Any
) -> None:
    for user in (other_annotator, manager):
        login(client, user)
        for name, url in urls(suggestion).items():
            method = client.post if name in ("accept", "dismiss") else client.get
            assert method(url, **HX).status_code == 404, (user, name)
    assert not SuggestionResponse.objects.exists()


def test_everything_is_404_when_the_project_turns_suggestions_off(
    client: Client, suggestion: Suggestion, annotator: Any, project: Any
) -> None:
    project.suggestions_enabled = False
    project.save()
    login(client, annotator)
    for name, url in urls(suggestion).items():
        method = client.post if name in ("accept", "dismiss") else client.get
        assert method(url, **HX).status_code == 404, name
    page = client.get(reverse("annotate:workspace", args=[suggestion.article_id]))
    assert 'id="suggestion-list"' not in page.content.decode()


def test_wrong_methods_answer_405(client: Client, suggestion: Suggestion, annotator: Any) -> None:
    login(client, annotator)
    u = urls(suggestion)
    assert client.get(u["accept"]).status_code == 405
    assert client.get(u["dismiss"]).status_code == 405
    assert client.post(u["list"]).status_code == 405
    assert client.post(u["edit"]).status_code == 405


def test_the_workspace_shows_my_open_suggestions_distinctly(
    client: Client, suggestion: Suggestion, annotator: Any
) -> None:
    login(client, annotator)
    html = client.get(reverse("annotate:workspace", args=[suggestion.article_id])).content.decode()
    assert f'id="suggestion-row-{suggestion.pk}"' in html
    assert "Daria Isachenko" in html
    assert "Next / previous suggestion" in html  # the ? overlay lists the keys
    suggestion_dismiss(suggestion=suggestion, annotator=annotator)
    html = client.get(reverse("annotate:workspace", args=[suggestion.article_id])).content.decode()
    assert f'id="suggestion-row-{suggestion.pk}"' not in html


def test_the_workspace_shows_the_labels_a_suggestion_proposes(
    client: Client, suggestion: Suggestion, annotator: Any, project: Any
) -> None:
    target = TargetFactory(project=project, name="Turkey's influence in Central Asia")
    other_project_target = TargetFactory(name="Elsewhere")
    suggestion.labels = {
        "stances": [
            {"target": target.pk, "stance": "favor"},
            {"target": other_project_target.pk, "stance": "against"},
        ],
        "source_reliability": "B",
        "information_credibility": "2",
        "claim_type": "predictive",
    }
    suggestion.save()
    login(client, annotator)
    html = client.get(reverse("annotate:workspace", args=[suggestion.article_id])).content.decode()
    row = html[html.index(f'id="suggestion-row-{suggestion.pk}"') :]
    row = row[: row.index("</li>")]
    assert 'title="Proposed: Favor toward Turkey&#x27;s influence in Central Asia"' in row
    assert "Elsewhere" not in row  # another project's target is never shown
    assert ">B2<" in row
    assert ">Predictive<" in row


def test_accept_makes_a_claim_and_answers_with_the_changed_fragments(
    client: Client, suggestion: Suggestion, annotator: Any, project: Any
) -> None:
    relaxed(project)
    login(client, annotator)
    response = client.post(urls(suggestion)["accept"], **HX)
    assert response.status_code == 200, response.content.decode()[:300]
    claim = Claim.objects.get(annotator=annotator)
    assert (claim.quote, claim.attribution) == (suggestion.quote, "direct")
    html = response.content.decode()
    assert f'id="claim-row-{claim.pk}"' in html
    assert 'id="suggestion-list" class="ws-suggestions" hx-swap-oob' in html
    assert f'id="suggestion-row-{suggestion.pk}"' not in html
    assert "<html" not in html
    # Answered: it is gone for me.
    assert client.post(urls(suggestion)["accept"], **HX).status_code == 404


def test_accept_with_a_required_field_missing_opens_the_prefilled_form(
    client: Client, suggestion: Suggestion, annotator: Any, project: Any
) -> None:
    login(client, annotator)
    response = client.post(urls(suggestion)["accept"], **HX)
    assert response.status_code == 422
    html = response.content.decode()
    assert urls(suggestion)["accept"] in html  # saving the form accepts the suggestion
    assert "Daria Isachenko" in html and 'value="direct" checked' in html
    assert not Claim.objects.exists() and not SuggestionResponse.objects.exists()


def test_accept_takes_what_the_suggestion_lacks_from_my_last_claim(
    client: Client, suggestion: Suggestion, annotator: Any, project: Any
) -> None:
    """One key (issue 18): the labels of my last claim in the project fill the rest."""
    other = ArticleFactory(project=project, text="Turkey’s influence grows.", byline="")
    AssignmentFactory(article=other, annotator=annotator)
    target = TargetFactory(project=project, name="Turkey")
    make_claim(
        other,
        annotator,
        "Turkey’s influence grows",
        target=target,
        stance="against",
        source_reliability="E",
        information_credibility="5",
        claim_type="predictive",
    )
    login(client, annotator)
    page = client.get(reverse("annotate:workspace", args=[suggestion.article_id]))
    assert "Against: Turkey · E5 · Predictive" in page.content.decode()  # what y will add
    response = client.post(urls(suggestion)["accept"], **HX)
    assert response.status_code == 200, response.content.decode()[:300]
    claim = Claim.objects.get(article=suggestion.article)
    assert claim.attribution == "direct"  # the suggestion's own
    assert (claim.source_reliability, claim.information_credibility, claim.claim_type) == (
        "E",
        "5",
        "predictive",
    )
    assert [(s.target_id, s.stance) for s in claim.stances.all()] == [(target.pk, "against")]


def test_accepting_a_new_source_where_annotators_add_none_asks_for_one(
    client: Client, annotator: Any, project: Any
) -> None:
    """Regression (issue 18): the accept added the proposed source to the registry although
    the project lets only curators add sources."""
    relaxed(project)
    project.suggestions_enabled = True
    project.annotator_sources = "none"
    project.save()
    article = ArticleFactory(project=project, text=TEXT, byline="")
    AssignmentFactory(article=article, annotator=annotator)
    [made] = suggestions_refresh(article=article)  # Daria Isachenko: not in the registry
    assert made.new_source_name == "Daria Isachenko"
    login(client, annotator)
    response = client.post(urls(made)["accept"], **HX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "a curator adds new sources" in html
    assert not Source.objects.filter(project=project).exists()
    assert not Claim.objects.exists() and not SuggestionResponse.objects.exists()


def test_edit_then_accept_uses_what_the_form_posts(
    client: Client, suggestion: Suggestion, annotator: Any, project: Any
) -> None:
    relaxed(project)
    login(client, annotator)
    form = client.get(urls(suggestion)["edit"], **HX)
    assert form.status_code == 200 and "Accept suggestion" in form.content.decode()
    post = {
        "start": str(suggestion.start),
        "end": str(suggestion.end),
        "quote": suggestion.quote,
        "source": str(suggestion.source_id),
        "attribution": "reported",
        "note": "checked",
    }
    response = client.post(urls(suggestion)["accept"], post, **HX)
    assert response.status_code == 200, response.content.decode()[:300]
    claim = Claim.objects.get(annotator=annotator)
    assert (claim.attribution, claim.note) == ("reported", "checked")


def test_the_edit_form_shows_the_proposed_chain_and_saves_what_it_posts(
    client: Client, suggestion: Suggestion, annotator: Any, project: Any
) -> None:
    relaxed(project)
    paper = SourceFactory(project=project, name="Berliner Zeitung", kind="outlet")
    suggestion.labels = {"chain": [{"source": paper.pk, "mention": None}]}
    suggestion.save()
    login(client, annotator)
    form = client.get(urls(suggestion)["edit"], **HX).content.decode()
    assert f'<li class="chain-link" data-source-id="{paper.pk}">' in form
    post = {
        "start": str(suggestion.start),
        "end": str(suggestion.end),
        "quote": suggestion.quote,
        "source": str(suggestion.source_id),
        "attribution": "direct",
        "chain-present": "1",
        "chain-source": str(paper.pk),
        "chain-mention_start": "",
        "chain-mention_end": "",
        "chain-reliability": "C",
    }
    assert client.post(urls(suggestion)["accept"], post, **HX).status_code == 200
    claim = Claim.objects.get(annotator=annotator)
    assert [(k.source_id, k.reliability) for k in claim.chain.all()] == [(paper.pk, "C")]


def test_dismiss_hides_it_from_me_only(
    client: Client, suggestion: Suggestion, annotator: Any, other_annotator: Any
) -> None:
    AssignmentFactory(article=suggestion.article, annotator=other_annotator)
    login(client, annotator)
    response = client.post(urls(suggestion)["dismiss"], **HX)
    assert response.status_code == 200
    assert f'id="suggestion-row-{suggestion.pk}"' not in response.content.decode()
    client.logout()
    login(client, other_annotator)
    listed = client.get(urls(suggestion)["list"], **HX).content.decode()
    assert f'id="suggestion-row-{suggestion.pk}"' in listed


@pytest.mark.django_db
def test_the_page_with_many_suggestions_takes_a_bounded_number_of_queries(
    client: Client, project: Any, annotator: Any, django_assert_max_num_queries: Any
) -> None:
    project.suggestions_enabled = True
    project.save()
    source = SourceFactory(project=project)
    text = " ".join(f"word{i}" for i in range(400))
    article = ArticleFactory(project=project, text=text)
    AssignmentFactory(article=article, annotator=annotator)
    registry = [RegistryEntry(source.pk, source.name)]
    suggestions_refresh(article=article, suggester=Every(), registry=registry)
    targets = [TargetFactory(project=project) for _ in range(3)]
    Suggestion.objects.filter(article=article).update(
        labels={"stances": [{"target": t.pk, "stance": "against"} for t in targets]}
    )
    login(client, annotator)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("annotate:workspace", args=[article.pk]))
    assert len(response.context["suggestions"]) == 400
    with django_assert_max_num_queries(6):
        response = client.get(reverse("annotate:suggestion-list", args=[article.pk]), **HX)
    assert response.content.decode().count('class="suggestion-row"') == 400
