"""Importing brat standoff: offsets in code points (emoji and flags before the spans),
Cyrillic and Turkish text, a mapping file, per-line errors among good lines, discontinuous
spans, texts that become articles, and the same import path as JSONL (command, page, API)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from annotate.exchange.importing import BratOptions, import_annotations
from annotate.exchange.importing_brat import (
    BratDocument,
    bundle_zip,
    clean_with_offsets,
    mapping_from_text,
)
from annotate.exchange.importing_suggestions import import_suggestions
from annotate.models import Claim, Source, Suggestion
from corpus.models import Article
from tests.annotate.exchange.importing_world import ImportWorld, build_world

# 😀 is one code point (two UTF-16 units), 🇹🇷 two: brat's offsets count code points.
TEXT = (
    "😀🇹🇷 Яна Орехова said: “Türkiye’s influence in Central Asia is growing fast.”\n"
    "İhsan Şener disagreed, calling it wishful thinking.\n"
)
ANN = (
    "T1\tSpeaker 4 15\tЯна Орехова\n"
    "T2\tStatement 23 75\tTürkiye’s influence in Central Asia is growing fast.\n"
    "T3\tSpeaker 77 88\tİhsan Şener\n"
    "T4\tStatement 100 127\tcalling it wishful thinking\n"
    "T5\tCue 89 98\tdisagreed\n"
    "R1\tSaid Arg1:T2 Arg2:T1\n"
    "E1\tSaying:T5 Speaker:T3 Content:T4\n"
    "A1\tKind T2 Quote\n"
    "A2\tKind E1 Paraphrase\n"
    "#1\tAnnotatorNotes T2\ta note brat keeps\n"
)
MAPPING = {
    "claim": ["Statement"],
    "source_mention": ["Speaker"],
    "links": ["Said", "Saying"],
    "labels": {"Kind": {"field": "attribution", "values": {"Quote": "direct"}}},
}
RENAMED = {"Paraphrase": "reported"}


def mapping(**changes: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(MAPPING))
    out["labels"]["Kind"]["values"].update(RENAMED)
    out.update(changes)
    return out


def bundle(ann: str = ANN, text: str = TEXT, name: str = "news/one", **changes: Any) -> bytes:
    return bundle_zip([BratDocument(name, text, ann)], json.dumps(mapping(**changes)))


@pytest.fixture
def world(db: Any) -> ImportWorld:
    world = build_world()
    # Only the span is required: brat files carry no stances or reliability grades.
    scheme = world.project.scheme
    for spec in scheme["fields"].values():
        spec["required"] = False
    world.project.save(update_fields=["scheme"])
    return world


def claims(user: Any) -> list[tuple[str, str | None, str, int | None]]:
    return sorted(
        (c.quote, c.source.name if c.source else None, c.attribution, c.mention_start)
        for c in Claim.objects.live().filter(annotator=user)
    )


def test_brat_offsets_count_code_points_like_claimdesk() -> None:
    # The literal offsets of ANN, as brat wrote them: Python str indices of the .txt.
    assert TEXT[23:75] == "Türkiye’s influence in Central Asia is growing fast."
    assert len(TEXT.encode("utf-16-le")) // 2 == len(TEXT) + 3  # UTF-16 would be off by 3


def test_a_brat_zip_creates_the_article_and_the_claims_with_sources_and_labels(
    world: ImportWorld,
) -> None:
    report = import_annotations(
        project=world.project,
        annotator=world.annotator,
        data=bundle(),
        fmt="brat",
        brat=BratOptions(create_articles=True),
    )
    assert report.ok and report.written, report.rejected
    assert (report.created, report.articles_created) == (2, 1)
    assert "Cue" in report.warnings[0]  # the types the mapping leaves out are named
    article = Article.objects.get(project=world.project, source_file="news/one.txt")
    assert article.text == TEXT.strip()
    assert claims(world.annotator) == [
        ("Türkiye’s influence in Central Asia is growing fast.", "Яна Орехова", "direct", 4),
        ("calling it wishful thinking", "İhsan Şener", "reported", 77),
    ]
    again = import_annotations(
        project=world.project,
        annotator=world.annotator,
        data=bundle(),
        fmt="brat",
        brat=BratOptions(create_articles=True),
    )
    assert (again.created, again.skipped, again.articles_created) == (0, 2, 0)


def test_a_text_the_project_lacks_is_refused_unless_articles_may_be_created(
    world: ImportWorld,
) -> None:
    report = import_annotations(
        project=world.project, annotator=world.annotator, data=bundle(), fmt="brat"
    )
    assert not report.written and len(report.rejected) == 2
    assert "no article of this project has the text of news/one.txt" in str(report.rejected[0])
    assert not Article.objects.filter(source_file="news/one.txt").exists()


def test_a_bad_line_among_good_ones_is_reported_by_line_and_nothing_is_written(
    world: ImportWorld,
) -> None:
    ann = ANN.replace("T4\tStatement 100 127", "T4\tStatement 100 12x") + (
        "T6\tStatement 23 30\tNot what the text says\n"
    )
    report = import_annotations(
        project=world.project,
        annotator=world.annotator,
        data=bundle(ann),
        fmt="brat",
        brat=BratOptions(create_articles=True),
    )
    assert not report.written
    where = {r.where: " ".join(r.reasons) for r in report.rejected}
    assert set(where) == {"news/one.ann line 4", "news/one.ann line 11 (T6)"}
    assert "expected “TYPE START END" in where["news/one.ann line 4"]
    assert "is “Türkiye”, not “Not what the text says”" in where["news/one.ann line 11 (T6)"]
    assert not Claim.objects.filter(annotator=world.annotator).exists()
    assert not Article.objects.filter(source_file="news/one.txt").exists()  # rolled back
    kept = import_annotations(
        project=world.project,
        annotator=world.annotator,
        data=bundle(ann),
        fmt="brat",
        brat=BratOptions(create_articles=True),
        partial=True,
    )
    assert kept.written and kept.created == 1


def test_a_span_outside_the_text_says_so(world: ImportWorld) -> None:
    ann = "T1\tStatement 100 900\tcalling\n"
    report = import_annotations(
        project=world.project,
        annotator=world.annotator,
        data=bundle(ann),
        fmt="brat",
        brat=BratOptions(create_articles=True),
    )
    assert "not inside the text (129 characters" in str(report.rejected[0])


def test_discontinuous_spans_are_refused_clearly_or_taken_whole(world: ImportWorld) -> None:
    ann = "T1\tStatement 23 30;31 42\tTürkiye influence in\n"
    refused = import_annotations(
        project=world.project,
        annotator=world.annotator,
        data=bundle(ann.replace("Türkiye influence", "Türkiye’ influence")),
        fmt="brat",
        brat=BratOptions(create_articles=True),
    )
    assert "a discontinuous span (23 30;31 42)" in str(refused.rejected[0])
    assert "“hull”" in str(refused.rejected[0])
    text = TEXT
    ann = f"T1\tStatement 23 30;31 42\t{text[23:30]} {text[31:42]}\n"
    hull = import_annotations(
        project=world.project,
        annotator=world.annotator,
        data=bundle(ann, discontinuous="hull"),
        fmt="brat",
        brat=BratOptions(create_articles=True),
    )
    assert hull.written, hull.rejected
    assert [q for q, *_ in claims(world.annotator)] == [text[23:42]]


def test_offsets_follow_the_cleaning_of_the_text(world: ImportWorld) -> None:
    # CRLF, trailing spaces, blank lines and a decomposed "é": offsets of the raw .txt.
    raw = "Cafe\u0301 owners  \r\n\r\n\r\n\r\nYusuf Ak said that prices will rise again soon.\r\n"
    start = raw.index("prices")
    ann = f"T1\tStatement {start} {start + 28}\tprices will rise again soon.\n"
    report = import_annotations(
        project=world.project,
        annotator=world.annotator,
        data=bundle(ann, text=raw),
        fmt="brat",
        brat=BratOptions(create_articles=True),
    )
    assert report.written, report.rejected
    [claim] = Claim.objects.filter(annotator=world.annotator)
    assert claim.quote == "prices will rise again soon."
    assert claim.article.text.startswith("Café owners\n\nYusuf")
    clean, offsets = clean_with_offsets(raw) or ("", [])
    assert clean[offsets[start] : offsets[start + 28]] == "prices will rise again soon."


def test_unknown_sources_refused_created_or_left_as_mentions(world: ImportWorld) -> None:
    text = TEXT.replace("Яна Орехова", "Ян Ковалёв ")  # same length, not in the registry
    ann = "T1\tSpeaker 4 14\tЯн Ковалёв\nT2\tStatement 100 127\tcalling it wishful thinking\n"
    ann += "R1\tSaid Arg1:T2 Arg2:T1\n"
    opts = BratOptions(create_articles=True)
    args = {"project": world.project, "annotator": world.annotator, "fmt": "brat", "brat": opts}
    refused = import_annotations(data=bundle(ann, text=text), **args)
    assert "unknown source “Ян Ковалёв”" in str(refused.rejected[0])
    only = import_annotations(data=bundle(ann, text=text, unknown_sources="mention_only"), **args)
    assert only.written and claims(world.annotator) == [
        ("calling it wishful thinking", None, "", 4)
    ]
    Claim.objects.filter(annotator=world.annotator).delete()
    made = import_annotations(data=bundle(ann, text=text, unknown_sources="create"), **args)
    assert made.written and made.sources_created == 1
    assert Source.objects.get(project=world.project, name="Ян Ковалёв").kind == "person"


def test_brat_as_suggestions_proposes_unknown_speakers_as_new_sources(
    world: ImportWorld,
) -> None:
    text = TEXT.replace("İhsan Şener", "Ayşe Yılmaz")
    ann = ANN.replace("İhsan Şener", "Ayşe Yılmaz")
    report = import_suggestions(
        project=world.project,
        suggester="import:brat",
        data=bundle(ann, text=text),
        fmt="brat",
        brat=BratOptions(create_articles=True),
    )
    assert report.written, report.rejected
    made = sorted((s.quote, s.source_id, s.new_source_name) for s in Suggestion.objects.all())
    assert made == [
        ("Türkiye’s influence in Central Asia is growing fast.", world.sources["orekhova"].pk, ""),
        ("calling it wishful thinking", None, "Ayşe Yılmaz"),
    ]


def test_a_bad_mapping_is_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="“claim”"):
        mapping_from_text("{}", "mapping.json")
    with pytest.raises(ValidationError, match="must name a field"):
        mapping_from_text('claim = ["X"]\n[labels]\nKind = "colour"\n', "mapping.toml")
    toml = mapping_from_text('claim = ["X"]\ndiscontinuous = "hull"\n', "m.toml")
    assert toml.claim == {"X"} and toml.discontinuous == "hull"


def test_not_a_zip_is_refused(world: ImportWorld) -> None:
    with pytest.raises(ValidationError, match=r"\.zip of \.txt and \.ann"):
        import_annotations(
            project=world.project, annotator=world.annotator, data=b"T1\tX 0 1\ta", fmt="brat"
        )


def test_the_command_reads_a_folder_with_a_toml_mapping(world: ImportWorld, tmp_path: Path) -> None:
    folder = tmp_path / "brat"
    folder.mkdir()
    (folder / "one.txt").write_text(TEXT, encoding="utf-8")
    (folder / "one.ann").write_text(ANN, encoding="utf-8")
    (tmp_path / "map.toml").write_text(
        'claim = ["Statement"]\nsource_mention = ["Speaker"]\n', encoding="utf-8"
    )
    out = io.StringIO()
    args = [str(folder), "--project", world.project.slug, "--annotator", "anna"]
    args += ["--mapping", str(tmp_path / "map.toml")]
    with pytest.raises(CommandError, match="rejected"):
        call_command("import_annotations", *args, stdout=out, stderr=io.StringIO())
    call_command("import_annotations", *args, "--create-articles", stdout=out)
    assert "Imported 2 claims as anna" in out.getvalue()
    assert "1 articles created" in out.getvalue()


def test_the_api_imports_a_brat_zip_for_a_manager(world: ImportWorld, client: Any) -> None:
    client.force_login(world.manager)
    upload = io.BytesIO(bundle())
    upload.name = "corpus.zip"
    response = client.post(
        reverse("api:project-import", args=[world.project.slug]),
        {"file": upload, "annotator": "anna", "format": "auto"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["format"], body["created"], body["articles_created"]) == ("brat", 2, 1)


def test_a_curator_imports_brat_suggestions_but_creates_no_articles(
    world: ImportWorld, client: Any
) -> None:
    client.force_login(world.curator)
    upload = io.BytesIO(bundle())
    upload.name = "corpus.zip"
    response = client.post(
        reverse("annotate:import", args=[world.project.slug]),
        {"file": upload, "target": "suggestions", "format": "auto", "suggester": ""},
    )
    assert response.status_code == 200
    assert "no article of this project has the text" in response.content.decode()
    assert not Suggestion.objects.exists()


def test_the_zip_layout_pairs_files_by_name() -> None:
    from annotate.exchange.importing_brat import bundle_from_zip

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a/x.txt", TEXT)
        archive.writestr("a/x.ann", ANN)
        archive.writestr("b/y.ann", ANN)
        archive.writestr("mapping.json", json.dumps(MAPPING))
    found = bundle_from_zip(out.getvalue())
    assert [d.name for d in found.documents] == ["a/x"]
    assert found.problems == [("b/y.ann", "no y.txt beside it")]
    assert found.mapping.links == {"Said", "Saying"}
