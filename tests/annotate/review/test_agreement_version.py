"""The agreement cache's key is a counter per project that database triggers bump on every
write of the rows the report reads (annotate/db_versions.py): every kind of write changes
it, whatever issued it; reads don't; reading it is one query however big the project."""

from __future__ import annotations

import difflib
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.assignments.services import assignment_create
from annotate.claims.bulk import claims_create_many
from annotate.claims.services import claim_delete, claim_restore, claim_update
from annotate.claims.values import StanceInput, claim_changes, claim_fields
from annotate.db_versions import EVENTS, VERSIONED, trigger_name
from annotate.exchange import restoring
from annotate.exchange.importing import import_annotations
from annotate.models import Claim, ProjectVersion
from annotate.review import data as agreement_data
from annotate.review import figures as review
from annotate.review.gold import gold_accept, gold_reject
from annotate.sources.services import source_merge
from corpus.models import Project
from tests.annotate.exchange.helpers import export_bytes
from tests.annotate.exchange.test_archive import empty_instance
from tests.conftest import login
from tests.factories import (
    VALID_LABELS,
    ArticleFactory,
    ClaimFactory,
    ProjectFactory,
    make_claim,
    span,
)
from tests.helpers import installed_triggers
from tests.scenes import Scene


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def _key(scene: Scene) -> str:
    return agreement_data.cache_key(scene.project, 0.5)


def _changes(scene: Scene, write: Callable[[], Any]) -> bool:
    before = _key(scene)
    write()
    return _key(scene) != before


@pytest.mark.django_db
def test_every_trigger_is_installed_after_the_migrations() -> None:
    """SQLite drops a table's triggers when a migration rebuilds the table: this fails if
    one did without installing them again (db_versions.reinstall_version_triggers_operation)."""
    expected = {trigger_name(table, event) for table in VERSIONED for event in EVENTS}
    assert expected <= installed_triggers()


def test_every_kind_of_write_through_the_services_changes_the_key(
    scene: Scene, curator: Any
) -> None:
    a, b = scene.ann
    claim = make_claim(scene.article, a, "Moscow disagrees")
    other = make_claim(scene.article, b, "Moscow disagrees")
    assert _changes(scene, lambda: make_claim(scene.article, b, "China watches"))
    updated: list[Claim] = []

    def update() -> None:
        changes = claim_changes({"claim_type": "predictive"})
        updated.append(claim_update(claim=claim, actor=a, version=1, changes=changes))

    assert _changes(scene, update)
    # A stance change alone.
    stance_only = claim_changes(
        {"stances": [StanceInput(target=scene.targets[1], stance="against")]}
    )
    assert _changes(
        scene,
        lambda: claim_update(claim=updated[0], actor=a, version=2, changes=stance_only),
    )
    assert _changes(scene, lambda: claim_delete(claim=other, actor=b))
    assert _changes(scene, lambda: claim_restore(claim=other, actor=b))
    assert _changes(
        scene,
        lambda: assignment_create(article=ArticleFactory(project=scene.project), annotator=a),
    )
    assert _changes(
        scene, lambda: gold_accept(curator=curator, claim=Claim.objects.get(pk=other.pk))
    )
    third = make_claim(scene.article, b, "China watches quietly")
    assert _changes(scene, lambda: gold_reject(curator=curator, claims=[third]))
    assert _changes(
        scene, lambda: source_merge(keep=scene.sources[0], merge=scene.sources[1], actor=curator)
    )


