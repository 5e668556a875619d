"""Rule 1 of the rule-based suggester (pure): direct quotes and their speakers, before or
after the quotation, and the carrier that closes a sentence ("…, as reported by Y") that
rule 4 reads (``annotate.suggest.rules`` describes the rules)."""

from __future__ import annotations

import re
from bisect import bisect_left

from annotate.suggest.base import (
    DIRECT,
    REPORTED,
)
from annotate.suggest.rule_patterns import (
    _ANY_VERB_THAT_RE,
    _GENERIC_SPEAKER_RE,
    _NEW_SENTENCE_RE,
    _NOT_REPORTING,
    _NOT_SPEAKER_WORDS,
    _PAST_VERB_AFTER_RE,
    _QUOTE_VERB,
    _VERB_BEFORE_QUOTE_RE,
    _VERB_OBJECT_FOR_RE,
    CARRIER_TAIL_AFTER_RE,
    CARRIER_TAIL_BEFORE_RE,
    CARRIER_VERB_AFTER_RE,
    CARRIER_VERB_BEFORE_RE,
    CUE_REACH,
    FRAME_RE,
    MIN_CONTENT_WORDS,
    MIN_QUOTE_WORDS,
    NAMING_RE,
    NOUN_CUE_RE,
    POSSESSIVE_CUE_RE,
    QUOTE_VERB_RE,
    VERB_RE,
    Speaker,
    _is_title,
    _phrase_end,
)
from annotate.suggest.rule_state import RunState


