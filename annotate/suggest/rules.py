# Pure. One walk of the text, tuned together; split by rule into rule_patterns (the regexes),
# rule_state (what the rules share), rule_quotes (rule 1) and this module (rules 2 to 4).
"""The rule-based suggester (pure): quotations, reporting verbs and the registry.

1. **Direct quotes**: a quotation whose speaker is named beside it — after it (“…,” comments
   Daria Isachenko / “…,” he believes / “…,” party treasurer Mara Quist told reporters / “…,”
   one shop owner said), or before it in the same sentence (… saying, “…” / statement by
   Hulusi Akar that “…” / X replied: “…”), or, for a paragraph that is only a quotation, the
   speaker of the colon before it or of the paragraph before. Under five words only when the
   attribution is right beside it (not scare quotes, not titles). A clause ended by a
   quotation attributed after it, or a quotation inside a reported clause, gives the clause.
2. **Reported speech**: a reporting verb (says, noted, stressed, accused, wrote …) or
   frame (according to X, as noted by X, as X reports) with its speaker; the claim is the
   reported content: after the verb (X said that …), before it (…, X wrote / …, explains
   X), after the frame, or the sentence before ("This was stated by X").
3. **Author's own**: with a byline, the remaining sentences that carry the writer's
   judgement or forecast (unlikely, understandable, should, must, therefore …).
4. **Attribution chains**, where the text states them around a quoted or reported claim
   (its sentence, and the sentence of its speaker): a registry source right after "told",
   "speaking to", "in an interview with", "as reported by", "quoted by", "translated
   from" (…) carried the claim; "citing" a registry source makes that one the speaker and
   the one citing it the first carrier. Carriers are in text order; only registry
   sources (a chain link is a source of the registry) that are not persons ("Erdoğan told
   Tokayev" tells a listener, not a carrier). A registry source that closes a sentence
   whose speaker said something — "X said …, as reported by Y", "…, according to Y's
   report", "…, Y reported" — is its last carrier: the claim is X's, carried by Y (not
   Y's own, as the frame or the inverted verb would make it).

Speakers are registry names and aliases, surnames of registry people met in full
earlier, capitalised names the registry lacks (proposed as new sources, as written), and
"he"/"she" or a role noun ("the expert", "the publication") right after a speaker when
no other person stands between them. Plain ``re``: no model, an article in milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from annotate.suggest.base import (
    AUTHOR,
    REPORTED,
    Proposal,
    RegistryEntry,
)
from annotate.suggest.rule_patterns import (
    _ADJUNCT_AFTER_VERB,
    _KEEP_VERB,
    _NEEDS_THAT,
    AS_SUBJECT_RE,
    AUTHOR_RE,
    CARRIER_CUE_RE,
    CITING_RE,
    CUE_REACH,
    FRAME_RE,
    MIN_CONTENT_WORDS,
    NOUN_CUE_RE,
    PASSIVE_BACK_RE,
    VERB_RE,
    _merge,
)
from annotate.suggest.rule_quotes import QuoteRules


class RuleSuggester:
    """Rules over the text and the registry; see the module docstring."""

    name = "rules"
    version = "3"

    def suggest(
        self, article_text: str, *, byline: str, registry: Sequence[RegistryEntry]
    ) -> list[Proposal]:
        return _Run(article_text, byline, registry).proposals()


class _Run(QuoteRules):
    """Rules 2 to 4 and the walk over the article that applies them all."""

    def proposals(self) -> list[Proposal]:
        events: list[tuple[int, int, str]] = [(a, 0, "quote") for a, _ in self.quotes]
        events += [(s[0], 1, "sentence") for s in self.sentences]
        for pos, _, what in sorted(events):
            if what == "quote":
                if pos in self.continued:
                    continue
                end = next(b for a, b in self.quotes if a == pos)
                self._quote(pos, end)
            else:
                self._sentence(self._sentence_of(pos))
        attributed = [self._chained(p) for p in _merge(self.out)]
        if self.byline is not None:
            self.out = []
            self._author(attributed)
            attributed += self.out
        return sorted(attributed, key=lambda p: (p.start, -p.end))

    def _chained(self, p: Proposal) -> Proposal:
        """The proposal with the attribution chain its sentences state (rule 4)."""
        if p.attribution == AUTHOR:
            return p
        lo, hi = self._sentence_of(p.start)
        if p.mention_start is not None:
            m0, m1 = self._sentence_of(p.mention_start)
            lo, hi = min(lo, m0), max(hi, m1)
        source, mention = p.source_id, (p.mention_start, p.mention_end)
        carriers: list[tuple[int, int | None, int | None]] = []
        for name in self._names_in(lo, hi):
            if name.entry_id is None or p.start <= name.start < p.end:
                continue
            before = self.text[max(lo, name.start - CUE_REACH) : name.start]
            at = (name.entry_id, name.start, name.end)
            if CARRIER_CUE_RE.search(before):
                if name.kind != "person":  # "Erdoğan told Tokayev": a listener, no carrier
                    carriers.append(at)
            elif CITING_RE.search(before) and source is not None and not carriers:
                # The speaker cites this one: it said it first, the speaker carried it.
                carriers.append((source, *mention))
                source, mention = name.entry_id, (name.start, name.end)
        sentence = self._sentence_of(p.start)
        tail = self.tail_carriers.get(sentence[0])
        if tail is None:  # a quotation's claim: its sentence was not read as reported speech
            closing = self._carrier_tail(*sentence)
            tail = closing[1] if closing is not None and p.end <= closing[0] else None
        if tail is not None and not (p.start <= tail[1] < p.end):
            carriers.append(tail)  # "…, as reported by Y": the last carrier
        chain: list[tuple[int, int | None, int | None]] = []
        for link in carriers:
            if link[0] != source and link[0] not in {c[0] for c in chain}:
                chain.append(link)
        if not chain:
            return p
        return replace(
            p,
            source_id=source,
            mention_start=mention[0],
            mention_end=mention[1],
            chain=tuple(chain),
            cue=f"{p.cue}+chain",
        )

    def _sentence(self, sent: tuple[int, int]) -> None:
        s0, s1 = sent
        tail = self._carrier_tail(s0, s1)
        if tail is not None:
            made = len(self.out)
            self._sentence_body(s0, tail[0])
            if len(self.out) > made:
                self.tail_carriers[s0] = tail[1]
                return
        self._sentence_body(s0, s1)

    def _sentence_body(self, s0: int, s1: int) -> None:
        text = self.text[s0:s1]
        if text.rstrip().endswith("?"):
            return  # a question (a headline, often) asserts nothing
        if PASSIVE_BACK_RE.match(text):
            who = self._first_speaker(s0, s1)
            prev = self._sentences_before(s0)
            if who and prev:
                p0, p1 = prev[-1]
                that = re.search(r"\bthat\s+", self.text[p0:p1])
                self._add(p0 + (that.end() if that else 0), p1, REPORTED, who, 0.7, "passive")
            return
        for m in AS_SUBJECT_RE.finditer(text):
            who = self._subject(s0 + m.start("who"), s0 + m.end("who") + 1)
            if who:
                end = self._clause_end(s0 + m.end(), s1)
                self._add(s0 + m.end(), end, REPORTED, who, 0.7, "as-X-reports")
                s0 = end
                break
        frame = FRAME_RE.search(self.text, s0, s1)
        if frame and not self._in_quote(frame.start()):
            s0 = self._frame(s0, s1, frame)
        for cue in NOUN_CUE_RE.finditer(self.text, s0, s1):
            about = re.search(r"\b(?:about|that)\s+", self.text[cue.end() : s1])
            if about and not self._in_quote(cue.start()):
                who = self._first_speaker(cue.end(), cue.end() + about.start())
                start = cue.end() + about.end()
                self._add(start, s1, REPORTED, who, 0.7, "statement-by") if who else None
        for verb in VERB_RE.finditer(self.text, s0, s1):
            if not self._in_quote(verb.start()):
                self._verb(s0, s1, verb.start(), verb.end(), verb.group())

    def _frame(self, s0: int, s1: int, frame: re.Match[str]) -> int:
        """ "According to X, …", "… as noted by X": returns where the rest of the sentence
        (another speaker's part, if any) starts."""
        f0, f1 = frame.start(), frame.end()
        stop = self.text.find(",", f1, s1)
        who = self._first_speaker(f0, stop if stop != -1 else s1)
        if who is None:
            return s0
        if len(self.text[s0:f0].split()) >= MIN_CONTENT_WORDS:
            self._add(s0, f0, REPORTED, who, 0.7, "frame-after")
            return stop if stop != -1 else s1
        if stop == -1:
            return s1
        end = self._clause_end(stop + 1, s1)
        self._add(stop + 1, end, REPORTED, who, 0.7, "frame")
        return end

    def _verb(self, s0: int, s1: int, v0: int, v1: int, verb: str) -> None:
        clause = self.text.rfind(";", s0, v0) + 1 or s0
        before = self.text[clause:v0]
        if re.search(r"\b(?:be|been|being|is|was|were|are)\s+$", before):
            return  # passive without an agent: "it can be said that …"
        # "…, explains Temur Umarov." — content before, speaker after the verb.
        if before.rstrip().endswith(",") and not before.rstrip(" ,").endswith(("”", '"')):
            after_end = self.text.find(",", v1, s1)
            who = self._first_speaker(v1, after_end if after_end != -1 else s1)
            if who and who.at - v1 < 80:
                self._add(clause, v0, REPORTED, who, 0.7, "post-inverted")
                return
        who = self._subject(clause, v0)
        if who is None:
            return
        subj = who.at if who.mention and clause <= who.at < v0 else v0
        lead = self.text[clause:subj].rstrip()
        adjacent = re.fullmatch(r"[\w’'.\- ]*?(?:\s+\w+ly)?\s*", self.text[subj:v0]) is not None
        tail = self.text[v1:s1]
        # "…, Cumhuriyet wrote, outraged …" — content before the speaker.
        if adjacent and re.match(r"\s*(?:[,.]|$)", tail):
            if lead.endswith(",") and len(lead.split()) > MIN_CONTENT_WORDS:
                self._add(clause, clause + len(lead) - 1, REPORTED, who, 0.7, "post")
            elif not lead:
                prev = self._sentences_before(s0)
                if prev and not re.search(r"[.!?”\"]$", self.text[prev[-1][0] : prev[-1][1]]):
                    self._add(*prev[-1], REPORTED, who, 0.7, "post-across")
            return
        that = re.match(r"\s+(?:[^,.;:“\"]{0,30}?\s)?that\b\s*", tail)
        if verb in _NEEDS_THAT and not that:
            return
        if not that and _ADJUNCT_AFTER_VERB.match(tail):
            return  # “…,” Weaver said in May on the podcast — where and when, not what
        if any(verb.endswith(v) for v in _KEEP_VERB):
            start = v0
        else:
            skip = that or re.match(r"\s*[,:]?\s*", tail)
            start = v1 + (skip.end() if skip else 0)
        self._add(start, self._clause_end(start, s1), REPORTED, who, 0.7, verb)

    def _author(self, taken: list[Proposal]) -> None:
        for s0, s1 in self.sentences:
            text = self.text[s0:s1]
            if any(p.start < s1 and s0 < p.end for p in taken):
                continue
            if text.endswith("?") or not re.search(r"[.!”\"]$", text):
                continue
            if VERB_RE.search(text) or FRAME_RE.search(text) or not AUTHOR_RE.search(text):
                continue
            if len(text.split()) < 8:
                continue
            self._add(s0, s1, AUTHOR, self.byline, 0.4, "author")
