"""Import annotations (pre-annotations from another tool or a model) as one annotator's
claims, from the JSONL or W3C Web Annotation files that the exports write.

- JSONL: one article per line, found by ``sha256`` (or ``id``, an article of the
  project), with ``claims``: ``start``, ``end`` (code points), ``quote``, ``source``
  (``{"name": …}``, ``{"id": …}``, ``{"external_id": …}`` or a name), ``attribution``,
  ``source_mention`` (``{"start", "end"}``), ``stances`` (``[{"target": name, "stance"}]``),
  ``source_reliability``, ``information_credibility``, ``claim_type``, ``checkworthy``,
  ``note``. Other keys (``claim_id``, ``status`` …) are ignored.
- W3C: an ``AnnotationCollection``, an ``AnnotationPage``, a list of annotations or one
  annotation. The target's ``source`` names the text (``ni:///sha-256;…`` as exported, or
  the article's URL); a ``TextPositionSelector`` gives the offsets, a ``TextQuoteSelector``
  the quote to check; bodies are read by ``cd:field`` (a ``TextualBody`` whose purpose is
  ``identifying`` is the source).

Every claim goes through ``claims_create_many`` (``claim_create``'s checks, in bulk):
offsets and quote are checked against the frozen text, labels against the scheme.
Sources and targets must already be in the project (matched by name or alias, ignoring
case and diacritics, or by id or external id): an import never invents registry
entries. The whole import is one transaction; by default any rejected item rolls
everything back, so a bad file writes nothing. The report lists every rejected item with
its reasons. A claim the annotator already has (same article and offsets, from before
the import) is skipped, so importing a file twice adds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from annotate import services
from annotate.exports.w3c import sha256_of_iri
from annotate.models import Assignment, Claim, Source, SourceAlias, Target
from annotate.scheme import LABEL_FIELDS
from annotate.services import ClaimInput, StanceInput
from corpus.models import Article, Project
from corpus.permissions import role_in
from corpus.text import search_key

FORMATS = ("jsonl", "w3c")


@dataclass(frozen=True)
class Rejected:
    where: str  # "line 3, claim 2" / "annotation 5 (urn:…)"
    reasons: list[str]

    def __str__(self) -> str:
        return f"{self.where}: {'; '.join(self.reasons)}"


@dataclass
class ImportReport:
    created: int = 0
    skipped: int = 0
    assigned: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.rejected


@dataclass
class _Item:
    where: str
    article: dict[str, Any]  # how the file names the article
    claim: dict[str, Any]
    problems: list[str] = field(default_factory=list)


class _Rollback(Exception):
    pass


def guess_format(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lowered.endswith((".jsonld", ".json")):
        return "w3c"
    raise ValidationError(
        f"Can't tell the format of “{name}”: name it .jsonl or .jsonld, or give the format."
    )


# --- Reading the files --------------------------------------------------------------------


def _jsonl_items(text: str) -> Iterator[_Item]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield _Item(where, {}, {}, [f"not valid JSON ({exc.msg} at column {exc.colno})"])
            continue
        if not isinstance(record, dict) or not isinstance(record.get("claims", []), list):
            yield _Item(where, {}, {}, ["expected an article object with a list of “claims”"])
            continue
        article = {k: record.get(k) for k in ("sha256", "id", "url")}
        for index, claim in enumerate(record.get("claims", []), start=1):
            item_where = f"{where}, claim {index}"
            if not isinstance(claim, dict):
                yield _Item(item_where, article, {}, ["a claim must be a JSON object"])
                continue
            source = claim.get("source")
            if isinstance(source, dict):
                source = {k: source.get(k) for k in ("id", "name", "external_id") if source.get(k)}
            mention = claim.get("source_mention")
            yield _Item(
                item_where,
                article,
                {
                    "start": claim.get("start"),
                    "end": claim.get("end"),
                    "quote": claim.get("quote"),
                    "source": source,
                    "mention": (
                        [mention.get("start"), mention.get("end")]
                        if isinstance(mention, dict)
                        else None
                    ),
                    "stances": claim.get("stances") or [],
                    "note": claim.get("note") or "",
                    **{name: claim.get(name) or "" for name in LABEL_FIELDS},
                },
            )


def _w3c_annotations(document: Any) -> list[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        if document.get("type") == "AnnotationCollection":
            first = document.get("first") or {}
            return list(first.get("items", [])) if isinstance(first, dict) else []
        if document.get("type") == "AnnotationPage":
            return list(document.get("items", []))
        return [document]
    raise ValidationError("The file holds neither annotations nor a collection of them.")


def _selectors(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    selectors = resource.get("selector") or []
    if isinstance(selectors, dict):
        selectors = [selectors]
    return {str(s.get("type")): s for s in selectors if isinstance(s, dict)}


def _w3c_items(text: str) -> Iterator[_Item]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        yield _Item(
            "the file",
            {},
            {},
            [f"not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})"],
        )
        return
    for index, annotation in enumerate(_w3c_annotations(document), start=1):
        where = f"annotation {index}"
        if not isinstance(annotation, dict) or annotation.get("type") != "Annotation":
            yield _Item(where, {}, {}, ["not an object of type “Annotation”"])
            continue
        if annotation.get("id"):
            where += f" ({annotation['id']})"
        target = annotation.get("target")
        if not isinstance(target, dict):
            yield _Item(where, {}, {}, ["the target must be a SpecificResource with selectors"])
            continue
        source_iri = str(target.get("source") or "")
        article = {"sha256": sha256_of_iri(source_iri), "url": source_iri}
        selectors = _selectors(target)
        position = selectors.get("TextPositionSelector")
        quote = selectors.get("TextQuoteSelector")
        problems = [] if position else ["the target has no TextPositionSelector"]
        claim: dict[str, Any] = {
            "start": (position or {}).get("start"),
            "end": (position or {}).get("end"),
            "quote": (quote or {}).get("exact"),
            "source": None,
            "mention": None,
            "stances": [],
            "note": "",
            **dict.fromkeys(LABEL_FIELDS, ""),
        }
        bodies = annotation.get("body") or []
        for body in bodies if isinstance(bodies, list) else [bodies]:
            if not isinstance(body, dict):
                continue
            kind = body.get("cd:field")
            if kind == "source" or (
                kind is None
                and body.get("type") == "TextualBody"
                and body.get("purpose") == "identifying"
            ):
                claim["source"] = {"name": body.get("value")}
                if body.get("cd:externalId"):
                    claim["source"]["external_id"] = body["cd:externalId"]
            elif kind == "source_mention":
                at = _selectors(body).get("TextPositionSelector") or {}
                claim["mention"] = [at.get("start"), at.get("end")]
            elif kind == "stance":
                claim["stances"].append(
                    {"target": body.get("cd:stanceTarget"), "stance": body.get("value")}
                )
            elif kind in LABEL_FIELDS:
                claim[kind] = body.get("value") or ""
            elif kind == "note" or body.get("purpose") == "commenting":
                claim["note"] = body.get("value") or ""
        yield _Item(where, article, claim, problems)


# --- Resolving names ------------------------------------------------------------------


class _Resolver:
    """Finds the project's articles, sources and targets that the file names (cached)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.started = timezone.now()  # claims older than this were there before the import
        self.made: set[tuple[int, Any, Any]] = set()  # (article, start, end) imported so far
        self.articles: dict[tuple[str, Any], Article | None] = {}
        self.targets = {
            t.name_key: t for t in Target.objects.filter(project=project).only("id", "name_key")
        }

    def article(self, named: dict[str, Any]) -> Article:
        articles = Article.objects.filter(project=self.project)
        for key in ("sha256", "id", "url"):
            value = named.get(key)
            if not value:
                continue
            if (key, value) not in self.articles:
                if key == "id" and not str(value).isdigit():
                    found = None
                else:
                    found = articles.filter(**{key: value}).select_related("project").first()
                self.articles[(key, value)] = found
            if self.articles[(key, value)] is not None:
                return self.articles[(key, value)]  # type: ignore[return-value]
        shown = named.get("sha256") or named.get("id") or named.get("url") or "nothing"
        raise ValidationError(f"no article of this project matches {shown}")

    def source(self, named: Any) -> Source | None:
        if named in (None, "", {}):
            return None
        if isinstance(named, str):
            named = {"name": named}
        if not isinstance(named, dict):
            raise ValidationError("the source must be a name or an object with a name or id")
        sources = Source.objects.filter(project=self.project)
        if named.get("id") is not None:
            found = sources.filter(pk=named["id"]).first() if str(named["id"]).isdigit() else None
            if found is not None:
                return found
        if named.get("external_id"):
            found = sources.filter(external_id=named["external_id"]).first()
            if found is not None:
                return found
        name = str(named.get("name") or "")
        key = search_key(name)
        if key:
            found = sources.filter(name_key=key).first()
            if found is not None:
                return found
            aliased = list(
                SourceAlias.objects.filter(source__project=self.project, alias_key=key)
                .values_list("source_id", flat=True)
                .distinct()[:2]
            )
            if len(aliased) == 1:
                return sources.get(pk=aliased[0])
            if aliased:
                raise ValidationError(f"the source “{name}” is an alias of several sources")
        shown = name or named.get("id") or named.get("external_id")
        raise ValidationError(f"unknown source “{shown}”: add it to the project's registry first")

    def stances(self, items: Any) -> list[StanceInput]:
        if not isinstance(items, list):
            raise ValidationError("“stances” must be a list of {target, stance}")
        out = []
        for item in items:
            if not isinstance(item, dict):
                raise ValidationError("each stance is an object {target, stance}")
            target = self.targets.get(search_key(str(item.get("target") or "")))
            if target is None:
                raise ValidationError(f"unknown stance target “{item.get('target')}”")
            out.append(StanceInput(target, str(item.get("stance") or "")))
        return out


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{name}: {m}" for name, ms in error.message_dict.items() for m in ms]
    return list(error.messages)


