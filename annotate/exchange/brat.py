"""brat standoff, zipped: for each article and layer a ``.txt`` (the exact text, UTF-8,
LF line ends) and a ``.ann``, plus ``annotation.conf`` and ``manifest.json``.

Layout: ``[<split>/]<layer>/<name>.txt|.ann`` where the layer is ``gold`` or the
annotator's username (brat compares annotators as separate collections), and the name is
the first 16 hex digits of the article's SHA-256. An article is in the folders of the
layers that have claims on it; with the ``all_articles`` option, in every layer's folder
(``every_layer``), with an empty ``.ann`` where the layer has none (brat reads that as
"no annotations"), and the manifest's ``article_hashes`` lists every article.

In a ``.ann`` file (offsets are character offsets into the ``.txt``, Python ``str``
indices; brat's lines can't hold a line break, so a span that crosses one is written as
fragments ``start end;start end`` and its text joined with a space, as brat does)::

    T1	Claim 19 72	Turkey’s influence in Central Asia is growing 😀 fast.
    T2	Source_mention 0 11	Яна Орехова
    R1	Attributed_to Arg1:T1 Arg2:T2
    A1	Attribution T1 direct
    A2	Stance_Turkeys_influence_in_Central_Asia T1 favor
    A3	Reliability T1 B
    A4	Credibility T1 2
    A5	Claim_type T1 evaluative
    N1	Reference T2 Wikidata:Q4000001	Яна Орехова
    #1	AnnotatorNotes T1	source: Яна Орехова (person); claim 31; status gold

A claim with an attribution chain (in a project with chains) adds, for each carrier the
text names, a ``Carrier_mention`` and a ``Carried_by`` relation from what it carried (the
claim, or the previous carrier's mention), and the whole chain in the note::

    T3	Carrier_mention 40 56	Berliner Zeitung
    R2	Carried_by Arg1:T1 Arg2:T3
    #1	AnnotatorNotes T1	…; chain: Berliner Zeitung (B) > inosmi.ru; chain reliability D

A proposed carrier says so beside its rating: ``inosmi.ru (E, proposed)``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

from unidecode import unidecode

from annotate.exchange.options import ExportOptions
from annotate.exchange.provenance import json_default, manifest
from annotate.exchange.rows import (
    Chained,
    article_tuples,
    claims_queryset,
    project_has_chains,
    project_targets,
)
from annotate.exchange.sink import ByteSink
from corpus.models import Project
from corpus.scheme import field_values

FLUSH_BYTES = 512 * 1024
# DEFLATE's fastest level: each article's text is compressed once per layer folder it is
# in, and level 6 (zipfile's default) took 0.4-0.6 s more of CPU (of ~3 s) for the 70,000
# claims of the medium benchmark, for a zip 6% smaller (the members are the same bytes).
COMPRESS_LEVEL = 1
ATTRIBUTES = (
    ("Attribution", "attribution"),
    ("Reliability", "source_reliability"),
    ("Credibility", "information_credibility"),
    ("Claim_type", "claim_type"),
    ("Checkworthy", "checkworthy"),
)
_WIKIDATA = re.compile(r"Q[1-9][0-9]*")


def brat_name(value: str) -> str:
    """A name brat accepts for a type or attribute: ASCII letters, digits, underscores."""
    name = re.sub(r"[^0-9A-Za-z]+", "_", unidecode(value.replace("'", "").replace("’", "")))
    return name.strip("_") or "x"


def stance_attributes(targets: list[str]) -> dict[str, str]:
    """Target name → its stance attribute (``Stance_<target>``), unique per project."""
    names: dict[str, str] = {}
    for target in targets:
        name = f"Stance_{brat_name(target)}"
        while name in names.values():
            name += "_"
        names[target] = name
    return names


def fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The span cut at line breaks, without empty pieces."""
    pieces = []
    at = start
    for line in text[start:end].split("\n"):
        if line.strip():
            pieces.append((at, at + len(line)))
        at += len(line) + 1
    return pieces or [(start, end)]


