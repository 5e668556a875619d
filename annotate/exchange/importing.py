# One module: the claims import is one pipeline (read, resolve, write in batches, report).
"""Import annotations (pre-annotations from another tool or a model), from the JSONL or
W3C Web Annotation files that the exports write (read by ``importing_files``), either as
one annotator's claims (``import_annotations``, here) or as suggestions that every
annotator of the article answers on their own (``import_suggestions``, in
``importing_suggestions``).

Claims go through ``claims_create_many`` (``claim_create``'s checks, in bulk):
offsets and quote are checked against the frozen text, labels against the scheme.
Sources and targets must already be in the project (matched by name or alias, ignoring
case and diacritics, or by id or external id): an import of claims never invents
registry entries. The whole import is one transaction; by default any rejected item
rolls everything back, so a bad file writes nothing. The report lists every rejected
item with its reasons. A claim the annotator already has (same article and offsets,
from before the import) is skipped, so importing a file twice adds nothing.

A big file goes in chunks (``CHUNK`` items), as a pipeline of two (``common.overlap``):
a chunk's reads first, then the previous chunk's write (assignments, ``claims_write``)
runs in a writer thread on the same connection while this chunk is checked and built
(``claims_build_many``, ``claims_history_texts``: Python only) and the next one parsed;
the write is joined before the next query. A rejected item is rejected by the checks,
before anything of its batch is written; an error of a write is raised here and rolls
the whole import back. The writer thread is used on PostgreSQL only (its server's CPU runs
beside ours); on SQLite the same steps run one after the other (``common.overlap.OVERLAP``).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import batched
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from annotate import db_bulk
from annotate.assignments import services as assignment_services
from annotate.chains.links import LinkInput
from annotate.claims import bulk as claim_bulk
from annotate.claims.checks import StanceInput
from annotate.claims.services import (
    Built,
    ClaimRows,
    claims_history_texts,
    claims_write,
    claims_write_rows,
)
from annotate.claims.values import ClaimFields
from annotate.exchange import importing_brat, importing_tools
from annotate.exchange.importing_files import (
    BRAT,
    FORMATS,
    TOOL_FORMATS,
    Content,
    Item,
    content_bytes,
    decode,
    guess_format,
    printable,
    read_items,
)
from annotate.models import Claim, Source, SourceAlias, Target
from annotate.scheme import LABEL_FIELDS
from annotate.sources import services as source_services
from common import checkpoint
from common.memory import gc_paused
from common.overlap import Overlap
from common.params import id_or_none
from corpus.models import Article, Project
from corpus.permissions import can_curate, role_in
from corpus.services import article_create
from corpus.text import search_key, sha256_text

if TYPE_CHECKING:
    from django.contrib.auth.models import User

__all__ = [
    "FORMATS",
    "BratOptions",
    "ImportReport",
    "Rejected",
    "guess_format",
    "import_annotations",
]


@dataclass(frozen=True)
class Rejected:
    where: str  # "line 3, claim 2" / "annotation 5 (urn:…)"
    reasons: list[str]

    def __post_init__(self) -> None:
        # What the file said is quoted back: keep it showable (no lone surrogates).
        object.__setattr__(self, "where", printable(self.where))
        object.__setattr__(self, "reasons", [printable(r) for r in self.reasons])

    def __str__(self) -> str:
        return f"{self.where}: {'; '.join(self.reasons)}"


@dataclass
class ImportReport:
    created: int = 0
    skipped: int = 0
    assigned: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    written: bool = False
    warnings: list[str] = field(default_factory=list)
    articles_created: int = 0
    sources_created: int = 0

    @property
    def ok(self) -> bool:
        return not self.rejected


class Rollback(Exception):
    pass


# --- Resolving names ------------------------------------------------------------------


def _as_id(value: Any) -> int | None:
    """``value`` (an int, or a string of ASCII digits) as a row id, or None."""
    return id_or_none(value)


def _text(value: Any) -> str:
    """A name or identifier the file gives: strings and numbers, nothing else."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value)


