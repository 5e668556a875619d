"""Every write of the annotate app goes through these functions (views, API, commands).

Split by entity: ``sources`` (sources, aliases, targets), ``assignments``, ``claims``
(``checks`` holds what every claim write checks: one claim, a bulk batch, a suggestion).
"""

from annotate.services.assignments import assignment_create, assignment_status_set
from annotate.services.checks import StanceInput
from annotate.services.claims import (
    DuplicateClaim,
    StaleVersion,
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
    source_delete,
    source_merge,
    source_update,
    target_create,
    target_delete,
    target_update,
)
from annotate.services.workspace import assignment_mark_done, assignment_reopen

__all__ = [
    "DuplicateClaim",
    "StaleVersion",
    "StanceInput",
    "assignment_create",
    "assignment_mark_done",
    "assignment_reopen",
    "assignment_status_set",
    "claim_create",
    "claim_delete",
    "claim_restore",
    "claim_snapshot",
    "claim_update",
    "project_targets_ensure",
    "source_alias_add",
    "source_aliases_add",
    "source_create",
    "source_delete",
    "source_merge",
    "source_update",
    "target_create",
    "target_delete",
    "target_update",
]
from annotate.services.assign import assignment_delete as assignment_delete
from annotate.services.assign import assignment_has_live_claims as assignment_has_live_claims
from annotate.services.assign import assignments_bulk as assignments_bulk
from annotate.services.bulk import ClaimInput as ClaimInput
from annotate.services.bulk import claims_create_many as claims_create_many
from annotate.services.gold import StaleDecision as StaleDecision
from annotate.services.gold import gold_accept as gold_accept
from annotate.services.gold import gold_add as gold_add
from annotate.services.gold import gold_bulk_accept as gold_bulk_accept
from annotate.services.gold import gold_edit as gold_edit
from annotate.services.gold import gold_merge as gold_merge
from annotate.services.gold import gold_reject as gold_reject
from annotate.services.suggestions import suggestion_accept as suggestion_accept
from annotate.services.suggestions import suggestion_dismiss as suggestion_dismiss
from annotate.services.suggestions import suggestions_open as suggestions_open
from annotate.services.suggestions import suggestions_refresh as suggestions_refresh