# The columns a .ann file writes, as ``article_tuples`` gives each claim: a tuple of these
# alone (a dict per claim was a third of the export's time; a tuple of all 39 ``COLUMNS``,
# the article's among them, and the quote context read for nothing, were more).
_COLUMNS = (
    "claim_id",
    "annotator",
    "start",
    "end",
    "source_id",
    "source_name",
    "source_kind",
    "source_external_id",
    "source_status",
    "mention_start",
    "mention_end",
    "stances",
    *(column for _, column in ATTRIBUTES),
    "note",
    "status",
)
_AT = {name: at for at, name in enumerate(_COLUMNS)}
_START, _END, _MENTION_START, _MENTION_END = (
    _AT[name] for name in ("start", "end", "mention_start", "mention_end")
)
_STANCES, _SOURCE_ID, _SOURCE_NAME, _SOURCE_KIND, _SOURCE_EXTERNAL_ID = (
    _AT[name]
    for name in ("stances", "source_id", "source_name", "source_kind", "source_external_id")
)
_CLAIM_ID, _STATUS, _NOTE, _SOURCE_STATUS = (
    _AT[name] for name in ("claim_id", "status", "note", "source_status")
)
_ATTRIBUTES_AT = tuple((name, _AT[column]) for name, column in ATTRIBUTES)


def _oneline(value: str) -> str:
    return " ".join(value.split())


def _textbound(ident: str, kind: str, text: str, start: int, end: int) -> str:
    """A text-bound annotation's line (``T…``): the span, cut into ``fragments`` where it
    crosses a line break."""
    if text.find("\n", start, end) < 0:  # one line: one fragment, the span itself
        return f"{ident}\t{kind} {start} {end}\t{text[start:end]}"
    pieces = fragments(text, start, end)
    offsets = ";".join(f"{s} {e}" for s, e in pieces)
    covered = " ".join(text[s:e] for s, e in pieces)
    return f"{ident}\t{kind} {offsets}\t{covered}"


def annotation_file(
    text: str,
    claims: list[tuple[Any, ...]],
    stance_names: dict[str, str],
    chains: dict[int, Chained] | None = None,
) -> str:
    """The .ann text of one article's claims (rows of ``_COLUMNS``) in one layer,
    with the attribution chains of those in ``chains`` (by claim id). Each kind of
    annotation is numbered on its own (``T1``, ``A1``, ``R1``, ``N1``, ``#1``…), in the
    order the lines come; the counters are plain integers (a call per id was a tenth of
    the export's time)."""
    chains = chains or {}
    lines: list[str] = []
    add = lines.append
    t = a = r = n = 0
    mentions: dict[tuple[int, int], str] = {}
    for h, claim in enumerate(claims, 1):  # one note (#) per claim
        t += 1
        claim_t = f"T{t}"
        add(_textbound(claim_t, "Claim", text, claim[_START], claim[_END]))
        anchor = claim_t
        mention_start = claim[_MENTION_START]
        if mention_start is not None:
            span = (mention_start, claim[_MENTION_END])
            found = mentions.get(span)
            if found is None:
                t += 1
                found = mentions[span] = f"T{t}"
                add(_textbound(found, "Source_mention", text, *span))
            anchor = found
            r += 1
            add(f"R{r}\tAttributed_to Arg1:{claim_t} Arg2:{anchor}")
        for name, at in _ATTRIBUTES_AT:
            value = claim[at]
            if value:
                a += 1
                add(f"A{a}\t{name} {claim_t} {value}")
        for stance in claim[_STANCES]:
            target = stance["target"]
            attribute = stance_names.get(target) or f"Stance_{brat_name(target)}"
            a += 1
            add(f"A{a}\t{attribute} {claim_t} {stance['stance']}")
        claim_id = claim[_CLAIM_ID]
        note = f"claim {claim_id}; status {claim[_STATUS]}"
        if claim[_SOURCE_ID] is not None:
            external = claim[_SOURCE_EXTERNAL_ID] or ""
            source_name = claim[_SOURCE_NAME]
            wikidata = _WIKIDATA.fullmatch(external) if external else None
            if wikidata:
                n += 1
                add(f"N{n}\tReference {anchor} Wikidata:{external}\t{_oneline(source_name)}")
            # A proposed source says so; a confirmed one reads as before.
            proposed = ", proposed" if claim[_SOURCE_STATUS] == "proposed" else ""
            source = f"source: {source_name} ({claim[_SOURCE_KIND]}{proposed})"
            if external and not wikidata:
                source += f" [{external}]"
            note = f"{source}; {note}"
        chained = chains.get(claim_id)
        if chained is not None:
            parts, t, r = _chain(chained, claim_t, text, t, r, add)
            note = "; ".join([note, *parts])
        if claim[_NOTE]:
            note += f"; note: {claim[_NOTE]}"
        add(f"#{h}\tAnnotatorNotes {claim_t}\t{_oneline(note)}")
    lines.append("")
    return "\n".join(lines)


