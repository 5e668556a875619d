# One module (pure): sentences, quotations and names are found in one walk of the text.
"""Finding things in an article's text (pure): sentences, quotations, and the mentions of
possible speakers — registry names and aliases, surnames of registry people, capitalised
names the registry doesn't know, and pronouns or role nouns that point back to a speaker.

Matching goes through ``corpus.text.search_key``, the same key the registry is searched
by, so "Ihsan Sener" finds "İhsan Şener" and "Davutoglu" finds "Ahmet Davutoğlu".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from annotate.suggest.base import RegistryEntry
from corpus.text import search_key


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORD_RE = re.compile(r"\w+(?:['’]\w+)*")
_POSSESSIVE_RE = re.compile(r"['’]s?$")
# Curly or straight marks, also mixed (“…" and "…”: texts pasted from several editors).
_QUOTE_RE = re.compile(r"[“\"][^“”\"\n]+[”\"]")
ABBREVIATIONS = _words(
    "mr mrs ms dr st prof gen col lt sgt rev jr sr vs no nos jan feb mar apr jun jul aug "
    "sep sept oct nov dec inc ltd co corp e g i e u s etc approx sen rep reps gov lt "
    "capt maj adm cmdr supt atty pres"
)
# Words that begin a capitalised run but are not part of a person's name.
TITLE_WORDS = _words(
    """the a an as at in on of for and but or by to from with former ex then current acting
    president prime minister ministry deputy vice defense defence foreign interior finance
    secretary general brigadier colonel major admiral adviser advisor chief spokesperson
    spokesman spokeswoman speaker chairman chairwoman chair head leader ambassador envoy
    expert analyst professor prof dr mr mrs ms sir senator governor mayor king queen
    attaché attache commander director editor correspondent journalist observer columnist
    turkish russian kazakh uzbek kyrgyz tajik turkmen azerbaijani armenian chinese american
    german french british iranian afghan pakistani ukrainian georgian hungarian indian
    national security presidential political scientist however meanwhile also still yet
    this that these those it its his her their our we they he she i you according
    although though while when where after before since because if so then now later
    earlier last first next yet instead asked meanwhile"""
)
# Capitalised words that end a would-be person name: places, institutions, months.
NOT_NAME_WORDS = _words(
    """asia europe america africa caucasus union organization organisation states state
    republic republics council party war ministry department forum summit sea corridor
    university institute centre center foundation bank news times press agency service
    army forces force treaty initiative road belt world city region province valley
    studies relations affairs research sciences academy endowment school programme
    program committee association council commission
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday kazakhstan turkey russia china
    azerbaijan armenia uzbekistan kyrgyzstan tajikistan turkmenistan ukraine iran georgia
    moscow ankara beijing washington baku astana tashkent bishkek"""
)
PRONOUN_RE = re.compile(r"\b(?:he|she|He|She)\b")
ROLE_RE = re.compile(
    r"\b[Tt]he\s+(?:[A-Za-z][\w-]*\s+){0,2}?"
    r"(?P<noun>expert|analyst|political scientist|scientist|minister|president|adviser|"
    r"advisor|official|diplomat|general|observer|senator|governor|candidate|nominee|"
    r"spokesman|spokeswoman|spokesperson|congressman|congresswoman|lawmaker|mayor|"
    r"chairman|chairwoman|businessman|mogul|billionaire|economist|strategist|aide|"
    r"lawyer|attorney|professor|pollster|"
    r"author of the article|author|publication|"
    r"newspaper|paper|outlet|magazine|daily|agency|website)\b"
)
# What a capitalised name the registry lacks is, by its words: news outlets and agencies,
# governments and their bodies, other organisations; anything else is taken for a person.
OUTLET_NAMES = _words(
    """reuters afp ap interfax tass ria xinhua bloomberg cnn msnbc cnbc nbc abc cbs fox bbc
    npr pbs politico breitbart axios buzzfeed huffpost vox slate salon newsweek
    telegraph guardian economist anadolu sputnik aljazeera"""
)
OUTLET_WORDS = _words(
    """times post news journal press tribune herald gazette telegraph guardian daily
    magazine agency radio television tv channel network wire review observer chronicle
    examiner reporter insider beacon bulletin weekly monitor"""
)
GOVERNMENT_WORDS = _words(
    """ministry department government administration kremlin pentagon congress senate
    parliament cabinet embassy police court commission council ministry's fbi cia nsa
    dhs doj irs army navy military"""
)
GOVERNMENT_NAMES = (("white", "house"), ("state", "department"), ("foreign", "ministry"))
ORGANISATION_WORDS = _words(
    """party committee campaign foundation institute center centre university college
    association union coalition group company corporation corp inc ltd llc bank fund
    organization organisation council society league alliance club network caucus
    pac trust agency board office"""
)


def kind_of_name(name: str) -> str:
    """ "outlet", "government", "organisation" or "person", by the name's words ("The New
    York Times", "the State Department", "the Heritage Foundation", "Bay Buchanan")."""
    words = [w.lower() for w in _WORD_RE.findall(name)]
    if not words:
        return "person"
    plain = [_POSSESSIVE_RE.sub("", w) for w in words]
    if any(w in OUTLET_NAMES for w in plain[:1]) or plain[-1] in OUTLET_WORDS:
        return "outlet"
    topic = _topic_at(plain)
    if topic is not None:
        # "Council on Foreign Relations", "Commission on Presidential Debates": a body on a
        # subject is an organisation, unless its own words are the state's ("Senate
        # Committee on Foreign Relations").
        own = plain[:topic]
        return "government" if any(w in GOVERNMENT_WORDS for w in own) else "organisation"
    if any(w in GOVERNMENT_WORDS for w in plain) or any(
        tuple(plain[i : i + 2]) in GOVERNMENT_NAMES for i in range(len(plain) - 1)
    ):
        return "government"
    if any(w in ORGANISATION_WORDS for w in plain):
        return "organisation"
    return "person"


