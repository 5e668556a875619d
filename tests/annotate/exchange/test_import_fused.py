"""The claim import's fused pass (issue 21): a batch whose items all pass is checked and
built in one loop over the parsed items (``claims_rows_build``) and written as plain rows
(``claims_write_rows``); a batch with any problem goes through ``claims_build_many``. Both
paths store the same rows, to the byte: claims, stances, history, assignments and the
counts tables, compared column by column (ids renumbered: PostgreSQL's sequences do not
roll back)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction

from annotate.claims import bulk as claim_bulk
from annotate.claims.services import CLAIM_ROW_FIELDS
from annotate.exchange.importing import ImportReport, import_annotations
from annotate.models import (
    Assignment,
    Claim,
    ClaimStance,
    History,
    NetworkCount,
    OverviewCount,
)
from corpus.models import Role
from corpus.services import membership_set
from tests.annotate.exchange.importing_world import LABELS, ImportWorld, build_world
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class _Undo(Exception):
    pass


def _rows(model: Any) -> list[dict[str, Any]]:
    """The table's rows as the database holds them (JSON columns as their text on
    SQLite), by primary key; times as whether they are set."""
    table = connection.ops.quote_name(model._meta.db_table)
    key = ", ".join(f.column for f in model._meta.pk_fields)  # (the count tables': their key)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} ORDER BY {key}")
        names = [c[0] for c in cursor.description]
        found = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in found:
        for name, value in row.items():
            if isinstance(value, dt.datetime):
                row[name] = "<time>"
    return found


def _snapshot() -> dict[str, Any]:
    """Every row of the tables an import writes, ids replaced by their rank (the claims'
    ids also where other rows name them: stances, history rows and their JSON)."""
    claims = _rows(Claim)
    rank = {row["id"]: f"claim#{n}" for n, row in enumerate(claims)}
    for row in claims:
        row["id"] = rank[row["id"]]
    stances = _rows(ClaimStance)
    for n, row in enumerate(stances):
        row["id"], row["claim_id"] = n, rank[row["claim_id"]]
    history = _rows(History)
    for n, row in enumerate(history):
        row["id"] = n
        if row["entity"] == "claim" and row["object_id"] in rank:
            key = row["object_id"]
            row["object_id"] = rank[key]
            after = row["after"]
            if isinstance(after, str):  # SQLite: the text, which must be the same
                head = f'{{"id": {key}, '
                assert after.startswith(head), after[:40]
                row["after"] = f'{{"id": "{rank[key]}", ' + after[len(head) :]
            else:  # PostgreSQL: jsonb (the value)
                row["after"] = {**after, "id": rank[key]}
    assignments = _rows(Assignment)
    for n, row in enumerate(assignments):
        row["id"] = n
    counts = {}
    for model in (NetworkCount, OverviewCount):
        rows = _rows(model)
        for row in rows:
            row.pop("id", None)
        counts[model.__name__] = sorted(rows, key=repr)
    return {
        "claims": claims,
        "stances": stances,
        "history": history,
        "assignments": assignments,
        **counts,
    }


def _file(world: ImportWorld) -> bytes:
    """Claims in Cyrillic, Turkish and over emoji and a flag, with mentions, notes,
    stances given in both orders; two lines an article."""
    targets = sorted(world.targets, key=lambda t: t.pk)
    two = [  # the higher id first: the history's JSON sorts them
        {"target": targets[1].name, "stance": "against"},
        {"target": targets[0].name, "stance": "favor"},
    ]
    one = [{"target": targets[0].name, "stance": "favor"}]
    return world.jsonl(
        (
            0,
            [
                world.full_claim(),
                world.claim(0, "Яна Орехова", source="Akıncı", stances=one, **LABELS),
                world.claim(
                    0,
                    "growing 😀",
                    source={"external_id": "Q1"},
                    source_mention=world.mention(0, "Орехова"),
                    stances=two,
                    note="çok güzel 🇹🇷\nвторая строка",
                    **LABELS,
                ),
            ],
        ),
        (0, [world.claim(0, "Akıncı disagreed.", source="akinci", stances=two, **LABELS)]),
        (
            1,
            [
                world.claim(
                    1,
                    "Türk dünyası 🇹🇷 güçleniyor.",
                    source="Şener",
                    source_mention=world.mention(1, "İhsan Şener"),
                    stances=one,
                    **LABELS,
                ),
                world.claim(1, "🇹🇷", source="İhsan Şener", stances=two, **LABELS),
                world.claim(
                    1,
                    "Ayşe Yılmaz thinks the CSTO is weaker now.",
                    source={"id": world.sources["sener"].pk},
                    stances=one,
                    note="",
                    **{**LABELS, "checkworthy": ""},
                ),
            ],
        ),
    )


def _import_both_ways(
    monkeypatch: pytest.MonkeyPatch, **kwargs: Any
) -> tuple[tuple[ImportReport, dict[str, Any]], tuple[ImportReport, dict[str, Any]], list[str]]:
    """The import through the old path (every batch by ``claims_build_many``) and
    through the new one, each undone after its snapshot; the paths the batches took."""
    taken: list[str] = []
    fused = claim_bulk.claims_rows_build
    built_many = claim_bulk.claims_build_many

    def rows_build(*args: Any, **kw: Any) -> Any:
        rows = fused(*args, **kw)
        taken.append("fused" if rows is not None else "fallback")
        return rows

    def build_many(*args: Any, **kw: Any) -> Any:
        taken.append("build_many")
        return built_many(*args, **kw)

    monkeypatch.setattr(claim_bulk, "claims_build_many", build_many)
    results = []
    for rows_builder in (lambda *a, **k: None, rows_build):
        monkeypatch.setattr(claim_bulk, "claims_rows_build", rows_builder)
        with pytest.raises(_Undo), transaction.atomic():
            report = import_annotations(**kwargs)
            results.append((report, _snapshot()))
            raise _Undo
    old, new = results
    return old, new, taken


def _same(old: dict[str, Any], new: dict[str, Any]) -> None:
    for table in old:
        assert len(old[table]) == len(new[table]), table
        for before, after in zip(old[table], new[table], strict=True):
            assert before == after, table


@pytest.mark.parametrize("who", ["assigned", "unassigned", "gold"])
def test_the_fused_pass_stores_what_the_checks_one_by_one_store(
    monkeypatch: pytest.MonkeyPatch, who: str
) -> None:
    world = build_world()
    annotator: Any = world.annotator
    actor = None
    if who == "unassigned":  # the import assigns the articles
        annotator = UserFactory(username="cem")
        membership_set(project=world.project, user=annotator, role=Role.ANNOTATOR)
    elif who == "gold":
        annotator, actor = None, world.curator
    (old_report, old), (new_report, new), taken = _import_both_ways(
        monkeypatch,
        project=world.project,
        annotator=annotator,
        actor=actor,
        data=_file(world),
        fmt="jsonl",
        as_gold=who == "gold",
    )
    assert new_report == old_report
    assert new_report.ok and new_report.written and new_report.created == 7
    # The old way built every batch one claim at a time; the new one never did.
    assert taken == ["build_many", "fused"]
    assert len(new["claims"]) == 7 and any(r["note"] for r in new["claims"])
    _same(old, new)


def test_a_batch_with_a_problem_falls_back_and_reports_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bad item: the fused pass gives the batch up, ``claims_build_many`` reports it
    (the same rejections), and the rest, tried again, goes through the fused pass."""
    world = build_world()
    lines = _file(world).decode().splitlines()
    bad = lines[1].replace("disagreed.", "disagreeD.")  # the quote no longer matches
    data = "\n".join([lines[0], bad, *lines[2:]]).encode()
    (old_report, old), (new_report, new), taken = _import_both_ways(
        monkeypatch,
        project=world.project,
        annotator=world.annotator,
        data=data,
        fmt="jsonl",
        partial=True,
    )
    assert new_report == old_report
    assert [str(r) for r in new_report.rejected] == [
        "line 2, claim 1: quote: the quote does not match the text at 74–91: "
        "expected “Akıncı disagreed.”, got “Akıncı disagreeD.”"
    ]
    assert new_report.created == 6
    assert taken == ["build_many", "build_many", "fallback", "build_many", "fused"]
    _same(old, new)


