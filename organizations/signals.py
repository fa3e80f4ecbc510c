"""Signals other apps listen to (they never import organisation internals).

`unit_roles_changed(user=...)` is sent after a user's UnitRoles were granted or revoked
(on commit), so e.g. the CMS can re-derive that user's page permissions from roles."""

from django.dispatch import Signal

unit_roles_changed = Signal()