_BODY_WORDS = frozenset(("council", "commission", "committee", "board"))


def _topic_at(plain: list[str]) -> int | None:
    """Where a body's name turns to its subject ("Council *on* Foreign Relations",
    "Council *for* a Livable World"): the index of the body word, else None."""
    for i in range(len(plain) - 2):
        if plain[i] in _BODY_WORDS and plain[i + 1] in ("on", "for"):
            return i
    return None


OUTLET_NOUNS = (
    "publication",
    "newspaper",
    "paper",
    "outlet",
    "magazine",
    "daily",
    "agency",
    "website",
    "author of the article",
)


class Token(NamedTuple):
    start: int
    end: int
    text: str
    key: str
    possessive: bool


class Mention(NamedTuple):
    """A name in the text: of a registry entry (``entry_id``) or not (``entry_id`` None)."""

    start: int
    end: int
    text: str
    entry_id: int | None
    kind: str  # the registry kind, or "person" for an unknown name
    possessive: bool = False
    surname_only: bool = False
    full: str = ""  # a surname alone: the full name it was met under earlier

    @property
    def bare(self) -> str:
        """The words as written, without a possessive "’s"."""
        return _POSSESSIVE_RE.sub("", self.text) if self.possessive else self.text

    @property
    def name(self) -> str:
        if self.full:
            return self.full
        return _POSSESSIVE_RE.sub("", self.text) if self.possessive else self.text


@lru_cache(maxsize=65536)
def _word_key(word: str) -> str:
    return search_key(word).replace(" ", "")


def tokens(text: str) -> list[Token]:
    out: list[Token] = []
    append = out.append
    for m in _WORD_RE.finditer(text):
        word = m.group()
        start = m.start()
        if len(word) > 2 and word[-1] == "s" and word[-2] in "'’":
            append(Token(start, start + len(word), word, _word_key(word[:-2]), True))
        else:
            append(Token(start, start + len(word), word, _word_key(word), False))
    return out


_SENTENCE_END_RE = re.compile(r"[.!?…]+[”\"’)\]]*(?=\s+\S)")
_LAST_WORD_RE = re.compile(r"(\w+)\W*$")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans, never across a line break; abbreviations and initials don't end one."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        start = offset
        offset += len(line) + 1
        if not line.strip():
            continue
        begin = start + len(line) - len(line.lstrip())
        for m in _SENTENCE_END_RE.finditer(line):
            # The word before the mark (a window: searching for "$" from the line's start
            # made this quadratic in the paragraph's length).
            before = _LAST_WORD_RE.search(line, max(0, m.start() - 40), m.start() + 1)
            word = before.group(1).lower() if before else ""
            follower = line[m.end() :].lstrip()[:1]
            if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
            if follower.isalpha() and follower.islower():
                continue
            end = start + m.end()
            spans.append((begin, end))
            rest = line[m.end() :]
            begin = end + len(rest) - len(rest.lstrip())
        end = start + len(line.rstrip())
        if end > begin:
            spans.append((begin, end))
    return spans


def quotations(text: str) -> list[tuple[int, int]]:
    """Spans of quotations, marks included (“…” or "…", within one paragraph)."""
    return [m.span() for m in _QUOTE_RE.finditer(text)]


