"""W3C Web Annotation checked against a JSON Schema of the model; brat read back by a
small standoff reader."""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from typing import Any

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotate.exchange import brat
from annotate.exchange.rows import COLUMNS
from annotate.exchange.sink import ByteSink
from annotate.exchange.w3c import ANNO_CONTEXT, sha256_of_iri, text_iri
from annotate.models import Claim
from tests.annotate.exchange.conftest import Corpus
from tests.annotate.exchange.helpers import export_bytes, texts

# One corpus for the module, each test in a savepoint of its own (conftest.py).
pytestmark = pytest.mark.usefixtures("_module_corpus")


# The parts of the Web Annotation Data Model (https://www.w3.org/TR/annotation-model/)
# that the export uses, as a JSON Schema: written from the model, not copied.
_NONNEG = {"type": "integer", "minimum": 0}
_POSITION = {
    "type": "object",
    "required": ["type", "start", "end"],
    "properties": {"type": {"const": "TextPositionSelector"}, "start": _NONNEG, "end": _NONNEG},
}
_QUOTE = {
    "type": "object",
    "required": ["type", "exact"],
    "properties": {
        "type": {"const": "TextQuoteSelector"},
        "exact": {"type": "string", "minLength": 1},
        "prefix": {"type": "string"},
        "suffix": {"type": "string"},
    },
}
_SPECIFIC = {
    "type": "object",
    "required": ["type", "source", "selector"],
    "properties": {
        "type": {"const": "SpecificResource"},
        "source": {"type": "string", "format": "uri"},
        "scope": {"type": "string"},
        "purpose": {"type": "string"},
        "selector": {
            "type": "array",
            "minItems": 2,
            "prefixItems": [_POSITION, _QUOTE],
        },
    },
}
_MOTIVATIONS = [
    "assessing",
    "bookmarking",
    "classifying",
    "commenting",
    "describing",
    "editing",
    "highlighting",
    "identifying",
    "linking",
    "moderating",
    "questioning",
    "replying",
    "tagging",
]
_TEXTUAL = {
    "type": "object",
    "required": ["type", "value", "purpose"],
    "properties": {
        "type": {"const": "TextualBody"},
        "value": {"type": "string"},
        "purpose": {"enum": _MOTIVATIONS},
    },
}
ANNOTATION = {
    "type": "object",
    "required": ["id", "type", "target", "body"],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z][a-z0-9+.-]*:"},
        "type": {"const": "Annotation"},
        "motivation": {"enum": _MOTIVATIONS},
        "created": {"type": "string", "format": "date-time"},
        "modified": {"type": "string", "format": "date-time"},
        "creator": {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"enum": ["Person", "Organization", "Software"]}},
        },
        "body": {"type": "array", "items": {"oneOf": [_TEXTUAL, _SPECIFIC]}},
        "target": _SPECIFIC,
    },
}
COLLECTION = {
    "type": "object",
    "required": ["@context", "id", "type", "total", "first"],
    "properties": {
        "@context": {
            "oneOf": [
                {"const": ANNO_CONTEXT},
                {"type": "array", "prefixItems": [{"const": ANNO_CONTEXT}]},
            ]
        },
        "type": {"const": "AnnotationCollection"},
        "total": _NONNEG,
        "first": {
            "type": "object",
            "required": ["type", "items"],
            "properties": {
                "type": {"const": "AnnotationPage"},
                "items": {"type": "array", "items": ANNOTATION},
            },
        },
    },
}


