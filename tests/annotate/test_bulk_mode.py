"""Bulk mode (``annotate.db_bulk``, issue 21): a claim import's per-row INSERT triggers wait
on SQLite (on PostgreSQL the stances' network counts) and their work is done once at the
end. What that leaves — claim search's entries, the projects' versions, the network
counts in every bucket — equals what the per-row triggers leave for the same file, and an
import that rolls back leaves the triggers working."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, transaction

from annotate import db_bulk, db_triggers
from annotate.analysis.search import text_match
from annotate.exchange import importing
from annotate.exchange.importing import import_annotations
from annotate.models import Claim, ClaimStance, NetworkCount, OverviewCount, ProjectVersion
from corpus.services import membership_set
from tests.annotate.analysis.test_network_counts import kept, recounted
from tests.annotate.analysis.test_overview_counts import kept as overview_kept
from tests.annotate.analysis.test_overview_counts import recounted as overview_recounted
from tests.factories import (
    VALID_LABELS,
    ArticleFactory,
    ClaimFactory,
    ProjectFactory,
    SourceFactory,
    TargetFactory,
    UserFactory,
)
from tests.helpers import installed_triggers

pytestmark = pytest.mark.django_db

WORDS = ("Turkey", "influence", "Central", "Article")


def _project() -> tuple[Any, bytes, int]:
    """A project with articles of two months, another year and none, two sources, two
    targets; a file of claims over them (with one or two stances, some with an attribution
    chain)."""
    project = ProjectFactory()
    dates: list[dt.datetime | None] = [
        dt.datetime(2024, 5, 3, tzinfo=dt.UTC),
        dt.datetime(2024, 6, 9, tzinfo=dt.UTC),
        dt.datetime(2023, 1, 2, tzinfo=dt.UTC),
        None,
    ]
    articles = [ArticleFactory(project=project, published=d) for d in dates]
    sources = [SourceFactory(project=project, name=n) for n in ("Ankara", "Moscow")]
    targets = [TargetFactory(project=project, name=n) for n in ("NATO", "EU")]
    lines, n = [], 0
    for i, article in enumerate(articles):
        claims = []
        at = 0
        for k, word in enumerate(article.text.split(" ")[:6]):
            start, end = at, at + len(word)
            at = end + 1
            stances = [{"target": targets[k % 2].name, "stance": ("favor", "against")[i % 2]}]
            if k % 3 == 1:
                stances.append({"target": targets[(k + 1) % 2].name, "stance": "favor"})
            claim = {
                "start": start,
                "end": end,
                "quote": article.text[start:end],
                "source": {"name": sources[(i + k) % 2].name},
                "stances": stances,
                "note": f"note {word}",
                **VALID_LABELS,
            }
            if k == 2:
                claim["chain"] = [{"source": {"name": sources[(i + k + 1) % 2].name}}]
            claims.append(claim)
        n += len(claims)
        lines.append(json.dumps({"sha256": article.sha256, "claims": claims}, ensure_ascii=False))
    return project, "\n".join(lines).encode(), n


def _member(project: Any) -> Any:
    user = UserFactory()
    membership_set(project=project, user=user, role="annotator")
    return user


def _version(project: Any) -> int:
    row = ProjectVersion.objects.filter(project_id=project.pk).first()
    return row.value if row is not None else 0


def _import(project: Any, data: bytes, *, bulk: bool, monkeypatch: Any) -> tuple[Any, int]:
    """Import ``data`` as a new annotator's claims, in bulk mode or with the per-row
    triggers; the annotator and how much the project's version rose."""
    user = _member(project)
    with monkeypatch.context() as patched:
        if not bulk:
            patched.setattr(importing.db_bulk, "bulk_inserts", contextlib.nullcontext)
        before = _version(project)
        report = import_annotations(project=project, annotator=user, data=data, fmt="jsonl")
    assert report.ok and report.written, report.rejected
    return user, _version(project) - before


def _layer(layer: int) -> Counter[tuple[int, int, int, str]]:
    return Counter(
        {
            (r.month, r.source_id, r.target_id, r.stance): r.n
            for r in NetworkCount.objects.filter(layer=layer).exclude(n=0)
        }
    )


