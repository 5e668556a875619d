# One module (pure): the rules share one walk of the text and are tuned together.
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
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace

from annotate.claims.offsets import snap_to_words
from annotate.suggest import mentions as found
from annotate.suggest.base import (
    AUTHOR,
    DIRECT,
    NEW_SOURCE_KINDS,
    REPORTED,
    Proposal,
    RegistryEntry,
)
from corpus.text import search_key


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_VERB_WORDS = _words(
    """says said saying notes noted noting comments commented explains explained
believes believed stresses stressed emphasizes emphasized emphasises emphasised accused
accuses stated stating claimed argues argued arguing warns warned writes wrote reports
reported announced announces declared declares insisted insists underlined underlines
reiterated reiterates asserted asserts told tells summarised summarized characterized
characterised highlighted added adds predicted predicts acknowledged admitted confirmed
urged hoped"""
)
_VERB = r"(?:points out|pointed out|points that|(?:is|was|are) convinced|" + "|".join(
    sorted(_VERB_WORDS, key=len, reverse=True)
)
_VERB += ")"
VERB_RE = re.compile(rf"\b{_VERB}\b")
# Verbs whose object is part of the claim ("accused Russia of occupying Kazakhstan").
_KEEP_VERB = ("accused", "accuses", "urged", "characterized", "characterised", "highlighted")
# Verbs that report speech only with a that-clause ("announced that …", not "announced
# the Belt and Road Initiative").
_NEEDS_THAT = _words(
    """announced announces declared declares confirmed acknowledged admitted added adds
    hoped told tells believed believes reported reports predicted predicts warned warns"""
)
# Verbs that attribute a quotation next to them (“…,” Weaver tweeted / She replied: “…”).
# Wider than ``_VERB``: beside quotation marks, these words only introduce what is quoted.
_QUOTE_VERB_WORDS = _VERB_WORDS | _words(
    """asked asks replied replies responded responds continued continues tweeted tweets
    posted posts recalled recalls shouted shouts joked jokes quipped quips conceded
    concedes concluded concludes vowed vows assured assures promised promises pledged
    pledges declared declares retorted retorts countered counters complained complains
    boasted boasts remarked remarks observed observes mused muses cried cries yelled
    yells chanted chants sang sings read reads testified testifies wondered wonders
    agreed agrees suggested suggests offered offers explained explains answered answers
    interjected interjects exclaimed exclaims proclaimed proclaims cautioned cautions
    lamented laments scoffed scoffs snapped snaps opined opines emailed texted
    recounted recounts reasoned reasons added adds insisted insists repeated repeats
    went"""
)
_QUOTE_VERB = "(?:" + "|".join(sorted(_QUOTE_VERB_WORDS, key=len, reverse=True)) + ")"
QUOTE_VERB_RE = re.compile(rf"\b{_QUOTE_VERB}\b")
# A quotation that ends a phrase of its own ("…,” / “…?” / “…!”, or a comma after the
# mark): the words after it are its attribution, not the sentence it is part of.
_OPEN_END_RE = re.compile(r"[,?!—–-]\s*[”\"]$|[”\"]\s*,")
# A speaker named by a common noun phrase ("the man", "one former senior official", "a
# person close to the Clintons", "the company"): kept as the mention, without a name.
_GENERIC_SPEAKER_RE = re.compile(
    r"(?:the|a|an|one|another|some|several|many|two|three|his|her|their|its|this|that)"
    r"(?:\s+[\w’'-]+){1,7}$",
    re.IGNORECASE,
)
_NOT_SPEAKER_WORDS = _words(
    """is was are were be been has have had will would could should may might can do does
    did not that which it this there here then when where what how why if because"""
)
# Verbs that name something with a quotation (called it “a disaster”), not "called for".
NAMING_RE = re.compile(
    r"\b(?:call(?:s|ed|ing)?|describ(?:es|ed|ing|e)|label(?:s|ed|led|ing)?|dubb(?:ed|ing)|"
    r"dubs?|brand(?:s|ed|ing)|term(?:s|ed|ing))\b(?!\s+(?:for|on|out|up|off|in|back|it quits)\b)"
)
FRAME_RE = re.compile(
    r"\b(?:[Aa]ccording to|[Aa]s (?:noted|reported|stated|said|explained|written|mentioned|"
    r"pointed out)\b[^,.;]*?(?:\bby\b|$)|[Ii]n the words of)\s*"
)
AS_SUBJECT_RE = re.compile(rf"\b[Aa]s\s+(?P<who>[^,.;]{{2,80}}?)\s+{_VERB}\s*,\s*")
PASSIVE_BACK_RE = re.compile(
    r"^(?:This|That|It)\s+(?:was|has been|had been|is)\s+(?:stated|said|noted|stressed|"
    r"emphasi[sz]ed|claimed|argued|announced|declared)\s+by\b"
)
NOUN_CUE_RE = re.compile(
    r"\b(?:statement|remarks|words|comments|emphasis|assurances?)\s+(?:by|from|of)\s+"
)
POSSESSIVE_CUE_RE = re.compile(
    r"\b(?:his|her)\s+(?:emphasis|statement|words|remarks|view|opinion|argument|assessment)"
    r"\s+that\s*$"
)
_LEADING_ADJUNCT = re.compile(
    r"^(?:at|in|on|during|after|before|attending|speaking|while|alongside|who|which|"
    r"according|citing|as|when|with|from|for|among)\b"
)
_ADJUNCT_AFTER_VERB = re.compile(
    r"\s*(?:in|on|at|during|after|before|while|when|to|from|of|about|last|earlier|later|"
    r"this|yesterday|today|tonight|recently|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday)\b",
    re.IGNORECASE,
)
_PREPOSITION_BEFORE = re.compile(
    r"\b(?:in|of|from|with|to|for|on|at|against|than|and)\s+(?:the\s+)?$"
)
AUTHOR_RE = re.compile(
    r"\b(?:unlikely|likely|understandable|should|must|needs? to|cannot|can now only|"
    r"it is (?:also )?(?:possible|clear|obvious|well known)|clearly|obviously|therefore|"
    r"thus|nevertheless|in fact)\b",
    re.IGNORECASE,
)
# Words right before a registry source that make it a carrier of the claim.
CARRIER_CUE_RE = re.compile(
    r"\b(?:told|tells|telling|speaking to|spoke to|in an interview (?:with|to)|"
    r"(?:as )?(?:first )?(?:reported|published|quoted|cited|carried) (?:by|in)|"
    r"translated from|translation (?:from|of)|via|(?:wrote|writes) (?:in|for))"
    r"\s+(?:the\s+)?$",
    re.IGNORECASE,
)
# "…, citing X": X said it first, the speaker carried it.
CITING_RE = re.compile(r"\b(?:citing|quoting)\s+(?:the\s+)?$", re.IGNORECASE)
# A registry source closing a sentence as its carrier: ", as reported by Y", ", according
# to Y('s report)", ", in a report by Y" (the cue before the name) …
CARRIER_TAIL_BEFORE_RE = re.compile(
    r",\s*(?:(?:as\s+)?(?:first\s+)?(?:reported|published|quoted|cited|carried)\s+(?:by|in)|"
    r"according\s+to|in\s+(?:a|an)\s+(?:report|article|interview)\s+(?:by|in|of|with))"
    r"\s+(?:the\s+)?$",
    re.IGNORECASE,
)
CARRIER_TAIL_AFTER_RE = re.compile(
    r"(?:['’]s?\s+(?:report|reporting|article|story|interview|translation))?\s*[.!]?[”\"]?\s*$",
    re.IGNORECASE,
)
# … or ", Y reported." (the verb after the name).
CARRIER_VERB_BEFORE_RE = re.compile(r",\s*(?:the\s+)?$", re.IGNORECASE)
CARRIER_VERB_AFTER_RE = re.compile(
    r"\s+(?:reported|reports|has reported|wrote|writes|has written)\s*[.!]?\s*$", re.IGNORECASE
)
CUE_REACH = 40  # characters before a name where its cue may end
MIN_QUOTE_WORDS = 5
MIN_CONTENT_WORDS = 4