@dataclass
class RegistryIndex:
    """Registry names and aliases by their search-key words, longest first."""

    entries: dict[int, RegistryEntry]
    phrases: dict[tuple[str, ...], set[int]] = field(default_factory=dict)
    surnames: dict[tuple[str, ...], set[int]] = field(default_factory=dict)
    exact_case: dict[tuple[str, ...], str] = field(default_factory=dict)
    # The first word of each name → the lengths (in words) of the names it starts, longest
    # first, so that a token is only compared against names that could match there.
    starts: dict[str, list[int]] = field(default_factory=dict)
    longest: int = 1

    @classmethod
    def build(cls, registry: Sequence[RegistryEntry]) -> RegistryIndex:
        index = cls(entries={e.id: e for e in registry})
        for entry in registry:
            for name in (entry.name, *entry.aliases):
                words = tuple(search_key(name).split())
                if not words:
                    continue
                index.phrases.setdefault(words, set()).add(entry.id)
                index._start(words[0], len(words))
                # Acronyms ("ET", "BZ", "EU") match only in capitals, not as words.
                if name.isupper() and len(name) <= 5:
                    index.exact_case[words] = name
                index.longest = max(index.longest, len(words))
            words = tuple(search_key(entry.name).split())
            if entry.kind == "person" and len(words) >= 2:
                index.surnames.setdefault(words[-1:], set()).add(entry.id)
                index._start(words[-1], 1)
        return index

    def _start(self, word: str, length: int) -> None:
        lengths = self.starts.setdefault(word, [])
        if length not in lengths:
            lengths.append(length)
            lengths.sort(reverse=True)

    def kind(self, entry_id: int | None) -> str:
        entry = self.entries.get(entry_id) if entry_id is not None else None
        return entry.kind if entry else "person"


def registry_mentions(text: str, toks: list[Token], index: RegistryIndex) -> list[Mention]:
    """Registry names, aliases and people's surnames in the text, longest match first; a
    surname shared by several people goes to the one named in full before it, if any."""
    found: list[Mention] = []
    named: set[int] = set()
    i = 0
    while i < len(toks):
        lengths = index.starts.get(toks[i].key)
        if lengths is None:
            i += 1
            continue
        hit = None
        for n in lengths:
            if i + n > len(toks):
                continue
            words = tuple(t.key for t in toks[i : i + n])
            ids = index.phrases.get(words)
            weak = False
            if ids is None and n == 1:
                ids, weak = index.surnames.get(words), True
            if not ids:
                continue
            first = toks[i].text
            exact = index.exact_case.get(words)
            if exact is not None and toks[i].text != exact:
                continue
            if not first[0].isupper() and not any(
                not index.entries[e].name[:1].isupper() for e in ids
            ):
                continue
            hit = (n, ids, weak)
            break
        if hit is None:
            i += 1
            continue
        n, ids, weak = hit
        chosen = ids if len(ids) == 1 else ids & named
        last = toks[i + n - 1]
        if len(chosen) == 1:
            entry_id = next(iter(chosen))
            if not weak:
                named.add(entry_id)
            found.append(
                Mention(
                    toks[i].start,
                    last.end,
                    text[toks[i].start : last.end],
                    entry_id,
                    index.kind(entry_id),
                    last.possessive,
                    weak,
                )
            )
        i += n
    return found


def unknown_names(text: str, toks: list[Token], taken: list[Mention]) -> list[Mention]:
    """Runs of two to four capitalised words that the registry doesn't know ("Jake
    Sullivan"), titles stripped ("Defense Minister …"), as possible new sources."""
    covered = {(m.start, m.end) for m in taken}
    inside = {pos for m in taken for pos in range(m.start, m.end)}
    found: list[Mention] = []
    run: list[Token] = []

    def flush() -> None:
        words = list(run)
        while words and words[0].text.lower() in TITLE_WORDS:
            words.pop(0)
        if any(w.text.lower().rstrip("’'s") in NOT_NAME_WORDS for w in words):
            words = []
        if 2 <= len(words) <= 4:
            start, end = words[0].start, words[-1].end
            if (start, end) not in covered:
                found.append(
                    Mention(start, end, text[start:end], None, "person", words[-1].possessive)
                )
        run.clear()

    for tok in toks:
        # An initial ("Jeffrey M. Jones") belongs to the run it stands in.
        initial = len(tok.text) == 1 and tok.text.isupper() and text[tok.end : tok.end + 2] == ". "
        capital = tok.text[0].isupper() and (not tok.text.isupper() or initial)
        gap = text[run[-1].end : tok.start] if run else ""
        joined = not run or gap in (" ", "-") or (gap == ". " and len(run[-1].text) == 1)
        if capital and joined and tok.start not in inside:
            if run and run[-1].possessive:
                flush()
            run.append(tok)
            continue
        flush()
        if capital and tok.start not in inside:
            run.append(tok)
    flush()
    return found


