"""The rule-based suggester's patterns (pure): the reporting verbs and frames, the cues of
speakers and carriers, and the small text helpers the rules share (``annotate.suggest.rules``
describes the rules)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from annotate.suggest import mentions as found
from annotate.suggest.base import (
    DIRECT,
    NEW_SOURCE_KINDS,
    REPORTED,
    Proposal,
)


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