@dataclass(frozen=True)
class Speaker:
    source_id: int | None
    new_name: str
    mention: tuple[int, int] | None
    kind: str
    at: int  # where it was last named, for resolving pronouns


class RuleSuggester:
    """Rules over the text and the registry; see the module docstring."""

    name = "rules"
    version = "3"

    def suggest(
        self, article_text: str, *, byline: str, registry: Sequence[RegistryEntry]
    ) -> list[Proposal]:
        return _Run(article_text, byline, registry).proposals()


class _Run:
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


_STOP_RE = re.compile(r"[,;:!?(“”\"\n]|(?P<word>\w+)\.(?=\s|$)")
_SENTENCE_STOP_RE = re.compile(r"[;:!?(“”\"\n]|(?P<word>\w+)\.(?=\s|$)")


def _phrase_end(text: str, lo: int, hi: int, *, commas: bool = True) -> int:
    """Where the phrase from ``lo`` stops before ``hi``: at punctuation (commas too, unless
    ``commas`` is False), or at a full stop that is not an abbreviation or an initial
    ("Sen.", "Jeffrey M. Jones")."""
    for m in (_STOP_RE if commas else _SENTENCE_STOP_RE).finditer(text, lo, hi):
        word = m.group("word")
        if word is None:
            return m.start()
        if word.lower() in found.ABBREVIATIONS or len(word) == 1 and word.isupper():
            continue
        return m.end() - 1
    return hi


