"""Attribution chains: who said a claim first (the claim's source, position 0) and which
intermediaries carried it (positions 1, 2, …). A chain is part of its claim — it is
written with the claim's version bump and history by ``annotate.claims.services``, so
that conflicts, Undo and the audit trail treat it like any other field — and this package
holds what is particular to chains: the pure rules (``links``), the checks against the
project (``checks``) and the rows (``store``)."""
