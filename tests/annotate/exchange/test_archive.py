"""Archive → restore into an empty instance → archive gives the same content."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from annotate.exchange import restoring
from annotate.models import (
    Assignment,
    ChainLink,
    Claim,
    ClaimStance,
    Decision,
    DecisionOrigin,
    History,
    Source,
    SourceAlias,
    Suggestion,
    Target,
)
from corpus.models import Article, Membership, Project
from tests.annotate.exchange.conftest import Corpus
from tests.annotate.exchange.helpers import export_bytes


def members(data: bytes) -> dict[str, Any]:
    """The archive's members, parsed; the manifest without its time."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        out: dict[str, Any] = {}
        for name in zf.namelist():
            raw = zf.read(name).decode()
            out[name] = [json.loads(line) for line in raw.splitlines()]
        out["manifest.json"][0].pop("exported_at")
        return out


def empty_instance(users_too: bool = False) -> None:
    """Delete every row the project owns, dependants first."""
    History.objects.all().delete()
    DecisionOrigin.objects.all().delete()
    Decision.objects.all().delete()
    ClaimStance.objects.all().delete()
    ChainLink.objects.all().delete()
    Claim.objects.all().delete()
    Assignment.objects.all().delete()
    SourceAlias.objects.all().delete()
    Source.objects.all().delete()
    Target.objects.all().delete()
    Article.objects.all().delete()
    Membership.objects.all().delete()
    Project.objects.all().delete()
    if users_too:
        User.objects.all().delete()


def test_archive_holds_every_table(corpus: Corpus) -> None:
    content = members(export_bytes("archive", corpus.project))
    assert list(content) == [
        "manifest.json",
        "project.json",
        "articles.jsonl",
        "sources.jsonl",
        "targets.jsonl",
        "assignments.jsonl",
        "claims.jsonl",
        "decisions.jsonl",
        "history.jsonl",
        "source_merges.jsonl",
    ]
    assert content["manifest.json"][0]["archive_version"] == 2
    project = content["project.json"][0]
    assert project["scheme"]["version"] == 1
    assert {u["username"] for u in project["users"]} == {"mira", "cora", "anna", "boris"}
    assert "password" not in json.dumps(project["users"])
    claims = content["claims.jsonl"]
    assert len(claims) == 11  # 7 live + 1 deleted annotator claims, 3 gold
    assert sum(c["deleted_at"] is not None for c in claims) == 1
    assert {c["annotator"] for c in claims} == {"anna", "boris", None}
    decisions = content["decisions.jsonl"]
    assert sorted(d["action"] for d in decisions) == ["accept", "accept", "merge", "reject"]
    assert all(d["curator"] == "cora" for d in decisions)
    assert len(content["history.jsonl"]) == History.objects.count()


@pytest.mark.parametrize("users_too", [False, True])
def test_archive_restore_archive_is_identical(
    corpus: Corpus, tmp_path: Path, users_too: bool
) -> None:
    first = export_bytes("archive", corpus.project)
    empty_instance(users_too=users_too)
    path = tmp_path / "backup.zip"
    path.write_bytes(first)
    out = io.StringIO()
    call_command("restore_project", str(path), stdout=out)
    assert "Restored “Turkic world” (turkic)" in out.getvalue()
    if users_too:
        assert "inactive" in out.getvalue()
        restored = User.objects.get(username="anna")
        assert not restored.is_active and not restored.has_usable_password()
    project = Project.objects.get(slug="turkic")
    second = export_bytes("archive", project)
    assert members(second) == members(first)
    # Exports of the restored project match too (ids are kept), apart from their time.
    assert Claim.objects.get(pk=corpus.gold[0].pk).quote == corpus.gold[0].quote


def _chained(corpus: Corpus) -> Claim:
    """Two carriers, one named in the text, on an annotator's claim."""
    claim = Claim.objects.filter(annotator__isnull=False, deleted_at__isnull=True).order_by("id")[0]
    text = claim.article.text
    at = text.index("Akıncı")
    ChainLink.objects.create(
        claim=claim,
        position=1,
        source=corpus.sources["akinci"],
        mention_start=at,
        mention_end=at + len("Akıncı"),
        reliability="C",
    )
    paper = Source.objects.create(project=corpus.project, name="Paper", name_key="paper")
    ChainLink.objects.create(claim=claim, position=2, source=paper, reliability="E")
    return claim