class QuoteRules(RunState):
    """Direct quotations (rule 1) over the run's state."""

    def _quote(self, qa: int, qb: int) -> None:
        inner = self.text[qa + 1 : qb - 1]
        words = len(inner.split())
        if not words:
            return
        if words < MIN_QUOTE_WORDS and _is_title(inner):
            return  # On ABC's “This Week,” … — a title, not what someone said
        s0, _ = self._sentence_of(qa)
        who = self._after_quote(qa, qb)
        explicit = who is not None
        # Fiorina was “personally involved,” said Huhn — the claim is the clause the
        # quotation ends, from the sentence's start.
        prefix = len(self.text[s0:qa].split()) >= 2
        if who is not None and prefix and not QUOTE_VERB_RE.search(self.text, s0, qa):
            self._add(s0, qb, REPORTED, who, 0.8, "clause-quote")
            return
        if who is None and s0 < qa and self._naming(s0, qa, qb):
            return
        if who is None and s0 < qa:
            who, explicit = self._before_quote(s0, qa)
            clause = self._clause_before(s0, qa) if who is not None else None
            if clause is not None:
                # He has declared Cruz to be “anointed” … — the quotation is part of
                # what is reported: the claim is the clause.
                self._add(
                    clause,
                    self._quoted_clause_end(clause, qb),
                    REPORTED,
                    who,
                    0.8,
                    "quote-in-clause",
                )
                return
        if who is None and s0 < qa and self._any_verb_that(s0, qa, qb):
            return
        if who is None and self.text[qa - 1 : qa] in ("", "\n"):
            para_end = self.text.find("\n", qb)
            if para_end == -1 or not self.text[qb:para_end].strip(' .,”"'):
                who, explicit = self._paragraph_speaker(qa)
        # A short quotation is a claim only when its attribution is right beside it
        # (“We lost,” he said / he said: “We lost.”), not a phrase in scare quotes.
        if who is None or words < MIN_QUOTE_WORDS and not explicit:
            return
        end = self._continued(qb)
        self._add(qa + 1, end - 1, DIRECT, who, 0.9, "quote", min_words=1)

    def _after_quote(self, qa: int, qb: int) -> Speaker | None:
        """The speaker named right after a quotation: “…,” said X / “…,” X said / “…,”
        Weaver, the campaign manager, told MSNBC / “…,” the statement read."""
        text = self.text
        para = text.find("\n", qb)
        hi = min(len(text) if para == -1 else para, qb + 200)
        after = text[qb:hi]
        m = re.match(rf"\s*[,.?!—–-]?\s*(?:{_QUOTE_VERB})\b", after)
        if m:
            lo = qb + m.end()
            return self._np_speaker(lo, _phrase_end(text, lo, hi), last=False)
        lead = re.match(r"\s*,?\s*", after)
        assert lead is not None
        lo = qb + lead.end()
        open_end = text[qb - 2 : qb - 1] in (",", "?", "!", "—", "–", "-") or "," in after[:2]
        verb = QUOTE_VERB_RE.search(text, lo, hi)
        if open_end and (verb is None or verb.start() - lo > 30):
            who = self._speaker_before_any_verb(lo, hi)
            if who is not None:
                return who
        if verb is None or not open_end and verb.start() - lo > 60:
            return None
        region = text[lo : verb.start()]
        if _phrase_end(text, lo, verb.start(), commas=False) != verb.start():
            return None  # a sentence or a clause ends before the verb
        head_end = lo + region.find(",") if "," in region else verb.start()
        head = text[lo:head_end].split()
        if not head or len(head) > 10 or any(w.lower() in _NOT_SPEAKER_WORDS for w in head):
            return None
        if not open_end:  # “…” X said: only a name or a pointer right before the verb
            cands = self._candidates(lo, head_end)
            if not (cands and cands[0][0] == lo and cands[-1][1] >= head_end - 1):
                return None
        return self._np_speaker(lo, head_end, last=True)

    def _speaker_before_any_verb(self, lo: int, hi: int) -> Speaker | None:
        """“…?” Hannity pressed / “Mexico!” the audience screamed back: after a quotation
        that ends a phrase of its own, a name or a pointer right before a verb in the past
        tense the rules don't list is the speaker."""
        m = _PAST_VERB_AFTER_RE.match(self.text, lo, hi)
        if m is None:
            return None
        head_end = m.start("verb") - 1
        cands = self._candidates(lo, head_end + 1)
        if cands and cands[0][0] == lo and cands[-1][1] >= head_end - 1:
            return self._speaker_at(*cands[-1])
        phrase = self.text[lo:head_end]
        if _GENERIC_SPEAKER_RE.fullmatch(phrase) and len(phrase.split()) <= 4:
            return Speaker(None, "", (lo, head_end), "unknown", lo)
        return None

    def _naming(self, s0: int, qa: int, qb: int) -> bool:
        """Trump called the system “rigged” / Obama described the attack as “a sobering
        reminder …” / …, calling it a “no-brainer” to prosecute: the speaker names
        something with the quotation; the claim runs from after the verb to the end of the
        clause. Proposes it and says so."""
        verbs = [
            v
            for regex in (NAMING_RE, _VERB_OBJECT_FOR_RE)
            for v in regex.finditer(self.text, s0, qa)
            if not self._in_quote(v.start())
        ]
        verbs.sort(key=lambda v: v.start())
        if not verbs:
            return False
        v = verbs[-1]
        between = self.text[v.end() : qa]
        if re.search(r"[.;:!?]", between) or len(between.split()) > 12:
            return False
        clause = self.text.rfind(";", s0, v.start()) + 1 or s0
        if self.text[clause : v.start()].rstrip().endswith(","):
            # "…, calling it …": the subject of the sentence
            who = self._first_speaker(clause, v.start())
        else:
            who = self._subject(clause, v.start())
        if who is None:
            return False
        end = self._quoted_clause_end(v.end(), qb)
        more = re.search(r"\s+and\s+\w+ing\b", self.text[qb:end])
        if more:
            end = qb + more.start()
        self._add(v.end(), end, REPORTED, who, 0.8, "naming", min_words=1)
        return True

    def _any_verb_that(self, s0: int, qa: int, qb: int) -> bool:
        """Rubio mused that Clinton was “disqualified …” / Pew found that “…”: a quotation
        in a that-clause after a verb the rules don't list, with a speaker as its subject;
        the clause is the claim. Proposes it and says so."""
        verbs = [
            v
            for v in _ANY_VERB_THAT_RE.finditer(self.text, s0, qa)
            if not self._in_quote(v.start()) and v.group("verb") not in _NOT_REPORTING
        ]
        if not verbs:
            return False
        v = verbs[-1]
        if re.search(r"[.;:!?]", self.text[v.end() : qa]):
            return False
        clause = self.text.rfind(";", s0, v.start()) + 1 or s0
        if v.group("verb").endswith("ing") and self.text[clause : v.start()].rstrip().endswith(","):
            who = self._first_speaker(clause, v.start())
        else:
            who = self._subject(clause, v.start())
        if who is None:
            return False
        self._add(v.end(), self._quoted_clause_end(v.end(), qb), REPORTED, who, 0.75, "that")
        return True

    def _paragraph_speaker(self, qa: int) -> tuple[Speaker | None, bool]:
        """A paragraph that is only a quotation: the speaker the paragraph before brings in
        with a colon ("He told his audience:"), else the last speaker."""
        prev = self._sentences_before(qa)
        if prev:
            p0, p1 = prev[-1]
            if self.text[p0:p1].rstrip().endswith(":") and "\n" in self.text[p1:qa]:
                who, _ = self._before_quote(p0, p1)
                if who is not None:
                    return who, True
        return (self.last[-1] if self.last else None), False

    def _continued(self, qb: int) -> int:
        """Where a quotation ends once the quotations that carry it on are taken in: “…,”
        Reed said. “…” — the next quotation of the paragraph, when only its attribution
        stands between them and nothing attributes the next one to someone else."""
        end = qb
        while True:
            i = bisect_left(self.quote_starts, end)
            if i == len(self.quotes):
                return end
            a, b = self.quotes[i]
            # “…,” Perez said on NBC's “Meet the Press.” “…” — a title in the
            # attribution is part of the gap, not the next quotation.
            while _is_title(self.text[a + 1 : b - 1]) and i + 1 < len(self.quotes):
                i += 1
                a, b = self.quotes[i]
            gap = self.text[end:a]
            if "\n" in gap or len(gap) > 160 or not QUOTE_VERB_RE.search(gap):
                return end
            if _NEW_SENTENCE_RE.search(gap.rstrip()):
                return end  # “…,” she told him. It matters, she said, that “…”
            if _is_title(self.text[a + 1 : b - 1]) or self._after_quote(a, b) is not None:
                return end  # a title, or a quotation with an attribution of its own
            para_end = self.text.find("\n", b)
            after = self.text[b : para_end if para_end != -1 else len(self.text)]
            # more after it: a continuation only when it ends its sentence
            more = after.strip(' .,;:”"') and not re.match(r"\s*[“\"]", after)
            if more and not re.match(r"\s*(?:[.!?]|$)", after) and self.text[b - 2] not in ".!?":
                return end
            self.continued.add(a)
            end = b

    def _before_quote(self, s0: int, qa: int) -> tuple[Speaker | None, bool]:
        """The speaker of a quotation named before it in its sentence, and whether the
        attribution is right before the quotation (… he said, “…” / … he said: “…”)."""
        pre = self.text[s0:qa]
        m = POSSESSIVE_CUE_RE.search(pre)
        if m:
            return self._resolve_pointer(s0 + m.start(), s0 + m.start() + 3), True
        cues = list(NOUN_CUE_RE.finditer(pre))
        if cues:
            return self._first_speaker(s0 + cues[-1].end(), qa), False
        frame = FRAME_RE.search(pre)
        if frame and not self._in_quote(s0 + frame.start()):
            stop = self.text.find(",", s0 + frame.end(), qa)
            who = self._np_speaker(s0 + frame.end(), stop if stop != -1 else qa, last=False)
            if who is not None:
                return who, stop != -1 and not self.text[stop + 1 : qa].strip()
        verbs = [v for v in VERB_RE.finditer(pre) if not self._in_quote(s0 + v.start())]
        near = QUOTE_VERB_RE.search(pre, max(0, len(pre) - 40))
        if (
            near
            and not self._in_quote(s0 + near.start())
            and (not verbs or verbs[-1].start() < near.start())
        ):
            verbs = [near]
        explicit = bool(re.search(r"[,:]\s*$", pre))
        if verbs:
            v = verbs[-1]
            beside = explicit and len(pre[v.end() :].split()) <= 3
            return self._subject(s0, s0 + v.start()), beside
        last = _VERB_BEFORE_QUOTE_RE.search(pre)
        if last and not self._in_quote(s0 + last.start()):
            # he hinted at Trump, adding, “…” / emailed supporters, telling them, “…”
            v0 = s0 + last.start()
            clause = self.text.rfind(";", s0, v0) + 1 or s0
            if self.text[clause:v0].rstrip().endswith(","):
                return self._first_speaker(clause, v0), True
            return self._subject(clause, v0), True
        if pre.rstrip().endswith(":"):
            return self._first_speaker(s0, s0 + len(pre.rstrip()) - 1), True
        return None, False

    def _clause_before(self, s0: int, qa: int) -> int | None:
        """Where the reported clause that holds a quotation starts, when the quotation is
        inside one (… told Politico that he backs Trump because “…”); None when the
        attribution stands right before the quotation (he said, “…” / he said: “…”)."""
        pre = self.text[s0:qa]
        verbs = [v for v in QUOTE_VERB_RE.finditer(pre) if not self._in_quote(s0 + v.start())]
        if not verbs or re.search(r"[,:]\s*$", pre):
            return None
        rest = pre[verbs[-1].end() :]
        if len(rest.split()) < 2 or re.search(r"[.;!?]", rest) or rest.lstrip().startswith(","):
            return None
        that = re.match(r"\s+(?:[^,.;:“\"]{0,30}?\s)?that\b\s*", rest)
        return s0 + verbs[-1].end() + (that.end() if that else 0)

    def _carrier_tail(self, s0: int, s1: int) -> tuple[int, tuple[int, int, int]] | None:
        """Where a sentence's closing carrier clause starts (its comma) and the carrier
        (registry id, mention): "X said …, as reported by Y" / "…, according to Y's
        report" / "…, Y reported". None when the sentence has none, or nobody in it says
        anything before (then "according to Y" makes Y the speaker, as a frame)."""
        for name in reversed(self._names_in(s0, s1)):
            if name.entry_id is None or self._in_quote(name.start):
                continue
            before = self.text[max(s0, name.start - CUE_REACH) : name.start]
            after = self.text[name.end : s1]
            cue = CARRIER_TAIL_BEFORE_RE.search(before)
            if cue is None or not CARRIER_TAIL_AFTER_RE.fullmatch(after):
                cue = CARRIER_VERB_BEFORE_RE.search(before)
                if cue is None or not CARRIER_VERB_AFTER_RE.fullmatch(after):
                    return None
            cut = name.start - len(before) + cue.start()
            head = self.text[s0:cut]
            said = any(not self._in_quote(s0 + v.start()) for v in VERB_RE.finditer(head))
            quoted = any(s0 <= a < cut for a, _ in self.quotes)
            if not (said or quoted) or len(head.split()) < MIN_CONTENT_WORDS:
                return None
            return cut, (name.entry_id, name.start, name.end)
        return None
