"""Every write of the annotate app goes through these functions (views, API, commands).

Split by entity: ``sources`` (sources, aliases, targets), ``assignments``, ``claims``.
"""

from annotate.services.assignments import assignment_create
from annotate.services.claims import (
    StaleVersion,
    StanceInput,
    claim_create,
    claim_delete,
    claim_restore,
    claim_snapshot,
    claim_update,
)
from annotate.services.sources import (
    project_targets_ensure,
    source_alias_add,
    source_aliases_add,
    source_create,
    source_merge,
    source_update,
    target_create,
)
from annotate.services.workspace import assignment_mark_done, assignment_reopen

__all__ = [
    "StaleVersion",
    "StanceInput",
    "assignment_create",
    "assignment_mark_done",
    "assignment_reopen",
    "claim_create",
    "claim_delete",
    "claim_restore",
    "claim_snapshot",
    "claim_update",
    "project_targets_ensure",
    "source_alias_add",
    "source_aliases_add",
    "source_create",
    "source_merge",
    "source_update",
    "target_create",
]
