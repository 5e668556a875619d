"""The recommender that learns from the project: training, storing, switching on.

``recommender_train`` reads the project's labelled claims (``training_articles``: the
gold layer, and on articles without gold the claims annotators made by accepting a
suggestion), holds out a fifth of the articles (chosen by a hash of their id, so the same
data gives the same split), trains on the rest (``annotate.suggest.learned``), scores the
model on the held-out articles (content spans at Jaccard ≥ 0.5; speaker right when the
mentions overlap) and stores it: the pickled model in ``default_storage`` under
``recommenders/<project>/<version>.joblib``, its figures in a ``LearnedModel`` row. The
version is the training data's hash and the time of training. The stored model is the one
that was scored (not retrained on the held-out part), so the figure shown is its own.

Nothing is used until a manager switches a model on (``recommender_activate``), after
seeing its held-out score; ``active_recommender`` then gives it to
``suggestions_refresh``. ``recommender_needs_training`` says when the labelled claims grew
by ``RECOMMENDER_RETRAIN_GROWTH`` (a fraction, default 0.2) since the last model; with
``RECOMMENDER_AUTO_RETRAIN`` the gold services queue a training then.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import defaultdict
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from annotate.models import Claim, LearnedModel, SuggestionResponse
from annotate.review.agreement.spans import Counts
from annotate.suggest import Suggester
from annotate.suggest.evaluate import match
from annotate.suggest.learned import (
    LabelledArticle,
    LabelledClaim,
    LearnedSuggester,
    TrainedModel,
    TrainingError,
    fit,
    predict,
)
from annotate.suggest.learned.model import _trimmed
from corpus.models import Article, Project
from corpus.permissions import can_curate, can_manage

if TYPE_CHECKING:
    from django.contrib.auth.models import User

HELD_OUT = 0.2
MIN_ARTICLES = 3  # at least two to learn from and one to score on
ENTITY = "learned_model"


def training_articles(project: Project) -> list[LabelledArticle]:
    """The project's labelled articles: the live gold claims of each article, or, where it
    has none, the live claims annotators made by accepting suggestions (one per span).
    Three queries."""
    gold: dict[int, list[Claim]] = defaultdict(list)
    for claim in Claim.objects.gold().live().filter(article__project=project):
        gold[claim.article_id].append(claim)
    accepted: dict[int, list[Claim]] = defaultdict(list)
    accepted_ids = SuggestionResponse.objects.filter(
        suggestion__article__project=project,
        action=SuggestionResponse.Action.ACCEPTED,
        claim__isnull=False,
    ).values("claim_id")
    for claim in Claim.objects.live().filter(pk__in=accepted_ids):
        if claim.article_id not in gold:
            accepted[claim.article_id].append(claim)
    by_article = {**accepted, **gold}
    texts = dict(Article.objects.filter(pk__in=list(by_article)).values_list("pk", "text"))
    out = []
    for pk in sorted(by_article):
        spans: dict[tuple[int, int], LabelledClaim] = {}
        for c in sorted(by_article[pk], key=lambda c: (c.start, c.end, c.pk)):
            mention = (
                (c.mention_start, c.mention_end)
                if c.mention_start is not None and c.mention_end is not None
                else None
            )
            spans.setdefault((c.start, c.end), LabelledClaim(c.start, c.end, mention))
        out.append(LabelledArticle(str(pk), texts[pk], tuple(spans.values())))
    return out


def data_hash(articles: list[LabelledArticle]) -> str:
    digest = hashlib.sha256()
    for art in articles:
        claims = [(c.start, c.end, c.mention) for c in art.claims]
        row = [art.key, hashlib.sha256(art.text.encode()).hexdigest(), claims]
        digest.update(json.dumps(row).encode())
    return digest.hexdigest()


def _held_out(key: str) -> bool:
    bucket = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return bucket < HELD_OUT


def split(articles: list[LabelledArticle]) -> tuple[list[LabelledArticle], list[LabelledArticle]]:
    """(train, held out) by article; each non-empty when there are two articles or more."""
    train = [a for a in articles if not _held_out(a.key)]
    held = [a for a in articles if _held_out(a.key)]
    if not held and len(train) > 1:
        held = [train.pop()]
    elif not train and len(held) > 1:
        train = [held.pop()]
    return train, held


def score(model: TrainedModel, articles: list[LabelledArticle]) -> Counts:
    """Content spans matched one to one at Jaccard ≥ 0.5 (without the quotation marks and
    punctuation at their ends); a matched speaker is right when the mentions overlap."""
    counts = Counts()
    for art in articles:
        predictions = predict(model, art.text)
        labels = [_trimmed(art.text, c.start, c.end) for c in art.claims]
        proposed = [_trimmed(art.text, p.start, p.end) for p in predictions]
        counts.labels += len(labels)
        counts.proposals += len(proposed)
        for gi, pi in match(labels, proposed, 0.5):
            counts.matched += 1
            gold, p = art.claims[gi].mention, predictions[pi].mention
            counts.source_correct += bool(gold and p and p[0] < gold[1] and gold[0] < p[1])
    return counts


def recommender_train(*, project: Project, actor: User | None = None) -> LearnedModel:
    """Train, score and store a model of the project's labelled claims (see the module).
    ``ValidationError`` when the data cannot make one (too few labelled articles, no
    example of a claim among the candidates); nothing is stored then."""
    if actor is not None and not can_curate(actor, project):
        raise PermissionDenied("Only the project's curators and managers train its recommender.")
    articles = [a for a in training_articles(project) if a.claims]
    if len(articles) < MIN_ARTICLES:
        raise ValidationError(
            f"The recommender learns from the gold layer or accepted suggestions of at least "
            f"{MIN_ARTICLES} articles; this project has {len(articles)}."
        )
    digest = data_hash(articles)
    train, held = split(articles)
    try:
        model = fit(train)
    except TrainingError as error:
        raise ValidationError(str(error)) from error
    counts = score(model, held)
    now = timezone.now()
    # Microseconds: two trainings on the same data within one second get two versions.
    version = f"{digest[:12]}-{now:%Y%m%d%H%M%S%f}"
    buffer = io.BytesIO()
    import joblib  # lazily: the URLconf imports this module (tests/test_startup.py)

    joblib.dump(model, buffer, compress=3)
    path = default_storage.save(
        f"recommenders/{project.slug}/{version}.joblib", ContentFile(buffer.getvalue())
    )
    try:
        return LearnedModel.objects.create(
            project=project,
            version=version,
            data_hash=digest,
            file=path,
            trained_by=actor,
            articles=len(train),
            claims=sum(len(a.claims) for a in train),
            held_out_articles=len(held),
            held_out_claims=counts.labels,
            proposed=counts.proposals,
            matched=counts.matched,
            source_correct=counts.source_correct,
        )
    except Exception:
        default_storage.delete(path)  # no file without its row
        raise


@transaction.atomic
def recommender_activate(*, project: Project, model: LearnedModel, actor: User) -> LearnedModel:
    """Switch ``model`` on for the project's suggestions (and any other model off)."""
    if not can_manage(actor, project):
        raise PermissionDenied("Only the project's managers switch its recommender on.")
    if model.project_id != project.pk:
        raise ValidationError("That model is not this project's.")
    if model.held_out_claims == 0:
        raise ValidationError(
            "This model has no held-out score (its held-out articles had no claims): train "
            "it on more labelled articles first."
        )
    LearnedModel.objects.filter(project=project, active=True).exclude(pk=model.pk).update(
        active=False
    )
    model.active = True
    model.save(update_fields=["active"])
    return model