def _chain(
    chained: Chained, claim_t: str, text: str, t: int, r: int, add: Any
) -> tuple[list[str], int, int]:
    """The chain's mentions and relations (given to ``add``), its note parts and the
    ``T`` and ``R`` counters after them."""
    carried = claim_t
    names = []
    for link in chained.links:
        # A proposed carrier says so, as a claim's proposed source does.
        marks = [link["reliability"], "proposed" if link["source_status"] == "proposed" else ""]
        said = ", ".join(mark for mark in marks if mark)
        names.append(f"{link['source_name']} ({said})" if said else link["source_name"])
        if link["mention_start"] is not None:
            t += 1
            mention = f"T{t}"
            add(
                _textbound(
                    mention, "Carrier_mention", text, link["mention_start"], link["mention_end"]
                )
            )
            r += 1
            add(f"R{r}\tCarried_by Arg1:{carried} Arg2:{mention}")
            carried = mention
    parts = [f"chain: {' > '.join(names)}"]
    if chained.reliability:
        parts.append(f"chain reliability {chained.reliability}")
    return parts, t, r


def annotation_conf(project: Project, stance_names: dict[str, str], chained: bool = False) -> str:
    scheme = project.scheme
    lines = [
        "[entities]",
        "Claim",
        "Source_mention",
        *(["Carrier_mention"] if chained else []),
        "",
        "[relations]",
        "Attributed_to\tArg1:Claim, Arg2:Source_mention",
        *(["Carried_by\tArg1:Claim|Carrier_mention, Arg2:Carrier_mention"] if chained else []),
        "<OVERLAP>\tArg1:Claim, Arg2:Claim|Source_mention, <OVL-TYPE>:<ANY>",
        "<OVERLAP>\tArg1:Source_mention, Arg2:Claim|Source_mention, <OVL-TYPE>:<ANY>",
        *(
            [
                "<OVERLAP>\tArg1:Carrier_mention, "
                "Arg2:Claim|Source_mention|Carrier_mention, <OVL-TYPE>:<ANY>"
            ]
            if chained
            else []
        ),
        "",
        "[events]",
        "",
        "[attributes]",
    ]
    for name, field in ATTRIBUTES:
        values = field_values(scheme, field)
        if values:
            lines.append(f"{name}\tArg:Claim, Value:{'|'.join(values)}")
    stances = "|".join(field_values(scheme, "stance"))
    lines += [f"{name}\tArg:Claim, Value:{stances}" for name in stance_names.values()]
    return "\n".join(lines) + "\n"


def layer_dir(annotator: str | None) -> str:
    """The folder of an annotator's claims (``gold`` for the gold layer's)."""
    if annotator is None:
        return "gold"
    return re.sub(r"[^0-9A-Za-z._@+-]", "_", annotator)


def every_layer(project: Project, options: ExportOptions) -> list[str]:
    """The layer folders of an export with ``all_articles``, each of which holds every
    selected article (with an empty ``.ann`` where the layer has no claims on it): brat
    opens a folder as a collection, so each is the whole corpus. ``gold``, unless only
    annotators are exported; the annotators named, or else those with selected claims
    (one query); ``annotators`` for an annotators' export that has no claims at all."""
    if options.layer == "gold":
        return ["gold"]
    usernames = set(options.annotators) or set(
        claims_queryset(project, options)
        .order_by()
        .values_list("annotator__username", flat=True)
        .distinct()
    )
    layers = {layer_dir(name) for name in usernames}
    if options.layer == "all" and not options.annotators:
        layers.add("gold")
    return sorted(layers) or ["annotators"]


