"""Every multi-row write is one transaction: a failure halfway leaves nothing written.

Each test makes a function that runs in the middle of the write raise (on its n-th call,
after earlier rows were written), then compares every table with its state before.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from graphlib import TopologicalSorter
from typing import Any

import pytest
from django.apps import apps
from django.db import models

from annotate.assignments import services as assignment_services
from annotate.claims import checks as claim_checks
from annotate.claims import services as claim_services
from annotate.claims.values import claim_changes
from annotate.exchange import archive, restoring
from annotate.models import (
    Assignment,
    Claim,
)
from annotate.review import gold as gold_services
from annotate.sources import registry
from annotate.sources import services as source_services
from corpus import importers
from corpus.models import Membership, Project, Role
from tests.factories import (
    ArticleFactory,
    AssignmentFactory,
    SourceAliasFactory,
    SourceFactory,
    TargetFactory,
    make_claim,
)
from tests.security.conftest import World


def _dependencies_first(found: list[type[models.Model]]) -> list[type[models.Model]]:
    """``found`` ordered so that a model comes after every model it points to."""
    graph = {
        model: {
            field.related_model
            for field in model._meta.concrete_fields
            if field.is_relation
            and field.related_model in found
            and field.related_model is not model
        }
        for model in found
    }
    return list(TopologicalSorter(graph).static_order())


# Every table there is (a failed write must leave all of them as they were), and the
# project's data (a restore's empty instance has none of it), from the installed models:
# a new model is compared without anyone listing it.
TABLES: list[type[models.Model]] = sorted(
    (m for m in apps.get_models() if not m._meta.proxy), key=lambda m: m._meta.label
)
PROJECT_DATA = _dependencies_first(
    [*apps.get_app_config("corpus").get_models(), *apps.get_app_config("annotate").get_models()]
)


@pytest.fixture
def world(shared_world: World) -> World:
    """The security tests' world, its rows written once for the module rather than once
    per test (tests/security/conftest.py: ``shared_world``); each test's writes are rolled
    back with its savepoint."""
    return shared_world


class Injected(Exception):
    """The failure the tests inject."""


def state() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, as tuples of its field values."""
    out = {}
    for model in TABLES:
        names = [f.attname for f in model._meta.concrete_fields]
        out[model._meta.label] = sorted(
            tuple(str(v) for v in row) for row in model._default_manager.values_list(*names)
        )
    return out


def empty_instance() -> None:
    """Delete every project's rows, dependants first: a restore keeps ids, so it needs
    an instance without them (users stay)."""
    for model in reversed(PROJECT_DATA):
        model._default_manager.all().delete()