# --- Importing ------------------------------------------------------------------------


def import_annotations(
    *,
    project: Project,
    annotator: Any,
    data: bytes | str,
    fmt: str,
    partial: bool = False,
    dry_run: bool = False,
    actor: Any = None,
) -> ImportReport:
    """Import the file's claims as ``annotator``'s (a member of the project). With
    ``partial`` the good items are kept when others are rejected; otherwise any
    rejection writes nothing. ``dry_run`` checks everything and writes nothing."""
    if fmt not in FORMATS:
        raise ValidationError(f"Unknown format “{fmt}”: use one of {', '.join(FORMATS)}.")
    if annotator is None or role_in(annotator, project) is None:
        raise ValidationError(f"{annotator} is not a member of the project “{project}”.")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"The file is not UTF-8 (byte {exc.start + 1}).") from exc
    items = _jsonl_items(data) if fmt == "jsonl" else _w3c_items(data)
    report = ImportReport()
    resolver = _Resolver(project)
    resolver.started = timezone.now()
    try:
        with transaction.atomic():
            ready = [r for item in items if (r := _resolve_one(item, resolver, report))]
            _create(ready, resolver, annotator, actor, report)
            if (report.rejected and not partial) or dry_run:
                raise _Rollback
            report.written = True
    except _Rollback:
        report.written = False
    return report