def test_chains_go_through_archive_and_restore(corpus: Corpus) -> None:
    claim = _chained(corpus)
    first = export_bytes("archive", corpus.project)
    records = {c["id"]: c for c in members(first)["claims.jsonl"]}
    assert [(k["position"], k["reliability"]) for k in records[claim.pk]["chain"]] == [
        (1, "C"),
        (2, "E"),
    ]
    assert all(c["chain"] == [] for pk, c in records.items() if pk != claim.pk)
    before = list(ChainLink.objects.order_by("id").values())
    empty_instance()
    result = restoring.restore(io.BytesIO(first))
    assert result.counts["chain_links"] == 2
    assert list(ChainLink.objects.order_by("id").values()) == before
    assert members(export_bytes("archive", result.project)) == members(first)


def test_an_archive_without_chains_still_restores(corpus: Corpus) -> None:
    """Archives written before chains existed have no ``chain`` key in their claims."""
    data = export_bytes("archive", corpus.project)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w") as new:
        for name in old.namelist():
            raw = old.read(name)
            if name == "claims.jsonl":
                lines = [json.loads(line) for line in raw.decode().splitlines()]
                for line in lines:
                    del line["chain"]
                raw = "".join(json.dumps(line) + "\n" for line in lines).encode()
            new.writestr(name, raw)
    empty_instance()
    result = restoring.restore(io.BytesIO(out.getvalue()))
    assert result.counts["claims"] == 11 and result.counts["chain_links"] == 0


def test_a_chain_naming_a_source_the_archive_lacks_is_refused(corpus: Corpus) -> None:
    _chained(corpus)
    data = export_bytes("archive", corpus.project)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w") as new:
        for name in old.namelist():
            raw = old.read(name)
            if name == "claims.jsonl":
                at = b'"reliability": "E", "source": '
                raw = raw.replace(at, at + b"99")
            new.writestr(name, raw)
    empty_instance()
    with pytest.raises(ValidationError, match="chain 2, source"):
        restoring.restore(io.BytesIO(out.getvalue()))
    assert not Project.objects.exists()


def test_restored_project_takes_new_rows_without_id_clashes(corpus: Corpus) -> None:
    data = export_bytes("archive", corpus.project)
    empty_instance()
    project = restoring.restore(io.BytesIO(data)).project
    source = Source.objects.create(project=project, name="New", name_key="new")
    assert source.pk > max(corpus.sources[k].pk for k in corpus.sources)


def test_restore_reports_progress_row_by_chunk(corpus: Corpus) -> None:
    data = export_bytes("archive", corpus.project)
    empty_instance()
    written: list[int] = []
    result = restoring.restore(io.BytesIO(data), on_rows=written.append)
    assert written and all(n > 0 for n in written)
    assert sum(written) == sum(result.counts.values())


def test_restore_refuses_a_taken_slug_or_ids_and_writes_nothing(corpus: Corpus) -> None:
    data = export_bytes("archive", corpus.project)
    claims = Claim.objects.count()
    with pytest.raises(Exception, match="already exists"):
        restoring.restore(io.BytesIO(data))
    with pytest.raises(Exception, match="empty instance"):
        restoring.restore(io.BytesIO(data), slug="copy")
    assert Claim.objects.count() == claims
    assert not Project.objects.filter(slug="copy").exists()


