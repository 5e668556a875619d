"""A claim's chain rows: the snapshot that history, the API and the exports share, and
the replacement of the rows (inside the claim write's transaction)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from annotate.chains.checks import ResolvedLink
from annotate.models import ChainLink, Claim


def link_snapshot(link: ChainLink | ResolvedLink) -> dict[str, Any]:
    """One link as plain JSON (the order of the keys is the exports' order)."""
    source_id = link.source_id if isinstance(link, ChainLink) else link.source.pk
    return {
        "position": link.position,
        "source": source_id,
        "source_mention": (
            {"start": link.mention_start, "end": link.mention_end}
            if link.mention_start is not None
            else None
        ),
        "reliability": link.reliability,
    }


def chain_snapshot(links: Iterable[ChainLink | ResolvedLink]) -> list[dict[str, Any]]:
    """The links as plain JSON, by position (uses a prefetch of ``chain`` if there is one)."""
    return [link_snapshot(link) for link in sorted(links, key=lambda link: link.position)]


def claim_chain(claim: Claim) -> list[dict[str, Any]]:
    """The claim's stored chain (one query, or none after ``prefetch_related("chain")``)."""
    return chain_snapshot(claim.chain.all())


def chain_rows(claim: Claim, links: Sequence[ResolvedLink]) -> list[ChainLink]:
    return [
        ChainLink(
            claim=claim,
            position=link.position,
            source=link.source,
            mention_start=link.mention_start,
            mention_end=link.mention_end,
            reliability=link.reliability,
        )
        for link in links
    ]


def chain_replace(claim: Claim, links: Sequence[ResolvedLink]) -> None:
    """Put ``links`` in place of the claim's chain (call inside the claim's write)."""
    ChainLink.objects.filter(claim=claim).delete()
    ChainLink.objects.bulk_create(chain_rows(claim, links))
