"""The state of one run of the rule-based suggester over an article (pure): the quotations,
names, sentences and pointers found once, the speaker lookups by position the rules share,
and the proposals made (``annotate.suggest.rules`` describes the rules)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from annotate.claims.offsets import snap_to_words
from annotate.suggest import mentions as found
from annotate.suggest.base import (
    Proposal,
    RegistryEntry,
)
from annotate.suggest.rule_patterns import (
    _ASIDE_AFTER_QUOTE,
    _GENERIC_SPEAKER_RE,
    _LEADING_ADJUNCT,
    _PREPOSITION_BEFORE,
    _TITLE_LINKS,
    MIN_CONTENT_WORDS,
    VERB_RE,
    Speaker,
    _capitalised_name,
    _new_kind,
    _trim,
)
from corpus.text import search_key


class RunState:
    """What the rules share over one article: built once, read by position (bisect)."""

    def __init__(self, text: str, byline: str, registry: Sequence[RegistryEntry]) -> None:
        self.text = text
        self.index = found.RegistryIndex.build(registry)
        toks = found.tokens(text)
        self.quotes = found.quotations(text)
        names = found.registry_mentions(text, toks, self.index)
        names += found.organisation_names(text, toks, names)
        names += found.unknown_names(text, toks, names)
        names += found.surnames_of_unknown(text, toks, names)
        self.quote_starts = [a for a, _ in self.quotes]
        self.names = sorted(
            (m for m in names if not self._in_quote(m.start)), key=lambda m: m.start
        )
        # Lookups by position (bisect), so that no rule scans the whole article per call.
        self.name_starts = [m.start for m in self.names]
        self.name_at = {(m.start, m.end): m for m in self.names}
        self.people = [m for m in self.names if m.kind == "person"]
        self.people_starts = [m.start for m in self.people]
        self.outlets = [m for m in self.names if m.kind == "outlet"]
        self.sentences = found.sentences(text)
        self.sentence_starts = [s[0] for s in self.sentences]
        self.pointers = sorted(
            (m.start(), m.end())
            for regex in (found.PRONOUN_RE, found.ROLE_RE)
            for m in regex.finditer(text)
            if not self._in_quote(m.start())
        )
        self.byline = self._byline(byline, registry)
        self.last: list[Speaker] = []
        self.out: list[Proposal] = []
        self.continued: set[int] = set()  # quotations that carry on an earlier one
        # Sentence start → the carrier closing it ("…, as reported by Y"): rule 4.
        self.tail_carriers: dict[int, tuple[int, int, int]] = {}

    # --- helpers ---------------------------------------------------------------------

    def _byline(self, byline: str, registry: Sequence[RegistryEntry]) -> Speaker | None:
        key = search_key(byline)
        if not key:
            return None
        for entry in registry:
            if key in {search_key(n) for n in (entry.name, *entry.aliases)}:
                return Speaker(entry.id, "", None, entry.kind, 0)
        return Speaker(None, " ".join(byline.split()), None, "person", 0)

    def _in_quote(self, pos: int) -> bool:
        i = bisect_left(self.quote_starts, pos) - 1  # the last quotation opened before pos
        return i >= 0 and pos < self.quotes[i][1]

    def _names_in(self, lo: int, hi: int) -> list[found.Mention]:
        """The names that start in [lo, hi)."""
        return self.names[bisect_left(self.name_starts, lo) : bisect_left(self.name_starts, hi)]

    def _sentences_before(self, pos: int) -> list[tuple[int, int]]:
        """The sentences that end at or before ``pos``."""
        i = bisect_right(self.sentence_starts, pos)
        while i > 0 and self.sentences[i - 1][1] > pos:
            i -= 1
        return self.sentences[:i]

    def _speaker_of(self, mention: found.Mention) -> Speaker:
        return Speaker(
            mention.entry_id,
            "" if mention.entry_id is not None else mention.name,
            (mention.start, mention.end - (len(mention.text) - len(mention.bare))),
            mention.kind,
            mention.start,
        )

    def _resolve_pointer(self, start: int, end: int) -> Speaker | None:
        """ "he"/"she"/"the expert"/"the publication" at [start, end): who it points to
        (``_point``), with the pointer itself as the mention — the words that name the
        source where the claim is made."""
        who = self._point(start, end)
        if who is None:
            return None
        return Speaker(who.source_id, who.new_name, (start, end), who.kind, who.at)

    def _point(self, start: int, end: int) -> Speaker | None:
        """The last speaker of the right kind nearby, if no other person was named since;
        else, for "he"/"she", the person named last before it (not in a quotation)."""
        word = self.text[start:end].lower()
        outlet = any(word.endswith(noun) for noun in found.OUTLET_NOUNS)
        for speaker in reversed(self.last):
            if start - speaker.at > 700:
                break
            if outlet != (speaker.kind in ("outlet", "organisation", "government")):
                continue
            if outlet:
                return speaker
            others = [
                m
                for m in self._names_in(speaker.at + 1, start)
                if m.kind == "person"
                and not m.possessive
                and (m.entry_id, m.name if m.entry_id is None else "")
                != (speaker.source_id, speaker.new_name)
            ]
            if not others:
                return speaker
            break
        if not outlet:
            i = bisect_left(self.people_starts, start)
            while i > 0 and self.people[i - 1].end > start:
                i -= 1
            if i and start - self.people[i - 1].start < 700:
                return self._speaker_of(self.people[i - 1])
            return None
        before = [m for m in self.outlets if m.start < start]
        if before and start - before[-1].start < 700:
            return self._speaker_of(before[-1])
        return None

    def _candidates(self, lo: int, hi: int) -> list[tuple[int, int, str]]:
        """Possible speakers in [lo, hi): (start, end, 'name'|'pointer'), in text order."""
        out = [
            (m.start, m.end, "name")
            for m in self._names_in(lo, hi)
            if m.end <= hi and not m.possessive
        ]
        i = bisect_left(self.pointers, (lo, 0))
        while i < len(self.pointers) and self.pointers[i][1] <= hi:
            out.append((*self.pointers[i], "pointer"))
            i += 1
        return sorted(out)

    def _speaker_at(self, start: int, end: int, kind: str) -> Speaker | None:
        if kind == "pointer":
            return self._resolve_pointer(start, end)
        return self._speaker_of(self.name_at[(start, end)])

    def _first_speaker(self, lo: int, hi: int) -> Speaker | None:
        """The first speaker in [lo, hi), after "by" when there is one; registry names
        before unknown ones (descriptors such as "Central Asia" come first)."""
        by = re.match(r"[^,.;]*?\bby\s+", self.text[lo:hi])
        if by:
            lo += by.end()
        cands = self._candidates(lo, hi)
        known = [c for c in cands if c[2] == "pointer" or self._is_known(c)]
        for c in known or cands:
            speaker = self._speaker_at(*c)
            if speaker:
                return speaker
        return None

    def _is_known(self, cand: tuple[int, int, str]) -> bool:
        m = self.name_at.get((cand[0], cand[1]))
        return m is not None and m.entry_id is not None

    def _subject(self, lo: int, hi: int) -> Speaker | None:
        """The speaker who is the subject of a verb at ``hi``: the last candidate before
        it, skipping asides between commas (", attending the forum alongside X,")."""
        region = self.text[lo:hi]
        while True:
            m = re.search(r",\s*([^,]*),\s*(?:\w+ly\s+)?$", region)
            if not m or not _LEADING_ADJUNCT.match(m.group(1)):
                break
            region = region[: m.start()] + " "
        cands = [c for c in self._candidates(lo, lo + len(region.rstrip(" ,"))) if c[1] <= hi]
        for c in reversed(cands):
            if _PREPOSITION_BEFORE.search(self.text[max(lo, c[0] - 12) : c[0]]):
                continue
            return self._speaker_at(*c)
        # No name: the words right before the verb, if they name a speaker on their own
        # ("Reuters reported", "the statement said", "several friends said").
        head = max(self.text.rfind(c, lo, hi) for c in ",;:") + 1 or lo
        if len(self.text[head:hi].split()) <= 6:
            return self._np_speaker(max(head, lo), hi, last=True)
        return None

    def _sentence_of(self, pos: int) -> tuple[int, int]:
        i = bisect_right(self.sentence_starts, pos) - 1
        if i >= 0 and pos < self.sentences[i][1]:
            return self.sentences[i]
        return (pos, pos)

    def _add(
        self,
        start: int,
        end: int,
        attribution: str,
        who: Speaker | None,
        score: float,
        cue: str,
        *,
        min_words: int = MIN_CONTENT_WORDS,
    ) -> None:
        start, end = _trim(self.text, start, end)
        if end - start < 2 or len(self.text[start:end].split()) < min_words:
            return
        try:
            start, end = snap_to_words(self.text, start, end)
        except Exception:  # noqa: BLE001 - a span of punctuation only: nothing to propose
            return
        if who is not None:
            self.last.append(who)
        mention = who.mention if who else None
        self.out.append(
            Proposal(
                start,
                end,
                attribution,
                who.source_id if who else None,
                who.new_name if who and who.source_id is None else "",
                mention[0] if mention else None,
                mention[1] if mention else None,
                score if who is None or who.source_id is not None else score - 0.2,
                cue,
                new_source_kind=_new_kind(who),
            )
        )

    # --- the rules ---------------------------------------------------------------------

    def _np_speaker(self, lo: int, hi: int, *, last: bool) -> Speaker | None:
        """The speaker a short phrase names: a name or a pointer in it (the first, or the
        last: "Sanders campaign manager Jeff Weaver"); else capitalised words the
        rules don't know as a name ("Trump", "Reuters", "The New York Times"), with their
        kind; else a common noun phrase ("the man", "a person close to the Clintons") as
        the mention, without a name."""
        text = self.text
        cands = self._candidates(lo, hi)
        for c in reversed(cands) if last else cands:
            if last and _PREPOSITION_BEFORE.search(text[max(lo, c[0] - 12) : c[0]]):
                continue
            who = self._speaker_at(*c)
            if who is not None:
                return who
        while lo < hi and text[lo] in " ,":
            lo += 1
        while hi > lo and text[hi - 1] in " ,":
            hi -= 1
        phrase = text[lo:hi]
        words = phrase.split()
        if not words or len(words) > 8:
            return None
        name = _capitalised_name(phrase)
        if name is not None and name in phrase:
            n0 = lo + phrase.index(name)
            return Speaker(None, name, (n0, n0 + len(name)), found.kind_of_name(name), n0)
        if _GENERIC_SPEAKER_RE.fullmatch(phrase) and words[-1].lower() not in _TITLE_LINKS:
            return Speaker(None, "", (lo, hi), "unknown", lo)
        return None

    def _quoted_clause_end(self, clause: int, qb: int) -> int:
        """Where a reported clause that holds the quotation ending at ``qb`` stops: at the
        quotation when the quotation runs past its sentence, ends on a comma, or what
        follows is an aside (“…,” claiming / “…” as he faces …); else at the clause end."""
        s1 = self._sentence_of(qb - 1)[1]
        after = self.text[qb:s1]
        if s1 <= qb or _ASIDE_AFTER_QUOTE.match(after):
            return qb
        return self._clause_end(clause, s1)

    def _clause_end(self, start: int, s1: int) -> int:
        """Where reported content stops: the sentence end, or before ", and …" that
        brings in another speaker with a verb of its own."""
        colon = re.search(r":\s*[“\"]", self.text[start:s1])
        if colon:
            s1 = start + colon.start()  # "… convinced that X: “quote”" — the quote is its own
        for m in re.finditer(r",\s+(?:and|but)\b", self.text[start:s1]):
            rest = self.text[start + m.end() : s1]
            verb = VERB_RE.search(rest)
            if verb and self._subject(start + m.end(), start + m.end() + verb.start()):
                return start + m.start()
        return s1