class UnknownSource(ValidationError):
    """The registry has no such source; ``name`` is the name the file gave (if any)."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


# Items read, resolved and written at a time.
CHUNK = 2000


class Resolver:
    """Finds the project's articles, sources and targets that the file names (cached)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.started = timezone.now()  # claims older than this were there before the import
        self.articles: dict[tuple[str, Any], Article | None] = {}
        self.sources: dict[tuple[Any, ...], Source | ValidationError | None] = {}
        self.targets = {
            t.name_key: t for t in Target.objects.filter(project=project).only("id", "name_key")
        }
        self._targets_named: dict[str, Target | None] = {}  # by the file's text
        # The last article found and what named it: the claims of a JSONL line share it.
        self._last: tuple[dict[str, Any], Article] | None = None

    def forget_articles(self) -> None:
        """Drop the articles found so far (a chunk of a big file: their texts stay in
        memory otherwise; the next chunk names others)."""
        self.articles.clear()
        self._last = None

    def prefetch(self, items: Iterable[Item]) -> None:
        """Find the articles the items name by hash or id: one query per batch of
        values, not one per article (those named by URL are looked up one by one)."""
        named = list({id(item.article): item.article for item in items}.values())
        for key in ("sha256", "id"):
            wanted: set[Any] = set()
            for given in named:
                raw = given.get(key)
                value = _as_id(raw) if key == "id" else _text(raw)
                if value and (key, value) not in self.articles:
                    wanted.add(value)
            ordered = sorted(wanted, key=str)
            for at in range(0, len(ordered), 900):
                chunk = ordered[at : at + 900]
                for value in chunk:
                    self.articles[(key, value)] = None
                found = Article.objects.filter(
                    project=self.project, **{f"{key}__in": chunk}
                ).select_related("project")
                for article in found:
                    self.articles[(key, getattr(article, key if key != "id" else "pk"))] = article

    def article(self, named: dict[str, Any]) -> Article:
        if self._last is not None and self._last[0] is named:
            return self._last[1]
        for key in ("sha256", "id", "url"):
            value: Any = _as_id(named.get(key)) if key == "id" else _text(named.get(key))
            if not value:
                continue
            if (key, value) not in self.articles:
                self.articles[(key, value)] = (
                    Article.objects.filter(project=self.project, **{key: value})
                    .select_related("project")
                    .first()
                )
            found = self.articles[(key, value)]
            if found is not None:
                self._last = (named, found)
                return found
        shown = next(
            (_text(named.get(k)) for k in ("sha256", "id", "url") if _text(named.get(k))),
            "nothing",
        )
        raise ValidationError(f"no article of this project matches {shown}")

    def prefetch_sources(self, items: Iterable[Item]) -> None:
        """Find the sources the items name, as ``source`` does one by one, in five
        queries (by id, external id, name, alias, and the aliased sources), whatever the
        number of sources named."""
        keys: set[tuple[int | None, str, str]] = set()
        for item in items:
            named = item.claim.get("source") if isinstance(item.claim, dict) else None
            if isinstance(named, str) and named:
                named = {"name": named}
            if isinstance(named, dict) and named:
                keys.add(
                    (
                        _as_id(named.get("id")),
                        _text(named.get("external_id")),
                        _text(named.get("name")),
                    )
                )
        keys -= set(self.sources)
        if not keys:
            return
        sources = Source.objects.filter(project=self.project)

        def first_by(field: str, values: set[Any]) -> dict[Any, Source]:
            found: dict[Any, Source] = {}
            ordered = sorted(values, key=str)
            for at in range(0, len(ordered), 900):
                rows = sources.filter(**{f"{field}__in": ordered[at : at + 900]})
                for source in rows.order_by(*(Source._meta.ordering or ())):  # .first()'s order
                    found.setdefault(getattr(source, field), source)
            return found

        by_pk = first_by("pk", {pk for pk, _, _ in keys if pk is not None})
        by_external = first_by("external_id", {e for _, e, _ in keys if e})
        name_keys = {k for _, _, name in keys if (k := search_key(name))}
        by_name = first_by("name_key", name_keys)
        aliased: dict[str, set[int]] = {}
        unnamed = sorted(name_keys - set(by_name))
        for at in range(0, len(unnamed), 900):
            rows = SourceAlias.objects.filter(
                source__project=self.project, alias_key__in=unnamed[at : at + 900]
            ).values_list("alias_key", "source_id")
            for alias_key, source_id in rows:
                aliased.setdefault(alias_key, set()).add(source_id)
        by_alias = first_by("pk", {next(iter(ids)) for ids in aliased.values() if len(ids) == 1})
        for pk, external_id, name in keys:
            name_key = search_key(name)
            found = (
                (by_pk.get(pk) if pk is not None else None)
                or (by_external.get(external_id) if external_id else None)
                or (by_name.get(name_key) if name_key else None)
            )
            if found is None and name_key and len(aliased.get(name_key, ())) == 1:
                found = by_alias[next(iter(aliased[name_key]))]
            if found is not None:
                self.sources[(pk, external_id, name)] = found
            # Otherwise ``source`` looks it up again and says why it is not there.

    def source(self, named: Any) -> Source | None:
        """The registry's source the file names (``UnknownSource`` if none; cached)."""
        if named in (None, "", {}):
            return None
        if isinstance(named, str):
            named = {"name": named}
        if not isinstance(named, dict):
            raise ValidationError("the source must be a name or an object with a name or id")
        key = (_as_id(named.get("id")), _text(named.get("external_id")), _text(named.get("name")))
        if key not in self.sources:
            try:
                self.sources[key] = self._find_source(*key, given=named.get("id"))
            except ValidationError as error:
                self.sources[key] = error
        found = self.sources[key]
        if isinstance(found, ValidationError):
            raise found
        return found

    def _find_source(self, pk: int | None, external_id: str, name: str, given: Any) -> Source:
        sources = Source.objects.filter(project=self.project)
        if pk is not None and (found := sources.filter(pk=pk).first()) is not None:
            return found
        if external_id and (found := sources.filter(external_id=external_id).first()):
            return found
        key = search_key(name)
        if key:
            if (found := sources.filter(name_key=key).first()) is not None:
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
        shown = name or _text(given) or external_id
        raise UnknownSource(
            f"unknown source “{shown}”: add it to the project's registry first", name.strip()
        )

    def chain(self, links: Any) -> list[LinkInput]:
        """The attribution chain the file gives (as the JSONL export writes it), each
        carrier found in the registry like the claim's source; a carrier the registry
        lacks is a problem (only a claim's own source may be new, for suggestions)."""
        if not isinstance(links, list):
            raise ValidationError("“chain” must be a list of {source, source_mention, reliability}")
        out = []
        for position, link in enumerate(links, start=1):
            if not isinstance(link, dict):
                raise ValidationError(f"chain link {position} must be an object")
            try:
                source = self.source(link.get("source"))
            except ValidationError as error:
                raise ValidationError(
                    [f"chain link {position}: {message}" for message in error.messages]
                ) from error
            if source is None:
                raise ValidationError(f"chain link {position} has no source")
            mention = link.get("source_mention")
            out.append(
                LinkInput(
                    source=source,
                    mention=[mention.get("start"), mention.get("end")]
                    if isinstance(mention, dict)
                    else None,
                    reliability=str(link.get("reliability") or ""),
                )
            )
        return out

    def stances(self, items: Any) -> list[StanceInput]:
        if not isinstance(items, list):
            raise ValidationError("“stances” must be a list of {target, stance}")
        out = []
        for item in items:
            if not isinstance(item, dict):
                raise ValidationError("each stance is an object {target, stance}")
            named = str(item.get("target") or "")
            # A search key per name, not per stance (a few thousand names at most kept).
            if named in self._targets_named:
                target = self._targets_named[named]
            else:
                target = self.targets.get(search_key(named))
                if len(self._targets_named) < 4096:
                    self._targets_named[named] = target
            if target is None:
                raise ValidationError(f"unknown stance target “{item.get('target')}”")
            out.append(StanceInput(target, str(item.get("stance") or "")))
        return out


