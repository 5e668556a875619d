"""Near-miss matching of short names (a typo in a surname: "isachneko", "umarow").

``NameIndex`` holds already-folded keys (``corpus.text.search_key``), each with an owner
id; ``near`` answers the owners whose keys look like the query, best first. Each key is
indexed whole and word by word, so "umarow" meets the "umarov" of "Temur Umarov". A
trigram inverted index picks candidates (pg_trgm's padding: "  w", " wo", …, "rd "), and
``difflib``'s ratio scores them, also against the word's start ("isachn" → "isachenko").
Pure Python, the same on every database: about 1 ms a query over 5,000 names.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from difflib import SequenceMatcher

# A query shorter than this has too few trigrams to say anything about similarity.
MIN_QUERY = 3
# The least ratio (0–1) a key or word needs to count as a near miss.
THRESHOLD = 0.75
# How many trigram candidates are scored with difflib (the rest share too few trigrams).
CANDIDATES = 60
# A match against the start of a longer word counts slightly less than a whole one.
PREFIX_WEIGHT = 0.95
# One word of a query of several, matched alone, counts a little less than the whole.
WORD_WEIGHT = 0.9


def trigrams(key: str) -> set[str]:
    padded = f"  {key} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


class NameIndex:
    """Folded names and the ids they belong to (several names may share an owner)."""

    def __init__(self, entries: Iterable[tuple[int, str]]) -> None:
        self.terms: list[tuple[int, str]] = []  # (owner, whole key or one of its words)
        self.postings: dict[str, list[int]] = defaultdict(list)  # trigram -> term indexes
        seen: set[tuple[int, str]] = set()
        for owner, key in entries:
            words = key.split()
            for term in [key, *(words if len(words) > 1 else [])]:
                if len(term) < 2 or (owner, term) in seen:
                    continue
                seen.add((owner, term))
                index = len(self.terms)
                self.terms.append((owner, term))
                for gram in trigrams(term):
                    self.postings[gram].append(index)

    def __len__(self) -> int:
        return len(self.terms)

    def near(self, query: str, limit: int = 10) -> list[tuple[int, float]]:
        """(owner, score) of the owners with a key or word like the folded ``query``,
        best first, each owner once. A query of several words is also matched word by
        word ("isachneko dmitri" meets "daria isachenko"), a little below a whole match."""
        best: dict[int, float] = {}
        words = query.split()
        parts = [(query, 1.0)]
        if len(words) > 1:
            parts += [(word, WORD_WEIGHT) for word in words]
        for part, weight in parts:
            for owner, score in self._near(part).items():
                if score * weight > best.get(owner, 0.0):
                    best[owner] = score * weight
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        return ranked[:limit]

    def _near(self, query: str) -> dict[int, float]:
        if len(query) < MIN_QUERY:
            return {}
        shared: Counter[int] = Counter()
        for gram in trigrams(query):
            shared.update(self.postings.get(gram, ()))
        best: dict[int, float] = {}
        matcher = SequenceMatcher(autojunk=False)
        matcher.set_seq2(query)
        for index, _ in shared.most_common(CANDIDATES):
            owner, term = self.terms[index]
            matcher.set_seq1(term)
            if matcher.real_quick_ratio() < THRESHOLD and len(term) <= len(query):
                continue
            score = matcher.ratio()
            if len(term) > len(query) + 1:
                matcher.set_seq1(term[: len(query)])
                score = max(score, matcher.ratio() * PREFIX_WEIGHT)
            if score >= THRESHOLD and score > best.get(owner, 0.0):
                best[owner] = score
        return best
