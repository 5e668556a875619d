"""Reading annotation files: the format guessed from name and content, and hypothesis over
odd files: every item is imported or refused with a reason, never an unexpected error,
and a refused file writes nothing — as claims or as suggestions."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotate.exchange.importing import import_annotations
from annotate.exchange.importing_files import guess_format
from annotate.exchange.importing_suggestions import import_suggestions
from annotate.exchange.w3c import text_iri
from annotate.models import Claim, Suggestion
from tests.annotate.exchange.importing_world import ImportWorld, build_world

JSONL = '{"sha256": "ab", "claims": []}\n{"sha256": "cd", "claims": []}\n'
W3C = json.dumps({"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation"})
PRETTY = json.dumps({"type": "AnnotationCollection", "first": {"items": []}}, indent=2)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("a.jsonl", None, "jsonl"),
        ("a.NDJSON", None, "jsonl"),
        ("a.jsonld", None, "w3c"),
        ("a.json", None, "w3c"),
        ("a.json", JSONL, "jsonl"),  # a .json of article lines is JSON Lines
        ("a.txt", JSONL, "jsonl"),
        ("a.txt", W3C, "w3c"),
        ("upload", PRETTY, "w3c"),
        ("upload", "[]", "w3c"),
        ("a.jsonl", W3C, "jsonl"),  # the extension decides when it is clear
    ],
)
def test_the_format_is_guessed(name: str, text: str | None, expected: str) -> None:
    assert guess_format(name, text) == expected


@pytest.mark.parametrize("text", [None, "plain words", "{broken", '{"x": 1}'])
def test_an_unknown_format_is_a_clear_error(text: str | None) -> None:
    with pytest.raises(ValidationError, match="Can't tell the format of “notes.txt”"):
        guess_format("notes.txt", text)


def test_deep_nesting_and_odd_shapes_are_refused_not_crashed(world: ImportWorld) -> None:
    sha = world.articles[0].sha256
    lines = [
        "[" * 100_000,
        json.dumps({"sha256": ["a list"], "claims": [{"start": 0, "end": 3}]}),
        json.dumps({"id": "99999999999999999999999", "claims": [{"start": 0, "end": 3}]}),
        json.dumps({"sha256": sha, "claims": [{"start": [0], "end": {"x": 1}, "quote": 3}]}),
        json.dumps({"sha256": sha, "claims": [{"start": 0, "end": 3, "source": {"id": 2**70}}]}),
        json.dumps({"sha256": sha, "claims": [{"start": 0, "end": 3, "stances": {"a": 1}}]}),
        '{"sha256": "' + sha + '", "claims": [{"start": 0, "end": 3, "note": "\\ud800"}]}',
    ]
    data = "\n".join(lines).encode()
    report = import_suggestions(project=world.project, data=data, fmt="jsonl", suggester="m")
    assert not report.written and len(report.rejected) == len(lines)
    assert "nested deeper than 64 levels" in str(report.rejected[0])
    assert "no article of this project matches" in str(report.rejected[1])
    assert "quote: the quote must be a string" in str(report.rejected[3])
    assert "claim.note: It holds a broken character (a lone surrogate" in str(report.rejected[6])
    collection = json.dumps({"type": "AnnotationCollection", "first": {"items": 5}})
    empty = import_suggestions(project=world.project, data=collection, fmt="w3c", suggester="m")
    assert empty.ok and empty.created == 0
    with pytest.raises(ValidationError, match="neither annotations"):
        import_suggestions(project=world.project, data="42", fmt="w3c", suggester="m")


# --- hypothesis ------------------------------------------------------------------------

# More for a deeper search: IMPORT_FUZZ_EXAMPLES=2000 pytest tests/annotate/exchange/…
EXAMPLES = int(os.environ.get("IMPORT_FUZZ_EXAMPLES", "40"))

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    # NaN and Infinity are no JSON: the reader refuses the whole line they are on
    # (tests/security/test_json_depth.py), not one claim of it.
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["Akıncı", "Яна Орехова", "😀", "🇹🇷", "the CSTO", "favor", "B", "\x00"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
CLAIM_KEYS = st.sampled_from(
    [
        "start",
        "end",
        "quote",
        "source",
        "source_mention",
        "stances",
        "attribution",
        "claim_type",
        "source_reliability",
        "note",
        "score",
    ]
)


def _claims(world: ImportWorld) -> st.SearchStrategy[dict[str, Any]]:
    good = world.full_claim()
    return st.dictionaries(CLAIM_KEYS, VALUES, max_size=4).map(lambda change: {**good, **change})


@pytest.fixture
def world(db: Any) -> ImportWorld:
    return build_world()


@pytest.mark.django_db
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), as_suggestions=st.booleans())
def test_any_claim_is_imported_or_refused_with_a_reason(
    world: ImportWorld, data: Any, as_suggestions: bool
) -> None:
    claims = data.draw(st.lists(_claims(world), min_size=1, max_size=3))
    raw = world.jsonl((0, claims))
    with transaction.atomic():  # each example meets the same world
        if as_suggestions:
            report = import_suggestions(project=world.project, data=raw, fmt="jsonl", suggester="m")
            stored = Suggestion.objects.count()
        else:
            report = import_annotations(
                project=world.project, annotator=world.annotator, data=raw, fmt="jsonl"
            )
            stored = Claim.objects.filter(annotator=world.annotator).count()
        transaction.set_rollback(True)
    for rejected in report.rejected:
        assert rejected.reasons and all(r.strip() for r in rejected.reasons)
    if report.rejected:
        assert not report.written and stored == 0
    else:
        assert report.written and stored == report.created
    assert report.created + report.skipped + len(report.rejected) == len(claims)


def _annotation(world: ImportWorld) -> dict[str, Any]:
    text = world.articles[0].text
    quote = "Akıncı disagreed"
    start = text.index(quote)
    return {
        "type": "Annotation",
        "id": "urn:x:1",
        "cd:score": 0.5,
        "body": [
            {"type": "TextualBody", "purpose": "identifying", "value": "Akıncı"},
            {"cd:field": "stance", "cd:stanceTarget": "the CSTO", "value": "none"},
            {"cd:field": "claim_type", "value": "factual"},
        ],
        "target": {
            "type": "SpecificResource",
            "source": text_iri(world.articles[0].sha256),
            "selector": [
                {"type": "TextPositionSelector", "start": start, "end": start + len(quote)},
                {"type": "TextQuoteSelector", "exact": quote},
            ],
        },
    }


@pytest.mark.django_db
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    top=st.dictionaries(st.sampled_from(["id", "body", "target", "type", "cd:score"]), VALUES),
    target=st.dictionaries(st.sampled_from(["source", "selector"]), VALUES, max_size=1),
    body=st.lists(VALUES, max_size=2),
    as_suggestions=st.booleans(),
)
def test_any_w3c_annotation_is_imported_or_refused_with_a_reason(
    world: ImportWorld,
    top: dict[str, Any],
    target: dict[str, Any],
    body: list[Any],
    as_suggestions: bool,
) -> None:
    annotation = _annotation(world)
    annotation["target"].update(target)
    annotation["body"] += body
    annotation.update(top)
    raw = json.dumps({"type": "AnnotationPage", "items": [annotation]}, ensure_ascii=False)
    with transaction.atomic():
        try:
            if as_suggestions:
                report = import_suggestions(
                    project=world.project, data=raw, fmt="w3c", suggester="m"
                )
            else:
                report = import_annotations(
                    project=world.project, annotator=world.annotator, data=raw, fmt="w3c"
                )
        finally:
            transaction.set_rollback(True)
    assert report.created + len(report.rejected) == 1
    assert all(r.reasons for r in report.rejected)
