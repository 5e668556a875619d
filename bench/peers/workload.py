"""The one workload every tool gets: N documents of ~6,000 characters (English-like text
with a Turkish quote, a Cyrillic quote and one emoji each) and 20 spans per document
(whole sentences), seeded, the same bytes for every tool.

Offsets are Unicode code points (Claimdesk's); the peers' browsers count UTF-16 code
units, so their spans are converted with :func:`utf16` before they are sent — what each
tool's own front end would send for the same selection.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class Document:
    title: str
    text: str
    spans: tuple[Span, ...]

    def record(self, i: int, seed: int) -> dict[str, str]:
        """The document as a JSONL record (text, title, a URL to keep it unique)."""
        return {
            "text": self.text,
            "title": self.title,
            "url": f"https://example.org/peers/{seed}/{i}",
            "language": "en",
        }


@dataclass(frozen=True)
class Workload:
    seed: int
    documents: tuple[Document, ...]

    @property
    def n_spans(self) -> int:
        return sum(len(d.spans) for d in self.documents)

    def jsonl(self) -> bytes:
        return "".join(
            json.dumps(d.record(i, self.seed), ensure_ascii=False) + "\n"
            for i, d in enumerate(self.documents)
        ).encode()


def make(n_documents: int, spans_per_document: int, seed: int = 2026) -> Workload:
    """The seeded workload (needs Django set up: the text generator lives with the bench
    project generator)."""
    from bench.generate import ARTICLE_CHARS, make_source_names, make_text

    rng = random.Random(seed)
    names = [n for n, _, _ in make_source_names(random.Random(seed))[:120]]
    documents = []
    for _ in range(n_documents):
        generated = make_text(rng, ARTICLE_CHARS, names)
        sentences = generated.sentences
        step = max(1, len(sentences) // spans_per_document)
        chosen = sentences[1::step][:spans_per_document] or sentences[:spans_per_document]
        spans = tuple(Span(s, e, generated.text[s:e]) for s, e in chosen)
        documents.append(Document(generated.title, generated.text, spans))
    return Workload(seed, tuple(documents))


def utf16(text: str, offset: int) -> int:
    """The UTF-16 offset of the code-point offset ``offset`` in ``text``."""
    return offset + sum(1 for ch in text[:offset] if ord(ch) > 0xFFFF)
