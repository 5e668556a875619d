"""The throughput benchmark's bookkeeping (bench/throughput.py) without a browser: what it
counts against issue 18's targets, the sentences it claims, the letters it types. The
browser run itself is `make bench-throughput` (and the key counts are asserted by the
browser tests in tests/browser/test_workspace_keys.py and test_review_flow.py)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command

from annotate.models import Source
from bench.throughput import Run, Tally, misses, pct, sentences, slow, summary, typed_prefix
from tests.factories import ProjectFactory


def run_with(**tasks: list[Tally]) -> Run:
    run = Run()
    for name, tallies in tasks.items():
        run.tasks[name.replace("_", " ")] = tallies
    run.times["label key"] = [10.0] * 18 + [150.0] * 2
    run.times["save (Ctrl+Enter)"] = [50.0] * 20
    return run


def test_a_claim_over_the_key_target_is_a_miss_counting_the_source_as_three_letters() -> None:
    ok = run_with(new=[Tally(keys=10, letters=3)], repeat=[Tally(keys=7, letters=4)])
    assert misses(summary(ok)) == []  # 4 letters for the source: 6 with 3
    over = run_with(new=[Tally(keys=11, letters=3)], repeat=[Tally(keys=6, letters=2)])
    assert misses(summary(over)) == [
        "a claim (new labels) took 11 keys > 10 (the source in 3 letters)"
    ]
    unit = run_with(**{"unit:_unanimous": [Tally(keys=3)], "suggestion": [Tally(keys=2)]})
    assert len(misses(summary(unit))) == 2


def test_an_action_slower_than_100_ms_at_p95_is_reported() -> None:
    result = summary(run_with(new=[Tally(keys=10)]))
    assert result["actions"]["label key"]["p95_ms"] == 150.0
    assert slow(result) == ["label key: p95 150.0 ms >= 100 ms"]
    assert pct([], 0.5) != pct([], 0.5)  # NaN: no figure


def test_sentences_are_whole_and_of_a_claim_s_length() -> None:
    text = "Short. " + "A sentence long enough to be one claim, it says. " * 2 + "Ok?"
    spans = list(sentences(text))
    assert spans and all(40 <= end - start <= 220 for start, end in spans)
    assert all(text[start:end].endswith(".") for start, end in spans)
    assert all(not text[start].isspace() for start, _ in spans)


@pytest.mark.django_db
def test_the_letters_typed_put_the_source_first() -> None:
    project = ProjectFactory(slug="typed")
    registry = settings.BASE_DIR / "seeds" / "sources.csv"
    call_command("import_sources", str(registry), project=project.slug, verbosity=0)
    fidan = Source.objects.get(project=project, name="Hakan Fidan")
    # "Hakan" finds Hakan Aksay too: the surname is shorter to type.
    assert typed_prefix(project, fidan) == "Fid"
    berliner = Source.objects.get(project=project, name="Berliner Zeitung")
    assert typed_prefix(project, berliner) == "Ber"


def test_a_tally_counts_the_source_as_three_letters() -> None:
    assert Tally(keys=12, letters=6).keys_3 == 9
    assert Tally(keys=5, letters=2).keys_3 == 5
    assert Tally(keys=1).keys_3 == 1
