"""The audit trail: one ``History`` row per change of a claim, source or gold decision."""

from __future__ import annotations

from typing import Any

from annotate.models import History, Source


def history_record(
    *,
    project_id: int,
    entity: str,
    object_id: int,
    action: str,
    actor: Any,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> History:
    """Add a row to the audit trail (call inside the write's transaction)."""
    return History.objects.create(
        project_id=project_id,
        entity=entity,
        object_id=object_id,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        before=before,
        after=after,
    )


def source_snapshot(source: Source) -> dict[str, Any]:
    return {
        "id": source.pk,
        "name": source.name,
        "kind": source.kind,
        "description": source.description,
        "external_id": source.external_id,
        "aliases": sorted(source.aliases.values_list("alias", flat=True)),
    }
