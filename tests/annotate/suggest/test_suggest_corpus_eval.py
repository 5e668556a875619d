"""Scoring a suggester on a corpus brought in as claims (the PolNeAR evaluation's core)."""

from __future__ import annotations

from collections.abc import Sequence

from annotate.suggest import Proposal, RegistryEntry
from annotate.suggest.evaluate_corpus import (
    QUOTED,
    REPORTED,
    CorpusArticle,
    CorpusClaim,
    evaluate_corpus,
    kind_of,
    trimmed,
)

TEXT = (
    "“We will win this state by a lot,” Donald Trump said on Monday. "
    "Clinton argued that the economy was doing well under the president."
)


class Fixed:
    name, version = "fixed", "1"

    def __init__(self, proposals: list[Proposal]) -> None:
        self.proposals = proposals

    def suggest(
        self, article_text: str, *, byline: str, registry: Sequence[RegistryEntry]
    ) -> list[Proposal]:
        return self.proposals


def span(words: str) -> tuple[int, int]:
    start = TEXT.index(words)
    return start, start + len(words)


def test_quoted_content_is_told_from_reported() -> None:
    assert kind_of("“We will win this state by a lot,”") == QUOTED
    assert kind_of("the economy was “doing well” under him") == QUOTED
    assert kind_of("the economy was doing well") == REPORTED


def test_quotation_marks_and_end_punctuation_do_not_count_against_a_span() -> None:
    assert TEXT[slice(*trimmed(TEXT, *span("“We will win this state by a lot,”")))] == (
        "We will win this state by a lot"
    )


def test_spans_sources_and_kinds_are_scored() -> None:
    quote, reported = span("“We will win this state by a lot,”"), span("the economy was doing well")
    trump, clinton = span("Donald Trump"), span("Clinton")
    labels = (
        CorpusClaim(*quote, trump, "Donald Trump", QUOTED),
        CorpusClaim(
            *span("the economy was doing well under the president"), clinton, "Clinton", REPORTED
        ),
    )
    article = CorpusArticle("a", TEXT, labels)
    registry = [RegistryEntry(7, "Hillary Clinton")]
    proposals = [
        Proposal(quote[0] + 1, quote[1] - 2, "direct", None, "Trump"),  # right by a shared word
        Proposal(*reported, "reported", 99, "", *span("Monday")),  # too short, wrong source
        Proposal(*span("Clinton argued"), "reported", 7),
    ]
    report = evaluate_corpus([article], Fixed(proposals), registry)
    overlap = report.of("overlap ≥ 0.5", "all")
    assert (overlap.labels, overlap.proposals, overlap.matched) == (2, 3, 2)
    assert overlap.source_correct == 1
    quoted = report.of("exact", QUOTED)
    assert (quoted.labels, quoted.matched, quoted.source_correct) == (1, 1, 1)
    assert report.of("exact", REPORTED).matched == 0
