"""Scoring a suggester on an attribution corpus brought in as claims (pure: articles in,
figures out), as ``manage.py eval_suggest`` does on PolNeAR.

A labelled claim has its span, its source mention (span and words) and its kind:
*quoted* when its content is a quotation (``direct``: it starts or ends with a quotation
mark, or holds one), else *reported*. Proposals and labels are matched one to one, best
overlap first (``evaluate.match``), at Jaccard ≥ 0.5 and, separately, exactly — both
spans taken without quotation marks, spaces and punctuation at their ends. On a
matched pair the source is right when the proposal's source mention overlaps the
labelled one, or when the proposed source's name and the labelled mention share a word
(not a pronoun or an article: "Trump" and "Donald Trump", "The Post" and "The New York
Post"). A corpus whose sources are pronouns ("he said") is scored as the corpus has it.

- precision: matched proposals / proposals; recall: matched labels / labels, per kind a
  proposal counts under the kind of its own content (quoted or not);
- source accuracy: right sources / matched pairs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from annotate.review.agreement.spans import Counts
from annotate.suggest.base import Proposal, RegistryEntry, Suggester
from annotate.suggest.evaluate import match
from corpus.text import search_key

QUOTED, REPORTED = "quoted", "reported"
_QUOTE_MARKS = '"“”'
_NOT_NAMES_TEXT = """the a an of and he she it they we i you his her its their him them this
that these those who mr mrs ms dr"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())


@dataclass(frozen=True)
class CorpusClaim:
    start: int
    end: int
    mention: tuple[int, int] | None
    source_text: str  # the words of the source mention ("" when it has none)
    kind: str  # QUOTED or REPORTED


@dataclass(frozen=True)
class CorpusArticle:
    name: str
    text: str
    claims: tuple[CorpusClaim, ...]


def kind_of(content: str) -> str:
    """QUOTED when the content is a quotation (or holds one), else REPORTED."""
    stripped = content.strip()
    if not stripped:
        return REPORTED
    if stripped[0] in _QUOTE_MARKS or stripped[-1] in _QUOTE_MARKS:
        return QUOTED
    return QUOTED if re.search(r"[“\"][^“”\"]+[”\"]", stripped) else REPORTED


_EDGE = " \t\n\"“”‘’'.,;:!?…—-"


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without quotation marks, spaces and punctuation at its ends: whether the
    marks of a quotation are inside the claim is a convention, not a disagreement."""
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    return start, end


def _name_words(name: str) -> set[str]:
    return {w for w in search_key(name).split() if w not in _NOT_NAMES and len(w) > 1}


def source_right(proposal: Proposal, label: CorpusClaim, names: dict[int, str], text: str) -> bool:
    if label.mention is None:
        return False
    a, b = label.mention
    p0, p1 = proposal.mention_start, proposal.mention_end
    if p0 is not None and p1 is not None and p0 < b and a < p1:
        return True
    if proposal.source_id is not None:
        proposed = names.get(proposal.source_id, "")
    else:
        proposed = proposal.new_source_name
    return bool(_name_words(proposed) & _name_words(label.source_text or text[a:b]))


@dataclass
class CorpusReport:
    # (threshold label, kind) → counts; kinds "all", QUOTED, REPORTED.
    counts: dict[tuple[str, str], Counts] = field(default_factory=dict)
    articles: int = 0
    slowest_ms: float = 0.0
    slowest_chars: int = 0
    total_ms: float = 0.0

    def of(self, how: str, kind: str) -> Counts:
        return self.counts.setdefault((how, kind), Counts())

    def table(self, name: str) -> str:
        lines = [
            f"{name}: {self.articles} articles; slowest {self.slowest_ms:.1f} ms "
            f"({self.slowest_chars:,} chars), {self.total_ms / max(self.articles, 1):.1f} ms "
            "per article on average",
            "",
            "| match | content | labelled | proposed | matched | precision | recall | F1 "
            "| source accuracy (n) |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for how in ("overlap ≥ 0.5", "exact"):
            for kind in ("all", QUOTED, REPORTED):
                c = self.of(how, kind)
                lines.append(
                    f"| {how} | {kind} | {c.labels} | {c.proposals} | {c.matched} | "
                    f"{c.precision:.2f} | {c.recall:.2f} | {c.f1:.2f} | "
                    f"{c.source_accuracy:.2f} ({c.matched}) |"
                )
        return "\n".join(lines)


def evaluate_corpus(
    articles: Iterable[CorpusArticle],
    suggester: Suggester,
    registry: Sequence[RegistryEntry],
) -> CorpusReport:
    names = {e.id: e.name for e in registry}
    report = CorpusReport()
    for article in articles:
        began = time.perf_counter()
        proposals = [
            p
            for p in suggester.suggest(article.text, byline="", registry=registry)
            if p.attribution != "author"
        ]
        took = (time.perf_counter() - began) * 1000
        report.total_ms += took
        if took > report.slowest_ms:
            report.slowest_ms, report.slowest_chars = took, len(article.text)
        report.articles += 1
        labels = article.claims
        proposed_kind = [
            QUOTED if p.attribution == "direct" else kind_of(article.text[p.start : p.end])
            for p in proposals
        ]
        label_spans = [trimmed(article.text, c.start, c.end) for c in labels]
        proposed_spans = [trimmed(article.text, p.start, p.end) for p in proposals]
        for how, threshold in (("overlap ≥ 0.5", 0.5), ("exact", 1.0)):
            pairs = match(label_spans, proposed_spans, threshold)
            for kind in ("all", QUOTED, REPORTED):
                counts = report.of(how, kind)
                counts.labels += sum(1 for c in labels if kind in ("all", c.kind))
                counts.proposals += sum(1 for k in proposed_kind if kind in ("all", k))
            for gi, pi in pairs:
                label, proposal = labels[gi], proposals[pi]
                right = source_right(proposal, label, names, article.text)
                for kind in ("all", label.kind):
                    counts = report.of(how, kind)
                    counts.matched += 1
                    counts.source_correct += right
    return report
