"""Signals other apps listen to (they never import organisation internals).

`unit_roles_changed(user=...)` is sent after a user's UnitRoles were granted or revoked
(on commit), so e.g. the CMS can re-derive that user's page permissions from roles.

`members_moved(member_ids=...)` is sent after members changed unit — a transfer (the
member's id) or a unit moved in the tree with its subtree (`member_ids=None`: any member
below it) — on commit, so apps keeping a copy of a member's unit path re-file it (the
academy's study-points rankings)."""

from django.dispatch import Signal

unit_roles_changed = Signal()
members_moved = Signal()
