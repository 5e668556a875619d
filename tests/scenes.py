"""Scenes several test modules build on: plain functions and data (the fixtures that call
them are in the conftest.py files).

The review scene: a project with two annotators who both finished the same article,
two sources and two targets; the tests add claims through ``make_claim``.

The analysis scene (``crafted``): claim rows written straight with known counts, gold layer
and annotators, some deleted:

Gold layer (annotator None), live:
  g1  a1 (Outlet X, 2024-01-10)  source A  direct    T1 favor, T2 against
  g2  a1                         source A  reported  T1 favor
  g3  a2 (Outlet Y, 2024-03-05)  source A  direct    T1 against
  g4  a2                         source B  author    T2 none
  g5  a1                         no source unnamed   T1 none
  deleted: a1 source A T1 favor (never counts)
Annotators:
  c1  ann1 a1 [0, 7)  source A  T1 against
  c2  ann1 a2 [0, 7)  source B  T1 favor
  c3  ann2 a1 [0, 7)  source A  T1 against    (matches c1: both say A)
  c4  ann2 a2 [0, 7)  source A  (no stance)   (matches c2: B vs A)
  c5  ann2 a3 [0, 7)  source A  T2 favor, deleted
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from annotate.models import AssignmentStatus, Claim
from tests.factories import (
    ArticleFactory,
    AssignmentFactory,
    ClaimFactory,
    SourceFactory,
    TargetFactory,
    make_claim,
)

# --- review -----------------------------------------------------------------------------

REVIEW_TEXT = (
    "Ankara is ready to help, said Akar. Moscow disagrees, says Umarov. "
    "China watches quietly. Yana Orekhova thinks the OTS matters. The end."
)


@dataclass
class Scene:
    project: Any
    article: Any
    ann: list[Any]
    sources: list[Any]
    targets: list[Any]


def review_scene(project: Any, annotator: Any, other_annotator: Any) -> Scene:
    """Two annotators, both done with one article of ``REVIEW_TEXT``; two sources and two
    targets, no claim yet (the ``scene`` fixture)."""
    article = ArticleFactory(project=project, text=REVIEW_TEXT)
    sources = [SourceFactory(project=project, name=n) for n in ("Hulusi Akar", "Temur Umarov")]
    targets = [TargetFactory(project=project, name=n) for n in ("Turkey", "Russia")]
    for user in (annotator, other_annotator):
        AssignmentFactory(article=article, annotator=user, status=AssignmentStatus.DONE)
    return Scene(project, article, [annotator, other_annotator], sources, targets)


def disputed_article(scene: Scene, title: str, *, agree: bool = False) -> Any:
    """An article both annotators of the review scene finished, disputed on attribution
    unless ``agree``."""
    a, b = scene.ann
    article = ArticleFactory(project=scene.project, title=title, text=f"{title}. {REVIEW_TEXT}")
    for user in (a, b):
        AssignmentFactory(article=article, annotator=user, status="done")
    make_claim(article, a, "Ankara is ready to help", attribution="direct")
    make_claim(article, b, "Ankara is ready to help", attribution="direct" if agree else "reported")
    return article


# --- analysis ---------------------------------------------------------------------------

ANALYSIS_TEXT = "Ankara expands its pipeline network.\n\nMoscow watches.\nBeijing builds roads."


@dataclass
class Crafted:
    project: Any
    t1: Any
    t2: Any
    a: Any
    b: Any
    a1: Any
    a2: Any
    a3: Any
    ann1: Any
    ann2: Any
    claims: dict[str, Claim]


def crafted(project: Any, ann1: Any, ann2: Any) -> Crafted:
    t1 = TargetFactory(project=project, name="Turkey's influence", position=0)
    t2 = TargetFactory(project=project, name="Russia's influence", position=1)
    a = SourceFactory(project=project, name="Vladimir Danilov")
    b = SourceFactory(project=project, name="Temur Umarov")
    a1 = ArticleFactory(
        project=project, outlet="Outlet X", published=dt.date(2024, 1, 10), text=ANALYSIS_TEXT
    )
    a2 = ArticleFactory(
        project=project, outlet="Outlet Y", published=dt.date(2024, 3, 5), text=ANALYSIS_TEXT + " 2"
    )
    a3 = ArticleFactory(
        project=project, outlet="Outlet X", published=None, text=ANALYSIS_TEXT + " 3"
    )
    claims: dict[str, Claim] = {
        "g1": ClaimFactory(
            article=a1,
            annotator=None,
            source=a,
            stances={t1: "favor", t2: "against"},
            attribution="direct",
            claim_type="factual",
            source_reliability="B",
            information_credibility="2",
            quote="Turkey expands its pipeline network",
            note="Checked against Reuters",
            end=7,
        ),
        "g2": ClaimFactory(
            article=a1,
            annotator=None,
            source=a,
            stances={t1: "favor"},
            attribution="reported",
            claim_type="evaluative",
            source_reliability="B",
            information_credibility="3",
            quote="Russia's influence wanes in the steppe",
            end=7,
        ),
        "g3": ClaimFactory(
            article=a2,
            annotator=None,
            source=a,
            stances={t1: "against"},
            attribution="direct",
            claim_type="predictive",
            source_reliability="C",
            quote="The pipeline will never be built",
            end=7,
        ),
        "g4": ClaimFactory(
            article=a2,
            annotator=None,
            source=b,
            stances={t2: "none"},
            attribution="author",
            claim_type="factual",
            end=7,
        ),
        "g5": ClaimFactory(
            article=a1,
            annotator=None,
            source=None,
            stances={t1: "none"},
            attribution="unnamed",
            end=7,
        ),
        "gone": ClaimFactory(
            article=a1,
            annotator=None,
            source=a,
            stances={t1: "favor"},
            deleted=True,
            quote="pipeline deleted",
            end=7,
        ),
        "c1": ClaimFactory(
            article=a1,
            annotator=ann1,
            source=a,
            stances={t1: "against"},
            attribution="direct",
            end=7,
        ),
        "c2": ClaimFactory(
            article=a2, annotator=ann1, source=b, stances={t1: "favor"}, attribution="direct", end=7
        ),
        "c3": ClaimFactory(
            article=a1,
            annotator=ann2,
            source=a,
            stances={t1: "against"},
            attribution="reported",
            end=7,
        ),
        "c4": ClaimFactory(article=a2, annotator=ann2, source=a, attribution="direct", end=7),
        "c5": ClaimFactory(
            article=a3, annotator=ann2, source=a, stances={t2: "favor"}, deleted=True, end=7
        ),
    }
    return Crafted(project, t1, t2, a, b, a1, a2, a3, ann1, ann2, claims)