# A verb, its object and what it is for (praised Cruz for showing “…”, accusing him of
# acting like a “spoiled child”).
_VERB_OBJECT_FOR_RE = re.compile(
    r"\b[a-z]{3,}(?:ed|es|ing)\b(?=(?:\s+[\w’'-]+){1,5}\s+(?:for|of)\s+[a-z]+ing\b)"
)
# A verb (and its object, at most three words) right before ", “" or ": “".
_VERB_BEFORE_QUOTE_RE = re.compile(
    r"\b[a-z]{3,}(?:ed|ing|es|s)\b(?:\s+[\w’'-]+){0,3}?(?:\s+\w+ly)?\s*[,:]\s*$"
)
# Any verb with a that-clause (mused that, found that, explaining that).
_ANY_VERB_THAT_RE = re.compile(
    r"\b(?P<verb>[a-z]{3,}(?:ed|es|s|ing))\s+(?:[^,.;:“”\"]{0,40}?\s)?that\s+"
)
# Verbs with a that-clause that report nothing anyone said.
_NOT_REPORTING = _words(
    """does goes seems seemed means meant happens happened ensures ensured ensuring makes
    made given assumes assuming suggests proves proved proving shows showed showing
    knows"""
)
# A noun phrase and a verb in the past tense (“…?” Hannity pressed).
_PAST_VERB_AFTER_RE = re.compile(
    r"(?P<np>[A-Za-z][\w’'.-]*(?: [\w’'.-]+){0,4}) (?P<verb>[a-z]{3,}ed)\b(?:\s+\w+)?\s*[.,]"
)
# A sentence that starts inside a stretch of text.
_NEW_SENTENCE_RE = re.compile(r"[.!?][”\"]?\s+[A-Za-z]")
# What follows a quotation that ends a reported clause without being part of it.
_ASIDE_AFTER_QUOTE = re.compile(
    r"\s*(?:[,(]|(?:as|while|when|because|before|after|even|despite)\b)"
)


def _is_title(inner: str) -> bool:
    """A short quotation of capitalised words only (“This Week”, “Morning Joe”): a title."""
    words = _WORDS_RE.findall(inner)
    return bool(words) and all(w[:1].isupper() or w in _TITLE_LINKS for w in words)


_WORDS_RE = re.compile(r"\w[\w’'-]*")
_TITLE_LINKS = frozenset(("of", "the", "a", "an", "and", "in", "on", "for", "to", "with"))


def _capitalised_name(phrase: str) -> str | None:
    """The name in a phrase of capitalised words ("Trump", "Sen. Tom Udall", "The New York
    Times", "Reuters"), title words dropped; None when a word is not capitalised (besides
    "of", "the", "for", "and")."""
    words = phrase.split()
    while words and words[0].lower().rstrip(".") in found.TITLE_WORDS | found.ABBREVIATIONS:
        if (
            words[0].lower() == "the"
            and len(words) > 1
            and found.kind_of_name(" ".join(words)) != "person"
        ):
            break  # "The New York Times": the article is part of the name
        words.pop(0)
    if not words or not words[0][:1].isupper() or not words[-1][:1].isupper():
        return None
    for w in words:
        if not w[:1].isupper() and w not in ("of", "the", "for", "and", "on"):
            return None
    name = " ".join(words).rstrip(".,")
    if name.lower() in found.TITLE_WORDS or name.lower() in found.NOT_NAME_WORDS:
        return None
    return name


def _new_kind(who: Speaker | None) -> str:
    """The kind of a speaker the registry lacks, as the rules tell it ("" otherwise)."""
    if who is None or who.source_id is not None or not who.new_name:
        return ""
    return who.kind if who.kind in NEW_SOURCE_KINDS else ""


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop spaces, commas and a dangling conjunction at the ends of a content span."""
    while start < end and text[start] in " ,;:\n":
        start += 1
    piece = text[start:end]
    m = re.search(r"[\s,;:]+(?:and|but|so|while|as|in this regard)?[\s,;:]*$", piece)
    if m and m.start() > 0:
        end = start + m.start()
    return start, end


def _jaccard(a: Proposal, b: Proposal) -> float:
    inter = max(0, min(a.end, b.end) - max(a.start, b.start))
    return inter / (max(a.end, b.end) - min(a.start, b.start))


def _merge(proposals: list[Proposal]) -> list[Proposal]:
    """One proposal per claim: a quotation that is most of a reported clause stays as the
    direct quote; a short quotation inside a longer reported clause goes (the clause
    covers it); near-duplicates keep the better-scored one."""
    kept: list[Proposal] = []
    for p in sorted(proposals, key=lambda p: -p.score):
        clash = None
        for k in kept:
            if k.end <= p.start or p.end <= k.start:
                continue
            inside = k.start <= p.start and p.end <= k.end or p.start <= k.start and k.end <= p.end
            if _jaccard(p, k) >= 0.5 or (inside and k.source_id == p.source_id):
                clash = k
                break
        if clash is None:
            kept.append(p)
        elif (
            clash.attribution == DIRECT
            and p.attribution == REPORTED
            and _jaccard(p, clash) < 0.6
            and p.start <= clash.start
            and clash.end <= p.end
        ):
            kept[kept.index(clash)] = p  # a partial quote: the reported clause is the claim
    return kept
