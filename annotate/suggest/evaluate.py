"""Measuring a suggester against hand-labelled claims (pure: files in, numbers out).

The evaluation set is a JSONL file in the project's export format (one article a line
with its ``text``, ``byline`` and ``claims``; see ``annotate.exchange.jsonl``). Proposals
and labelled claims are matched one-to-one, best overlap first, when the Jaccard overlap
of their spans is at least ``threshold`` (0.5, as agreement matches annotators' claims).

- span precision: matched proposals / proposals; span recall: matched labels / labels;
- source accuracy: matched proposals whose source is the labelled one (compared by
  search key against the source's name and aliases; a proposed new source counts when
  its name is the labelled source's) / matched proposals.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from annotate.review.agreement.spans import Counts
from annotate.suggest.base import Proposal, RegistryEntry, Suggester
from corpus.text import search_key


@dataclass(frozen=True)
class LabelledClaim:
    start: int
    end: int
    source_names: frozenset[str]  # search keys of the source's name and aliases
    attribution: str


@dataclass(frozen=True)
class LabelledArticle:
    name: str
    text: str
    byline: str
    claims: tuple[LabelledClaim, ...]


@dataclass
class Report:
    overall: Counts = field(default_factory=Counts)
    # By attribution: proposals counted by their type, labels by theirs; a match counts
    # under the label's type.
    by_attribution: dict[str, Counts] = field(default_factory=dict)
    slowest_ms: float = 0.0
    misses: list[tuple[str, str]] = field(default_factory=list)  # (article, quote) not found

    def of(self, attribution: str) -> Counts:
        return self.by_attribution.setdefault(attribution, Counts())

    def table(self) -> str:
        """The figures as a Markdown table (for the docs)."""
        rows = [("all", self.overall)] + sorted(self.by_attribution.items())
        lines = [
            "| claims | labelled | proposed | matched | span precision | span recall | "
            "source accuracy |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, c in rows:
            lines.append(
                f"| {name} | {c.labels} | {c.proposals} | {c.matched} | {c.precision:.2f} | "
                f"{c.recall:.2f} | {c.source_accuracy:.2f} |"
            )
        return "\n".join(lines)


def load_jsonl(path: str | Path) -> list[LabelledArticle]:
    articles = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            claims = []
            for c in row["claims"]:
                source = c.get("source") or {}
                names = [source.get("name", ""), *source.get("aliases", [])]
                claims.append(
                    LabelledClaim(
                        c["start"],
                        c["end"],
                        frozenset(search_key(n) for n in names if n),
                        c.get("attribution", ""),
                    )
                )
            name = (row.get("metadata") or {}).get("seed_file") or row.get("title", "")
            articles.append(
                LabelledArticle(name, row["text"], row.get("byline") or "", tuple(claims))
            )
    return articles


def registry_from_csv(path: str | Path) -> list[RegistryEntry]:
    """A registry CSV (the seed registry's columns: name, kind, aliases with "|"), each
    entry numbered by its row."""
    with open(path, encoding="utf-8", newline="") as handle:
        return [
            RegistryEntry(
                number,
                row["name"],
                row.get("kind") or "person",
                tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()),
            )
            for number, row in enumerate(csv.DictReader(handle), start=1)
        ]


def jaccard(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def match(
    labels: Sequence[tuple[int, int]], proposed: Sequence[tuple[int, int]], threshold: float
) -> list[tuple[int, int]]:
    """One-to-one pairs (label index, proposal index), best overlap first."""
    pairs = sorted(
        (
            (-jaccard(g, p), gi, pi)
            for gi, g in enumerate(labels)
            for pi, p in enumerate(proposed)
            if jaccard(g, p) >= threshold and jaccard(g, p) > 0
        ),
    )
    used_g: set[int] = set()
    used_p: set[int] = set()
    out = []
    for _, gi, pi in pairs:
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        out.append((gi, pi))
    return out


def _source_key(proposal: Proposal, names: dict[int, str]) -> str:
    if proposal.source_id is not None:
        return search_key(names.get(proposal.source_id, ""))
    return search_key(proposal.new_source_name)


def evaluate(
    articles: Iterable[LabelledArticle],
    suggester: Suggester,
    registry: Sequence[RegistryEntry],
    *,
    threshold: float = 0.5,
) -> Report:
    names = {e.id: e.name for e in registry}
    report = Report()
    for article in articles:
        began = time.perf_counter()
        proposals = suggester.suggest(article.text, byline=article.byline, registry=registry)
        report.slowest_ms = max(report.slowest_ms, (time.perf_counter() - began) * 1000)
        labels = article.claims
        pairs = match(
            [(c.start, c.end) for c in labels], [(p.start, p.end) for p in proposals], threshold
        )
        report.overall.proposals += len(proposals)
        report.overall.labels += len(labels)
        for p in proposals:
            report.of(p.attribution).proposals += 1
        for c in labels:
            report.of(c.attribution).labels += 1
        matched_labels = set()
        for gi, pi in pairs:
            label, proposal = labels[gi], proposals[pi]
            matched_labels.add(gi)
            right = _source_key(proposal, names) in label.source_names
            for counts in (report.overall, report.of(label.attribution)):
                counts.matched += 1
                counts.source_correct += right
        report.misses += [
            (article.name, article.text[c.start : c.end][:80])
            for i, c in enumerate(labels)
            if i not in matched_labels
        ]
    return report