@dataclass
class _Ready:
    item: _Item
    article: Article
    claim: ClaimInput


def _resolve_one(item: _Item, resolver: _Resolver, report: ImportReport) -> _Ready | None:
    """The item with its article, source and targets found, or None (rejected)."""
    problems = list(item.problems)
    if problems:
        report.rejected.append(Rejected(item.where, problems))
        return None
    claim = item.claim
    article = source = None
    stances: list[StanceInput] = []
    try:
        article = resolver.article(item.article)
    except ValidationError as error:
        problems += _messages(error)
    try:
        source = resolver.source(claim["source"])
    except ValidationError as error:
        problems += _messages(error)
    try:
        stances = resolver.stances(claim["stances"])
    except ValidationError as error:
        problems += _messages(error)
    if problems or article is None:
        report.rejected.append(Rejected(item.where, problems))
        return None
    return _Ready(
        item,
        article,
        ClaimInput(
            start=claim["start"],
            end=claim["end"],
            quote=claim["quote"],
            source=source,
            mention=claim["mention"],
            stances=stances,
            note=str(claim["note"]),
            labels={name: str(claim[name] or "") for name in LABEL_FIELDS},
        ),
    )


def _create(
    ready: list[_Ready],
    resolver: _Resolver,
    annotator: Any,
    actor: Any,
    report: ImportReport,
) -> None:
    """Create the claims with ``claims_create_many``, skipping those the annotator already
    has. The items it rejects are dropped and the rest tried again (a duplicate of a
    rejected item then gets its chance, as when claims were made one by one); without
    ``partial`` the caller then rolls everything back."""
    existing = set(
        Claim.objects.live()
        .filter(
            article_id__in={r.article.pk for r in ready},
            annotator=annotator,
            created__lt=resolver.started,
        )
        .values_list("article_id", "start", "end")
    )
    failed: set[int] = set()
    while True:
        batch: list[_Ready] = []
        made: set[tuple[int, Any, Any]] = set()
        skipped = 0
        for k, r in enumerate(ready):
            if k in failed:
                continue
            key = (r.article.pk, r.claim.start, r.claim.end)
            if key in made or key in existing:
                skipped += 1
                continue
            made.add(key)
            batch.append(r)
        try:
            with transaction.atomic():
                assigned = _assign(batch, annotator, actor)
                services.claims_create_many(
                    article_claims=[(r.article, r.claim) for r in batch],
                    annotator=annotator,
                    actor=actor,
                )
        except ValidationError as error:
            bad = _by_item(error)
            position = {id(r): k for k, r in enumerate(ready)}
            for b, reasons in sorted(bad.items()):
                k = position[id(batch[b])]
                failed.add(k)
                report.rejected.append(Rejected(ready[k].item.where, reasons))
            # Try the rest again: a duplicate of a rejected item gets its chance, and a
            # file rejected as a whole still reports every bad item (as one by one).
            continue
        report.created += len(batch)
        report.skipped += skipped
        report.assigned += assigned
        resolver.made |= made
        return


def _assign(batch: list[_Ready], annotator: Any, actor: Any) -> int:
    """Assign the batch's articles that the annotator doesn't have yet; how many."""
    articles = {r.article.pk: r.article for r in batch}
    have = set(
        Assignment.objects.filter(article_id__in=articles, annotator=annotator).values_list(
            "article_id", flat=True
        )
    )
    for pk, article in articles.items():
        if pk not in have:
            services.assignment_create(article=article, annotator=annotator, assigned_by=actor)
    return len(set(articles) - have)


def _by_item(error: ValidationError) -> dict[int, list[str]]:
    """``claims_create_many``'s problems per item, as ``claim_create`` reported them."""
    found: dict[int, list[str]] = {}
    for problem in error.error_list:
        params = problem.params or {}
        name, message = params.get("field"), params.get("message")
        text = message if name in (None, "__all__") else f"{name}: {message}"
        found.setdefault(int(params.get("index", -1)), []).append(str(text))
    return found
