"""Writes of many claims at once (imports, pre-annotations): the builder and writer of
``claim_create``, a fixed number of queries per batch.

Each item is checked exactly as ``claim_create`` checks one claim (``claim_build``: span and
quote against the frozen text, mention, labels against the scheme, source and targets of the
project); sources and targets are resolved once for the batch (``Batch``), and once for a
whole import when its batches share a ``Resolved``; ``claims_write`` inserts claims,
stances and history rows with ``bulk_create`` and marks the assignments started with one
update. ``claims_build_many`` is the checks alone (no query once ``Batch`` has read), for a
caller that writes a batch while it checks the next (the import).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring_ascii
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from annotate.chains.checks import ResolvedLink, chain_source_ids, resolve_chain
from annotate.chains.links import LinkInput
from annotate.claims.checks import (
    Errors,
    LabelsMemo,
    StanceInput,
    check_note,
    check_project_open,
    row_id,
)
from annotate.claims.offsets import CONTEXT_WIDTH, _is_space, is_cluster_boundary
from annotate.claims.services import (
    CLAIM_ROW_FIELDS,
    Built,
    ClaimRows,
    _claim_signals,
    claim_build,
    claims_write,
)
from annotate.claims.values import ClaimFields
from annotate.history import json_text
from annotate.models import Claim, Source, Target
from annotate.scheme import rules_of
from annotate.sources.selectors import citable_sources
from corpus.models import Article, Project

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_PROJECT: Any = Article._meta.get_field("project")


def _pk(value: Any, model: type[Source] | type[Target]) -> Any:
    return value.id if isinstance(value, model) else value


@transaction.atomic
def claims_create_many(
    *,
    article_claims: Iterable[tuple[Article, ClaimFields]],
    annotator: User | None,
    actor: User | None = None,
    resolved: Resolved | None = None,
) -> list[Claim]:
    """Create ``annotator``'s claims (the caller checked permission), in one transaction,
    with the same checks, stances and history rows as ``claim_create``. Any invalid item
    writes nothing: the ``ValidationError`` lists every problem of every bad item, as
    “item <index>: <field>: <message>” (``params``: ``index``, ``field``).

    ``resolved``: the sources and targets earlier calls of the caller's transaction found
    (an import's batches): only the ids it lacks are read.

    In three steps a caller may also take apart (an import overlaps one batch's write
    with the next batch's checks): ``Batch`` reads, ``claims_build_many`` checks and
    builds (no query), ``claims_write`` inserts."""
    items = list(article_claims)
    batch = Batch(
        (article for article, _ in items),
        viewer=actor if actor is not None else annotator,
        sources=(item.source for _, item in items),
        chains=(link for _, item in items for link in item.chain),
        stances=(s for _, item in items for s in item.stances),
        resolved=resolved,
    )
    built = claims_build_many(items, annotator=annotator, batch=batch)
    return claims_write(built, annotator=annotator, actor=actor)


def claims_build_many(
    article_claims: Sequence[tuple[Article, ClaimFields]],
    *,
    annotator: User | None,
    batch: Batch,
) -> list[Built]:
    """``claims_create_many``'s checks, without a query: the claims built, not saved, or a
    ``ValidationError`` with every problem of every bad item (as there). ``batch`` has
    read the sources and targets they name (it may have read more: those of a larger
    batch, e.g. before an import dropped its rejected items) and their projects."""
    for article, _ in article_claims:
        check_project_open(article.project)
    problems: list[ValidationError] = []
    built: list[Built] = []
    for index, (article, item) in enumerate(article_claims):
        errors = Errors()
        claim = None
        with errors.collect():
            claim = claim_build(article, annotator, item, errors, batch)
        problems.extend(errors.of_item(index))
        if claim is not None:
            built.append(claim)
    if problems:
        raise ValidationError(problems)
    return built


# ``claims_rows_build``'s rows are in this order (``claims_write_rows`` inserts them so):
# if the model's columns move, the fast path is off (a test says so) until it follows.
_ROW_ORDER = (
    "article", "annotator", "start", "end", "quote", "prefix", "suffix", "source",
    "attribution", "mention_start", "mention_end", "source_reliability",
    "information_credibility", "claim_type", "checkworthy", "note", "version", "deleted_at",
)  # fmt: skip
FAST = CLAIM_ROW_FIELDS == _ROW_ORDER
_ZWJ = "\u200d"
_WITHOUT_ID = len('{"id": null')
_first = itemgetter(0)
_quoted = encode_basestring_ascii


def _cuts(text: str, i: int) -> bool:
    """Whether offset ``i`` (0–len) cuts a cluster: ``is_cluster_boundary``, its first
    test inlined (most text has no mark or joiner there)."""
    return (
        0 < i < len(text)
        and (text[i] >= "\u0300" or text[i - 1] == _ZWJ)
        and not is_cluster_boundary(text, i)
    )


def _span_ok(text: str, start: Any, end: Any) -> bool:
    """Whether ``validate_span`` (without a quote) would take ``start``–``end``: whole
    numbers, 0 ≤ start < end ≤ len(text), no cluster cut, not only whitespace. False
    also for some spans it would take (an ``int`` subclass): the caller then asks it."""
    if type(start) is not int or type(end) is not int or not 0 <= start < end <= len(text):
        return False
    if _cuts(text, start) or _cuts(text, end):
        return False
    first = text[start]
    return first.isalnum() or not all(_is_space(ch) for ch in text[start:end])


def _history_text_encoded(*values: Any) -> str:
    """A new claim's history text after ``{"id": null`` (``claims_history_texts``): its
    snapshot (``claim_snapshot``'s keys, in its order) through the history's encoder,
    from ``_history_text``'s arguments."""
    (
        article_id, annotator_id, start, end, quote, source_id, attribution, mention_start,
        mention_end, stances, reliability, credibility, claim_type, checkworthy, note,
    ) = values  # fmt: skip
    return json_text(
        {
            "id": None,
            "article": article_id,
            "annotator": annotator_id,
            "start": start,
            "end": end,
            "quote": quote,
            "source": source_id,
            "attribution": attribution,
            "source_mention": (
                {"start": mention_start, "end": mention_end} if mention_start is not None else None
            ),
            "stances": [{"target": t, "stance": s} for t, s in stances],
            "chain": [],
            "source_reliability": reliability,
            "information_credibility": credibility,
            "claim_type": claim_type,
            "checkworthy": checkworthy,
            "note": note,
            "version": 1,
            "deleted": False,
        }
    )[_WITHOUT_ID:]


def _history_text(
    article_id: int,
    annotator_id: int | None,
    start: int,
    end: int,
    quote: str,
    source_id: int | None,
    attribution: str,
    mention_start: int | None,
    mention_end: int | None,
    stances: list[tuple[int, str]],
    reliability: str,
    credibility: str,
    claim_type: str,
    checkworthy: str,
    note: str,
) -> str:
    """``_history_text_encoded``'s text written directly (no dict, no encoder walk): the
    strings by ``json``'s own ASCII escaping, the numbers (exact ``int``s) as ``repr``
    writes them. Used only while a probe finds both texts equal (``_HAND_JSON``)."""
    q = _quoted
    mention = (
        f'{{"start": {mention_start}, "end": {mention_end}}}'
        if mention_start is not None
        else "null"
    )
    listed = ", ".join([f'{{"target": {t}, "stance": {q(s)}}}' for t, s in stances])
    return (
        f', "article": {article_id}, "annotator": '
        f"{'null' if annotator_id is None else annotator_id}, "
        f'"start": {start}, "end": {end}, "quote": {q(quote)}, "source": '
        f"{'null' if source_id is None else source_id}, "
        f'"attribution": {q(attribution)}, "source_mention": {mention}, '
        f'"stances": [{listed}], "chain": [], "source_reliability": {q(reliability)}, '
        f'"information_credibility": {q(credibility)}, "claim_type": {q(claim_type)}, '
        f'"checkworthy": {q(checkworthy)}, "note": {q(note)}, "version": 1, "deleted": false}}'
    )


def _hand_json_agrees() -> bool:
    """Whether ``_history_text`` writes what the history's encoder writes (its settings:
    ASCII escapes, ", " and ": "), on values that need escaping and on nulls."""
    samples = [
        (1, None, 0, 3, "Türk 🇹🇷 \"q\"\n\\", None, "", None, None, [], "A", "", "", "", ""),
        (7, 2, 5, 9, "Яна", 3, "direct", 1, 4, [(1, "favor"), (2, "x\u2028")], "", "", "",
         "yes", "note 😀\t"),
    ]  # fmt: skip
    return all(_history_text(*v) == _history_text_encoded(*v) for v in samples)


# One item of ``claims_rows_build``: the article, the claim's fields as a mapping (start,
# end, quote, mention, note and the label names: an import's parsed claim), its source,
# its stances and its chain.
RowItem = tuple[Article, dict[str, Any], Source | None, list[StanceInput], list[LinkInput]]


def claims_rows_build(
    items: Sequence[RowItem], *, annotator: User | None, batch: Batch
) -> ClaimRows | None:
    """``claims_build_many``'s checks and ``claims_history_texts`` in one pass over plain
    values, building the rows ``claims_write_rows`` inserts (no ``Claim`` instance, no
    error collector): the same rows, to the byte, for a batch that passes. None as soon
    as one item would not pass (or is of a kind this path leaves out: a chain, a value not
    of the plain type, a claim whose construction someone listens to): the caller then
    runs ``claims_build_many`` on the batch, which reports every problem as it always did.
    No query once ``batch`` has read."""
    if not FAST or _claim_signals():
        return None
    annotator_id = annotator.id if annotator is not None else None
    sources, targets, memo = batch.sources, batch.targets, batch.labels_memo
    text_of = _history_text if _HAND_JSON else _history_text_encoded
    width = CONTEXT_WIDTH
    claims: list[tuple[Any, ...]] = []
    all_stances: list[list[tuple[int, str]]] = []
    projects: list[int] = []
    texts: list[str] = []
    project_id = -1
    rules: Any = None
    for article, fields, source, stances, chain in items:
        if chain:
            return None
        if article.project_id != project_id:
            project = article.project
            if project.archived:
                return None
            project_id = project.pk
            rules = memo.get(project_id)
            if rules is None:
                rules = memo[project_id] = rules_of(project.scheme)
        text = article.text
        start, end, quote = fields["start"], fields["end"], fields["quote"]
        if not _span_ok(text, start, end):
            return None
        found = text[start:end]
        if quote is not None and quote != found:
            return None
        mention = fields["mention"]
        mention_start = mention_end = None
        if mention:
            if type(mention) is not list or len(mention) != 2:
                return None
            mention_start, mention_end = mention
            if not _span_ok(text, mention_start, mention_end):
                return None
        source_id = None
        if source is not None:
            if not isinstance(source, Source):
                return None
            known = sources.get((project_id, source.id))
            if known is None:
                return None
            source_id = known.id
        elif rules.source_required:
            return None
        pairs: list[tuple[int, str]] = []
        names: set[str] = set()
        for given in stances:
            target = given.target
            target_id = target.id if isinstance(target, Target) else target
            if type(target_id) is not int:
                return None
            known_target = targets.get((project_id, target_id))
            stance = given.stance
            if known_target is None or type(stance) is not str or stance not in rules.stance_set:
                return None
            if known_target.name in names:  # "listed twice"
                return None
            names.add(known_target.name)
            pairs.append((known_target.id, stance))
        if not pairs and rules.stances_required:
            return None
        note = fields["note"]
        if type(note) is not str:
            note = str(note or "")
        if note:
            try:
                check_note(note)
            except ValidationError:
                return None
        values: list[str] = []
        for name, _, hidden, required, _, allowed in rules.fields:
            value = fields[name]
            if type(value) is not str:
                value = str(value or "")
            if value:
                if hidden or value not in allowed:
                    return None
            elif required:
                return None
            values.append(value)
        attribution, reliability, credibility, claim_type, checkworthy = values
        prefix = text[max(0, start - width) : start]
        suffix = text[end : end + width]
        claims.append(
            (
                article.id, annotator_id, start, end, found, prefix, suffix, source_id,
                attribution, mention_start, mention_end, reliability, credibility,
                claim_type, checkworthy, note, 1, None,
            )
        )  # fmt: skip
        all_stances.append(pairs)
        projects.append(project_id)
        ordered = sorted(pairs, key=_first) if len(pairs) > 1 else pairs
        texts.append(
            text_of(
                article.id, annotator_id, start, end, found, source_id, attribution,
                mention_start, mention_end, ordered, reliability, credibility, claim_type,
                checkworthy, note,
            )
        )  # fmt: skip
    return ClaimRows(claims, all_stances, projects, texts)


_HAND_JSON = _hand_json_agrees()


class Resolved:
    """The sources (those ``viewer`` may cite) and targets that the batches of one write
    (an import) have found so far, by (project, id), for the next batches: each batch reads
    only the ids not found yet (an id not found is asked again, and fails again the same
    way). Keep one for one viewer within one transaction, so that nothing found changes
    underneath (``claims_create_many`` refuses it outside an atomic block)."""

    def __init__(self, viewer: User | None) -> None:
        self.viewer = viewer
        self.sources: dict[tuple[int, int], Source] = {}
        self.targets: dict[tuple[int, int], Target] = {}

    def check(self, viewer: User | None) -> None:
        if viewer != self.viewer:
            raise ValueError("These sources were found for another viewer.")
        if not transaction.get_connection().in_atomic_block:
            raise ValueError("Sources found outside a transaction may have changed since.")


class Batch:
    """``claim_create``'s resolver on a batch: the batch's sources (chain carriers
    included) and stance targets, read once (one query each, none when ``resolved`` has
    them all), and every article given its project (the scheme); the labels of each
    combination checked once (``labels_memo``)."""

    def __init__(
        self,
        articles: Iterable[Article],
        *,
        sources: Iterable[Source | int | None],
        stances: Iterable[StanceInput],
        chains: Iterable[LinkInput] = (),
        viewer: User | None,
        resolved: Resolved | None = None,
    ) -> None:
        articles = list(articles)
        projects = with_projects(articles)
        if resolved is None:
            resolved = Resolved(viewer)
        else:
            resolved.check(viewer)
        self.sources = batch_sources(
            sources,
            # By id: hashing 2,000 Project instances compares them by ``pk`` (a property).
            {a.project_id: a.project for a in articles}.values(),
            also=chain_source_ids(chains),
            viewer=viewer,
            known=resolved.sources,
        )
        self.targets = batch_targets(stances, projects, known=resolved.targets)
        self.labels_memo: LabelsMemo = {}

    def source(self, article: Article, given: Source | int | None) -> Source | None:
        return batch_source(article, given, self.sources)

    def stances(self, article: Article, given: Iterable[StanceInput]) -> list[tuple[Target, str]]:
        return batch_stances(article, given, self.targets)

    def chain(self, article: Article, given: Sequence[LinkInput]) -> list[ResolvedLink]:
        return resolve_chain(
            article, given, lambda pk: self.sources.get((article.project_id, pk)), viewer=None
        )


def with_projects(articles: Iterable[Article]) -> set[int]:
    """Give every article its project (the scheme) from one query; the projects' ids."""
    articles = list(articles)
    needed = {a.project_id for a in articles if not _PROJECT.is_cached(a)}
    loaded = {p.pk: p for p in Project.objects.filter(pk__in=needed)}
    for article in articles:
        if not _PROJECT.is_cached(article):
            article.project = loaded[article.project_id]
    return {a.project_id for a in articles}


def _ids(given: Iterable[Any], model: type[Source] | type[Target]) -> set[int]:
    """The row ids ``given`` names (instances of ``model``, or ids as ``row_id`` reads
    them): the instances' ids taken as they are (a batch of 2,000 claims names a few
    hundred sources, most of them many times)."""
    ids: set[int] = set()
    others: list[Any] = []
    for value in given:
        if isinstance(value, model):
            if value.id is not None:  # (not an unsaved instance)
                ids.add(value.id)
        elif value is not None and value != "":
            others.append(value)
    found = (row_id(value) for value in others)
    ids |= {i for i in found if i is not None}
    return ids


def batch_sources(
    sources: Iterable[Source | int | None],
    projects: Iterable[Project],
    *,
    also: Iterable[int] = (),
    viewer: User | None,
    known: dict[tuple[int, int], Source] | None = None,
) -> dict[tuple[int, int], Source]:
    """The batch's sources (and the ids ``also`` names) by (project, id), those ``viewer``
    may cite (``citable_sources``): one query, for the ids not in ``known`` (sources of
    ``projects`` that ``viewer`` may cite, found before), which gains those found. Returns
    ``known`` (or a new dict without it)."""
    known = {} if known is None else known
    projects = list(projects)
    ids = _ids(sources, Source) | set(also)
    ids = {i for i in ids if not any((p.pk, i) in known for p in projects)}
    if ids:
        found = citable_sources(ids, projects, viewer=viewer)
        known.update({(s.project_id, s.pk): s for s in found})
    return known


def batch_targets(
    stances: Iterable[StanceInput],
    projects: set[int],
    *,
    known: dict[tuple[int, int], Target] | None = None,
) -> dict[tuple[int, int], Target]:
    """The batch's stance targets by (project, id): one query, for the ids not in
    ``known`` (targets of ``projects`` found before), which gains those found."""
    known = {} if known is None else known
    ids = _ids((s.target for s in stances), Target)
    ids = {i for i in ids if not any((p, i) in known for p in projects)}
    if ids:
        found = Target.objects.filter(pk__in=ids, project_id__in=projects)
        known.update({(t.project_id, t.pk): t for t in found})
    return known


def batch_source(
    article: Article, source: Source | int | None, sources: dict[tuple[int, int], Source]
) -> Source | None:
    """``claim_create``'s ``resolve_source`` on the batch's sources."""
    if source is None or source == "":
        return None
    source_id = _pk(source, Source)
    row = row_id(source_id)
    found = sources.get((article.project_id, row)) if row is not None else None
    if found is None:
        raise ValidationError({"source": f"Source {source_id} is not in this project's registry."})
    return found


def batch_stances(
    article: Article, stances: Iterable[StanceInput], targets: dict[tuple[int, int], Target]
) -> list[tuple[Target, str]]:
    """``claim_create``'s ``resolve_stances`` on the batch's targets."""
    found: list[tuple[Target, str]] = []
    missing: list[str] = []
    for item in stances:
        given = _pk(item.target, Target)
        row = row_id(given)
        target = targets.get((article.project_id, row)) if row is not None else None
        if target is None:
            missing.append(str(given))
        else:
            found.append((target, item.stance))
    if missing:
        raise ValidationError(
            {"stances": f"Not targets of this project: {', '.join(dict.fromkeys(missing))}."}
        )
    return found
