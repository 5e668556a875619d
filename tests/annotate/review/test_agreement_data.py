"""ORM rows → agreement records in a fixed number of queries; the cached report and its key;
the background task."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from annotate.assignments.services import assignment_create
from annotate.claims.services import claim_delete, claim_update
from annotate.claims.values import claim_changes
from annotate.models import AssignmentStatus, Claim
from annotate.review import data as agreement_data
from annotate.review import figures as review
from annotate.review import tasks as review_tasks
from annotate.review.gold import gold_accept
from annotate.sources.services import source_merge
from tests.conftest import login
from tests.factories import ArticleFactory, make_claim
from tests.scenes import Scene


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def test_records_carry_spans_labels_stances_and_finished_annotators(scene: Scene) -> None:
    a, b = scene.ann
    claim = make_claim(scene.article, a, "Moscow disagrees", claim_type="predictive")
    records = agreement_data.project_records(scene.project)
    [record] = records.claims
    assert (record.claim_id, record.annotator_id, record.start, record.end) == (
        claim.pk,
        a.pk,
        claim.start,
        claim.end,
    )
    assert record.fields["claim_type"] == "predictive"
    assert record.fields["source"] == claim.source_id
    assert record.stances == {scene.targets[0].pk: "favor"}
    [article] = records.articles
    # b finished the article without a claim: b's silence counts.
    assert article.annotator_ids == (a.pk, b.pk)
    assert article.length == len(scene.article.text)


def test_gold_and_deleted_claims_are_left_out(scene: Scene, curator: Any) -> None:
    a, b = scene.ann
    kept = make_claim(scene.article, a, "Moscow disagrees")
    gone = make_claim(scene.article, b, "Moscow disagrees")
    claim_delete(claim=gone, actor=b)
    gold_accept(curator=curator, claim=kept)
    assert [r.claim_id for r in agreement_data.project_records(scene.project).claims] == [kept.pk]


def test_records_take_a_fixed_number_of_queries(
    scene: Scene, django_assert_num_queries: Any
) -> None:
    for k in range(5):
        article = ArticleFactory(project=scene.project, text=f"{k} {scene.article.text}")
        for user in scene.ann:
            make_claim(article, user, "Moscow disagrees")
    with django_assert_num_queries(4):
        records = agreement_data.project_records(scene.project)
    assert len(records.claims) == 10


def test_the_cache_key_changes_with_every_kind_of_change(scene: Scene, curator: Any) -> None:
    a, _ = scene.ann
    key = lambda: agreement_data.cache_key(scene.project, 0.5)  # noqa: E731
    seen = {key()}
    claim = make_claim(scene.article, a, "Moscow disagrees")
    seen.add(key())
    claim = claim_update(
        claim=claim, actor=a, version=1, changes=claim_changes({"claim_type": "predictive"})
    )
    seen.add(key())
    assignment_create(article=ArticleFactory(project=scene.project), annotator=a)
    seen.add(key())
    gold_accept(curator=curator, claim=claim)
    seen.add(key())
    source_merge(keep=scene.sources[0], merge=scene.sources[1], actor=curator)
    seen.add(key())
    assert len(seen) == 6
    assert key() == key()
    assert agreement_data.cache_key(scene.project, 0.6) != key()


def test_the_cache_key_is_one_query_and_sees_a_removed_claim_that_was_not_the_latest(
    scene: Scene, django_assert_num_queries: Any
) -> None:
    a, _ = scene.ann
    first = make_claim(scene.article, a, "Moscow disagrees")
    make_claim(scene.article, a, "Ankara")
    with django_assert_num_queries(1):
        before = agreement_data.cache_key(scene.project, 0.5)
    Claim.objects.filter(pk=first.pk).delete()  # the latest change stays the same
    assert agreement_data.cache_key(scene.project, 0.5) != before


def test_the_report_is_computed_once_until_something_changes(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = scene.ann
    make_claim(scene.article, a, "Moscow disagrees")
    calls: list[int] = []
    real = agreement_data.compute_agreement

    def counted(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(agreement_data, "compute_agreement", counted)
    first = agreement_data.project_agreement_data(scene.project)
    again = agreement_data.project_agreement_data(scene.project)
    assert len(calls) == 1 and again.report == first.report
    make_claim(scene.article, b, "Moscow disagrees")
    assert agreement_data.project_agreement_data(scene.project).report.n_units == 1
    assert len(calls) == 2


def test_the_dashboard_is_cached_without_the_articles_and_follows_changes(
    scene: Scene,
) -> None:
    a, b = scene.ann
    for user in (a, b):
        make_claim(scene.article, user, "Moscow disagrees")
    assert review.dashboard_of(scene.project, 0.5, compute=False) is None
    assert not agreement_data.agreement_ready(scene.project, 0.5)
    board = review.dashboard_of(scene.project, 0.5, compute=True)
    full = agreement_data.cached_agreement(scene.project, 0.5)
    assert board is not None and full is not None
    assert agreement_data.agreement_ready(scene.project, 0.5)
    assert len(full.report.articles) == 1 and board.data.report.articles == []
    # Nor every article's title (1.6 MB at 20,001 articles): the worst carry their own.
    assert full.titles and board.data.titles == {}
    assert [w["title"] for w in board.worst] == [scene.article.title]
    assert board.data.report.fields == full.report.fields
    assert board.data.report.spans == full.report.spans and board.data.trend == full.trend
    assert board.worst == review.worst_articles(full)
    # Served from its own small entry: the full data is not read again.
    cache.delete(agreement_data.cache_key(scene.project, 0.5))
    assert review.dashboard_of(scene.project, 0.5, compute=False) == board
    # A change makes it stale.
    make_claim(scene.article, a, "China watches quietly")
    assert review.dashboard_of(scene.project, 0.5, compute=False) is None
    assert not agreement_data.agreement_ready(scene.project, 0.5)


def test_the_dashboard_page_does_not_read_the_whole_data_once_derived(
    client: Client, scene: Scene, curator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_claim(scene.article, scene.ann[0], "Moscow disagrees")
    review.dashboard_of(scene.project, 0.5, compute=True)
    full_key = agreement_data.cache_key(scene.project, 0.5)
    read: list[str] = []
    real_get = agreement_data.cache.get

    def get(key: str, *args: Any, **kwargs: Any) -> Any:
        read.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(agreement_data.cache, "get", get)
    login(client, curator)
    html = client.get(reverse("annotate:agreement", args=[scene.project.slug])).content.decode()
    assert 'data-figure="f1-overlap"' in html and 'id="worst-table"' in html
    assert full_key + ":board" in read and full_key not in read


def test_overlap_threshold_comes_from_the_request_or_the_scheme(scene: Scene) -> None:
    assert agreement_data.overlap_threshold(scene.project) == 0.5
    assert agreement_data.overlap_threshold(scene.project, "0.7") == 0.7
    assert agreement_data.overlap_threshold(scene.project, "7") == 0.5
    scene.project.scheme["agreement"] = {"overlap_threshold": 0.8}
    assert agreement_data.overlap_threshold(scene.project, "nonsense") == 0.8


def test_the_task_computes_caches_and_reports_progress(scene: Scene) -> None:
    make_claim(scene.article, scene.ann[0], "Moscow disagrees")
    result = review_tasks.compute_project_agreement.enqueue(scene.project.pk, 0.5)
    assert result.status == "SUCCESSFUL"
    assert agreement_data.cached_agreement(scene.project, 0.5) is not None
    assert review_tasks.progress_of(scene.project, 0.5) == {
        "step": "Done",
        "fraction": 1.0,
        "failed": False,
    }


def test_large_projects_go_through_the_background_task(
    client: Client, scene: Scene, curator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_claim(scene.article, scene.ann[0], "Moscow disagrees")
    monkeypatch.setattr(agreement_data, "BACKGROUND_CLAIMS", 0)
    login(client, curator)
    url = reverse("annotate:agreement", args=[scene.project.slug])
    # ImmediateBackend: the task ran inside the request, so the figures are there already
    # and the progress endpoint tells the page to reload.
    client.get(url)
    progress = client.get(reverse("annotate:agreement-progress", args=[scene.project.slug]))
    assert progress.status_code == 204 and progress["HX-Refresh"] == "true"
    assert b'data-figure="f1-overlap"' in client.get(url).content


def test_progress_is_shown_while_a_worker_computes(
    client: Client, scene: Scene, curator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_claim(scene.article, scene.ann[0], "Moscow disagrees")
    monkeypatch.setattr(agreement_data, "BACKGROUND_CLAIMS", 0)
    # A backend with a worker: enqueue returns at once; nothing is computed yet.
    monkeypatch.setattr(
        review_tasks.compute_project_agreement.__class__, "enqueue", lambda *a, **k: None
    )
    login(client, curator)
    html = client.get(reverse("annotate:agreement", args=[scene.project.slug])).content.decode()
    assert 'id="agreement-progress"' in html and "Queued" in html
    poll = client.get(reverse("annotate:agreement-progress", args=[scene.project.slug]))
    assert poll.status_code == 200 and b"Queued" in poll.content


def test_assignment_status_changes_who_counts(scene: Scene) -> None:
    a, b = scene.ann
    scene.article.assignments.filter(annotator=b).update(status=AssignmentStatus.IN_PROGRESS)
    make_claim(scene.article, a, "Moscow disagrees")
    [article] = agreement_data.project_records(scene.project).articles
    assert article.annotator_ids == (a.pk,)


def _old_trend(records: Any, project: Any) -> list[Any]:
    """The trend as it was computed before: the whole report again per week."""
    from annotate.review.agreement import config_from_scheme, project_agreement

    weeks: dict[Any, set[Any]] = {}
    for article_id, moment in records.first_claim.items():
        weeks.setdefault(agreement_data._week(moment), set()).add(article_id)
    config = config_from_scheme(project.scheme, overlap_threshold=0.5)
    rows = []
    for week in sorted(weeks):
        ids = weeks[week]
        report = project_agreement(
            [c for c in records.claims if c.article_id in ids],
            [a for a in records.articles if a.article_id in ids],
            config,
        )
        rows.append(
            (
                week,
                report.n_articles,
                report.n_units,
                report.spans.overlap,
                {f.field: f.alpha for f in report.fields},
            )
        )
    return rows


def test_trend_equals_the_report_recomputed_per_week(scene: Scene) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from annotate.models import Claim

    a, b = scene.ann
    now = timezone.now()
    articles = [scene.article] + [
        ArticleFactory(project=scene.project, text=f"{k} {scene.article.text}") for k in range(4)
    ]
    stance_b = [(scene.targets[1], "against")]
    for k, article in enumerate(articles):
        make_claim(article, a, "Moscow disagrees", claim_type="predictive")
        make_claim(article, b, "Moscow disagrees", source=scene.sources[k % 2])
        if k % 2:
            from annotate.claims.checks import StanceInput

            make_claim(article, b, "Ankara", stances=[StanceInput(t, s) for t, s in stance_b])
        # Three weeks: the first claim of each article is backdated.
        Claim.objects.filter(article=article).update(created=now - timedelta(weeks=k % 3))
    data = agreement_data.compute_agreement(scene.project, 0.5)
    records = agreement_data.project_records(scene.project)
    old = _old_trend(records, scene.project)
    assert len(old) == 3
    assert [(r.week, r.n_articles, r.n_units, r.span_f1, r.fields) for r in data.trend] == old
    # The stance toward Russia is only taken in some weeks, and only there is it compared.
    assert [any(k.endswith(str(scene.targets[1].pk)) for k in row[4]) for row in old] == [
        any(k.endswith(str(scene.targets[1].pk)) for k in r.fields) for r in data.trend
    ]
