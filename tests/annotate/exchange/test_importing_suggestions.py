"""Importing JSONL and W3C annotations as suggestions: what is stored (labels, new
sources, score), what is refused and why, nothing written on a refusal or a dry run,
re-imports that add nothing, and accepting an imported suggestion with its labels."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from annotate.claims.checks import StanceInput
from annotate.claims.values import claim_changes
from annotate.exchange.importing import import_annotations
from annotate.exchange.importing_suggestions import default_suggester_name, import_suggestions
from annotate.models import Claim, Source, Suggestion
from annotate.suggest.imported import SuggestionInput, suggestions_create_many
from annotate.suggest.services import proposed_labels, suggestion_accept, suggestions_refresh
from tests.annotate.exchange.conftest import Corpus
from tests.annotate.exchange.helpers import export_bytes
from tests.annotate.exchange.importing_world import LABELS, ImportWorld, build_world


@pytest.fixture
def world(db: Any) -> ImportWorld:
    return build_world()


def _import(world: ImportWorld, data: bytes, **kwargs: Any) -> Any:
    kwargs.setdefault("suggester", "stance-model/2")
    return import_suggestions(project=world.project, data=data, fmt="jsonl", **kwargs)


def test_a_complete_claim_becomes_a_suggestion_with_its_labels(world: ImportWorld) -> None:
    report = _import(world, world.jsonl((0, [world.full_claim()])))
    assert report.ok and report.written and (report.created, report.skipped) == (1, 0)
    [made] = Suggestion.objects.all()
    text = world.articles[0].text
    assert (
        text[made.start : made.end]
        == made.quote
        == ("Turkey’s influence in Central Asia is growing 😀 fast.")
    )
    assert made.source == world.sources["orekhova"] and made.new_source_name == ""
    assert text[made.mention_start : made.mention_end] == "Яна Орехова"
    assert (made.attribution, made.suggester, made.score) == ("direct", "stance-model/2", 0.87)
    csto = next(t for t in world.targets if t.name == "the CSTO")
    assert made.labels == {
        "source_reliability": "B",
        "information_credibility": "2",
        "claim_type": "evaluative",
        "stances": [
            {"target": world.targets[0].pk, "stance": "favor"},
            {"target": csto.pk, "stance": "none"},
        ],
        "note": "model: 😀 sure",
    }
    assert not Claim.objects.exists()  # suggestions are not claims


def test_an_unknown_speaker_is_proposed_as_a_new_source(world: ImportWorld) -> None:
    claim = world.claim(1, "Ayşe Yılmaz thinks the CSTO is weaker now", source="Ayşe Yılmaz")
    report = _import(world, world.jsonl((1, [claim])))
    assert report.ok and report.created == 1
    made = Suggestion.objects.get()
    assert (made.source, made.new_source_name) == (None, "Ayşe Yılmaz")
    assert not Source.objects.filter(name="Ayşe Yılmaz").exists()  # only when accepted


def test_sources_are_found_by_alias_ignoring_case_and_diacritics(world: ImportWorld) -> None:
    claim = world.claim(1, "Türk dünyası 🇹🇷 güçleniyor.", source={"name": "ihsan sener"})
    assert _import(world, world.jsonl((1, [claim]))).created == 1
    assert Suggestion.objects.get().source == world.sources["sener"]


def test_a_suggestion_need_not_be_complete(world: ImportWorld) -> None:
    bare = world.claim(0, "Akıncı disagreed")  # no source, labels, stances
    report = _import(world, world.jsonl((0, [bare])))
    assert report.ok and report.created == 1
    made = Suggestion.objects.get()
    assert (made.source, made.new_source_name, made.attribution, made.labels) == (None, "", "", {})
    assert made.score == 0.0


def test_score_is_read_from_confidence_too(world: ImportWorld) -> None:
    claim = world.claim(0, "Akıncı disagreed", confidence=0.25)
    _import(world, world.jsonl((0, [claim])))
    assert Suggestion.objects.get().score == 0.25


def test_re_importing_adds_nothing_and_another_suggester_adds_its_own(
    world: ImportWorld,
) -> None:
    data = world.jsonl((0, [world.full_claim(), world.claim(0, "Akıncı disagreed")]))
    assert _import(world, data).created == 2
    again = _import(world, data)
    assert again.ok and again.written and (again.created, again.skipped) == (0, 2)
    other = _import(world, data, suggester="another-model")
    assert other.created == 2
    assert Suggestion.objects.count() == 4


def test_a_span_twice_in_the_file_is_made_once(world: ImportWorld) -> None:
    claim = world.claim(0, "Akıncı disagreed")
    report = _import(world, world.jsonl((0, [claim, claim])))
    assert (report.created, report.skipped) == (1, 1)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"end": 10_000}, "end: end 10000 is past the end of the text"),
        ({"quote": "Akinci disagreed"}, "quote: the quote does not match"),
        ({"claim_type": "gossip"}, "claim_type: “gossip” is not a value"),
        ({"attribution": "hearsay"}, "attribution: “hearsay” is not a value"),
        ({"stances": [{"target": "Mars", "stance": "favor"}]}, "unknown stance target “Mars”"),
        (
            {"stances": [{"target": "the CSTO", "stance": "love"}]},
            "stances: “love” is not a stance",
        ),
        ({"checkworthy": "yes"}, "“checkworthy” is not used in this project"),
        ({"source": {"id": 999_999}}, "unknown source “999999”"),
        ({"source_mention": {"start": 5, "end": 2}}, "source_mention:"),
        ({"score": "high"}, "score: the score must be a number, got 'high'"),
        ({"note": "a NUL \u0000 here"}, "holds a NUL character"),
    ],
)
def test_bad_items_are_reported_and_nothing_is_written(
    world: ImportWorld, change: dict[str, Any], reason: str
) -> None:
    good = world.full_claim()
    bad = {**world.claim(0, "Akıncı disagreed"), **change}
    report = _import(world, world.jsonl((0, [good]), (0, [bad])))
    assert not report.written
    assert [r.where for r in report.rejected] == ["line 2, claim 1"]
    assert reason in str(report.rejected[0]), str(report.rejected[0])
    assert not Suggestion.objects.exists()


def test_a_flag_cut_in_two_is_refused_with_where_to_cut(world: ImportWorld) -> None:
    text = world.articles[1].text
    flag = text.index("🇹🇷")
    claim = {"start": flag + 1, "end": flag + 5, "quote": None}
    report = _import(world, world.jsonl((1, [claim])))
    assert "falls inside “🇹🇷”" in str(report.rejected[0])


def test_partial_keeps_the_good_items(world: ImportWorld) -> None:
    bad = world.claim(0, "Akıncı disagreed", claim_type="gossip")
    report = _import(world, world.jsonl((0, [world.full_claim(), bad])), partial=True)
    assert report.written and report.created == 1 and len(report.rejected) == 1
    assert Suggestion.objects.count() == 1


def test_a_dry_run_writes_nothing(world: ImportWorld) -> None:
    report = _import(world, world.jsonl((0, [world.full_claim()])), dry_run=True)
    assert report.ok and not report.written and report.created == 1
    assert not Suggestion.objects.exists()


def test_the_suggester_name_is_checked(world: ImportWorld) -> None:
    data = world.jsonl((0, [world.full_claim()]))
    for name, message in (
        ("  ", "Give the suggester a name"),
        ("x" * 101, "longer than 100"),
        ("rules/9", "built-in"),
        ("bad\x00name", "unprintable"),
    ):
        with pytest.raises(ValidationError, match=message):
            _import(world, data, suggester=name)
    assert default_suggester_name("model output.jsonl") == "import:model output.jsonl"
    assert len(default_suggester_name("x" * 300 + ".jsonl")) == 100


def test_turned_off_suggestions_are_imported_with_a_warning(db: Any) -> None:
    world = build_world(suggestions_enabled=False)
    report = _import(world, world.jsonl((0, [world.full_claim()])))
    assert report.written and "turned off" in report.warnings[0]


def test_the_w3c_export_imports_back_as_suggestions(corpus: Corpus) -> None:
    data = export_bytes("w3c", corpus.project)
    report = import_suggestions(project=corpus.project, data=data, fmt="w3c", suggester="w3c")
    assert report.ok and report.created == 3
    ready = Suggestion.objects.get(quote__startswith="Ankara is ready")
    assert ready.source is not None and ready.source.name == "Hulusi Akar"
    assert ready.attribution == "reported" and ready.labels["claim_type"] == "predictive"
    assert sorted(s["stance"] for s in ready.labels["stances"]) == ["favor", "none"]


def test_a_refresh_of_the_built_in_suggester_keeps_imported_suggestions(
    world: ImportWorld,
) -> None:
    _import(world, world.jsonl((0, [world.full_claim()])))
    suggestions_refresh(article=world.articles[0])
    assert Suggestion.objects.filter(suggester="stance-model/2").count() == 1


def test_importing_claims_still_refuses_unknown_sources(world: ImportWorld) -> None:
    claim = world.claim(1, "Ayşe Yılmaz thinks the CSTO is weaker now", source="Ayşe Yılmaz")
    claim.update(LABELS, stances=[{"target": "the CSTO", "stance": "against"}])
    report = import_annotations(
        project=world.project,
        annotator=world.annotator,
        data=world.jsonl((1, [claim])),
        fmt="jsonl",
    )
    assert not report.written
    assert "unknown source “Ayşe Yılmaz”: add it to the project's registry first" in str(
        report.rejected[0]
    )


def test_the_service_reports_problems_per_item(world: ImportWorld) -> None:
    article = world.articles[0]
    good = SuggestionInput(start=0, end=11, quote="Яна Орехова")
    bad = SuggestionInput(start=0, end=11, quote="Yana", labels={"claim_type": "gossip"})
    with pytest.raises(ValidationError) as raised:
        suggestions_create_many(
            article_suggestions=[(article, good), (article, bad)], suggester="t"
        )
    params = [e.params for e in raised.value.error_list]
    assert {p["index"] for p in params} == {1}  # type: ignore[index]
    assert {p["field"] for p in params} == {"quote", "claim_type"}  # type: ignore[index]
    assert not Suggestion.objects.exists()


# --- Accepting an imported suggestion ------------------------------------------------------


def test_accepting_an_imported_suggestion_makes_the_claim_with_its_labels(
    world: ImportWorld,
) -> None:
    _import(world, world.jsonl((0, [world.full_claim()])))
    claim = suggestion_accept(suggestion=Suggestion.objects.get(), annotator=world.annotator)
    assert claim.source == world.sources["orekhova"]
    assert world.articles[0].text[claim.mention_start : claim.mention_end] == "Яна Орехова"
    assert (claim.attribution, claim.source_reliability, claim.information_credibility) == (
        "direct",
        "B",
        "2",
    )
    assert (claim.claim_type, claim.note) == ("evaluative", "model: 😀 sure")
    assert sorted((s.target.name, s.stance) for s in claim.stances.all()) == [
        ("Turkey's influence in Central Asia", "favor"),
        ("the CSTO", "none"),
    ]


def test_accepting_with_overrides_replaces_the_proposed_labels(world: ImportWorld) -> None:
    _import(world, world.jsonl((0, [world.full_claim()])))
    claim = suggestion_accept(
        suggestion=Suggestion.objects.get(),
        annotator=world.annotator,
        overrides=claim_changes(
            {
                "stances": [StanceInput(world.targets[1], "against")],
                "claim_type": "factual",
                "note": "",
            }
        ),
    )
    assert [(s.target_id, s.stance) for s in claim.stances.all()] == [
        (world.targets[1].pk, "against")
    ]
    assert (claim.claim_type, claim.note, claim.source_reliability) == ("factual", "", "B")


def test_accepting_an_incomplete_import_is_refused_until_completed(world: ImportWorld) -> None:
    claim = world.claim(1, "Ayşe Yılmaz thinks the CSTO is weaker now", source="Ayşe Yılmaz")
    _import(world, world.jsonl((1, [claim])))
    suggestion = Suggestion.objects.get()
    with pytest.raises(ValidationError) as raised:
        suggestion_accept(suggestion=suggestion, annotator=world.annotator)
    assert "stances" in raised.value.message_dict
    assert not Source.objects.filter(name="Ayşe Yılmaz").exists()
    completed = suggestion_accept(
        suggestion=suggestion,
        annotator=world.annotator,
        overrides=claim_changes({"stances": [StanceInput(world.targets[4], "against")], **LABELS}),
    )
    assert completed.source is not None and completed.source.name == "Ayşe Yılmaz"


def test_proposed_labels_of_a_malformed_entry_are_left_out(world: ImportWorld) -> None:
    suggestion = Suggestion(
        labels={"stances": [{"target": "x"}, "y", {"target": 3, "stance": "favor"}], "note": 5}
    )
    proposed = proposed_labels(suggestion)
    assert proposed["stances"] == [StanceInput(3, "favor")]
    assert proposed["note"] == "5" and proposed["claim_type"] == ""
    assert proposed_labels(Suggestion(labels=[]))["stances"] == []


def test_a_jsonl_export_imports_back_as_suggestions(corpus: Corpus) -> None:
    data = export_bytes("jsonl", corpus.project)
    report = import_suggestions(project=corpus.project, data=data, fmt="jsonl", suggester="gold")
    assert report.ok and report.created == 3
    growing = Suggestion.objects.get(quote__startswith="Turkey’s influence")
    assert growing.source is not None and growing.source.name == "Яна Орехова"
    first = json.loads(data.decode().splitlines()[0])
    assert growing.article.sha256 == first["sha256"]
