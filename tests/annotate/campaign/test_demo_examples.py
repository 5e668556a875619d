"""``seed_demo --examples`` (what ``make run`` loads): example annotations made through the
services, with agreement and disagreement to review, a gold layer, and articles left open."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from annotate.models import Claim
from annotate.review.data import article_agreement
from corpus.models import Project

pytestmark = pytest.mark.django_db


def _seed(**options: Any) -> Project:
    call_command("seed_demo", force=True, verbosity=0, **options)
    return Project.objects.get(slug="central-asia")


def test_the_demo_examples_give_the_review_and_analysis_pages_something_to_show() -> None:
    project = _seed(examples=True)
    articles = list(project.articles.order_by("pk"))
    claims = Claim.objects.filter(article__project=project)
    by = {
        (a.pk, name)
        for a, name in (
            (c.article, c.annotator.username if c.annotator else "gold")
            for c in claims.select_related("article", "annotator")
        )
    }
    annotated = {pk for pk, _ in by}
    assert len(annotated) == 3
    both = [a for a in articles if {(a.pk, "annotator1"), (a.pk, "annotator2")} <= by]
    alone = [a for a in articles if (a.pk, "annotator2") in by and (a.pk, "annotator1") not in by]
    # Both annotators on two articles, the second alone on a third; gold on the two; the
    # other articles left for whoever tries the workspace.
    assert len(both) == 2 and len(alone) == 1
    assert {c.article_id for c in claims.filter(annotator__isnull=True)} == {a.pk for a in both}
    assert len(articles) - len(annotated) == 2
    # Some units agree, some don't: the review queue has both.
    units = [u for a in both if (found := article_agreement(a)) for u in found.units]
    assert any(u.exact for u in units) and any(not u.exact for u in units)


def test_loading_the_demo_again_adds_no_second_set_of_examples() -> None:
    project = _seed(examples=True)
    before = Claim.objects.filter(article__project=project).count()
    assert before > 0
    _seed(examples=True)
    assert Claim.objects.filter(article__project=project).count() == before


def test_without_examples_the_demo_has_no_claims() -> None:
    project = _seed()
    assert not Claim.objects.filter(article__project=project).exists()