def test_bulk_paths_and_raw_writes_change_the_key(scene: Scene) -> None:
    a, b = scene.ann
    start, end = span(scene.article.text, "Ankara is ready")
    stances = [StanceInput(target=scene.targets[0], stance="favor")]
    item = claim_fields(
        {"start": start, "end": end, "source": scene.sources[0], "stances": stances} | VALID_LABELS
    )
    assert _changes(
        scene,
        lambda: claims_create_many(article_claims=[(scene.article, item)], annotator=b, actor=b),
    )
    line = {
        "sha256": scene.article.sha256,
        "claims": [
            {
                "start": 0,
                "end": 6,
                "source": scene.sources[0].name,
                "stances": [{"target": scene.targets[0].name, "stance": "favor"}],
                **VALID_LABELS,
            }
        ],
    }
    reports = []

    def imported() -> None:
        data = json.dumps(line)
        reports.append(
            import_annotations(project=scene.project, annotator=a, data=data, fmt="jsonl", actor=a)
        )

    assert _changes(scene, imported)
    assert reports[0].created == 1
    claims = Claim.objects.filter(article__project=scene.project)
    built = ClaimFactory.build(article=scene.article, annotator=a)
    assert _changes(scene, lambda: Claim.objects.bulk_create([built]))
    # Raw SQL, each table and each event.
    claim = claims.first()
    assert claim is not None
    target = scene.targets[1].pk
    for sql, params in (
        ("UPDATE annotate_claim SET claim_type = 'x' WHERE id = %s", [claim.pk]),
        ("DELETE FROM annotate_claimstance WHERE claim_id = %s", [claim.pk]),
        (
            "INSERT INTO annotate_claimstance (claim_id, target_id, stance) "
            "VALUES (%s, %s, 'none')",
            [claim.pk, target],
        ),
        ("UPDATE annotate_claimstance SET stance = 'favor' WHERE claim_id = %s", [claim.pk]),
        (
            "INSERT INTO annotate_chainlink (claim_id, position, source_id, reliability) "
            "VALUES (%s, 1, %s, 'C')",
            [claim.pk, scene.sources[1].pk],
        ),
        ("UPDATE annotate_chainlink SET reliability = 'D' WHERE claim_id = %s", [claim.pk]),
        ("DELETE FROM annotate_chainlink WHERE claim_id = %s", [claim.pk]),
        ("UPDATE annotate_assignment SET status = 'in_progress' WHERE annotator_id = %s", [a.pk]),
        ("DELETE FROM annotate_assignment WHERE annotator_id = %s", [a.pk]),
        ("UPDATE annotate_source SET name = 'Renamed' WHERE id = %s", [scene.sources[0].pk]),
        ("DELETE FROM annotate_claimstance WHERE claim_id = %s", [claim.pk]),
        ("DELETE FROM annotate_claim WHERE id = %s", [claim.pk]),
    ):

        def write(sql: str = sql, params: list[Any] = params) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                assert cursor.rowcount > 0, sql

        assert _changes(scene, write), sql


def test_a_statement_writing_many_rows_changes_the_key_once_per_project_on_postgres(
    scene: Scene,
) -> None:
    a, _ = scene.ann
    ClaimFactory.create_batch(3, article=scene.article, annotator=a)
    before = agreement_data.annotations_version(scene.project)
    updated = Claim.objects.filter(article__project=scene.project).update(note="n")
    after = agreement_data.annotations_version(scene.project)
    # PostgreSQL: one statement-level bump; SQLite: one per row.
    assert after - before == (1 if connection.vendor == "postgresql" else updated)


def test_writes_elsewhere_and_reads_leave_the_key_alone(
    client: Client, scene: Scene, curator: Any
) -> None:
    a, b = scene.ann
    make_claim(scene.article, a, "Moscow disagrees")
    make_claim(scene.article, b, "Moscow disagrees")
    key = _key(scene)
    elsewhere = ProjectFactory()
    ClaimFactory(article=ArticleFactory(project=elsewhere))
    agreement_data.project_agreement_data(scene.project, 0.5)
    login(client, curator)
    slug = scene.project.slug
    for name in ("agreement", "review-queue"):
        assert client.get(reverse(f"annotate:{name}", args=[slug])).status_code == 200
    assert _key(scene) == key


def test_a_restored_project_never_meets_the_cache_of_the_one_deleted(scene: Scene) -> None:
    """The restore keeps the project's id: a counter starting again at 0 would hand the
    restored project the deleted one's cache entries."""
    a, b = scene.ann
    make_claim(scene.article, a, "Moscow disagrees")
    data = export_bytes("archive", scene.project)
    make_claim(scene.article, b, "Moscow disagrees")
    seen = {_key(scene)}
    pk = scene.project.pk
    empty_instance()  # as a restore needs it; the project is gone
    assert not Project.objects.filter(pk=pk).exists()
    restored = restoring.restore(io.BytesIO(data)).project
    assert restored.pk == pk and Claim.objects.filter(article__project=restored).count() == 1
    assert agreement_data.cache_key(restored, 0.5) not in seen
    assert ProjectVersion.objects.get(project_id=pk).value > len(seen)


