"""The checks of a chain written with its claim: each link's source is of the article's
project, its mention is a span of the article's text (with the quote at it, when given,
exactly as there), its reliability a value of the scheme's ``source_reliability``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from annotate.chains.links import MAX_LINKS, LinkInput
from annotate.claims.offsets import validate_span
from annotate.models import Source
from annotate.sources.selectors import citable_sources
from common import params
from corpus.models import Article
from corpus.scheme import field_values

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class ResolvedLink:
    """A checked link, ready to store at ``position``."""

    position: int
    source: Source
    mention_start: int | None
    mention_end: int | None
    reliability: str


def reliability_order(scheme: Mapping[str, object]) -> list[str]:
    """The scheme's reliability values, best first (the scale of the weakest link)."""
    try:
        return field_values(dict(scheme), "source_reliability")
    except (KeyError, TypeError):
        return []


def _source_id(value: object) -> int | None:
    return value.pk if isinstance(value, Source) else params.id_or_none(value)


def chain_source_ids(links: Iterable[LinkInput]) -> set[int]:
    """The source ids a chain names (for loading them in one query)."""
    return {i for link in links if (i := _source_id(link.source)) is not None}


def resolve_chain(
    article: Article,
    links: Sequence[LinkInput],
    lookup: Callable[[int], Source | None] | None = None,
    *,
    viewer: User | None,
) -> list[ResolvedLink]:
    """The chain's links, checked; every problem at once, as a ``ValidationError`` under
    ``chain`` (“link 2: …”). ``lookup`` finds a source already loaded by id (a bulk
    write's, already limited to what its writer may cite); without it, one query for the
    sources ``viewer``, who writes the claim, may cite (``citable_sources``)."""
    links = list(links)
    if len(links) > MAX_LINKS:
        raise ValidationError(
            {"chain": f"A chain has at most {MAX_LINKS} links; this one has {len(links)}."}
        )
    if lookup is None:
        ids = chain_source_ids(links)
        loaded = (
            {s.pk: s for s in citable_sources(ids, [article.project], viewer=viewer)} if ids else {}
        )
        lookup = loaded.get
    scheme = article.project.scheme
    allowed = reliability_order(scheme)
    hidden = bool(scheme.get("fields", {}).get("source_reliability", {}).get("hidden"))
    problems: list[str] = []
    resolved: list[ResolvedLink] = []
    for position, link in enumerate(links, start=1):
        here = f"link {position}"
        row = _source_id(link.source)
        source = lookup(row) if row is not None else None
        if source is None or source.project_id != article.project_id:
            problems.append(f"{here}: source {link.source} is not in this project's registry.")
        mention_start = mention_end = None
        if link.mention:
            if len(link.mention) != 2:
                problems.append(f"{here}: a mention is two offsets: start and end.")
            else:
                try:
                    span = validate_span(
                        article.text, link.mention[0], link.mention[1], link.mention_quote
                    )
                    mention_start, mention_end = span.start, span.end
                except ValidationError as error:
                    problems.extend(f"{here}: mention: {m}" for m in error.messages)
        reliability = str(link.reliability or "")
        if reliability and (hidden or reliability not in allowed):
            problems.append(
                f"{here}: “{reliability}” is not a reliability of this project"
                + (f"; use one of: {', '.join(allowed)}." if allowed and not hidden else ".")
            )
        if source is not None:
            resolved.append(ResolvedLink(position, source, mention_start, mention_end, reliability))
    if problems:
        raise ValidationError({"chain": problems})
    return resolved