@transaction.atomic
def recommender_deactivate(*, project: Project, actor: User) -> None:
    """Switch the project's recommender off: suggestions come from the rules again."""
    if not can_manage(actor, project):
        raise PermissionDenied("Only the project's managers switch its recommender off.")
    LearnedModel.objects.filter(project=project, active=True).update(active=False)


@lru_cache(maxsize=8)
def _load(path: str) -> TrainedModel:
    # The file is one this service wrote (storage is the server's, never an upload).
    with default_storage.open(path, "rb") as handle:
        import joblib

        loaded: TrainedModel = joblib.load(handle)
    return loaded


def learned_suggester(model: LearnedModel) -> LearnedSuggester:
    return LearnedSuggester(_load(model.file), model.version)


def active_recommender(project: Project) -> Suggester | None:
    """The project's switched-on learned recommender, if a manager switched one on."""
    active = LearnedModel.objects.filter(project=project, active=True).first()
    return learned_suggester(active) if active is not None else None


def labelled_claim_count(project: Project) -> int:
    return sum(len(a.claims) for a in training_articles(project))


def recommender_needs_training(project: Project) -> bool:
    """True when the labelled claims grew by ``RECOMMENDER_RETRAIN_GROWTH`` since the last
    model was trained (or there is none and there are enough labelled articles)."""
    articles = [a for a in training_articles(project) if a.claims]
    if len(articles) < MIN_ARTICLES:
        return False
    last = LearnedModel.objects.filter(project=project).first()
    if last is None:
        return True
    if last.data_hash == data_hash(articles):
        return False
    now = sum(len(a.claims) for a in articles)
    before = last.claims + last.held_out_claims
    growth = float(getattr(settings, "RECOMMENDER_RETRAIN_GROWTH", 0.2))
    return now >= before * (1 + growth)
