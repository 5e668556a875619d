"""The benchmark harness at a tiny scale: every scenario runs and returns figures, so that
the harness can't rot. No timing is asserted."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from annotate.claims.offsets import validate_span
from annotate.models import Claim
from bench.generate import generate_project
from bench.report import peer_table, render
from bench.scenarios import SCENARIOS, Context, Result
from corpus.models import Article
from tests.factories import ArticleFactory


@pytest.fixture
def bench_project(db: Any) -> Any:
    return generate_project(3, seed=5, slug="smoke")


def test_generator_writes_a_valid_reproducible_project(bench_project: Any) -> None:
    project = bench_project
    assert project.n_articles == 4  # and the big one
    assert project.n_sources == 500 and project.n_aliases > 0
    big = Article.objects.get(pk=project.big_article_id)
    assert big.char_count >= 15_000
    assert Claim.objects.filter(article=big, annotator_id=project.annotator_ids[0]).count() == 300
    assert Claim.objects.filter(annotator__isnull=True).count() == project.n_gold
    for article in Article.objects.filter(project_id=project.project_id):
        assert any(ch in article.text for ch in "ğışİç")
        assert any("а" <= ch <= "я" for ch in article.text)
        for claim in Claim.objects.filter(article=article)[:50]:
            span = validate_span(article.text, claim.start, claim.end, claim.quote)
            assert (span.prefix, span.suffix) == (claim.prefix, claim.suffix)
    texts = list(Article.objects.order_by("pk").values_list("text", flat=True))
    again = generate_project(3, seed=5, slug="smoke-again")
    assert again.n_claims == project.n_claims
    assert (
        list(
            Article.objects.filter(project_id=again.project_id)
            .order_by("pk")
            .values_list("text", flat=True)
        )
        == texts
    )


def test_every_scenario_runs_and_returns_figures(bench_project: Any, tmp_path: Path) -> None:
    ctx = Context(project=bench_project, scale="tiny", reps=2, heavy_reps=1, tmp=tmp_path, warmup=1)
    results: list[Result] = []
    for name, scenario in SCENARIOS.items():
        rows = scenario(ctx)
        assert rows, name
        for row in rows:
            assert not row.note.startswith("failed"), row
            assert row.median_ms is not None or row.note.startswith("not available yet"), row
        results += rows
    names = {r.scenario for r in results}
    assert {"import", "workspace", "claims_htmx", "claims_api", "autocomplete"} <= names
    workspace = next(r for r in results if r.name.startswith("workspace page (15,000"))
    assert (
        workspace.queries is not None and workspace.queries == workspace.extra["queries_20_claims"]
    )

    payload = _sqlite_payload(results=[r.as_dict() for r in results])
    text = render(payload) + peer_table(payload)
    assert "| workspace page (15,000 chars, 300 claims) |" in text
    assert "Label Studio" in text


def _sqlite_payload(**run: Any) -> dict[str, Any]:
    """A saved run of one SQLite database and no scenario rows, with ``run``'s entries."""
    return {
        "scale": "tiny",
        "at": "now",
        "machine": {"nproc": 2, "cpu": "cpu", "memory_gib": 1, "python": "3", "sqlite": "3"},
        "runs": {
            "sqlite": {
                "db": "sqlite",
                "db_version": "sqlite 3",
                "project": {"articles": 4, "claims": 1, "gold": 1},
                "generate_s": 0.1,
                "migrate_s": 0.1,
                "results": [],
                **run,
            }
        },
    }


def test_the_report_prints_the_mixed_load_memory_row() -> None:
    memory = {
        "rss_mb": 104.0,
        "peak_rss_mb": 107.0,
        "after_setup_mb": 88.0,
        "requests": 300,
        "mixed": {
            "steady_mb": 236.4,
            "peak_rss_mb": 291.2,
            "pss_mb": 230.0,
            "uss_mb": 220.0,
            "imported_claims": 8820,
            "after_import_mb": 150.8,
            "after_upload_mb": 201.6,
            "after_exports_mb": 232.6,
        },
    }
    payload = _sqlite_payload(server_memory=memory)
    text = render(payload)
    row = next(line for line in text.splitlines() if "mixed load" in line)
    assert "bulk import of 8,820 claims" in row
    assert "236.4 MB steady" in row and "< 150 MB" in row and row.endswith("**no** |")


def test_the_report_says_the_machine_speed_of_each_run() -> None:
    """Figures of different days compare only through the machine's speed then: each run
    notes a fixed loop's CPU time and the load before and after, and the report says them."""
    from bench.run import speed_probe

    before, after = speed_probe(), speed_probe()
    assert before["loop_ms"] > 0 and before["load"] >= 0
    payload = _sqlite_payload(speed={"before": before, "after": after})
    text = render(payload)
    line = next(line for line in text.splitlines() if line.startswith("Machine speed"))
    assert f"sqlite run: {before['loop_ms']} ms at load {before['load']} before" in line
    assert f"{after['loop_ms']} ms at load {after['load']} after" in line