def test_w3c_export_is_valid_against_the_model(corpus: Corpus) -> None:
    document = json.loads(export_bytes("w3c", corpus.project, layer="all"))
    jsonschema.Draft202012Validator(
        COLLECTION, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(document)
    items = document["first"]["items"]
    assert document["total"] == len(items) == 10
    by_sha = texts(corpus.project)
    for item in items:
        target = item["target"]
        text = by_sha[sha256_of_iri(target["source"]) or ""]
        position, quote = target["selector"]
        assert text[position["start"] : position["end"]] == quote["exact"]
        assert text[: position["start"]].endswith(quote["prefix"])
        assert text[position["end"] :].startswith(quote["suffix"])


def test_w3c_annotation_has_source_stance_reliability_and_type_bodies(corpus: Corpus) -> None:
    document = json.loads(export_bytes("w3c", corpus.project))
    (akar,) = [
        item
        for item in document["first"]["items"]
        if any(b.get("value") == "Hulusi Akar" for b in item["body"])
    ]
    fields = [(b["cd:field"], b.get("value")) for b in akar["body"]]
    assert ("source", "Hulusi Akar") in fields
    assert ("source_reliability", "B") in fields
    assert ("claim_type", "predictive") in fields
    stances = {b["cd:stanceTarget"]: b["value"] for b in akar["body"] if b["cd:field"] == "stance"}
    assert stances == {"Turkey's influence in Central Asia": "favor", "the CSTO": "none"}
    (mention,) = [b for b in akar["body"] if b["cd:field"] == "source_mention"]
    assert mention["selector"][1]["exact"] == "Hulusi Akar"
    assert akar["cd:layer"] == "gold" and "creator" not in akar
    assert document["cd:provenance"]["scheme_version"] == 1
    assert document["@context"][0] == "http://www.w3.org/ns/anno.jsonld"


def test_w3c_positions_count_code_points_not_utf16_units(corpus: Corpus) -> None:
    document = json.loads(export_bytes("w3c", corpus.project, layer="annotators"))
    (item,) = [i for i in document["first"]["items"] if "🇰🇿" in i["target"]["selector"][1]["exact"]]
    claim = Claim.objects.get(pk=item["cd:claimId"])
    assert item["target"]["selector"][0] == {
        "type": "TextPositionSelector",
        "start": claim.start,
        "end": claim.end,
    }
    assert claim.article.text[claim.start : claim.end] == claim.quote
    assert item["creator"]["nickname"] == "anna"


def test_text_iri_round_trips(corpus: Corpus) -> None:
    sha = corpus.articles[0].sha256
    assert text_iri(sha).startswith("ni:///sha-256;")
    assert sha256_of_iri(text_iri(sha)) == sha
    assert sha256_of_iri("https://example.org") is None


# --- brat --------------------------------------------------------------------------------

_T = re.compile(r"^(T\d+)\t(\S+) ([\d ;]+)\t(.*)$")


def read_ann(ann: str, text: str) -> dict[str, Any]:
    """A small brat standoff reader: checks every T line's offsets against the text and
    returns the annotations by kind."""
    out: dict[str, Any] = {"T": {}, "A": [], "R": [], "N": [], "#": []}
    for line in ann.splitlines():
        if line.startswith("T"):
            match = _T.match(line)
            assert match, line
            ident, kind, offsets, covered = match.groups()
            spans = [tuple(map(int, part.split())) for part in offsets.split(";")]
            assert all(0 <= s < e <= len(text) for s, e in spans), line
            assert " ".join(text[s:e] for s, e in spans) == covered, line
            assert all("\n" not in text[s:e] for s, e in spans)
            out["T"][ident] = (kind, spans)
        elif line.startswith("A"):
            ident, rest = line.split("\t")
            name, ref, value = rest.split(" ")
            assert ref in out["T"]
            out["A"].append((name, ref, value))
        elif line.startswith("R"):
            ident, rest = line.split("\t")
            name, arg1, arg2 = rest.split(" ")
            assert arg1.split(":")[1] in out["T"] and arg2.split(":")[1] in out["T"]
            out["R"].append((name, arg1, arg2))
        elif line.startswith("N"):
            ident, rest, label = line.split("\t")
            out["N"].append((rest, label))
        elif line.startswith("#"):
            ident, rest, note = line.split("\t")
            out["#"].append((rest.split(" ")[1], note))
        else:
            raise AssertionError(f"unknown line {line!r}")
    return out


def test_brat_zip_reads_back_with_offsets_into_the_txt(corpus: Corpus) -> None:
    data = export_bytes("brat", corpus.project, layer="all")
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert "annotation.conf" in names and "manifest.json" in names
    assert {n.split("/")[0] for n in names if n.endswith(".ann")} == {"gold", "anna", "boris"}
    checked = 0
    for name in names:
        if not name.endswith(".ann"):
            continue
        text = archive.read(name[:-4] + ".txt").decode("utf-8")
        assert text in texts(corpus.project).values()
        parsed = read_ann(archive.read(name).decode("utf-8"), text)
        for ref, note in parsed["#"]:
            claim = Claim.objects.get(pk=int(re.search(r"claim (\d+)", note)[1]))  # type: ignore[index]
            kind, spans = parsed["T"][ref]
            assert kind == "Claim"
            assert text[spans[0][0] : spans[-1][1]] == claim.quote
            checked += 1
    assert checked == 10


def test_brat_lines_for_stance_reliability_relation_and_source(corpus: Corpus) -> None:
    data = export_bytes("brat", corpus.project)
    archive = zipfile.ZipFile(io.BytesIO(data))
    sha = corpus.articles[0].sha256[:16]
    text = archive.read(f"gold/{sha}.txt").decode()
    assert text == corpus.articles[0].text
    parsed = read_ann(archive.read(f"gold/{sha}.ann").decode(), text)
    kinds = sorted(kind for kind, _ in parsed["T"].values())
    assert kinds == ["Claim", "Claim", "Source_mention", "Source_mention"]
    # The claim across a line break is two fragments.
    assert any(len(spans) == 2 for _, spans in parsed["T"].values())
    names = {name for name, _, _ in parsed["A"]}
    assert {"Reliability", "Claim_type", "Attribution"} <= names
    assert "Stance_Turkeys_influence_in_Central_Asia" in names and "Stance_the_CSTO" in names
    assert len(parsed["R"]) == 2
    assert parsed["N"] == [(parsed["N"][0][0], "Яна Орехова")]
    assert "Wikidata:Q4000001" in parsed["N"][0][0]
    conf = archive.read("annotation.conf").decode()
    assert "Stance_the_CSTO\tArg:Claim, Value:favor|against|none" in conf
    manifest = json.loads(archive.read("manifest.json"))
    assert corpus.articles[0].sha256 in manifest["article_hashes"]


def test_brat_split_puts_articles_in_split_folders(corpus: Corpus) -> None:
    data = export_bytes("brat", corpus.project, split=True, split_seed=3)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    folders = {n.split("/")[0] for n in names if n.endswith(".txt")}
    assert folders <= {"train", "dev", "test"} and folders


def test_brat_zip_is_the_one_zipfile_writes_itself(corpus: Corpus) -> None:
    """A text in several layer folders is compressed once and its stream reused
    (``brat._Packed``): the zip is byte for byte the one zipfile writes of the same
    members at the same level, in the same order, each compressed on its own."""
    data = export_bytes("brat", corpus.project, layer="all")
    written = zipfile.ZipFile(io.BytesIO(data))
    txt = [n for n in written.namelist() if n.endswith(".txt")]
    assert len(txt) > len({n.rsplit("/", 1)[1] for n in txt})  # a text in several folders
    sink = ByteSink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as again:
        for info in written.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            again.writestr(entry, written.read(info), compresslevel=brat.COMPRESS_LEVEL)
    assert sink.drain() == data


def test_brat_reads_only_the_columns_it_writes(corpus: Corpus) -> None:
    """brat writes no quote context: the claims' query selects neither ``prefix`` nor
    ``suffix`` (the row source's tuples are of ``brat._COLUMNS`` alone), and the .ann
    files are those of every column (the golden files check them byte for byte)."""
    with CaptureQueriesContext(connection) as queries:
        data = export_bytes("brat", corpus.project, layer="all")
    claims = [q["sql"] for q in queries.captured_queries if 'FROM "annotate_claim"' in q["sql"]]
    assert claims and not [sql for sql in claims if '"prefix"' in sql or '"suffix"' in sql]
    assert set(brat._COLUMNS) <= set(COLUMNS) and len(brat._COLUMNS) < len(COLUMNS) / 2
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_brat_deflate_is_zipfiles_stream() -> None:
    """``brat._deflate`` (one ``zlib.compress`` call) gives the bytes of the compressor
    zipfile's writer uses (``compress`` then ``flush``), for texts small and large."""
    texts = [
        b"",
        b"a",
        "Яна Орехова 😀 said so.\n".encode() * 3,
        ("Turkey’s influence\tgrows. " * 40_000).encode(),
        bytes(range(256)) * 2_000,
    ]
    for data in texts:
        compressor = zlib.compressobj(brat.COMPRESS_LEVEL, zlib.DEFLATED, -15)
        assert brat._deflate(data) == compressor.compress(data) + compressor.flush()