def test_the_cached_dashboard_and_queue_take_the_same_queries_at_any_size(
    client: Client, scene: Scene, curator: Any
) -> None:
    a, b = scene.ann
    login(client, curator)
    slug = scene.project.slug

    def queries(name: str) -> int:
        url = reverse(f"annotate:{name}", args=[slug])
        client.get(url)  # computes and caches
        with CaptureQueriesContext(connection) as seen:
            assert client.get(url).status_code == 200
        return len(seen)

    make_claim(scene.article, a, "Moscow disagrees")
    small = {name: queries(name) for name in ("agreement", "review-queue")}
    for k in range(4):
        article = ArticleFactory(project=scene.project, text=f"{k} {scene.article.text}")
        for user in (a, b):
            make_claim(article, user, "Moscow disagrees")
            make_claim(article, user, "China watches quietly")
    assert {name: queries(name) for name in ("agreement", "review-queue")} == small
    # And the key is one query by primary key.
    with CaptureQueriesContext(connection) as seen:
        review.dashboard_of(scene.project, 0.5, compute=False)
    assert len(seen) == 1 and "annotate_projectversion" in seen[0]["sql"]


def _derived_keys(base: str) -> list[str]:
    head = review._head_key(base, review.QueueFilters())
    return [f"{base}:board", f"{base}:queue", head, f"{head}:{review.QUEUE_PER_PAGE}:1"]


def _pages(client: Client, slug: str) -> dict[str, tuple[str, int]]:
    """The dashboard's and the queue's HTML (without the CSRF token) and queries."""
    found = {}
    for name in ("agreement", "review-queue"):
        with CaptureQueriesContext(connection) as seen:
            response = client.get(reverse(f"annotate:{name}", args=[slug]))
        assert response.status_code == 200
        html = response.content.decode()
        token = response.context["csrf_token"]
        found[name] = (html.replace(str(token), "TOKEN"), len(seen))
    return found


def test_the_task_caches_what_the_first_views_read_and_they_read_nothing_else(
    client: Client, scene: Scene, curator: Any
) -> None:
    """The background task caches the dashboard's and the queue's entries beside the data:
    their first views after it read those alone (the data itself may be gone), the same
    pages and queries as cached views; derived on a view instead, the same pages."""
    from annotate.review import tasks as review_tasks

    a, b = scene.ann
    make_claim(scene.article, a, "Moscow disagrees")
    make_claim(scene.article, b, "Moscow disagrees, says")
    login(client, curator)
    slug = scene.project.slug
    review_tasks.compute_project_agreement.enqueue(scene.project.pk, 0.5)
    base = _key(scene)
    keys = _derived_keys(base)
    assert set(cache.get_many(keys)) == set(keys)
    data = cache.get(base)
    cache.delete(base)  # (the big entry: not read by the first views)
    after_task = _pages(client, slug)
    assert _pages(client, slug) == after_task  # cached views: the same pages and queries
    assert 'data-figure="f1-overlap"' in after_task["agreement"][0]
    # Derived from the data on the first view (the entries evicted): the same pages.
    cache.delete_many(keys)
    cache.set(base, data)
    on_view = _pages(client, slug)
    for name, (html, _) in after_task.items():
        assert on_view[name][0] == html, "\n".join(
            difflib.unified_diff(html.splitlines(), on_view[name][0].splitlines(), lineterm="")
        )


def test_the_first_views_of_new_figures_take_the_same_queries_at_any_size(
    client: Client, scene: Scene, curator: Any
) -> None:
    """The dashboard and the queue deriving their entries from the cached data (evicted,
    or computed in the request): a fixed number of queries, whatever the claims."""
    a, b = scene.ann
    login(client, curator)
    slug = scene.project.slug

    def queries() -> dict[str, int]:
        agreement_data.project_agreement_data(scene.project, 0.5)
        cache.delete_many(_derived_keys(_key(scene)))
        return {name: n for name, (_, n) in _pages(client, slug).items()}

    make_claim(scene.article, a, "Moscow disagrees")
    small = queries()
    for k in range(4):
        article = ArticleFactory(project=scene.project, text=f"{k} {scene.article.text}")
        for user in (a, b):
            make_claim(article, user, "Moscow disagrees")
            make_claim(article, user, "China watches quietly")
    assert queries() == small