def test_side_by_side_runs_both_databases_at_once_and_probes_the_speed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--side-by-side`` (make bench-small): the two databases' runs overlap in time, each
    without its own speed probe (two at once would time each other's loop: ``process_time``
    is the whole process's), one probe before both and one after both; the report says so."""
    import threading

    from bench import run as bench_run

    both_running = threading.Barrier(2, timeout=10)
    calls: list[tuple[str, bool]] = []

    def fake_run(db: str, args: Any, *, probe: bool = True) -> dict[str, Any]:
        calls.append((db, probe))
        both_running.wait()  # raises BrokenBarrierError unless the other run is in too
        return {**_sqlite_payload()["runs"]["sqlite"], "db": db}

    probes = iter([{"loop_ms": 100.0, "load": 1.0}, {"loop_ms": 120.0, "load": 2.0}])
    monkeypatch.setattr(bench_run, "run_database", fake_run)
    monkeypatch.setattr(bench_run, "speed_probe", lambda: next(probes))
    args = bench_run._parser().parse_args(["--scale", "tiny", "--side-by-side"])
    runs = bench_run.run_side_by_side(["sqlite", "postgres"], args)
    assert sorted(calls) == [("postgres", False), ("sqlite", False)]
    assert list(runs) == ["sqlite", "postgres"]
    for run in runs.values():
        assert run["speed"]["before"] == {"loop_ms": 100.0, "load": 1.0}
        assert run["speed"]["after"] == {"loop_ms": 120.0, "load": 2.0}
    text = render({**_sqlite_payload(), "runs": runs})
    assert "ran side by side" in text
    assert "ran side by side" not in render(_sqlite_payload())


def test_the_bench_writes_no_task_lines_between_its_own(caplog: pytest.LogCaptureFixture) -> None:
    """The medium bench's log had two ``django.tasks`` INFO lines for every upload's task
    among the scenarios' lines: Django's ``django`` logger is at INFO whatever LOG_LEVEL."""
    from bench.run import quiet_logging

    names = ("django", "django_tasks_db")
    levels = {name: logging.getLogger(name).level for name in names}
    try:
        quiet_logging()
        with caplog.at_level(logging.INFO):
            logging.getLogger("django.tasks").info("Task id=1 path=x state=RUNNING")
            logging.getLogger("django_tasks_db").info("Starting worker")
            logging.getLogger("django.tasks").warning("Task id=1 failed")
        assert [record.levelname for record in caplog.records] == ["WARNING"]
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _fetch_result(name: str, median: float) -> dict[str, Any]:
    return {"scenario": "fetch_api", "name": name, "median_ms": median, "p95_ms": median + 1}


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        (  # both fetch scenarios ran: the one-request one is Claimdesk's figure
            [
                _fetch_result("API: one article + its 20 claims (2 requests)", 9.0),
                _fetch_result(
                    "API: one article with its 20 claims (1 request, ?include=claims)", 4.0
                ),
            ],
            "p50 4.00 ms, p95 5.00 ms (1 request, ?include=claims)",
        ),
        (
            [_fetch_result("API: one article + its 20 claims (2 requests)", 9.0)],
            "p50 9.00 ms, p95 10.0 ms (2 requests)",
        ),
    ],
)
def test_the_peer_table_names_the_fetch_requests(
    results: list[dict[str, Any]], expected: str
) -> None:
    """The fetch row says how many requests Claimdesk's figure took: one with
    ``?include=claims`` (``fetch_one``), not the two of ``fetch_api``."""
    run = {"db": "sqlite", "project": {}, "results": results}
    row = next(
        line for line in peer_table({"runs": {"sqlite": run}}).splitlines() if "fetch" in line
    )
    assert row.rstrip(" |").endswith(expected), row


@pytest.mark.django_db(transaction=True)
def test_a_generated_postgresql_database_is_vacuumed_and_analyzed() -> None:
    """After generating, the bench vacuums and analyzes a PostgreSQL database (statistics
    and a visibility map, as autovacuum leaves a database in use: without the map an
    index-only scan read every row's page too); SQLite is left as it is."""
    from django.db import connection

    from bench.run import _analyze

    ArticleFactory.create_batch(3)
    taken = _analyze(connection)
    if connection.vendor != "postgresql":
        assert taken is None
        return
    assert taken is not None and taken >= 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL"
            " FROM pg_stat_user_tables s"
            " WHERE s.relname = 'corpus_article'"
        )
        assert cursor.fetchone() == (True, True)
