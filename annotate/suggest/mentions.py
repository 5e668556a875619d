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

from annotate.suggest.base import RegistryEntry
from corpus.text import search_key


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WORD_RE = re.compile(r"\w+(?:['’]\w+)*")
_POSSESSIVE_RE = re.compile(r"['’]s?$")
# Curly or straight marks, also mixed (“…" and "…”: texts pasted from several editors).
_QUOTE_RE = re.compile(r"[“\"][^“”\"\n]+[”\"]")
_ABBREVIATIONS = _words(
    "mr mrs ms dr st prof gen col lt sgt rev jr sr vs no nos jan feb mar apr jun jul aug "
    "sep sept oct nov dec inc ltd co corp e g i e u s etc approx"
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
    this that these those it its his her their our we they he she i you according"""
)
# Capitalised words that end a would-be person name: places, institutions, months.
NOT_NAME_WORDS = _words(
    """asia europe america africa caucasus union organization organisation states state
    republic republics council party war ministry department forum summit sea corridor
    university institute centre center foundation bank news times press agency service
    army forces force treaty initiative road belt world city region province valley
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


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str
    key: str
    possessive: bool


@dataclass(frozen=True)
class Mention:
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
    out = []
    for m in _WORD_RE.finditer(text):
        word = m.group()
        possessive = len(word) > 2 and word[-1] == "s" and word[-2] in "'’"
        base = word[:-2] if possessive else word
        out.append(Token(m.start(), m.end(), word, _word_key(base), possessive))
    return out


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
        for m in re.finditer(r"[.!?…]+[”\"’)\]]*(?=\s+\S)", line):
            before = re.search(r"(\w+)\W*$", line[: m.start() + 1])
            word = before.group(1).lower() if before else ""
            follower = line[m.end() :].lstrip()[:1]
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
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
    starts: set[str] = field(default_factory=set)
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
                index.starts.add(words[0])
                # Acronyms ("ET", "BZ", "EU") match only in capitals, not as words.
                if name.isupper() and len(name) <= 5:
                    index.exact_case[words] = name
                index.longest = max(index.longest, len(words))
            words = tuple(search_key(entry.name).split())
            if entry.kind == "person" and len(words) >= 2:
                index.surnames.setdefault(words[-1:], set()).add(entry.id)
                index.starts.add(words[-1])
        return index

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
        if toks[i].key not in index.starts:
            i += 1
            continue
        hit = None
        for n in range(min(index.longest, len(toks) - i), 0, -1):
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
        capital = tok.text[0].isupper() and not tok.text.isupper()
        joined = not run or re.fullmatch(r"[ \-]", text[run[-1].end : tok.start]) is not None
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
