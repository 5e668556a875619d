"""The audit trail: one ``History`` row per change of a claim, source or gold decision."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from annotate.clusters.indexing import claims_changed
from annotate.models import History, Source
from common.inserts import insert_rows

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# This module is the only one that makes History rows (tests/architecture holds it to that):
# one place decides what an actor is and what a row holds. A claim's row also tells the
# cluster-suggestion index that the project's claims changed (``claims_changed``).
CLAIM = "claim"


class HistoryChange(NamedTuple):
    """One object's change, for ``history_record_many`` (entity, action and actor shared)."""

    project_id: int
    object_id: int
    before: dict[str, Any] | None
    # A ``str``: the value's JSON text made beforehand (``json_text``), written as it is.
    after: dict[str, Any] | str | None


def _actor_id(actor: User | None) -> int | None:
    """Who a row names: a signed-in user, else nobody (a command, the system)."""
    return actor.pk if actor is not None and actor.is_authenticated else None


def _row(
    *,
    project_id: int,
    entity: str,
    object_id: int,
    action: str,
    actor: User | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> History:
    return History(
        project_id=project_id,
        entity=entity,
        object_id=object_id,
        action=action,
        actor=actor if _actor_id(actor) is not None else None,
        before=before,
        after=after,
    )


def history_record(
    *,
    project_id: int,
    entity: str,
    object_id: int,
    action: str,
    actor: User | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> History:
    """Add a row to the audit trail (call inside the write's transaction)."""
    row = _row(
        project_id=project_id,
        entity=entity,
        object_id=object_id,
        action=action,
        actor=actor,
        before=before,
        after=after,
    )
    row.save(force_insert=True)
    if entity == CLAIM:
        claims_changed([project_id])
    return row


def history_record_many(
    *,
    entity: str,
    action: str,
    actor: User | None,
    changes: Iterable[HistoryChange],
    batch_size: int,
) -> int:
    """Add one row per change, in batches (a bulk write's trail; call inside its
    transaction): the rows ``history_record`` would add one by one, written as plain rows
    (``common.inserts``: no model instance, no per-value compiling; ``before`` and
    ``after`` as the JSON text their fields would write, made here in one call each
    instead of through the fields' three steps). How many."""
    actor_id = _actor_id(actor)
    projects: set[int] = set()
    dumps = _JSON.encode
    # Plain ``str``s (not ``HistoryAction`` members): a row of plain values skips the
    # per-value conversion of ``common.inserts``.
    entity, action = str(entity), str(action)

    def rows() -> Iterator[tuple[Any, ...]]:
        for change in changes:
            projects.add(change.project_id)
            yield (
                change.project_id,
                entity,
                change.object_id,
                action,
                actor_id,
                None if change.before is None else dumps(change.before),
                change.after
                if type(change.after) is str or change.after is None
                else dumps(change.after),
            )

    written = 0

    def counted() -> Iterator[tuple[Any, ...]]:
        nonlocal written
        for row in rows():
            written += 1
            yield row

    insert_rows(History, _MANY, counted(), max_rows=batch_size)
    if entity == CLAIM:
        claims_changed(projects)
    return written


_MANY = ("project", "entity", "object_id", "action", "actor", "before", "after")
# ``json.dumps`` with its defaults, as ``History``'s JSON fields (no encoder) write a value:
# the same text on both databases (``common.inserts`` writes a ``str`` as it is).
_JSON = json.JSONEncoder()


def json_text(value: dict[str, Any]) -> str:
    """The JSON text ``History``'s fields write for ``value`` (for a ``HistoryChange``
    whose snapshot is encoded ahead of its write)."""
    return _JSON.encode(value)


def source_snapshot(source: Source) -> dict[str, Any]:
    return {
        "id": source.pk,
        "name": source.name,
        "kind": source.kind,
        "description": source.description,
        "external_id": source.external_id,
        "aliases": sorted(source.aliases.values_list("alias", flat=True)),
    }