def fail_on_call(monkeypatch: Any, owner: Any, name: str, n: int) -> list[int]:
    """Make ``owner.name`` raise ``Injected`` on its n-th call (earlier calls work)."""
    original: Callable[..., Any] = getattr(owner, name)
    calls = [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == n:
            raise Injected(f"{name}, call {n}")
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls


@pytest.mark.django_db
def test_an_import_of_several_articles_writes_none_if_one_fails(
    world: World, monkeypatch: Any
) -> None:
    lines = [
        json.dumps({"text": f"Article number {i} says things.", "title": f"A{i}"}) for i in range(4)
    ]
    before = state()
    # The articles are written together (articles_create_many): fail once they are.
    write = importers.articles_create_many
    written: list[int] = []

    def write_then_fail(**kwargs: Any) -> Any:
        written.extend(r.article.pk for r in write(**kwargs))
        raise Injected("after the INSERT")

    monkeypatch.setattr(importers, "articles_create_many", write_then_fail)
    with pytest.raises(Injected):
        importers.import_file(
            project=world.project, name="four.jsonl", data="\n".join(lines).encode()
        )
    assert len(written) == 4 and all(written)
    assert state() == before


@pytest.mark.django_db
def test_a_source_merge_writes_nothing_if_it_fails_at_the_end(
    world: World, monkeypatch: Any
) -> None:
    merge = SourceFactory(project=world.project, name="A. Davutoglu", description="FM")
    SourceAliasFactory(source=merge, alias="Davutoglu")
    Claim.objects.filter(pk=world.other_claim.pk).update(source=merge)
    merge_pk = merge.pk
    before = state()
    fail_on_call(monkeypatch, source_services, "history_record", 1)
    with pytest.raises(Injected):
        source_services.source_merge(keep=world.source, merge=merge, actor=world.users["curator"])
    assert state() == before
    assert Claim.objects.get(pk=world.other_claim.pk).source_id == merge_pk


@pytest.mark.django_db
def test_a_registry_import_writes_nothing_if_a_row_fails(world: World, monkeypatch: Any) -> None:
    rows = [
        registry.SourceRow(line=i + 1, name=f"Person {i}", kind="person", aliases=(f"P{i}x",))
        for i in range(4)
    ]
    before = state()
    fail_on_call(monkeypatch, source_services, "source_create", 3)
    with pytest.raises(Injected):
        registry.import_rows(project=world.project, rows=rows)
    assert state() == before


@pytest.mark.django_db
def test_bulk_assignment_writes_nothing_if_it_fails_halfway(world: World, monkeypatch: Any) -> None:
    for _ in range(4):
        ArticleFactory(project=world.project)
    manager = Assignment.objects
    original = manager.bulk_create

    def half_then_fail(objs: Any, *args: Any, **kwargs: Any) -> Any:
        objs = list(objs)
        original(objs[: len(objs) // 2], *args, **kwargs)
        raise Injected("bulk_create, halfway")

    monkeypatch.setattr(manager, "bulk_create", half_then_fail)
    before = state()
    with pytest.raises(Injected):
        assignment_services.assignments_bulk(
            project=world.project, k=2, only_unassigned=False, assigned_by=world.users["manager"]
        )
    assert state() == before


@pytest.fixture
def disputed(world: World) -> Any:
    """A new article where A and B made the same two claims and a differing third."""
    article = ArticleFactory(project=world.project)
    for user in (world.a, world.b):
        AssignmentFactory(article=article, annotator=user)
        make_claim(article, user, "Turkey’s influence", source=world.source, target=world.target)
        make_claim(article, user, "Central Asia", source=world.source, target=world.target)
    return article


@pytest.mark.django_db
def test_a_gold_merge_writes_nothing_if_it_fails_at_the_decision(
    world: World, disputed: Any, monkeypatch: Any
) -> None:
    a_claim, b_claim = Claim.objects.filter(article=disputed, quote="Central Asia").order_by("pk")
    # A gold claim from these already: the merge would supersede (delete) it.
    gold_services.gold_accept(curator=world.users["curator"], claim=a_claim, considered=[b_claim])
    before = state()
    fail_on_call(monkeypatch, gold_services, "_decide", 1)
    with pytest.raises(Injected):
        gold_services.gold_merge(
            curator=world.users["curator"],
            article=disputed,
            span_from=a_claim,
            fields_from={"attribution": b_claim},
            considered=[b_claim],
        )
    assert state() == before


@pytest.mark.django_db
def test_bulk_accept_writes_no_group_if_the_second_fails(
    world: World, disputed: Any, monkeypatch: Any
) -> None:
    before = state()
    calls = fail_on_call(monkeypatch, gold_services, "gold_accept", 2)
    with pytest.raises(Injected):
        gold_services.gold_bulk_accept(curator=world.users["curator"], article=disputed)
    assert calls[0] == 2  # the first group was accepted, then rolled back
    assert state() == before


@pytest.mark.django_db
def test_a_project_restore_writes_nothing_if_it_fails_halfway(
    world: World, monkeypatch: Any
) -> None:
    data = b"".join(archive.stream(world.project))
    empty_instance()
    before = state()
    calls = fail_on_call(monkeypatch, restoring, "_insert", 8)  # after articles, sources, ...
    with pytest.raises(Injected):
        restoring.restore(io.BytesIO(data), slug="restored")
    assert calls[0] == 8
    assert state() == before
    assert not Project.objects.filter(slug="restored").exists()


@pytest.mark.django_db
def test_a_claim_update_with_stances_writes_nothing_if_history_fails(
    world: World, monkeypatch: Any
) -> None:
    other_target = TargetFactory(project=world.project, name="Russia")
    before = state()
    fail_on_call(monkeypatch, claim_services, "_record", 1)
    with pytest.raises(Injected):
        claim_services.claim_update(
            claim=world.claim,
            actor=world.a,
            version=world.claim.version,
            changes=claim_changes(
                {
                    "note": "changed",
                    "stances": [
                        claim_checks.StanceInput(target=world.target, stance="against"),
                        claim_checks.StanceInput(target=other_target, stance="favor"),
                    ],
                }
            ),
        )
    assert state() == before


@pytest.mark.django_db
def test_a_restore_of_a_claim_writes_nothing_if_history_fails(
    world: World, monkeypatch: Any
) -> None:
    claim_services.claim_delete(claim=world.claim, actor=world.a)
    before = state()
    fail_on_call(monkeypatch, claim_services, "_record", 1)
    with pytest.raises(Injected):
        claim_services.claim_restore(claim=Claim.objects.get(pk=world.claim.pk), actor=world.a)
    assert state() == before


@pytest.mark.django_db
def test_the_same_restore_without_a_failure_writes_the_project(world: World) -> None:
    """Sanity for the restore above: without the injected failure it does write."""
    claims = Claim.objects.count()
    data = b"".join(archive.stream(world.project))
    empty_instance()
    restoring.restore(io.BytesIO(data), slug="restored")
    restored = Project.objects.get(slug="restored")
    assert Claim.objects.filter(article__project=restored).count() == claims
    assert Membership.objects.filter(project=restored, role=Role.MANAGER).exists()
