"""The curators' disagreement queue: pages of 50, filters (title words, adjudication state,
what is disputed), the htmx partial, and large projects whose groups come from the
background agreement task."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from annotate.review import data as agreement_data
from annotate.review import figures as review
from annotate.review import tasks as review_tasks
from annotate.review.figures import QueueFilters, QueueRow
from annotate.review.gold import gold_accept
from tests.conftest import login
from tests.factories import make_claim
from tests.scenes import Scene, disputed_article


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def _url(scene: Scene) -> str:
    return reverse("annotate:review-queue", args=[scene.project.slug])


def _listed(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr data-article="(\d+)"', html)]


def test_the_queue_comes_in_pages_of_50(client: Client, scene: Scene, curator: Any) -> None:
    # The scene's article (two annotators, no claims) is the 53rd.
    articles = [disputed_article(scene, f"Article {k:02d}") for k in range(52)]
    login(client, curator)
    first = client.get(_url(scene)).content.decode()
    second = client.get(_url(scene), {"page": 2}).content.decode()
    assert len(_listed(first)) == 50 and len(_listed(second)) == 3
    listed = set(_listed(first)) | set(_listed(second))
    assert listed == {a.pk for a in articles} | {scene.article.pk}
    assert "53 articles" in first and "Page 1 of 2" in first
    # Progress counts every article, not only the page's.
    assert "0 of 53 articles done" in first


def test_filters_on_title_state_and_dispute(client: Client, scene: Scene, curator: Any) -> None:
    pipeline = disputed_article(scene, "Pipeline politics in Ankara")
    calm = disputed_article(scene, "Calm waters", agree=True)
    decided = disputed_article(scene, "Pipeline deal done")
    claims = list(decided.claims.order_by("pk"))
    gold_accept(claim=claims[0], considered=claims, curator=curator)
    login(client, curator)

    def listed(**params: str) -> set[int]:
        return set(_listed(client.get(_url(scene), params).content.decode()))

    assert listed(q="pipeline") == {pipeline.pk, decided.pk}
    assert listed(q="ankara PIPELINE") == {pipeline.pk}
    # Done: every group adjudicated (the scene's article, without groups, is neither).
    assert listed(state="done") == {decided.pk}
    assert scene.article.pk not in listed(state="open")
    assert pipeline.pk in listed(state="open") and decided.pk not in listed(state="open")
    assert calm.pk not in listed(dispute="attribution")
    assert pipeline.pk in listed(dispute="attribution")
    assert listed(q="nothing like this") == set()
    html = client.get(_url(scene), {"state": "open", "dispute": "attribution"}).content.decode()
    assert '<option value="attribution" selected>' in html
    assert '<option value="open" selected>' in html
    # Unknown values are ignored, not errors.
    assert listed(state="<script>", dispute="bogus") == listed()


def test_an_empty_filter_result_says_so(client: Client, scene: Scene, curator: Any) -> None:
    disputed_article(scene, "Pipeline politics")
    login(client, curator)
    html = client.get(_url(scene), {"q": "zzz"}).content.decode()
    assert "No article matches these filters." in html


def test_htmx_gets_only_the_list(client: Client, scene: Scene, curator: Any) -> None:
    disputed_article(scene, "Pipeline politics")
    login(client, curator)
    response = client.get(_url(scene), {"q": "pipeline"}, HTTP_HX_REQUEST="true")
    body = response.content.decode().lstrip()
    assert body.startswith('<section id="review-list"') and "<html" not in body


def test_filter_queue_keeps_the_order() -> None:
    def row(pk: int, title: str, units: int, adjudicated: int, **disputes: int) -> QueueRow:
        return QueueRow(pk, title, 2, units, units, adjudicated, dict(disputes), None)

    rows = [row(1, "B one", 2, 0, stance=1), row(2, "A two", 2, 2), row(3, "C three", 1, 0)]
    rows.append(row(4, "D none", 0, 0))
    assert review.filter_queue(rows, QueueFilters()) == rows
    assert [r.article_id for r in review.filter_queue(rows, QueueFilters(state="open"))] == [1, 3]
    assert [r.article_id for r in review.filter_queue(rows, QueueFilters(state="done"))] == [2]
    assert [r.article_id for r in review.filter_queue(rows, QueueFilters(dispute="stance"))] == [1]
    assert QueueFilters.from_query({"state": "open", "dispute": "stance"}).active
    assert not QueueFilters.from_query({"state": "x"}).active


def test_a_large_project_shows_progress_while_a_worker_finds_the_groups(
    client: Client, scene: Scene, curator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    disputed_article(scene, "Pipeline politics")
    monkeypatch.setattr(agreement_data, "BACKGROUND_CLAIMS", 0)
    queued: list[Any] = []
    monkeypatch.setattr(
        review_tasks.compute_project_agreement.__class__,
        "enqueue",
        lambda *a, **k: queued.append(a),
    )
    login(client, curator)
    html = client.get(_url(scene)).content.decode()
    assert 'id="agreement-progress"' in html and "Queued" in html
    assert 'id="queue-table"' not in html and len(queued) == 1
    # A second visit while it runs does not enqueue it again.
    client.get(_url(scene))
    assert len(queued) == 1


def test_a_large_project_lists_the_groups_once_the_task_ran(
    client: Client, scene: Scene, curator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    article = disputed_article(scene, "Pipeline politics")
    monkeypatch.setattr(agreement_data, "BACKGROUND_CLAIMS", 0)
    login(client, curator)
    # The immediate backend runs the task inside the first request.
    client.get(_url(scene))
    poll = client.get(reverse("annotate:agreement-progress", args=[scene.project.slug]))
    assert poll.status_code == 204 and poll["HX-Refresh"] == "true"
    assert article.pk in _listed(client.get(_url(scene)).content.decode())


def test_the_rows_are_cached_and_follow_every_decision(
    client: Client, scene: Scene, curator: Any
) -> None:
    article = disputed_article(scene, "Pipeline politics")
    login(client, curator)
    client.get(_url(scene))
    key = agreement_data.cache_key(scene.project, 0.5)
    assert cache.get(key + ":queue") is not None
    # Served from the small cached rows: the agreement data itself is not needed.
    cache.delete(key)
    html = client.get(_url(scene), {"state": "open"}).content.decode()
    assert article.pk in _listed(html)
    # A decision changes the key: the rows are made again and show it.
    claims = list(article.claims.order_by("pk"))
    gold_accept(claim=claims[0], considered=claims, curator=curator)
    assert agreement_data.cache_key(scene.project, 0.5) != key
    html = client.get(_url(scene), {"state": "done"}).content.decode()
    assert _listed(html) == [article.pk]


def test_span_f1_beside_span_boundary_disputes_shows_the_exact_figure_too(
    client: Client, scene: Scene, curator: Any
) -> None:
    """Issue 18: the queue showed span F1 1.000 beside "span boundaries × 2". Overlap F1
    counts those claims as found; the exact F1 beside it does not, and the badge says so."""
    a, b = scene.ann
    make_claim(scene.article, a, "Ankara is ready to help")
    make_claim(scene.article, b, "Ankara is ready to help, said Akar")
    make_claim(scene.article, a, "Moscow disagrees")
    make_claim(scene.article, b, "Moscow disagrees, says Umarov")
    login(client, curator)
    html = client.get(reverse("annotate:review-queue", args=[scene.project.slug])).content.decode()
    assert "span boundaries × 2" in html
    assert re.search(r"<td class=\"num\" data-span-f1>1\.000 · 0\.000</td>", html)
    assert "overlap · exact" in html
    assert "but whose boundaries differ (so exact F1 does not)" in html


def test_a_cached_page_reads_its_own_rows_not_the_whole_queue(
    client: Client, scene: Scene, curator: Any, django_assert_max_num_queries: Any
) -> None:
    """At 20,000 articles the whole queue is a 4.5 MB cache entry: a page asked for again
    reads its own rows, the count and the progress (one cache read), never that entry."""
    articles = [disputed_article(scene, f"Article {k:02d}") for k in range(52)]
    login(client, curator)
    first = client.get(_url(scene), {"page": 2}).content.decode()
    base = agreement_data.cache_key(scene.project, agreement_data.overlap_threshold(scene.project))
    assert cache.get(base + ":queue") is not None
    cache.delete(base + ":queue")
    cache.delete(base)  # nor the agreement data
    # session, user, project and role, switcher, the key, the page's rows with the count
    with django_assert_max_num_queries(6):
        again = client.get(_url(scene), {"page": 2}).content.decode()
    assert _listed(again) == _listed(first) != [] and "Page 2 of 2" in again
    assert "0 of 53 articles done" in again
    # Past the end: the last page, cached. A page not asked for before is computed from
    # the (recomputed) queue.
    past = client.get(_url(scene), {"page": "99"}).content.decode()
    assert _listed(past) == _listed(first)
    one = client.get(_url(scene)).content.decode()
    assert len(_listed(one)) == 50
    assert set(_listed(one)) | set(_listed(first)) == {a.pk for a in articles} | {scene.article.pk}


def test_a_cached_page_changes_with_the_annotations(
    client: Client, scene: Scene, curator: Any
) -> None:
    decided = disputed_article(scene, "Pipeline deal done")
    login(client, curator)
    assert decided.pk not in _listed(client.get(_url(scene), {"state": "done"}).content.decode())
    claims = list(decided.claims.order_by("pk"))
    gold_accept(claim=claims[0], considered=claims, curator=curator)
    html = client.get(_url(scene), {"state": "done"}).content.decode()
    assert _listed(html) == [decided.pk] and "1 article match" in html


def test_the_dispute_badges_are_the_markup_the_template_loop_wrote() -> None:
    """``dispute_badges`` (a filter, for the ~400 badges of a page: a third of its
    rendering as a template loop) writes what the loop wrote: a badge per kind in order,
    each followed by a space, the explanation on "span boundaries", kinds escaped;
    "nothing" without disputes."""
    from django.template import Context, Template

    from annotate.templatetags.review_html import dispute_badges

    loop = Template(
        '{% for kind, n in disputes.items %}<span class="badge badge-dispute"{% if kind == '
        '"span boundaries" %} title="Groups whose claims overlap (so span F1, overlap, counts'
        ' them as found) but whose boundaries differ (so exact F1 does not)"{% endif %}>'
        '{{ kind }} × {{ n }}</span> {% empty %}<span class="muted">nothing</span>{% endfor %}'
    )
    for disputes in (
        {},
        {"missing claim": 1234, "span boundaries": 2, "stance": 1},
        {"<b>odd & kind</b>": 3},
    ):
        assert dispute_badges(disputes) == loop.render(Context({"disputes": disputes}))
    assert "&lt;b&gt;odd &amp; kind&lt;/b&gt; × 3" in dispute_badges({"<b>odd & kind</b>": 3})
