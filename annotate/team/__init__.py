"""The project's team: its members and their roles, and invitations (pages and API).

The memberships and invitations are corpus's (``corpus.services``, ``corpus.invitations``);
this package adds what needs annotate's data: a member leaves only when no live claim of
theirs would be stranded (``services.member_remove``), and the member list shows each
member's work.
"""