# Words that may join the words of an organisation's name ("Center for Post-Soviet
# Studies", "Institute of International Relations", "Council on Foreign Relations").
ORGANISATION_LINKS = frozenset(("of", "for", "on", "and", "&", "the", "de"))
# The words that make a run of capitalised words an organisation's name (a person's name
# never holds one); ORGANISATION_WORDS without those that also end people's descriptions.
ORGANISATION_HEADS = (ORGANISATION_WORDS - {"group", "office", "board", "campaign", "network"}) | {
    "academy",
    "endowment",
    "school",
    "studies",
    "programme",
    "program",
}
MAX_ORGANISATION_WORDS = 9


def organisation_names(text: str, toks: list[Token], taken: list[Mention]) -> list[Mention]:
    """Names of organisations the registry lacks, as one mention each, never taken for
    people: runs of capitalised words, joined by "of", "for", "on", "and", "the" inside the
    run, that hold an organisation's word ("Center for Post-Soviet Studies", "International
    Relations Institute", "the Carnegie Endowment for International Peace"). Their kind is
    what the words say (an organisation, or a government body or an outlet)."""
    inside = {pos for m in taken for pos in range(m.start, m.end)}
    found: list[Mention] = []
    i = 0
    n = len(toks)
    while i < n:
        tok = toks[i]
        if not _capital(tok) or tok.start in inside or tok.text.lower() in ("the", "a", "an"):
            i += 1
            continue
        # The run: capitalised words, and links between two of them.
        # A link joins only once the run holds an organisation's word: "Ivan Petrov of
        # the Center …" is a person, then an organisation.
        j = i
        last = i
        headed = _bare(tok) in ORGANISATION_HEADS
        while j + 1 < n and j + 1 - i < MAX_ORGANISATION_WORDS:
            nxt = toks[j + 1]
            gap = text[toks[j].end : nxt.start]
            if gap not in (" ", "-") or nxt.start in inside or toks[j].possessive:
                break
            if _capital(nxt):
                j += 1
                last = j
                headed = headed or _bare(nxt) in ORGANISATION_HEADS
            elif headed and _links(toks[j], nxt):
                j += 1
            else:
                break
        words = toks[i : last + 1]
        heads = [k for k, w in enumerate(words) if _bare(w) in ORGANISATION_HEADS]
        if heads and len(words) >= 2:
            start, end = words[0].start, words[-1].end
            name = text[start:end]
            kind = kind_of_name(name)
            found.append(
                Mention(
                    start,
                    end,
                    name,
                    None,
                    kind if kind != "person" else "organisation",
                    words[-1].possessive,
                )
            )
            inside.update(range(start, end))
            i = last + 1
            continue
        i = last + 1 if last > i else i + 1
    return found


def _links(before: Token, link: Token) -> bool:
    """Whether ``link`` may join the name going on after ``before``: "of", "for", "on"
    after any word; "the" after those; "and" only inside a name, not after its head
    ("Institute and the Council …" is two organisations)."""
    word = link.text.lower()
    if word not in ORGANISATION_LINKS:
        return False
    if word == "the":
        return before.text.lower() in ("of", "for", "on")
    if word in ("and", "&"):
        return _capital(before) and _bare(before) not in ORGANISATION_HEADS
    return _capital(before)


def _capital(tok: Token) -> bool:
    return tok.text[:1].isupper() and (len(tok.text) > 1 or tok.text == "&")


def _bare(tok: Token) -> str:
    return _POSSESSIVE_RE.sub("", tok.text.lower()) if tok.possessive else tok.text.lower()


def surnames_of_unknown(text: str, toks: list[Token], taken: list[Mention]) -> list[Mention]:
    """A surname alone ("Buchanan said") after the person was named in full ("Bay
    Buchanan") and the registry doesn't know them: the full name, as a new source. A
    surname two people share goes to the one named last before it."""
    people = sorted(
        (m for m in taken if m.entry_id is None and m.kind == "person" and not m.full),
        key=lambda m: m.start,
    )
    if not people:
        return []
    inside = {pos for m in taken for pos in range(m.start, m.end)}
    by_surname: dict[str, list[Mention]] = {}
    for m in people:
        last = _WORD_RE.findall(m.name)
        if len(last) >= 2 and len(last[-1]) > 2:
            by_surname.setdefault(_word_key(last[-1]), []).append(m)
    found = []
    for tok in toks:
        if tok.start in inside or not tok.text[:1].isupper() or tok.text.isupper():
            continue
        named = [m for m in by_surname.get(tok.key, ()) if m.end <= tok.start]
        if named:
            full = named[-1].name
            found.append(
                Mention(tok.start, tok.end, tok.text, None, "person", tok.possessive, True, full)
            )
    return found