def messages_of(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{name}: {m}" for name, ms in error.message_dict.items() for m in ms]
    return list(error.messages)


@dataclass
class Ready:
    """An item with its article, source (or the name of a new one) and targets found."""

    item: Item
    article: Article
    source: Source | None
    stances: list[StanceInput]
    new_source_name: str = ""
    chain: list[LinkInput] = field(default_factory=list)

    @property
    def key(self) -> tuple[int, int, int] | None:
        """Article and offsets, to tell duplicates (None: offsets that are no numbers)."""
        start, end = self.item.claim["start"], self.item.claim["end"]
        if type(start) is not int or type(end) is not int:
            return None
        return (self.article.id, start, end)

    def labels(self) -> dict[str, str]:
        # A value of the wrong type is kept as text, to be refused as no value of the scheme.
        return {name: str(self.item.claim[name] or "") for name in LABEL_FIELDS}

    @property
    def note(self) -> str:
        return str(self.item.claim["note"] or "")


def resolve(
    item: Item, resolver: Resolver, report: ImportReport, *, new_sources: bool = False
) -> Ready | None:
    """The item with its article, source and targets found, or None (rejected). With
    ``new_sources`` a source the registry lacks is kept as a name (for a suggestion)."""
    problems = list(item.problems)
    if problems:
        report.rejected.append(Rejected(item.where, problems))
        return None
    claim = item.claim
    article = source = None
    new_name = ""
    stances: list[StanceInput] = []
    try:
        article = resolver.article(item.article)
    except ValidationError as error:
        problems += messages_of(error)
    try:
        source = resolver.source(claim["source"])
    except UnknownSource as error:
        if not (new_sources and error.name):
            problems += messages_of(error)
        new_name = error.name
    except ValidationError as error:
        problems += messages_of(error)
    try:
        stances = resolver.stances(claim["stances"])
    except ValidationError as error:
        problems += messages_of(error)
    chain: list[LinkInput] = []
    try:
        chain = resolver.chain(claim.get("chain") or [])
    except ValidationError as error:
        problems += messages_of(error)
    if problems or article is None:
        report.rejected.append(Rejected(item.where, problems))
        return None
    return Ready(item, article, source, stances, new_name, chain)


def by_item(error: ValidationError) -> dict[int, list[str]]:
    """A bulk service's problems per item (``params``: ``index``, ``field``,
    ``message``), as ``claim_create`` reported them."""
    found: dict[int, list[str]] = {}
    for problem in error.error_list:
        params = problem.params or {}
        name, message = params.get("field"), params.get("message")
        if not isinstance(params.get("index"), int):
            raise error  # not a problem of one item: nothing to reject it for
        text = message if name in (None, "__all__") else f"{name}: {message}"
        found.setdefault(params["index"], []).append(str(text))
    return found


def write_in_batches[Written](
    ready: list[Ready],
    existing: set[tuple[int, int, int]],
    write: Callable[[list[Ready]], Written],
    report: ImportReport,
) -> Written:
    """Write the items with ``write`` (a bulk service), skipping those already there
    (``existing``, which gains the keys written: give it to the next chunk of the file)
    and duplicates within the file: ``check_in_batches`` with each try in a savepoint
    (a rejected try writes nothing). Without ``partial`` the caller then rolls everything
    back."""

    def in_savepoint(batch: list[Ready]) -> Written:
        with transaction.atomic():
            return write(batch)

    return check_in_batches(ready, existing, in_savepoint, report)


def check_in_batches[Checked](
    ready: list[Ready],
    existing: set[tuple[int, int, int]],
    check: Callable[[list[Ready]], Checked],
    report: ImportReport,
) -> Checked:
    """Give ``check`` (a bulk service's checks, or its checks and writes) the items,
    skipping those already there (``existing``, which gains the keys passed: give it to
    the next chunk of the file) and duplicates within the file. The items it rejects
    (``ValidationError``, per item: ``by_item``) are dropped and the rest tried again (a
    duplicate of a rejected item then gets its chance, as when claims were made one by
    one); what it answers for the batch that passed is returned. A rejected try must
    have written nothing."""
    failed: set[int] = set()
    position = {id(r): k for k, r in enumerate(ready)}
    while True:
        batch: list[Ready] = []
        made: set[tuple[int, int, int]] = set()
        skipped = 0
        for k, r in enumerate(ready):
            if k in failed:
                continue
            key = r.key
            if key is not None and (key in made or key in existing):
                skipped += 1
                continue
            if key is not None:
                made.add(key)
            batch.append(r)
        try:
            passed = check(batch)
        except ValidationError as error:
            for b, reasons in sorted(by_item(error).items()):
                k = position[id(batch[b])]
                failed.add(k)
                report.rejected.append(Rejected(ready[k].item.where, reasons))
            # Try the rest again: a duplicate of a rejected item gets its chance, and a
            # file rejected as a whole still reports every bad item (as one by one).
            continue
        report.created += len(batch)
        report.skipped += skipped
        existing |= made
        return passed


# --- Reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BratOptions:
    """What a brat, Label Studio or doccano import may do beyond a JSONL one: its mapping
    (else the zip's, else Claimdesk's own export's; for Label Studio and doccano, else
    ``importing_tools.DEFAULT_MAPPING``) and whether texts the project lacks become
    articles."""

    mapping: importing_brat.BratMapping | None = None
    create_articles: bool = False


def read_file(
    *, project: Project, data: Content, fmt: str, brat: BratOptions | None, report: ImportReport
) -> tuple[Iterable[Item], str]:
    """The file's items and how unknown sources are treated ("refuse" but for a brat
    mapping that says otherwise). JSON Lines are read as the items are asked for (line by
    line: ``ValidationError`` there if a line is not UTF-8). For brat, texts the project
    lacks are created as articles when ``brat.create_articles`` (call inside the import's
    transaction)."""
    if fmt not in FORMATS:
        raise ValidationError(f"Unknown format “{fmt}”: use one of {', '.join(FORMATS)}.")
    if fmt not in (BRAT, *TOOL_FORMATS):
        return read_items(data, fmt), importing_brat.REFUSE
    options = brat or BratOptions()
    documents: Iterator[importing_brat.DocumentItems]
    if fmt in TOOL_FORMATS:
        mapping = options.mapping or importing_tools.DEFAULT_MAPPING
        documents = importing_tools.documents(decode(data), fmt, mapping)
    else:
        data = content_bytes(data)
        if isinstance(data, str):
            raise ValidationError("A brat import is a .zip of .txt and .ann files.")
        bundle = importing_brat.bundle_from_zip(data, options.mapping)
        mapping = bundle.mapping
        documents = importing_brat.bundle_items(bundle)
    items: list[Item] = []
    ignored: set[str] = set()
    have = set(Article.objects.filter(project=project).values_list("sha256", flat=True))
    for doc in documents:
        ignored |= doc.ignored_types
        sha = sha256_text(doc.text) if doc.text else ""
        shown = f"{doc.document.name}.txt" if fmt == BRAT else doc.document.name
        if doc.text and sha not in have and doc.items:
            if not options.create_articles:
                for item in doc.items:
                    item.problems.append(
                        f"no article of this project has the text of {shown}: "
                        "import the articles first, or let the import create them"
                    )
            else:
                try:
                    article_create(
                        project=project,
                        text=doc.text,
                        source_file=shown if fmt == BRAT else f"{fmt} {shown}",
                        metadata={"brat_file": shown}
                        if fmt == BRAT
                        else {"imported_from": f"{fmt} {shown}"},
                    )
                except ValidationError as error:
                    for item in doc.items:
                        item.problems += messages_of(error)
                else:
                    have.add(sha)
                    report.articles_created += 1
        items += doc.items
    if ignored:
        what = "brat types" if fmt == BRAT else "Labels"
        report.warnings.append(
            f"{what} the mapping doesn't name were left out: " + ", ".join(sorted(ignored))
        )
    return items, mapping.unknown_sources


def new_sources_create(
    ready: list[Ready], project: Project, how: str, actor: User | None, report: ImportReport
) -> None:
    """Give the items whose source the registry lacks a new source ("create") or leave
    them with the mention only ("mention_only")."""
    if how != importing_brat.CREATE:
        return
    made: dict[str, Source] = {}
    for r in ready:
        if r.source is not None or not r.new_source_name:
            continue
        key = search_key(r.new_source_name)
        if key not in made:
            made[key] = source_services.source_create(
                project=project, name=r.new_source_name, actor=actor
            )
            report.sources_created += 1
        r.source = made[key]


# --- Importing claims -------------------------------------------------------------------


def import_annotations(
    *,
    project: Project,
    annotator: User | None,
    data: Content,
    fmt: str,
    partial: bool = False,
    dry_run: bool = False,
    actor: User | None = None,
    brat: BratOptions | None = None,
    as_gold: bool = False,
) -> ImportReport:
    """Import the file's claims as ``annotator``'s (a member of the project). With
    ``partial`` the good items are kept when others are rejected; otherwise any
    rejection writes nothing. ``dry_run`` checks everything and writes nothing.

    ``as_gold``: the claims become the project's gold layer (claims without an annotator,
    as adjudication makes them; no decisions, since nobody's claims were weighed), imported
    by ``actor``, who must curate or manage the project; ``annotator`` must be None. This
    is how a project starts from an annotated corpus (and trains its recommender on it)."""
    if fmt not in FORMATS:
        raise ValidationError(f"Unknown format “{fmt}”: use one of {', '.join(FORMATS)}.")
    if as_gold:
        if annotator is not None:
            raise ValidationError("A gold import has no annotator.")
        if actor is None or not can_curate(actor, project):
            raise ValidationError(
                f"Only the curators and managers of “{project}” import into its gold layer."
            )
    elif annotator is None or role_in(annotator, project) is None:
        raise ValidationError(f"{annotator} is not a member of the project “{project}”.")
    report = ImportReport()
    try:
        # SQLite: the import's COMMIT does not checkpoint the write-ahead log (tens of MB
        # for a big file); that runs once the answer has gone (``common.checkpoint``).
        with (
            gc_paused(),
            contextlib.nullcontext() if dry_run else checkpoint.deferred(),
            transaction.atomic(),
        ):
            items, unknown = read_file(
                project=project, data=data, fmt=fmt, brat=brat, report=report
            )
            resolver = Resolver(project)
            keep = unknown != importing_brat.REFUSE
            seen: set[tuple[int, int, int]] = set()  # (article, start, end) there or written
            # The sources and targets the batches found, for the next batches (this
            # transaction's): each reads only those it names first.
            viewer = actor if actor is not None else annotator
            resolved = claim_bulk.Resolved(viewer)

            def write(
                articles: list[Article], built: list[Built] | ClaimRows, texts: list[str]
            ) -> None:
                """The batch's writes (in the writer thread, beside the next batch's
                checks): its articles assigned, its claims inserted (as rows, when the
                fast path built them). The only one to change ``report.assigned``."""
                if not as_gold and annotator is not None:
                    report.assigned += _assign(articles, annotator, actor)
                if isinstance(built, ClaimRows):
                    claims_write_rows(built, annotator=annotator, actor=actor)
                else:
                    claims_write(built, annotator=annotator, actor=actor, history_texts=texts)

            # A chunk of the file at a time: a fixed number of queries per chunk, and
            # only a chunk's items, articles and claims in memory at once. In bulk mode
            # (db_bulk) the triggers' work is done once, at the end: on SQLite search
            # entries, versions, network and overview counts; on PostgreSQL the stances'
            # network counts (the other triggers there are statement-level already).
            #
            # A pipeline (``common.overlap``): a chunk's reads first (articles, sources,
            # the claims there, the sources and targets to check: the connection is
            # free), then the previous chunk's write starts in the writer thread while
            # this one is checked and built and the next one parsed (Python only, no
            # query), then the write is joined. A write's error is raised here and
            # rolls everything back; a rejected item is rejected by the checks, before
            # any write of its batch (no savepoint a batch).
            with db_bulk.bulk_inserts(), Overlap() as overlap:
                pending: Callable[[], None] | None = None
                chunks = batched(items, CHUNK)
                chunk = next(chunks, None)
                while chunk is not None:
                    resolver.forget_articles()
                    resolver.prefetch(chunk)
                    resolver.prefetch_sources(chunk)
                    ready = [
                        r
                        for item in chunk
                        if (r := resolve(item, resolver, report, new_sources=keep))
                    ]
                    new_sources_create(ready, project, unknown, actor, report)
                    seen |= set(
                        Claim.objects.live()
                        .filter(
                            article_id__in={r.article.id for r in ready},
                            annotator=annotator,
                            created__lt=resolver.started,
                        )
                        .values_list("article_id", "start", "end")
                    )
                    found = claim_bulk.Batch(
                        (r.article for r in ready),
                        viewer=viewer,
                        sources=(r.source for r in ready),
                        chains=(link for r in ready for link in r.chain),
                        stances=(s for r in ready for s in r.stances),
                        resolved=resolved,
                    )

                    def check(
                        batch: list[Ready], found: claim_bulk.Batch = found
                    ) -> Callable[[], None]:
                        """The batch's claims checked and built, their history rows'
                        JSON made: what writes them (Python only). In one pass over the
                        parsed items when they all pass (``claims_rows_build``); a batch
                        with any problem goes through ``claims_build_many``, which
                        reports every problem."""
                        articles = list({r.article.id: r.article for r in batch}.values())
                        rows = claim_bulk.claims_rows_build(
                            [
                                (r.article, r.item.claim, r.source, r.stances, r.chain)
                                for r in batch
                            ],
                            annotator=annotator,
                            batch=found,
                        )
                        if rows is not None:
                            return functools.partial(write, articles, rows, [])
                        built = claim_bulk.claims_build_many(
                            [(r.article, _claim_input(r)) for r in batch],
                            annotator=annotator,
                            batch=found,
                        )
                        texts = claims_history_texts(built)
                        return functools.partial(write, articles, built, texts)

                    if pending is not None:
                        overlap.start(pending)
                    pending = check_in_batches(ready, seen, check, report)
                    # The next chunk parsed beside the write, this one's items let go
                    # first (three batches in memory at once, not four).
                    del chunk, ready, found, check
                    chunk = next(chunks, None)
                    overlap.join()
                if pending is not None:
                    pending()
            if (report.rejected and not partial) or dry_run:
                raise Rollback
            report.written = True
    except Rollback:
        report.written = False
    return report


def _claim_input(ready: Ready) -> ClaimFields:
    claim = ready.item.claim
    return ClaimFields(
        start=claim["start"],
        end=claim["end"],
        quote=claim["quote"],
        source=ready.source,
        mention=claim["mention"],
        stances=ready.stances,
        chain=ready.chain,
        note=ready.note,
        labels=ready.labels(),
    )


def _assign(articles: list[Article], annotator: User, actor: User | None) -> int:
    """Assign the batch's articles that the annotator doesn't have yet; how many."""
    created = assignment_services.assignments_create_many(
        articles=articles, annotator=annotator, assigned_by=actor
    )
    return len(created)
