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
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from unidecode import unidecode

from annotate.exchange.options import ExportOptions
from annotate.exchange.provenance import json_default, manifest
from annotate.exchange.rows import (
    article_groups,
    claims_queryset,
    project_has_chains,
    project_targets,
)
from annotate.exchange.sink import ByteSink
from corpus.models import Project
from corpus.scheme import field_values

FLUSH_BYTES = 512 * 1024
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


def _oneline(value: str) -> str:
    return " ".join(value.split())


def annotation_file(text: str, claims: list[dict[str, Any]], stance_names: dict[str, str]) -> str:
    """The .ann text of one article's claims in one layer."""
    lines: list[str] = []
    counters = {"T": 0, "A": 0, "R": 0, "N": 0, "#": 0}

    def next_id(kind: str) -> str:
        counters[kind] += 1
        return f"{kind}{counters[kind]}"

    def textbound(kind: str, start: int, end: int) -> str:
        ident = next_id("T")
        pieces = fragments(text, start, end)
        offsets = ";".join(f"{s} {e}" for s, e in pieces)
        covered = " ".join(text[s:e] for s, e in pieces)
        lines.append(f"{ident}\t{kind} {offsets}\t{covered}")
        return ident

    mentions: dict[tuple[int, int], str] = {}
    for claim in claims:
        claim_t = textbound("Claim", claim["start"], claim["end"])
        anchor = claim_t
        if claim["mention_start"] is not None:
            span = (claim["mention_start"], claim["mention_end"])
            if span not in mentions:
                mentions[span] = textbound("Source_mention", *span)
            anchor = mentions[span]
            lines.append(f"{next_id('R')}\tAttributed_to Arg1:{claim_t} Arg2:{anchor}")
        for name, column in ATTRIBUTES:
            if claim[column]:
                lines.append(f"{next_id('A')}\t{name} {claim_t} {claim[column]}")
        for stance in claim["stances"]:
            attribute = (
                stance_names.get(stance["target"]) or f"Stance_{brat_name(stance['target'])}"
            )
            lines.append(f"{next_id('A')}\t{attribute} {claim_t} {stance['stance']}")
        external = claim["source_external_id"] or ""
        if claim["source_id"] is not None and _WIKIDATA.fullmatch(external):
            lines.append(
                f"{next_id('N')}\tReference {anchor} Wikidata:{external}\t"
                f"{_oneline(claim['source_name'])}"
            )
        note = [f"claim {claim['claim_id']}", f"status {claim['status']}"]
        if claim["source_id"] is not None:
            source = f"source: {claim['source_name']} ({claim['source_kind']})"
            if external and not _WIKIDATA.fullmatch(external):
                source += f" [{external}]"
            note.insert(0, source)
        if "chain" in claim:
            note += _chain(claim, claim_t, textbound, next_id, lines)
        if claim["note"]:
            note.append(f"note: {claim['note']}")
        lines.append(f"{next_id('#')}\tAnnotatorNotes {claim_t}\t{_oneline('; '.join(note))}")
    return "".join(f"{line}\n" for line in lines)


def _chain(
    claim: dict[str, Any], claim_t: str, textbound: Any, next_id: Any, lines: list[str]
) -> list[str]:
    """The chain's mentions and relations (added to ``lines``) and its note parts."""
    carried = claim_t
    names = []
    for link in claim["chain"]:
        rating = f" ({link['reliability']})" if link["reliability"] else ""
        names.append(f"{link['source_name']}{rating}")
        if link["mention_start"] is not None:
            mention = textbound("Carrier_mention", link["mention_start"], link["mention_end"])
            lines.append(f"{next_id('R')}\tCarried_by Arg1:{carried} Arg2:{mention}")
            carried = mention
    parts = [f"chain: {' > '.join(names)}"]
    if claim["chain_reliability"]:
        parts.append(f"chain reliability {claim['chain_reliability']}")
    return parts


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


def layer_dir(claim: dict[str, Any]) -> str:
    if claim["annotator"] is None:
        return "gold"
    return re.sub(r"[^0-9A-Za-z._@+-]", "_", claim["annotator"])


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
    layers = {layer_dir({"annotator": name}) for name in usernames}
    if options.layer == "all" and not options.annotators:
        layers.add("gold")
    return sorted(layers) or ["annotators"]


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
            archive.writestr(entry, data.encode())

        chained = project_has_chains(project)
        put("annotation.conf", annotation_conf(project, stance_names, chained))
        hashes: list[str] = []
        all_layers = every_layer(project, options) if options.all_articles else []
        for article, claims in article_groups(project, options, on_chunk=on_chunk, chained=chained):
            hashes.append(article["sha256"])
            layers: dict[str, list[dict[str, Any]]] = {}
            for claim in claims:
                layers.setdefault(layer_dir(claim), []).append(claim)
            for layer in all_layers:
                layers.setdefault(layer, [])
            base = f"{article['split']}/" if article["split"] else ""
            name = article["sha256"][:16]
            for layer, layer_claims in layers.items():
                put(f"{base}{layer}/{name}.txt", article["text"])
                put(
                    f"{base}{layer}/{name}.ann",
                    annotation_file(article["text"], layer_claims, stance_names),
                )
            if sink.size >= FLUSH_BYTES:
                yield sink.drain()
        info["article_hashes"] = hashes
        put(
            "manifest.json",
            json.dumps(info, ensure_ascii=False, indent=2, default=json_default, allow_nan=False),
        )
    yield sink.drain()