def _deflate(data: bytes) -> bytes:
    """``data`` as zipfile's writer compresses it at ``COMPRESS_LEVEL`` (a raw DEFLATE
    stream, the same bytes for the same input), in one ``zlib.compress`` call: the bytes
    of zipfile's ``compressobj`` ``compress`` + ``flush`` (all 6,992 members of the medium
    benchmark's zip compared; ``tests/annotate/exchange``), with one release of the GIL a
    member instead of two. Every member of an article goes through it (``put_packed``):
    the reading thread gets the GIL in longer runs (brat in process, 30 alternating runs
    at load 2.1-2.6: wall medians 6-12 % lower, the same CPU; issue 21)."""
    return zlib.compress(data, COMPRESS_LEVEL, -15)


class _Packed:
    """In place of the compressor of zipfile's writer for one member: gives the stream
    ``_deflate`` made of the member's bytes before. An article's text is in the folder of
    every layer with claims on it (~3.5 here): it is compressed once, not once a folder
    (DEFLATE was a quarter of a brat export's CPU). The member's bytes are those zipfile
    writes itself (``tests/annotate/exchange``: the zip compared with one written
    without it)."""

    def __init__(self, packed: bytes) -> None:
        self.packed = packed

    def compress(self, data: bytes) -> bytes:
        return b""

    def flush(self) -> bytes:
        return self.packed


def stream(project: Project, options: ExportOptions, *, on_chunk: Any = None) -> Iterator[bytes]:
    """The zip, sent a few hundred kilobytes at a time."""
    info = manifest(project, options, "brat")
    stance_names = stance_attributes(project_targets(project))
    sink = ByteSink()
    when = dt.datetime.fromisoformat(info["exported_at"])
    date_time = (when.year, when.month, when.day, when.hour, when.minute, when.second)

    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def put(name: str, data: str) -> None:
            entry = zipfile.ZipInfo(name, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data.encode(), compresslevel=COMPRESS_LEVEL)

        def put_packed(name: str, data: bytes, packed: bytes) -> None:
            """``put`` of ``data`` whose DEFLATE stream (``_deflate``) is ``packed``."""
            entry = zipfile.ZipInfo(name, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.file_size = len(data)
            with archive.open(entry, mode="w") as dest:
                # Another zipfile without the attribute compresses ``data`` itself (a valid
                # zip still, at its default level).
                if hasattr(dest, "_compressor"):
                    dest._compressor = _Packed(packed)  # noqa: SLF001 - see _Packed
                dest.write(data)  # the CRC and size of ``data``; the bytes are ``packed``

        chained = project_has_chains(project)
        put("annotation.conf", annotation_conf(project, stance_names, chained))
        hashes: list[str] = []
        all_layers = every_layer(project, options) if options.all_articles else []
        annotator_at = _AT["annotator"]
        folders: dict[str | None, str] = {}
        for article, claims, chains in article_tuples(
            project,
            options,
            on_chunk=on_chunk,
            chained=chained,
            columns=_COLUMNS,
            omit=("prefix", "suffix"),
        ):
            hashes.append(article["sha256"])
            layers: dict[str, list[tuple[Any, ...]]] = {}
            for claim in claims:
                annotator = claim[annotator_at]
                folder = folders.get(annotator)
                if folder is None:
                    folder = folders[annotator] = layer_dir(annotator)
                layers.setdefault(folder, []).append(claim)
            for layer in all_layers:
                layers.setdefault(layer, [])
            base = f"{article['split']}/" if article["split"] else ""
            name = article["sha256"][:16]
            text = article["text"].encode()
            packed = _deflate(text)
            for layer, layer_claims in layers.items():
                put_packed(f"{base}{layer}/{name}.txt", text, packed)
                ann = annotation_file(article["text"], layer_claims, stance_names, chains)
                data = ann.encode()
                put_packed(f"{base}{layer}/{name}.ann", data, _deflate(data))
            if sink.size >= FLUSH_BYTES:
                yield sink.drain()
        info["article_hashes"] = hashes
        put(
            "manifest.json",
            json.dumps(info, ensure_ascii=False, indent=2, default=json_default, allow_nan=False),
        )
    yield sink.drain()
