"""The learned recommender: trains on a small project's gold claims and proposes claims
through the Suggester interface; the training task; the switch-on gate; versions; bad data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse

from annotate.claims.values import claim_fields
from annotate.models import Claim, LearnedModel
from annotate.review.gold import gold_add
from annotate.suggest import Suggester, recommender, recommender_tasks
from annotate.suggest import services as suggestions
from annotate.suggest.learned import (
    LabelledArticle,
    LabelledClaim,
    LearnedSuggester,
    TrainingError,
    fit,
)
from annotate.suggest.services import suggestions_refresh
from corpus.scheme import default_scheme
from tests.conftest import login
from tests.factories import ArticleFactory, ProjectFactory

NAMES = ["Anna Berg", "Omar Khan", "Lena Vogt", "Paul Ruiz", "Mia Chen", "Ivan Petrov"]
SAYINGS = [
    "the budget would pass before winter",
    "the border talks had failed again",
    "prices were rising faster than wages",
    "the election was fair",
    "nobody had been told about the plan",
    "the army would stay in the region",
]


def _article_text(k: int) -> tuple[str, list[tuple[int, int, int, int]]]:
    """A short news text and its claims: (start, end, mention start, mention end)."""
    parts: list[str] = [f"Report {k}. The weather was cold on Monday. "]
    claims = []
    for j in range(3):
        name = NAMES[(k + j) % len(NAMES)]
        saying = SAYINGS[(k * 2 + j) % len(SAYINGS)]
        offset = sum(len(p) for p in parts)
        if j % 2 == 0:
            sentence = f"{name} said that {saying}. "
            m0 = offset
            c0 = offset + len(name) + len(" said that ")
        else:
            sentence = f"“{saying.capitalize()},” {name} told reporters. "
            c0 = offset + 1
            m0 = offset + len(f"“{saying},” ")
        parts.append(sentence)
        claims.append((c0, c0 + len(saying), m0, m0 + len(name)))
        parts.append("Trains ran late in the city. ")
    return "".join(parts), claims


def _labelled(k: int) -> LabelledArticle:
    text, claims = _article_text(k)
    return LabelledArticle(
        str(k), text, tuple(LabelledClaim(a, b, (m0, m1)) for a, b, m0, m1 in claims)
    )


def test_the_model_learns_claims_and_speakers_and_is_a_suggester() -> None:
    model = fit([_labelled(k) for k in range(8)])
    suggester = LearnedSuggester(model, "v1")
    assert isinstance(suggester, Suggester)
    text, claims = _article_text(11)
    proposals = suggester.suggest(text, byline="", registry=[])
    found = {(p.start, p.end) for p in proposals}
    assert {(a, b) for a, b, _, _ in claims} <= found
    by_span = {(p.start, p.end): p for p in proposals}
    for a, b, m0, m1 in claims:
        assert (by_span[a, b].mention_start, by_span[a, b].mention_end) == (m0, m1)
        assert by_span[a, b].new_source_name == text[m0:m1]
    assert all(p.attribution in ("direct", "reported") for p in proposals)
    # Nothing in sentences without a reporting word.
    assert not any("weather" in text[p.start : p.end] for p in proposals)


def test_training_without_claims_says_why() -> None:
    with pytest.raises(TrainingError, match="No labelled claims"):
        fit([LabelledArticle("1", "Nothing here. Nobody said anything.", ())])
    with pytest.raises(TrainingError):
        fit([])


@pytest.fixture
def project(db: Any) -> Any:
    """A project whose scheme requires nothing: gold claims are spans and speakers."""
    scheme = default_scheme()
    for spec in scheme["fields"].values():
        spec["required"] = False
    return ProjectFactory(scheme=scheme)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path


def _gold_project(project: Any, curator: Any, n: int = 8, first: int = 0) -> None:
    for k in range(first, first + n):
        text, claims = _article_text(k)
        article = ArticleFactory(project=project, text=text)
        for a, b, m0, m1 in claims:
            gold_add(
                curator=curator,
                article=article,
                fields=claim_fields({"start": a, "end": b, "mention": (m0, m1)}),
            )


@pytest.mark.django_db
def test_training_stores_a_scored_versioned_model(project: Any, curator: Any, media: Path) -> None:
    _gold_project(project, curator)
    model = recommender.recommender_train(project=project, actor=curator)
    assert model.articles + model.held_out_articles == 8
    assert model.held_out_claims == 3 * model.held_out_articles > 0
    assert model.f1 > 0.8 and model.recall > 0.8
    assert model.version.startswith(model.data_hash[:12] + "-")
    assert default_storage.exists(model.file)
    assert not model.active
    # Same data, a later time: a new version with the same data hash.
    again = recommender.recommender_train(project=project, actor=curator)
    assert again.data_hash == model.data_hash and again.version != model.version
    assert not recommender.recommender_needs_training(project)


@pytest.mark.django_db
def test_too_little_data_is_refused_and_stores_nothing(
    project: Any, curator: Any, media: Path
) -> None:
    _gold_project(project, curator, n=2)
    with pytest.raises(ValidationError, match="at least 3 articles"):
        recommender.recommender_train(project=project, actor=curator)
    assert not LearnedModel.objects.exists()


@pytest.mark.django_db
def test_annotators_cannot_train(project: Any, annotator: Any, media: Path) -> None:
    with pytest.raises(PermissionDenied):
        recommender.recommender_train(project=project, actor=annotator)


@pytest.mark.django_db
def test_the_switch_on_gate(
    project: Any, curator: Any, manager: Any, annotator: Any, media: Path
) -> None:
    _gold_project(project, curator)
    model = recommender.recommender_train(project=project, actor=curator)
    with pytest.raises(PermissionDenied):
        recommender.recommender_activate(project=project, model=model, actor=curator)
    unscored = LearnedModel.objects.create(
        project=project, version="x", data_hash="x", file=model.file, articles=1, claims=1,
        held_out_articles=1, held_out_claims=0, proposed=0, matched=0, source_correct=0,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="no held-out score"):
        recommender.recommender_activate(project=project, model=unscored, actor=manager)
    assert not isinstance(suggestions.project_suggester(project), LearnedSuggester)

    recommender.recommender_activate(project=project, model=model, actor=manager)
    suggester = suggestions.project_suggester(project)
    assert isinstance(suggester, LearnedSuggester) and suggester.version == model.version
    text, claims = _article_text(20)
    article = ArticleFactory(project=project, text=text)
    made = suggestions_refresh(article=article)
    assert {(s.start, s.end) for s in made} >= {(a, b) for a, b, _, _ in claims}
    assert all(s.suggester == f"learned/{model.version}" for s in made)

    recommender.recommender_deactivate(project=project, actor=manager)
    assert not LearnedModel.objects.filter(active=True).exists()


@pytest.mark.django_db
def test_the_page_shows_the_score_beside_the_switch(
    client: Any, project: Any, curator: Any, manager: Any, annotator: Any, outsider: Any,
    media: Path,
) -> None:  # fmt: skip
    _gold_project(project, curator)
    url = reverse("annotate:recommender", args=[project.slug])
    assert client.get(url).status_code == 302  # anonymous → login
    login(client, outsider)
    assert client.get(url).status_code == 404
    login(client, annotator)
    assert client.get(url).status_code == 403
    login(client, curator)
    assert (
        client.post(reverse("annotate:recommender-train", args=[project.slug])).status_code == 302
    )
    model = LearnedModel.objects.get()
    page = client.get(url).content.decode()
    assert model.version in page and f"{model.f1:.2f}" in page
    assert "Switch on" not in page  # curators see the score, managers switch
    activate = reverse("annotate:recommender-activate", args=[project.slug, model.pk])
    assert client.post(activate).status_code == 403
    login(client, manager)
    assert f"Switch on (F1 {model.f1:.2f})" in client.get(url).content.decode()
    assert client.get(activate).status_code == 405
    assert client.post(activate).status_code == 302
    model.refresh_from_db()
    assert model.active
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="recommender-models"' in fragment and "<html" not in fragment


@pytest.mark.django_db
def test_the_task_reports_success_and_failure(project: Any, curator: Any, media: Path) -> None:
    assert recommender_tasks.start_training(project=project, actor=curator)
    status = recommender_tasks.training_status(project)
    assert status is not None and status["state"] == "failed"
    assert "at least 3 articles" in status["error"]
    _gold_project(project, curator)
    assert recommender_tasks.start_training(project=project, actor=curator)
    status = recommender_tasks.training_status(project)
    assert status is not None and status["state"] == "done"
    assert status["version"] == LearnedModel.objects.get().version


@pytest.mark.django_db
def test_gold_growth_retrains_when_the_setting_says_so(
    project: Any, curator: Any, media: Path, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.RECOMMENDER_AUTO_RETRAIN = True
    settings.RECOMMENDER_RETRAIN_GROWTH = 0.5
    trained = []
    for k in range(6):
        with django_capture_on_commit_callbacks(execute=True):
            _gold_project(project, curator, n=1, first=k)
        trained.append(LearnedModel.objects.count())
    # Trained once 3 articles (9 claims) had gold, again at 15 claims (≥ 9 × 1.5), not at
    # 18 (< 15 × 1.5); never twice for the same data.
    assert trained == [0, 0, 1, 1, 2, 2]


@pytest.mark.django_db
def test_accepted_suggestions_are_training_data_where_there_is_no_gold(
    project: Any, curator: Any, annotator: Any
) -> None:
    text, claims = _article_text(1)
    article = ArticleFactory(project=project, text=text)
    a, b, _, _ = claims[0]
    Claim.objects.create(article=article, annotator=annotator, start=a, end=b, quote=text[a:b])
    assert recommender.training_articles(project) == []  # not accepted from a suggestion


@pytest.mark.django_db
def test_a_corpus_imports_as_the_gold_layer(project: Any, curator: Any, annotator: Any) -> None:
    import json

    from annotate.exchange.importing import import_annotations

    text, claims = _article_text(3)
    article = ArticleFactory(project=project, text=text)
    a, b, _, _ = claims[0]
    line = {"sha256": article.sha256, "claims": [{"start": a, "end": b}]}
    data = json.dumps(line).encode()
    with pytest.raises(ValidationError, match="curators and managers"):
        import_annotations(project=project, annotator=None, actor=annotator, data=data,
                           fmt="jsonl", as_gold=True)  # fmt: skip
    with pytest.raises(ValidationError, match="no annotator"):
        import_annotations(project=project, annotator=annotator, actor=curator, data=data,
                           fmt="jsonl", as_gold=True)  # fmt: skip
    report = import_annotations(
        project=project, annotator=None, actor=curator, data=data, fmt="jsonl", as_gold=True
    )
    assert report.written and report.created == 1 and report.assigned == 0
    gold = Claim.objects.gold().get()
    assert (gold.start, gold.end, gold.annotator_id) == (a, b, None)
    again = import_annotations(
        project=project, annotator=None, actor=curator, data=data, fmt="jsonl", as_gold=True
    )
    assert again.created == 0 and again.skipped == 1
    assert recommender.training_articles(project)[0].claims == (LabelledClaim(a, b),)


def test_the_rule_suggesters_claims_are_candidates_the_model_weighs() -> None:
    from annotate.suggest.learned import model as learned_model
    from annotate.suggest.learned.features import rule_claim_of, rule_features

    text = "Trains ran late. “The count is not over in the northern counties,” Mara Quist pressed."
    ctx = learned_model.prepare(text, {})  # no cue learnt: the rules still bring the claim
    [cand] = [c for c in learned_model._candidates(ctx) if c.how == "rules"]
    start, end = learned_model._span(ctx, cand)
    assert text[start:end] == "The count is not over in the northern counties"
    assert rule_features(ctx, (start, end))["rules=exact"] == 1.0
    assert rule_features(ctx, (0, 15))["rules=none"] == 1.0
    rule = rule_claim_of(ctx, (start, end))
    assert rule is not None and rule[3] is not None
    assert text[rule[3][0] : rule[3][1]] == "Mara Quist"  # the speaker a prediction takes
