"""Importing Label Studio JSON and doccano JSONL exports: offsets in UTF-16 units or code
points converted (emoji and a flag before the spans), the span's text checked, a mapping
of labels, relations to source mentions, a bad entry among good ones, as claims or as
suggestions, and the same import path as the other formats (command, page, API)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotate.exchange.importing import BratOptions, import_annotations
from annotate.exchange.importing_brat import mapping_from_text
from annotate.exchange.importing_files import guess_format
from annotate.exchange.importing_suggestions import import_suggestions
from annotate.exchange.importing_tools import locate, utf16_positions
from annotate.models import Claim, Suggestion
from corpus.models import Article
from tests.annotate.exchange.importing_world import ImportWorld, build_world

# 😀 is one code point and two UTF-16 units; 🇹🇷 two code points and four units.
TEXT = (
    "😀🇹🇷 Яна Орехова said: “Türkiye’s influence in Central Asia is growing fast.”\n"
    "İhsan Şener disagreed, calling it wishful thinking.\n"
)
SECOND = "Ayşe Yılmaz 🙂 said the CSTO is weaker now than it was."
CLAIM = "Türkiye’s influence in Central Asia is growing fast."
SPEAKER = "Яна Орехова"


def cp(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


def u16(text: str, words: str) -> tuple[int, int]:
    start, end = cp(text, words)
    return (len(text[:start].encode("utf-16-le")) // 2, len(text[:end].encode("utf-16-le")) // 2)


def region(rid: str, text: str, words: str, label: str, *, utf16: bool = True) -> dict[str, Any]:
    start, end = (u16 if utf16 else cp)(text, words)
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "text": words, "labels": [label]},
    }


def task(tid: int, text: str, results: list[dict[str, Any]], key: str = "annotations") -> Any:
    return {"id": tid, "data": {"text": text}, key: [{"id": 1, "result": results}]}


def ls_tasks(key: str = "annotations") -> list[dict[str, Any]]:
    return [
        # An export of Label Studio that counted UTF-16 units (JavaScript string indices).
        task(
            11,
            TEXT,
            [
                region("c1", TEXT, CLAIM, "Claim"),
                region("s1", TEXT, SPEAKER, "Source"),
                {"type": "relation", "from_id": "s1", "to_id": "c1", "labels": []},
                {
                    "id": "c1",
                    "type": "choices",
                    "from_name": "attribution",
                    "to_name": "text",
                    "value": {"choices": ["direct"]},
                },
                region("x1", TEXT, "Central Asia", "Place"),
            ],
            key,
        ),
        # One that counts code points.
        task(
            12,
            SECOND,
            [
                region("c2", SECOND, "the CSTO is weaker now than it was", "Claim", utf16=False),
                region("s2", SECOND, "Ayşe Yılmaz", "Source", utf16=False),
                {"type": "relation", "from_id": "c2", "to_id": "s2"},
            ],
            key,
        ),
    ]


def ls_file(tasks: list[dict[str, Any]] | None = None) -> bytes:
    return json.dumps(tasks if tasks is not None else ls_tasks(), ensure_ascii=False).encode()


@pytest.fixture
def world(db: Any) -> ImportWorld:
    world = build_world()
    for spec in world.project.scheme["fields"].values():
        spec["required"] = False
    world.project.save(update_fields=["scheme"])
    return world


def claims(user: Any) -> list[tuple[str, str | None, str, int | None]]:
    return sorted(
        (c.quote, c.source.name if c.source else None, c.attribution, c.mention_start)
        for c in Claim.objects.live().filter(annotator=user)
    )


CREATE = BratOptions(create_articles=True)
CREATE_SOURCES = BratOptions(
    mapping=mapping_from_text(
        json.dumps({"claim": ["Claim"], "source_mention": ["Source"], "unknown_sources": "create"})
    ),
    create_articles=True,
)


# --- Offsets --------------------------------------------------------------------------


def test_utf16_offsets_differ_from_code_points_after_an_emoji() -> None:
    assert cp(TEXT, CLAIM) == (23, 75)
    assert u16(TEXT, CLAIM) == (26, 78)  # 😀 and the two halves of 🇹🇷: three more units
    units = utf16_positions(TEXT)
    assert units is not None and units[26] == 23 and units[1] == -1  # inside 😀
    assert utf16_positions("plain text") is None


def test_locate_takes_the_count_whose_text_matches() -> None:
    assert locate(TEXT, 26, 78, CLAIM, "auto", utf16_positions(TEXT)) == (23, 75)
    assert locate(TEXT, 23, 75, CLAIM, "auto", utf16_positions(TEXT)) == (23, 75)
    assert locate(TEXT, 23, 75, None, "utf16", utf16_positions(TEXT)) == (20, 72)
    split = locate(TEXT, 1, 5, None, "utf16", utf16_positions(TEXT))
    assert isinstance(split, str) and "splits a character" in split
    wrong = locate(TEXT, 26, 78, "something else", "auto", utf16_positions(TEXT))
    assert isinstance(wrong, str) and "not “something else”" in wrong
    assert "whole numbers" in str(locate(TEXT, "1", 5, None, "auto", None))


# --- Label Studio ---------------------------------------------------------------------


def test_label_studio_tasks_become_claims_with_sources_and_labels(world: ImportWorld) -> None:
    world.project.sources.create(name="Ayşe Yılmaz", name_key="ayse yilmaz")
    report = import_annotations(
        project=world.project,
        annotator=world.annotator,
        data=ls_file(),
        fmt="label-studio",
        brat=CREATE,
    )
    assert report.ok and report.written, report.rejected
    assert (report.created, report.articles_created) == (2, 2)
    assert "Place" in report.warnings[0]  # labels the mapping leaves out are named
    assert claims(world.annotator) == [
        (CLAIM, SPEAKER, "direct", 4),
        ("the CSTO is weaker now than it was", "Ayşe Yılmaz", "", 0),
    ]
    article = Article.objects.get(project=world.project, text=TEXT.strip())
    claim = Claim.objects.get(article=article)
    assert article.text[claim.start : claim.end] == CLAIM
    assert (claim.start, claim.end) == (23, 75)  # code points, from UTF-16 units
    again = import_annotations(
        project=world.project,
        annotator=world.annotator,
        data=ls_file(),
        fmt="label-studio",
        brat=CREATE,
    )
    assert (again.created, again.skipped, again.articles_created) == (0, 2, 0)


def test_a_bad_label_studio_result_among_good_ones_writes_nothing(world: ImportWorld) -> None:
    tasks = ls_tasks()
    bad = region("c3", TEXT, "İhsan Şener disagreed", "Claim")
    bad["value"]["text"] = "what the text doesn't say"
    tasks[0]["annotations"][0]["result"].append(bad)
    tasks.append("not a task")  # type: ignore[arg-type]
    tasks.append({"id": 14, "data": {"body": TEXT}, "annotations": []})
    world.project.sources.create(name="Ayşe Yılmaz", name_key="ayse yilmaz")
    report = import_annotations(
        project=world.project,
        annotator=world.annotator,
        data=ls_file(tasks),
        fmt="label-studio",
        brat=CREATE,
    )
    assert not report.written
    where = {r.where: " ".join(r.reasons) for r in report.rejected}
    assert set(where) == {"task 1 (id 11), result 6 (c3)", "task 3", "task 4 (id 14)"}
    assert "not “what the text doesn't say”" in where["task 1 (id 11), result 6 (c3)"]
    assert "a task must be a JSON object" in where["task 3"]
    assert "no text in data.text" in where["task 4 (id 14)"]
    assert not Claim.objects.filter(annotator=world.annotator).exists()
    assert not Article.objects.filter(text=TEXT.strip()).exists()  # rolled back
    kept = import_annotations(
        project=world.project,
        annotator=world.annotator,
        data=ls_file(tasks),
        fmt="label-studio",
        brat=CREATE,
        partial=True,
    )
    assert kept.written and kept.created == 2


def test_label_studio_predictions_import_as_suggestions_with_new_speakers(
    world: ImportWorld,
) -> None:
    mapping = mapping_from_text(
        json.dumps(
            {"claim": ["Claim"], "source_mention": ["Source"], "results_from": "predictions"}
        )
    )
    report = import_suggestions(
        project=world.project,
        suggester="ls-model/1",
        data=ls_file(ls_tasks("predictions")),
        fmt="label-studio",
        brat=BratOptions(mapping=mapping, create_articles=True),
    )
    assert report.written and report.created == 2, report.rejected
    made = {s.quote: (s.source, s.new_source_name) for s in Suggestion.objects.all()}
    assert made[CLAIM][0] == world.sources["orekhova"]
    assert made["the CSTO is weaker now than it was"] == (None, "Ayşe Yılmaz")


def test_label_studio_prediction_scores_become_the_suggestions_scores(
    world: ImportWorld,
) -> None:
    mapping = mapping_from_text(
        json.dumps(
            {"claim": ["Claim"], "source_mention": ["Source"], "results_from": "predictions"}
        )
    )
    tasks = ls_tasks("predictions")
    tasks[0]["predictions"][0]["result"][0]["score"] = 0.83  # the region's own score
    tasks[1]["predictions"][0]["score"] = 0.41  # the prediction's, for all its regions

    def run(data: list[dict[str, Any]], name: str) -> Any:
        return import_suggestions(
            project=world.project,
            suggester=name,
            data=ls_file(data),
            fmt="label-studio",
            brat=BratOptions(mapping=mapping, create_articles=True),
        )

    report = run(tasks, "ls-model/1")
    assert report.written and report.created == 2, report.rejected
    scores = {s.quote: s.score for s in Suggestion.objects.filter(suggester="ls-model/1")}
    assert scores == {CLAIM: 0.83, "the CSTO is weaker now than it was": 0.41}
    # A score that is not a number is that entry's error, and nothing is written.
    tasks[1]["predictions"][0]["score"] = "high"
    report = run(tasks, "ls-model/2")
    assert not report.written
    assert any("score must be a number" in str(r) for r in report.rejected), report.rejected
    assert not Suggestion.objects.filter(suggester="ls-model/2").exists()


# --- doccano --------------------------------------------------------------------------


def doccano_lines(*records: Any) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def test_doccano_sequence_labels_and_entities_with_relations(world: ImportWorld) -> None:
    old = {"text": TEXT, "label": [[*cp(TEXT, CLAIM), "Claim"], [*cp(TEXT, SPEAKER), "Source"]]}
    a, b = cp(SECOND, "the CSTO is weaker now than it was")
    assert (a, b) != u16(SECOND, "the CSTO is weaker now than it was")  # after 🙂
    new = {
        "id": 7,
        "text": SECOND,
        "entities": [
            {"id": 1, "label": "Claim", "start_offset": a, "end_offset": b},
            {"id": 2, "label": "Source", "start_offset": 0, "end_offset": 11},
        ],
        "relations": [{"id": 1, "from_id": 1, "to_id": 2, "type": "said"}],
    }
    report = import_annotations(
        project=world.project,
        annotator=world.annotator,
        data=doccano_lines(old, new),
        fmt="doccano",
        brat=CREATE_SOURCES,
        actor=world.manager,
    )
    assert report.written, report.rejected
    # A text-only line: no relation joins the claim to its speaker (the old shape has none).
    assert claims(world.annotator) == [
        (CLAIM, None, "", None),
        ("the CSTO is weaker now than it was", "Ayşe Yılmaz", "", 0),
    ]
    assert report.sources_created == 1


def test_doccano_utf16_offsets_by_the_mapping_and_a_bad_line(world: ImportWorld) -> None:
    mapping = mapping_from_text(json.dumps({"claim": ["Claim"], "offsets": "utf16"}))
    lines = (
        doccano_lines(
            {"text": TEXT, "label": [[*u16(TEXT, CLAIM), "Claim"]]},
            {"text": TEXT, "label": [[1, 5, "Claim"], [0, 900, "Claim"]]},
            {"text": TEXT, "label": ["Politics"]},
        )
        + b"{not json\n"
    )
    report = import_annotations(
        project=world.project,
        annotator=world.annotator,
        data=lines,
        fmt="doccano",
        brat=BratOptions(mapping=mapping, create_articles=True),
    )
    where = {r.where: " ".join(r.reasons) for r in report.rejected}
    assert set(where) == {"line 2, label 1", "line 2, label 2", "line 3, label 1", "line 4"}
    assert "splits a character" in where["line 2, label 1"]
    assert "not inside the text" in where["line 2, label 2"]
    assert "text classification" in where["line 3, label 1"]
    assert "not valid JSON" in where["line 4"]
    assert not report.written and not Claim.objects.exists()
    kept = import_annotations(
        project=world.project,
        annotator=world.annotator,
        data=lines,
        fmt="doccano",
        brat=BratOptions(mapping=mapping, create_articles=True),
        partial=True,
    )
    assert kept.written and claims(world.annotator) == [(CLAIM, None, "", None)]


def test_formats_are_guessed_from_the_content() -> None:
    assert guess_format("export.json", ls_file().decode()) == "label-studio"
    doccano = doccano_lines({"text": "a b", "label": []}).decode()
    assert guess_format("export.jsonl", doccano) == "doccano"
    assert guess_format("admin.jsonl", doccano) == "doccano"
    assert guess_format("ours.jsonl", '{"sha256": "x", "claims": []}\n') == "jsonl"
    assert guess_format("ours.json", '[{"type": "Annotation"}]') == "w3c"


def test_a_bad_mapping_key_is_refused() -> None:
    with pytest.raises(Exception, match="offsets"):
        mapping_from_text(json.dumps({"claim": ["Claim"], "offsets": "bytes"}))


# --- The same path as the other formats ---------------------------------------------------


def test_the_command_imports_a_label_studio_export_with_a_mapping(
    world: ImportWorld, tmp_path: Path
) -> None:
    (tmp_path / "export.json").write_bytes(ls_file())
    (tmp_path / "mapping.toml").write_text(
        'claim = ["Claim"]\nsource_mention = ["Source"]\nunknown_sources = "mention_only"\n'
    )
    out = io.StringIO()
    call_command(
        "import_annotations",
        str(tmp_path / "export.json"),
        "--project",
        world.project.slug,
        "--annotator",
        "anna",
        "--mapping",
        str(tmp_path / "mapping.toml"),
        "--create-articles",
        stdout=out,
    )
    assert "Imported 2 claims as anna" in out.getvalue()
    assert ("the CSTO is weaker now than it was", None, "", 0) in claims(world.annotator)


def test_the_api_imports_a_doccano_file_with_a_mapping_in_the_body(
    world: ImportWorld, client: Any
) -> None:
    client.force_login(world.manager)
    content = doccano_lines({"text": TEXT, "label": [[*cp(TEXT, CLAIM), "Statement"]]}).decode()
    response = client.post(
        reverse("api:project-import", args=[world.project.slug]),
        {
            "content": content,
            "filename": "doccano.jsonl",
            "annotator": "anna",
            "mapping": {"claim": ["Statement"]},
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["format"], body["created"], body["articles_created"]) == ("doccano", 1, 1)
    bad = client.post(
        reverse("api:project-import", args=[world.project.slug]),
        {"content": content, "annotator": "anna", "mapping": {"claim": 3}},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "mapping" in bad.json()["errors"]


def test_the_page_previews_a_label_studio_file_with_an_uploaded_mapping(
    world: ImportWorld, client: Any
) -> None:
    client.force_login(world.curator)
    upload = io.BytesIO(ls_file())
    upload.name = "export.json"
    mapping = io.BytesIO(json.dumps({"claim": ["Claim"], "source_mention": ["Source"]}).encode())
    mapping.name = "mapping.json"
    response = client.post(
        reverse("annotate:import", args=[world.project.slug]),
        {
            "file": upload,
            "mapping": mapping,
            "target": "suggestions",
            "format": "auto",
            "suggester": "",
            "dry_run": "1",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    # A curator creates no articles: the texts the project lacks are reported per task.
    assert "no article of this project has the text of task 1 (id 11)" in page
    assert not Suggestion.objects.exists()