def test_restore_rejects_files_that_are_not_archives(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "x.zip"
    path.write_bytes(b"not a zip")
    with pytest.raises(CommandError, match="Not a zip archive"):
        call_command("restore_project", str(path))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("manifest.json", '{"format": "other"}')
    path.write_bytes(buffer.getvalue())
    with pytest.raises(CommandError, match="not a Claimdesk project archive"):
        call_command("restore_project", str(path))
    assert not Project.objects.exists()


def test_restore_of_a_broken_archive_writes_nothing(corpus: Corpus) -> None:
    data = export_bytes("archive", corpus.project)
    empty_instance()
    source = zipfile.ZipFile(io.BytesIO(data))
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as zf:
        for name in source.namelist():
            raw = source.read(name)
            if name == "history.jsonl":
                raw += b"{broken\n"
            zf.writestr(name, raw)
    with pytest.raises(Exception, match="history.jsonl, line"):
        restoring.restore(io.BytesIO(broken.getvalue()))
    assert not Project.objects.exists() and not Claim.objects.exists()


def test_a_proposed_source_keeps_its_status_and_proposer(corpus: Corpus) -> None:
    anna = User.objects.get(username="anna")
    source = next(iter(corpus.sources.values()))
    Source.objects.filter(pk=source.pk).update(status="proposed", proposed_by=anna)
    data = export_bytes("archive", corpus.project)
    archived = {s["id"]: s for s in members(data)["sources.jsonl"]}
    assert (archived[source.pk]["status"], archived[source.pk]["proposed_by"]) == (
        "proposed",
        "anna",
    )
    assert {s["status"] for k, s in archived.items() if k != source.pk} == {"confirmed"}

    empty_instance()
    restoring.restore(io.BytesIO(data))
    restored = Source.objects.get(pk=source.pk)
    assert (restored.status, restored.proposed_by) == ("proposed", anna)


def _merged(corpus: Corpus) -> tuple[Any, int, int]:
    """A proposed source that a second annotator joined, merged into another by the
    curator: (the merge record, the merged source's id, a claim it moved)."""
    from annotate.sources.services import source_join, source_merge_recorded
    from tests.factories import make_claim

    anna, boris = User.objects.get(username="anna"), User.objects.get(username="boris")
    cora = User.objects.get(username="cora")
    keep = next(iter(corpus.sources.values()))
    proposed = Source.objects.create(
        project=corpus.project,
        name="Zhanna Nemtsova",
        name_key="zhanna nemtsova",
        status="proposed",
        proposed_by=anna,
    )
    source_join(source=proposed, user=boris)
    article = Article.objects.filter(project=corpus.project).order_by("pk").first()
    assert article is not None
    claim = make_claim(article, anna, article.text[:12], source=proposed, note="to move")
    Suggestion.objects.create(
        article=article,
        start=0,
        end=12,
        quote=article.text[:12],
        suggester="rules/1",
        source=proposed,
    )
    record = source_merge_recorded(keep=keep, merge=proposed, actor=cora)
    return record, record.merged_id, claim.pk


def test_merge_records_and_joins_go_through_archive_and_restore(corpus: Corpus) -> None:
    from annotate.models import SourceJoin, SourceMerge
    from annotate.sources.services import source_split

    record, merged_id, claim_id = _merged(corpus)
    data = export_bytes("archive", corpus.project)
    [archived] = members(data)["source_merges.jsonl"]
    assert (archived["actor"], archived["merged"]["proposed_by"]) == ("cora", "anna")
    assert archived["merged"]["joined"] == archived["merged"]["joins_copied"] == ["boris"]
    article_id = Claim.objects.get(pk=claim_id).article_id
    assert archived["moved"] == {
        "annotate.claim:source": [claim_id],
        "annotate.suggestion:source": [[article_id, 0, 12, "rules/1"]],
    }
    assert "split_by_id" not in archived and "kept_id" not in archived

    empty_instance()
    result = restoring.restore(io.BytesIO(data))
    assert result.counts["source_merges"] == 1
    restored = SourceMerge.objects.get(pk=record.pk)
    anna, boris = User.objects.get(username="anna"), User.objects.get(username="boris")
    assert (restored.kept_id, restored.merged_id) == (record.kept_id, merged_id)
    assert restored.merged["proposed_by"] == anna.pk and restored.merged["joined"] == [boris.pk]
    assert restored.actor is not None and restored.actor.username == "cora"
    assert restored.merged["joins_copied"] == [boris.pk]
    # The archive holds no suggestions: a refresh after the restore makes them again,
    # the merged name (an alias of the kept source now) naming the kept source.
    article = Article.objects.get(pk=article_id)
    made_again = Suggestion.objects.create(
        article=article,
        start=0,
        end=12,
        quote=article.text[:12],
        suggester="rules/1",
        source_id=record.kept_id,
    )
    # A manager splits it back in the restored project: the source, its proposer, its
    # joiner, its claim and its suggestion come back; boris's copied join leaves the kept one.
    back = source_split(record=restored, actor=None)
    assert (back.pk, back.status, back.proposed_by) == (merged_id, "proposed", anna)
    assert list(SourceJoin.objects.filter(source=back).values_list("user", flat=True)) == [boris.pk]
    assert not SourceJoin.objects.filter(source_id=record.kept_id).exists()
    assert Claim.objects.get(pk=claim_id).source_id == merged_id
    made_again.refresh_from_db()
    assert made_again.source_id == merged_id
    # Archived again, the restored project gives the same records (the split now in).
    again = members(export_bytes("archive", Project.objects.get()))
    assert again["source_merges.jsonl"][0]["split_at"] is not None


def _rewritten(data: bytes, change: Any, drop: str = "") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w") as new:
        for name in old.namelist():
            if name == drop:
                continue
            new.writestr(name, change(name, old.read(name)))
    return out.getvalue()


def test_a_version_1_archive_without_merges_still_restores(corpus: Corpus) -> None:
    _merged(corpus)

    def to_v1(name: str, raw: bytes) -> bytes:
        if name == "manifest.json":
            info = json.loads(raw)
            info["archive_version"] = 1
            info["members"].remove("source_merges.jsonl")
            return json.dumps(info).encode()
        if name == "sources.jsonl":
            lines = [json.loads(line) for line in raw.decode().splitlines()]
            for line in lines:
                del line["joins"]
            return "".join(json.dumps(line) + "\n" for line in lines).encode()
        return raw

    data = _rewritten(export_bytes("archive", corpus.project), to_v1, "source_merges.jsonl")
    empty_instance()
    result = restoring.restore(io.BytesIO(data))
    assert result.counts["source_merges"] == 0 and result.counts["claims"] == 12


@pytest.mark.parametrize(
    "moved",
    [
        {"auth.user:is_superuser": [1]},
        {"annotate.claim:source": [987654]},
        {"annotate.claim:source": "1"},
        {"annotate.suggestion:source": [[987654, 0, 4, "rules/1"]]},
        {"annotate.suggestion:source": [[None, 0, 4, "rules/1"]]},
        {"annotate.suggestion:source": [3]},
        {"annotate.suggestion:source": "x"},
        {"annotate.suggestion:source": [[1, 0, 4, "x" * 101]]},
        {"annotate.suggestion:source": [[1, 5, 2, "rules/1"]]},
    ],
)
def test_a_merge_record_may_move_only_the_archives_claims(corpus: Corpus, moved: Any) -> None:
    _merged(corpus)

    def hostile(name: str, raw: bytes) -> bytes:
        if name != "source_merges.jsonl":
            return raw
        record = json.loads(raw)
        record["moved"] = moved
        return (json.dumps(record) + "\n").encode()

    data = _rewritten(export_bytes("archive", corpus.project), hostile)
    empty_instance()
    with pytest.raises(ValidationError, match="source_merges.jsonl, line 1, moved"):
        restoring.restore(io.BytesIO(data))
    assert not Project.objects.exists()


@pytest.mark.parametrize("key", ["proposed_by", "joins_copied"])
def test_a_merge_record_naming_an_unknown_user_is_refused(corpus: Corpus, key: str) -> None:
    _merged(corpus)

    def hostile(name: str, raw: bytes) -> bytes:
        if name != "source_merges.jsonl":
            return raw
        record = json.loads(raw)
        record["merged"][key] = "root" if key == "proposed_by" else ["root"]
        return (json.dumps(record) + "\n").encode()

    data = _rewritten(export_bytes("archive", corpus.project), hostile)
    empty_instance()
    with pytest.raises(ValidationError, match="names a user project.json does not list"):
        restoring.restore(io.BytesIO(data))
    assert not User.objects.filter(username="root").exists()
