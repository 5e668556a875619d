"""``manage.py recount`` (annotate/analysis/recount.py): --check finds every way the kept
counts can differ from a recount and writes nothing; a rebuild makes them equal again,
including the "all annotators" layer a pre-0025 bulk import leaves out."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from annotate.analysis import recount
from annotate.db_network_counts import ALL_LAYER
from annotate.models import NetworkCount, OverviewCount
from tests.factories import make_claim
from tests.scenes import Scene

pytestmark = pytest.mark.django_db


def kept(name: str) -> list[tuple[Any, ...]]:
    k = recount.KEPT[name]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {k.key}, {k.values} FROM {k.table} ORDER BY {k.key}")
        return cursor.fetchall()


def run(*args: str) -> str:
    out = StringIO()
    call_command("recount", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def counted(scene: Scene) -> Scene:
    a, b = scene.ann
    scene.article.published = dt.date(2024, 5, 3)
    scene.article.save(update_fields=["published"])
    make_claim(scene.article, a, "Ankara is ready", source=scene.sources[0])
    make_claim(scene.article, b, "Ankara is ready", source=scene.sources[1], stance="against")
    make_claim(
        scene.article, b, "Moscow disagrees", source=scene.sources[0], target=scene.targets[1]
    )
    return scene


def test_check_says_equal_after_ordinary_writes(counted: Scene) -> None:
    out = run("--check")
    assert "network counts: equal to a recount" in out
    assert "overview counts: equal to a recount" in out


@pytest.mark.parametrize(
    ("name", "corrupt", "wrong", "missing"),
    [
        # The rolling deploy's case: "all annotators" left out by an old end step (3 keys
        # in its all-time, year and month buckets) ...
        ("network", f"DELETE FROM annotate_networkcount WHERE layer = {ALL_LAYER}", 0, 9),
        # ... or its year and month only (an end step of a release before annotate 0028).
        (
            "network",
            f"DELETE FROM annotate_networkcount WHERE layer = {ALL_LAYER} AND month <> 0",
            0,
            6,
        ),
        ("network", "UPDATE annotate_networkcount SET n = n + 1 WHERE month = 0", 6, 6),
        ("overview", "DELETE FROM annotate_overviewcount WHERE total = 1", 0, 2),
        ("overview", "UPDATE annotate_overviewcount SET unsourced = 1 WHERE total = 0", 2, 2),
    ],
)
def test_check_finds_the_difference_and_writes_nothing(
    counted: Scene, name: str, corrupt: str, wrong: int, missing: int
) -> None:
    with connection.cursor() as cursor:
        cursor.execute(corrupt)
    before = kept(name)
    with pytest.raises(CommandError) as raised:
        run("--check", "--only", name)
    assert raised.value.returncode == 1
    assert kept(name) == before
    found = recount.drift(recount.KEPT[name])
    assert (found.wrong, found.missing) == (wrong, missing)


def test_an_extra_row_and_zero_rows(counted: Scene) -> None:
    """A kept row the recount lacks is wrong; a row whose count is 0 is not (the triggers
    leave those behind)."""
    row = NetworkCount.objects.filter(layer=ALL_LAYER).first()
    assert row is not None
    NetworkCount.objects.filter(pk=row.pk).update(n=0)
    assert recount.drift(recount.KEPT["network"]) == recount.Drift(recount.KEPT["network"], 0, 1)
    NetworkCount.objects.filter(pk=row.pk).update(n=1, month=190001)
    assert recount.drift(recount.KEPT["network"]) == recount.Drift(recount.KEPT["network"], 1, 1)


def test_rebuild_makes_the_tables_equal_to_a_recount(counted: Scene) -> None:
    good = {name: kept(name) for name in recount.KEPT}
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM annotate_networkcount WHERE layer = {ALL_LAYER}")
        cursor.execute("UPDATE annotate_networkcount SET n = 7")
        cursor.execute("DELETE FROM annotate_overviewcount WHERE total = 0")
        cursor.execute(
            "INSERT INTO annotate_overviewcount (article_id, layer, total, claim_type, "
            "attribution, n, unsourced) VALUES (999999, 3, 0, 'x', 'y', 4, 0)"
        )
    out = run()
    assert "network counts: rebuilt" in out and "overview counts: rebuilt" in out
    for name, k in recount.KEPT.items():
        assert recount.drift(k).ok, name
        assert kept(name) == good[name], name
    assert "equal to a recount" in run("--check")


def test_only_rebuilds_one_table(counted: Scene) -> None:
    OverviewCount.objects.filter(total=1).delete()
    NetworkCount.objects.filter(layer=ALL_LAYER).delete()
    run("--only", "network")
    assert recount.drift(recount.KEPT["network"]).ok
    assert not recount.drift(recount.KEPT["overview"]).ok


def test_help_says_what_it_does(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        call_command("recount", "--help")
    text = " ".join(capsys.readouterr().out.split())
    for words in ("--check", "writes nothing", "status 1", "claim writes wait", "--only"):
        assert words in text, words