def test_the_fused_rows_follow_the_claims_columns() -> None:
    """The fused pass builds its rows in ``claims_write_rows``'s column order: were the
    model's columns to move, it would be off (every batch the old way) until it follows."""
    assert claim_bulk.FAST
    assert CLAIM_ROW_FIELDS == claim_bulk._ROW_ORDER
    # Its history texts are written directly while they equal the encoder's.
    assert claim_bulk._HAND_JSON


@pytest.mark.parametrize(
    "change",
    [
        {"start": 1},  # the quote no longer matches
        {"source_mention": {"start": 0, "end": 10**6}},
        {"note": "x" * 10_001},  # over the limit
        {"claim_type": "no such type"},
        {"stances": []},
    ],
)
def test_the_fused_pass_gives_up_a_batch_the_checks_refuse(
    monkeypatch: pytest.MonkeyPatch, change: dict[str, Any]
) -> None:
    world = build_world()
    claim = {**world.full_claim(), **change}
    calls: list[bool] = []
    fused = claim_bulk.claims_rows_build

    def rows_build(*args: Any, **kw: Any) -> Any:
        rows = fused(*args, **kw)
        calls.append(rows is not None)
        return rows

    monkeypatch.setattr(claim_bulk, "claims_rows_build", rows_build)
    report = import_annotations(
        project=world.project,
        annotator=world.annotator,
        data=world.jsonl((0, [claim])),
        fmt="jsonl",
    )
    assert not report.written and len(report.rejected) == 1
    assert calls[0] is False  # (then the batch without it, empty, passes)