def _found(annotator: Any) -> dict[str, set[tuple[int, int, int]]]:
    claims = Claim.objects.filter(annotator=annotator)
    return {
        word: set(text_match(claims, word).values_list("article_id", "start", "end"))
        for word in (*WORDS, "note")
    }


def _flag_rows() -> int:
    if connection.vendor != "sqlite":
        return 0  # (no flag table: PostgreSQL's triggers are per statement)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {db_triggers.BULK_FLAG}")
        return int(cursor.fetchone()[0])


def test_a_bulk_import_leaves_what_the_per_row_triggers_leave(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project, data, n = _project()
    one, one_version = _import(project, data, bulk=False, monkeypatch=monkeypatch)
    two, two_version = _import(project, data, bulk=True, monkeypatch=monkeypatch)
    assert Claim.objects.filter(annotator=two).count() == n
    # Every bucket of the counts: all time, each year, each month (the undated article's
    # claims in the first only), both layers alike, and all of it a full recount.
    counts = _layer(two.pk)
    assert counts == _layer(one.pk)
    assert {month for month, *_ in counts} == {0, -2024, 202405, 202406, -2023, 202301}
    assert kept() == recounted()
    # The version rose: as much on SQLite (one per row written); on PostgreSQL one per
    # statement without bulk mode, once per project at the block's end with it.
    if connection.vendor == "sqlite":
        assert two_version == one_version > 0
    else:
        assert one_version > two_version > 0
    # Claim search finds the same claims.
    found = _found(two)
    assert found == _found(one)
    assert all(found.values())
    assert _flag_rows() == 0


def test_without_its_end_step_a_bulk_import_would_count_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The triggers do wait in bulk mode: the end step is what counts the rows (the
    network and overview counts, the claims' and stances' versions; on PostgreSQL search
    is the GIN index, per row)."""
    project, data, n = _project()
    _, plain = _import(project, data, bulk=False, monkeypatch=monkeypatch)
    monkeypatch.setattr(db_bulk, "_maintain", lambda cursor, since, fts: None)
    monkeypatch.setattr(db_bulk, "_maintain_postgres", lambda cursor: None)
    user, version = _import(project, data, bulk=True, monkeypatch=monkeypatch)
    assert not _layer(user.pk)
    assert kept() != recounted()
    assert not OverviewCount.objects.filter(layer=user.pk).exists()
    assert overview_kept() != overview_recounted()
    if connection.vendor == "sqlite":
        assert version < n  # the assignments' writes only
        assert not any(_found(user).values())
    else:  # no bump for the claims' and the stances' statements
        assert version <= plain - 2


def _mixed_block(project: Any) -> tuple[Any, Any]:
    """Claims made before a bulk block (live, deleted, without a source, gold) and,
    inside it, stances on them and new claims (the same kinds) with stances: the two
    targets each claim's stances go to (the old claims', the new claims')."""
    dated = ArticleFactory(project=project, published=dt.datetime(2024, 5, 3, tzinfo=dt.UTC))
    undated = ArticleFactory(project=project, published=None)
    source = SourceFactory(project=project)
    annotator = _member(project)
    old_target, new_target = (TargetFactory(project=project) for _ in range(2))
    kinds: list[dict[str, Any]] = [
        {"article": dated, "annotator": annotator, "source": source},
        {"article": undated, "annotator": annotator, "source": source},
        {"article": dated, "annotator": None, "source": source},  # gold
        {"article": dated, "annotator": annotator, "source": source, "deleted": True},
        {"article": dated, "annotator": annotator, "source": None},
    ]
    old = [ClaimFactory(**kind) for kind in kinds]
    with transaction.atomic(), db_bulk.bulk_inserts():
        for claim in old:  # a stance added to an existing claim in bulk mode
            ClaimStance.objects.create(claim=claim, target=old_target, stance="favor")
        for kind in kinds:
            ClaimFactory(**kind, stances={new_target: "against"})
    return old_target, new_target


def test_a_bulk_block_counts_stances_on_existing_and_new_claims_as_the_triggers_do() -> None:
    """Inside the block, stances on claims that were there before it and on claims it
    inserts, of every kind (dated or not, gold, deleted, without a source), are counted
    as the per-statement (per-row) triggers count them: only the live claims with a
    source, in each of their buckets (pgnet34: the new claims' stances read the claims
    as they wait, the others' from the claims' table)."""
    project = ProjectFactory()
    old_target, new_target = _mixed_block(project)
    assert kept() == recounted()
    for target in (old_target, new_target):
        # The dated annotator's claim: 6 buckets; the undated one: all time, its layer
        # and all annotators'; gold: 3 (no "all annotators" row); deleted, unsourced: 0.
        rows = NetworkCount.objects.filter(target=target).exclude(n=0)
        assert sorted((r.layer == 0, r.month == 0) for r in rows for _ in range(r.n)) == sorted(
            [(False, True)] * 4 + [(False, False)] * 4 + [(True, True)] + [(True, False)] * 2
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's bulk mode")
def test_postgres_bulk_network_upsert_reads_the_claims_table_only_for_claims_not_waiting() -> None:
    """The end step's network upsert reads the new stances' claims where they wait (the
    session's table) and looks up in ``annotate_claim`` only the claims of the stances
    whose claim does not wait — one lookup each — not every live claim (issue 21,
    pgnet34: a sequential scan and a hash of 89,909 claims at medium)."""
    from annotate import db_network_counts

    project = ProjectFactory()
    article = ArticleFactory(project=project, published=dt.datetime(2024, 5, 3, tzinfo=dt.UTC))
    source, target = SourceFactory(project=project), TargetFactory(project=project)
    annotator = _member(project)
    existing = ClaimFactory(article=article, annotator=annotator, source=source)
    ClaimFactory.create_batch(30, article=article, annotator=annotator, source=source)

    def claims_read() -> list[tuple[int, int]]:
        """(loops, rows) of each scan of annotate_claim in the upsert's plan, run and
        rolled back."""
        found: list[tuple[int, int]] = []
        with contextlib.suppress(_Undo), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + db_network_counts.pg_bulk_add_counts_sql()
            )
            plan = cursor.fetchone()[0]
            nodes = [plan[0]["Plan"]]
            while nodes:
                node = nodes.pop()
                nodes += node.get("Plans", [])
                if node.get("Relation Name") == "annotate_claim":
                    found.append((node["Actual Loops"], node["Actual Rows"]))
            raise _Undo
        return found

    with transaction.atomic(), db_bulk.bulk_inserts():
        for _ in range(3):
            ClaimFactory(
                article=article, annotator=annotator, source=source, stances={target: "favor"}
            )
        only_new = claims_read()
        ClaimStance.objects.create(claim=existing, target=target, stance="against")
        with_old = claims_read()
    assert only_new and all(loops == 0 for loops, _ in only_new), only_new
    assert sum(loops for loops, _ in with_old) == 1, with_old
    assert sum(loops * rows for loops, rows in with_old) == 1, with_old
    assert kept() == recounted()


class _Undo(Exception):
    pass


def _bulk_setting() -> tuple[str | None, bool]:
    """PostgreSQL: the transaction's bulk setting, and whether the session's tables exist
    (both or neither)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting(%s, true), to_regclass(%s) IS NOT NULL, "
            "to_regclass(%s) IS NOT NULL",
            [db_triggers.PG_BULK_SETTING, db_triggers.PG_BULK_STANCES, db_triggers.PG_BULK_CLAIMS],
        )
        setting, stances, claims = cursor.fetchone()
    assert stances == claims
    return setting, stances


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's bulk mode")
def test_postgres_bulk_mode_is_this_transactions_and_ends_with_its_block() -> None:
    """Only inside the block do the stances wait (set_config(…, true): this transaction's
    setting); after it, or after a block that failed, a stance is counted by its trigger
    as always, and the session's table is gone."""
    project, data, n = _project()
    user = _member(project)
    report = import_annotations(project=project, annotator=user, data=data, fmt="jsonl")
    assert report.ok and report.written
    assert _bulk_setting() in ((None, False), ("off", False), ("", False))
    with pytest.raises(RuntimeError), db_bulk.bulk_inserts():
        assert _bulk_setting() == ("on", True)
        raise RuntimeError("a failed block")
    assert _bulk_setting()[0] != "on" and not _bulk_setting()[1]
    # A claim and a stance written after the blocks go through the triggers at once.
    claim = Claim.objects.filter(annotator=user).first()
    assert claim is not None
    before = _version(project)
    ClaimFactory(article=claim.article, annotator=user, source=None)
    target = TargetFactory(project=project, name="UN")
    ClaimStance.objects.create(claim=claim, target=target, stance="favor")
    assert kept() == recounted()
    assert overview_kept() == overview_recounted()
    assert _version(project) >= before + 2  # the claim, the stance


def test_a_rolled_back_import_leaves_the_triggers_working(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project, data, n = _project()
    bad = data + b'\n{"sha256": "nope", "claims": [{"start": 0, "end": 1}]}\n'
    user = _member(project)
    report = import_annotations(project=project, annotator=user, data=bad, fmt="jsonl")
    assert report.rejected and not report.written
    assert not Claim.objects.filter(annotator=user).exists()
    assert _flag_rows() == 0
    before = _version(project)
    with db_bulk.bulk_inserts(), pytest.raises(RuntimeError):
        raise RuntimeError("a failed block")
    assert _flag_rows() == 0
    # The per-row path counts again.
    other, version = _import(project, data, bulk=False, monkeypatch=monkeypatch)
    assert version > 0 and _version(project) > before
    assert _layer(other.pk) and kept() == recounted()


def test_the_insert_triggers_read_the_flag_after_the_migrations() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the flag table is SQLite's")
    names = [
        "annotate_claim_fts_insert",
        "annotate_claim_version_insert",
        "annotate_claimstance_version_insert",
        "annotate_chainlink_version_insert",
        "annotate_claim_znetwork_insert",
        "annotate_claimstance_znetwork_insert",
        "annotate_claim_zoverview_insert",
    ]
    assert set(names) <= installed_triggers()
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        found = dict(cursor.fetchall())
    assert all(db_triggers.BULK_OFF in found[name] for name in names)
    # Only those wait: updates and deletes, other tables' inserts fire as always.
    assert [name for name, sql in found.items() if db_triggers.BULK_OFF in sql] == sorted(
        names, key=list(found).index
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_postgres_bulk_mode_leaves_another_sessions_stances_counted() -> None:
    """While one transaction is in bulk mode, a stance another session writes is counted
    by its trigger at once (the setting and the table are the bulk writer's own)."""
    project = ProjectFactory()
    claim = ClaimFactory(
        article=ArticleFactory(project=project, published=dt.datetime(2024, 5, 3, tzinfo=dt.UTC)),
        source=SourceFactory(project=project),
    )
    target = TargetFactory(project=project)

    def other_session() -> None:
        try:
            ClaimStance.objects.create(claim=claim, target=target, stance="favor")
        finally:
            connection.close()

    with transaction.atomic(), db_bulk.bulk_inserts(), ThreadPoolExecutor(1) as pool:
        pool.submit(other_session).result()
    # all time, year and month, the annotator's and all annotators' (0028)
    assert NetworkCount.objects.filter(target=target, n=1).count() == 6
    assert kept() == recounted()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_postgres_bulk_mode_leaves_another_sessions_claims_counted() -> None:
    """While one transaction is in bulk mode (its own claims waiting), a claim another
    session writes is in the overview counts and bumps its project's version at once; the
    bulk writer's claims are counted at its block's end."""
    project = ProjectFactory()
    article = ArticleFactory(project=project)
    source = SourceFactory(project=project)
    annotator = UserFactory()
    seen: dict[str, Any] = {}

    def other_session() -> None:
        try:
            before = _version(project)
            ClaimFactory(article=article, annotator=annotator, source=None)
            seen["version"] = _version(project) - before
        finally:
            connection.close()

    with transaction.atomic(), db_bulk.bulk_inserts(), ThreadPoolExecutor(1) as pool:
        ClaimFactory(article=article, annotator=annotator, source=source)  # waits
        pool.submit(other_session).result()
        # The other session's claim is counted (committed), this one's not yet.
        assert (
            OverviewCount.objects.get(article=article, layer=annotator.pk, total=1).unsourced == 1
        )
        assert OverviewCount.objects.get(article=article, layer=annotator.pk, total=1).n == 1
    assert seen["version"] == 1
    row = OverviewCount.objects.get(article=article, layer=annotator.pk, total=1)
    assert (row.n, row.unsourced) == (2, 1)
    assert overview_kept() == overview_recounted()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's bulk mode")
def test_postgres_bulk_mode_without_the_claims_table_counts_claims_at_once() -> None:
    """Code from before the claims waited (a rolling deploy) turns bulk mode on with the
    stances' table alone: its claims are counted and versioned by the triggers at once, not
    lost (nor an error for a missing table)."""
    project = ProjectFactory()
    article = ArticleFactory(project=project)
    annotator = UserFactory()
    stances = db_triggers.PG_BULK_STANCES.removeprefix("pg_temp.")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {stances} ON COMMIT DROP AS "
                "SELECT claim_id, target_id, stance FROM annotate_claimstance WITH NO DATA"
            )
            cursor.execute("SELECT set_config(%s, 'on', true)", [db_triggers.PG_BULK_SETTING])
        before = _version(project)
        ClaimFactory(article=article, annotator=annotator, source=None)
        assert _version(project) == before + 1
        row = OverviewCount.objects.get(article=article, layer=annotator.pk, total=1)
        assert (row.n, row.unsourced) == (1, 1)
        assert overview_kept() == overview_recounted()


def _cache_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return int(cursor.fetchone()[0])


def test_sqlite_bulk_mode_widens_the_page_cache_for_its_block_only() -> None:
    """The connection's page cache is ``PAGE_CACHE_KB`` inside the block (issue 21: the
    claims' index pages stay cached while the rows stream through) and its own size
    again after it, whether the block ended or failed."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's page cache")
    before = _cache_size()
    assert before != -db_bulk.PAGE_CACHE_KB
    with db_bulk.bulk_inserts():
        assert _cache_size() == -db_bulk.PAGE_CACHE_KB
        with db_bulk.bulk_inserts():  # a block inside just runs
            assert _cache_size() == -db_bulk.PAGE_CACHE_KB
    assert _cache_size() == before
    with pytest.raises(RuntimeError), db_bulk.bulk_inserts():
        raise RuntimeError("a failed block")
    assert _cache_size() == before
    project, data, n = _project()
    report = import_annotations(project=project, annotator=_member(project), data=data, fmt="jsonl")
    assert report.written and report.created == n
    assert _cache_size() == before


def test_sqlite_bulk_mode_does_its_end_step_at_the_connections_own_cache_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The end step (search entries, counts) runs once the cache is set back: the wider
    cache is for the inserts' index pages, and its pages (and the GROUP BYs' sorters, sized
    by it) were part of the worker's peak memory (issue 21, bulk30)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's page cache")
    before = _cache_size()
    seen: list[int] = []
    maintain = db_bulk._maintain

    def watched(*args: Any) -> None:
        seen.append(_cache_size())
        maintain(*args)

    monkeypatch.setattr(db_bulk, "_maintain", watched)
    project, data, n = _project()
    report = import_annotations(project=project, annotator=_member(project), data=data, fmt="jsonl")
    assert report.written and report.created == n
    assert seen == [before]
    assert kept() == recounted()
    assert overview_kept() == overview_recounted()


def test_sqlite_bulk_mode_reads_the_new_claims_by_rowid_for_their_overview_counts() -> None:
    """The end step's overview upsert reads the claims above the noted id by rowid: through
    ``claim_live_article`` (the GROUP BY's order) SQLite read every live claim of the
    database for the few an import added (issue 21, bulk30)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's query plan")
    from annotate import db_overview_counts

    project, data, _ = _project()
    import_annotations(project=project, annotator=_member(project), data=data, fmt="jsonl")
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN QUERY PLAN " + db_overview_counts.add_counts_sql("c.id > %s", indexed=False),
            [1],
        )
        plan = " / ".join(str(row[-1]) for row in cursor.fetchall())
    assert "SEARCH c USING INTEGER PRIMARY KEY (rowid>?)" in plan, plan
    assert "claim_live_article" not in plan, plan
