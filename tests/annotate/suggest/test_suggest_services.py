"""Storing suggestions, accepting and dismissing them (per annotator), the ``suggest``
command and suggestions made on import."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from annotate.claims.checks import StanceInput
from annotate.claims.values import ClaimChanges, claim_changes
from annotate.models import Claim, Source, Suggestion, SuggestionResponse
from annotate.review import data as agreement_data
from annotate.sources.services import project_targets_ensure
from annotate.suggest import Proposal, RegistryEntry
from annotate.suggest.services import (
    suggestion_accept,
    suggestion_dismiss,
    suggestions_open,
    suggestions_refresh,
)
from corpus.models import AnnotatorSources, Article
from tests.factories import ArticleFactory, SourceAliasFactory, SourceFactory

SEEDS = Path(settings.BASE_DIR) / "seeds"
TEXT = (
    "“Turkey will stay in Central Asia for decades,” says Ayşe Yılmaz, an analyst. "
    "“Ankara has learned the main lesson of the nineties,” notes Daria Isachenko."
)


def relaxed(project: Any) -> None:
    """Only source and attribution required: one key makes a complete claim."""
    for name in ("stances", "source_reliability", "information_credibility", "claim_type"):
        project.scheme["fields"][name]["required"] = False
    project.save()


@pytest.fixture
def isachenko(project: Any) -> Source:
    source: Source = SourceFactory(project=project, name="Daria Isachenko")
    SourceAliasFactory(source=source, alias="Isachenko")
    return source


@pytest.fixture
def made(project: Any, isachenko: Source) -> list[Suggestion]:
    relaxed(project)
    article = ArticleFactory(project=project, text=TEXT, byline="")
    return sorted(suggestions_refresh(article=article), key=lambda s: s.start)


class Fixed:
    name, version = "fixed", "1"

    def __init__(self, *proposals: Proposal) -> None:
        self.proposals = list(proposals)

    def suggest(
        self, article_text: str, *, byline: str, registry: Sequence[RegistryEntry]
    ) -> list[Proposal]:
        return self.proposals


def test_refresh_stores_the_proposals_with_their_sources(
    made: list[Suggestion], isachenko: Source
) -> None:
    yilmaz, daria = made
    assert (yilmaz.source, yilmaz.new_source_name, yilmaz.attribution) == (
        None,
        "Ayşe Yılmaz",
        "direct",
    )
    assert daria.source == isachenko
    assert daria.quote.startswith("Ankara has learned")
    assert daria.suggester == "rules/3"
    assert TEXT[daria.mention_start : daria.mention_end] == "Daria Isachenko"


def test_refresh_replaces_unanswered_suggestions_and_keeps_answered_ones(
    made: list[Suggestion], annotator: Any
) -> None:
    yilmaz, daria = made
    suggestion_dismiss(suggestion=yilmaz, annotator=annotator)
    again = suggestions_refresh(article=daria.article)
    assert Suggestion.objects.filter(pk=yilmaz.pk).exists()  # answered: kept
    assert not Suggestion.objects.filter(pk=daria.pk).exists()  # unanswered: replaced
    assert [s.quote for s in again] == [daria.quote]  # not made twice over the kept one


def test_refresh_skips_a_span_that_is_not_valid(project: Any) -> None:
    article = ArticleFactory(project=project, text="🇹🇷 flags are two code points.")
    bad = Proposal(1, 5, "author")  # splits the flag
    good = Proposal(3, 8, "author")
    made = suggestions_refresh(article=article, suggester=Fixed(bad, good), registry=[])
    assert [(s.start, s.end) for s in made] == [(3, 8)]


def test_accept_makes_the_annotators_own_claim_with_the_proposed_fields(
    made: list[Suggestion], annotator: Any, isachenko: Source
) -> None:
    daria = made[1]
    claim = suggestion_accept(suggestion=daria, annotator=annotator)
    assert (claim.annotator, claim.source, claim.attribution) == (annotator, isachenko, "direct")
    assert (claim.start, claim.end, claim.quote) == (daria.start, daria.end, daria.quote)
    assert (claim.mention_start, claim.mention_end) == (daria.mention_start, daria.mention_end)
    response = SuggestionResponse.objects.get(suggestion=daria, annotator=annotator)
    assert (response.action, response.claim) == ("accepted", claim)


def test_accept_adds_a_proposed_new_source_to_the_registry(
    made: list[Suggestion], annotator: Any, project: Any
) -> None:
    claim = suggestion_accept(suggestion=made[0], annotator=annotator)
    assert claim.source is not None and claim.source.name == "Ayşe Yılmaz"
    assert Source.objects.filter(project=project, name="Ayşe Yılmaz").count() == 1


def test_accept_with_overrides_uses_the_annotators_choices(
    made: list[Suggestion], annotator: Any, project: Any, isachenko: Source
) -> None:
    [target, *_] = project_targets_ensure(project=project)
    claim = suggestion_accept(
        suggestion=made[0],
        annotator=annotator,
        overrides=claim_changes(
            {
                "source": isachenko.pk,
                "attribution": "reported",
                "stances": [StanceInput(target=target, stance="favor")],
            }
        ),
    )
    assert (claim.source, claim.attribution) == (isachenko, "reported")
    assert [s.stance for s in claim.stances.all()] == ["favor"]
    assert not Source.objects.filter(name="Ayşe Yılmaz").exists()


def test_an_invalid_accept_writes_nothing_not_even_the_new_source(
    made: list[Suggestion], annotator: Any, project: Any
) -> None:
    project.scheme["fields"]["stances"]["required"] = True
    project.save()
    with pytest.raises(ValidationError) as error:
        suggestion_accept(suggestion=made[0], annotator=annotator)
    assert "stances" in error.value.message_dict
    assert not Claim.objects.exists()
    assert not SuggestionResponse.objects.exists()
    assert not Source.objects.filter(name="Ayşe Yılmaz").exists()


def test_accept_respects_a_project_where_annotators_add_no_sources(
    made: list[Suggestion], annotator: Any, project: Any, curator: Any
) -> None:
    """Regression (issue 18): a suggestion naming a source the registry lacks added it for
    an annotator even where ``annotator_sources`` is "none"."""
    project.annotator_sources = AnnotatorSources.NONE
    project.save()
    with pytest.raises(ValidationError) as error:
        suggestion_accept(suggestion=made[0], annotator=annotator)
    assert "curator" in " ".join(error.value.message_dict["source"])
    assert not Source.objects.filter(name="Ayşe Yılmaz").exists()
    assert not Claim.objects.exists() and not SuggestionResponse.objects.exists()
    # A source picked from the registry still accepts it; a curator may still add one.
    other = SourceFactory(project=project, name="Ayşe Y.")
    claim = suggestion_accept(
        suggestion=made[0], annotator=annotator, overrides=ClaimChanges(source=other.pk)
    )
    assert claim.source == other
    claim = suggestion_accept(suggestion=made[0], annotator=curator)
    assert claim.source is not None and claim.source.name == "Ayşe Yılmaz"


def test_defaults_fill_what_the_suggestion_leaves_empty(
    made: list[Suggestion], annotator: Any, project: Any
) -> None:
    """One-key accept (issue 18): the labels of my last claim fill the empty fields; what
    the suggestion proposes is kept."""
    project.scheme["fields"]["stances"]["required"] = True
    project.save()
    [target, *_] = project_targets_ensure(project=project)
    defaults = {
        "attribution": "reported",
        "source_reliability": "B",
        "information_credibility": "2",
        "claim_type": "factual",
        "checkworthy": "",
        "stances": {str(target.pk): "against"},
    }
    claim = suggestion_accept(suggestion=made[1], annotator=annotator, defaults=defaults)
    assert claim.attribution == "direct"  # proposed by the suggestion
    assert (claim.source_reliability, claim.information_credibility, claim.claim_type) == (
        "B",
        "2",
        "factual",
    )
    assert [(s.target_id, s.stance) for s in claim.stances.all()] == [(target.pk, "against")]
    # Overrides (the form) win over the defaults.
    claim = suggestion_accept(
        suggestion=made[0],
        annotator=annotator,
        defaults=defaults,
        overrides=ClaimChanges(
            labels={"claim_type": "predictive"}, stances=[StanceInput(target, "favor")]
        ),
    )
    assert (claim.claim_type, claim.source_reliability) == ("predictive", "B")
    assert [s.stance for s in claim.stances.all()] == ["favor"]


def test_answers_are_per_annotator(
    made: list[Suggestion], annotator: Any, other_annotator: Any
) -> None:
    yilmaz, daria = made
    article = daria.article
    suggestion_accept(suggestion=daria, annotator=annotator)
    suggestion_dismiss(suggestion=yilmaz, annotator=annotator)
    assert list(suggestions_open(article=article, annotator=annotator)) == []
    assert list(suggestions_open(article=article, annotator=other_annotator)) == [yilmaz, daria]
    suggestion_accept(suggestion=daria, annotator=other_annotator)  # B may still accept it
    assert Claim.objects.filter(article=article).count() == 2


def test_a_suggestion_cannot_be_answered_twice_by_the_same_annotator(
    made: list[Suggestion], annotator: Any
) -> None:
    suggestion_dismiss(suggestion=made[0], annotator=annotator)
    with pytest.raises(ValidationError):
        suggestion_accept(suggestion=made[0], annotator=annotator)
    with pytest.raises(ValidationError):
        suggestion_dismiss(suggestion=made[0], annotator=annotator)


def test_suggestions_never_reach_agreement_unless_accepted(
    made: list[Suggestion], annotator: Any
) -> None:
    source = Path(agreement_data.__file__).read_text()
    assert "Suggestion" not in source
    suggestion_accept(suggestion=made[1], annotator=annotator)
    assert Claim.objects.live().annotations().count() == 1  # what agreement reads


def test_suggestions_do_not_freeze_the_article_text(made: list[Suggestion]) -> None:
    article = Article.objects.get(pk=made[0].article_id)
    assert Suggestion.objects.filter(article=article).exists()
    assert not article.is_annotated()


# --- the command and the import hook ---------------------------------------------------


def test_the_command_fills_suggestions_for_the_project(project: Any, isachenko: Source) -> None:
    ArticleFactory(project=project, text=TEXT)
    out = io.StringIO()
    call_command("suggest", project=project.slug, no_progress=True, stdout=out)
    assert Suggestion.objects.filter(article__project=project).count() == 2
    assert "1 articles, 2 suggestions new" in out.getvalue()
    assert "turned off" in out.getvalue()


def test_the_command_dry_run_writes_nothing(project: Any) -> None:
    ArticleFactory(project=project, text=TEXT)
    out = io.StringIO()
    call_command("suggest", project=project.slug, dry_run=True, stdout=out)
    assert not Suggestion.objects.exists()
    assert "would be proposed" in out.getvalue()


def test_the_command_refuses_unknown_projects_and_articles(project: Any) -> None:
    with pytest.raises(CommandError, match="no project"):
        call_command("suggest", project="nope")
    with pytest.raises(CommandError, match="Not articles"):
        call_command("suggest", project=project.slug, article=[999999])


@pytest.mark.parametrize("enabled", [True, False])
def test_import_makes_suggestions_only_when_the_project_enables_them(
    project: Any, enabled: bool
) -> None:
    project.suggestions_enabled = enabled
    project.save()
    call_command("import_sources", str(SEEDS / "sources.csv"), project=project.slug, verbosity=0)
    call_command(
        "import_articles",
        str(SEEDS / "001_b7c0510a1e69fc93.txt"),
        project=project.slug,
        no_progress=True,
        verbosity=0,
    )
    made = Suggestion.objects.filter(article__project=project)
    if not enabled:
        assert not made.exists()
        return
    names = set(made.exclude(source=None).values_list("source__name", flat=True))
    assert {"Daria Isachenko", "Temur Umarov", "Hakan Aksay"} <= names


def test_api_upload_makes_suggestions_when_the_project_enables_them(
    project: Any, manager: Any
) -> None:
    from rest_framework.test import APIClient

    project.suggestions_enabled = True
    project.save()
    call_command("import_sources", str(SEEDS / "sources.csv"), project=project.slug, verbosity=0)
    client = APIClient()
    client.force_authenticate(manager)
    path = SEEDS / "001_b7c0510a1e69fc93.txt"
    with path.open("rb") as handle:
        response = client.post(
            f"/api/projects/{project.slug}/articles/upload/", {"file": handle}, format="multipart"
        )
    assert response.status_code == 201, response.content
    names = set(
        Suggestion.objects.filter(article__project=project)
        .exclude(source=None)
        .values_list("source__name", flat=True)
    )
    assert {"Daria Isachenko", "Temur Umarov"} <= names


def test_a_failing_suggester_never_undoes_an_import(
    project: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotate.suggest import services as module
    from corpus.models import Article

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("suggester down")

    monkeypatch.setattr(module, "suggestions_refresh", broken)
    project.suggestions_enabled = True
    project.save()
    call_command(
        "import_articles",
        str(SEEDS / "001_b7c0510a1e69fc93.txt"),
        project=project.slug,
        no_progress=True,
        verbosity=0,
    )
    assert Article.objects.filter(project=project).count() == 1
    assert not Suggestion.objects.filter(article__project=project).exists()


KINDS_TEXT = (
    "Reuters reported that the talks in Ankara had collapsed after two days of meetings. "
    "The Heritage Foundation said the sanctions would hurt American farmers more than anyone. "
    "“We will not accept these terms under any circumstances,” said Ayşe Yılmaz, an analyst. "
    "The State Department said the embassy would stay open for the time being."
)


def test_the_kind_the_rules_tell_reaches_the_suggestion_and_the_source_accepting_adds(
    project: Any, annotator: Any
) -> None:
    relaxed(project)
    article = ArticleFactory(project=project, text=KINDS_TEXT, byline="")
    made = suggestions_refresh(article=article)
    told = {s.new_source_name: s.labels.get("new_source_kind") for s in made}
    assert told == {
        "Reuters": "outlet",
        "Heritage Foundation": "organisation",
        "Ayşe Yılmaz": "person",
        "The State Department": "government",
    }
    for suggestion in made:
        suggestion_accept(suggestion=suggestion, annotator=annotator)
    kinds = dict(Source.objects.filter(project=project).values_list("name", "kind"))
    assert kinds == {
        "Reuters": "outlet",
        "Heritage Foundation": "organisation",
        "Ayşe Yılmaz": "person",
        "The State Department": "government",
    }


def test_a_new_source_without_a_told_kind_takes_the_kind_its_name_says(
    project: Any, annotator: Any
) -> None:
    relaxed(project)
    article = ArticleFactory(project=project, text=KINDS_TEXT, byline="")
    quote = "the talks in Ankara had collapsed"
    start = KINDS_TEXT.index(quote)
    proposal = Proposal(start, start + len(quote), "reported", new_source_name="Interfax")
    (made,) = suggestions_refresh(article=article, suggester=Fixed(proposal), registry=[])
    assert "new_source_kind" not in made.labels
    claim = suggestion_accept(suggestion=made, annotator=annotator)
    assert claim.source is not None and claim.source.kind == "outlet"


def test_a_proposal_with_an_unknown_source_kind_is_a_suggester_bug() -> None:
    with pytest.raises(ValueError, match="unknown source kind"):
        Proposal(0, 5, "reported", new_source_name="X", new_source_kind="planet")


def test_a_chain_the_text_states_is_suggested_and_accepted_with_the_claim(
    project: Any, annotator: Any, isachenko: Source
) -> None:
    relaxed(project)
    paper = SourceFactory(project=project, name="Berliner Zeitung", kind="outlet")
    text = (
        "Daria Isachenko told Berliner Zeitung that Turkey's influence in Central Asia is "
        "growing day by day."
    )
    article = ArticleFactory(project=project, text=text, byline="")
    [suggestion] = suggestions_refresh(article=article)
    at = text.index("Berliner Zeitung")
    assert suggestion.labels["chain"] == [
        {"source": paper.pk, "mention": [at, at + len("Berliner Zeitung")]}
    ]
    claim = suggestion_accept(suggestion=suggestion, annotator=annotator)
    assert claim.source == isachenko
    [link] = claim.chain.all()
    assert (link.position, link.source, link.mention_start) == (1, paper, at)
    # The annotator's form overrides it: no chain.
    again = ArticleFactory(project=project, text=text + " ", byline="")
    [other] = suggestions_refresh(article=again)
    plain = suggestion_accept(
        suggestion=other, annotator=annotator, overrides=ClaimChanges(chain=[])
    )
    assert not plain.chain.exists()


def test_a_proposed_carrier_the_registry_lacks_is_not_stored(
    project: Any, isachenko: Source
) -> None:
    article = ArticleFactory(project=project, text=TEXT, byline="")
    known = Proposal(3, 20, "reported", source_id=isachenko.pk, chain=((isachenko.pk, 0, 2),))
    unknown = Proposal(30, 40, "reported", source_id=isachenko.pk, chain=((999999, None, None),))
    registry = [RegistryEntry(isachenko.pk, isachenko.name)]
    made = suggestions_refresh(article=article, suggester=Fixed(known, unknown), registry=registry)
    by_start = {s.start: s for s in made}
    assert by_start[3].labels["chain"] == [{"source": isachenko.pk, "mention": [0, 2]}]
    assert "chain" not in by_start[30].labels
