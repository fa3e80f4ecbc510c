"""The scope rule, decided in one place: `scope_for(user, roles=…)` → `Scope`.

DESIGN.md "Organisation scope":
- a role on a unit covers the unit's subtree (`path` prefix match); superusers cover all;
  anonymous users nothing;
- content with an audience unit is visible to a member when the audience path is one of
  the ≤ 64 ancestor paths of the member's unit (one indexed `IN`); staff additionally read
  what is addressed inside the subtrees they hold any role on, and what is addressed to
  the units above those (an editor of a branch sees group-wide news too).

Every app asks a `Scope` — for a queryset filter (`units_q`, `audience_q`), a yes/no
(`covers`, `sees_audience`, `overlaps`) or the paths themselves (the search index and
the API's cache key) — and none recombines role paths itself. A `Scope` is memoised on
the user object (one request's user): role paths are read once per user and role set;
`organizations.services` forgets them when a role is granted or revoked.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property, reduce
from operator import or_

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from core import prebuilt
from organizations.models import Member, OrgUnit, UnitRole, ancestor_paths_of

ALL_ROLES = tuple(UnitRole.Role.values)
_CACHE_PREFIX = "_ehome_role_paths_"  # attributes on the user object; services forget them
NOTHING = Q(pk__in=[])


def _authenticated(user) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def member_for_user(user) -> Member | None:
    """The user's member record (cached on the user object), or None."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return None
    cached = getattr(user, "_ehome_member", Ellipsis)
    if cached is not Ellipsis:
        return cached
    member = Member.objects.select_related("unit").filter(user_id=user.pk).first()
    user._ehome_member = member
    return member


def role_paths(user, roles: Iterable[str] | None = None) -> list[str]:
    """Paths of the units on which the user holds any of `roles`, minimised (no path that
    another one in the list already covers). Internal to organizations: other apps ask
    `scope_for(user, roles=…).paths`."""
    if not _authenticated(user):
        return []
    roles = tuple(roles or ALL_ROLES)
    cache_key = _CACHE_PREFIX + ",".join(sorted(roles))
    cached = getattr(user, cache_key, None)
    if cached is not None:
        return cached
    paths = sorted(set(_role_unit_paths(user.pk, tuple(sorted(roles)))))
    minimal: list[str] = []
    for path in paths:  # sorted: an ancestor comes before its descendants
        if not any(path.startswith(kept) for kept in minimal):
            minimal.append(path)
    setattr(user, cache_key, minimal)
    return minimal


def _role_unit_paths(user_id, roles: tuple[str, ...]) -> list[str]:
    """Paths of the active units where `user_id` holds one of `roles`: read on every
    scoped request, its SQL compiled once per process and role set (`core.prebuilt`)."""

    def build(uid):
        return UnitRole.objects.filter(
            user_id=uid, role__in=roles, unit__is_active=True
        ).values_list("unit__path", flat=True)

    if isinstance(user_id, int):
        found = prebuilt.rows(("role_paths", roles), build, (user_id,))
        if found is not None:
            return [path for (path,) in found]
    return list(build(user_id))


def path_prefix_q(paths: Iterable[str], field: str = "path") -> Q:
    """Q matching rows whose `field` lies in the subtree of any of `paths`."""
    paths = list(paths)
    if not paths:
        return NOTHING
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in paths))


def audience_paths_q(
    audience_paths: Iterable[str], managed_paths: Iterable[str], field: str = "audience_unit__path"
) -> Q:
    """The audience rule of a non-global `Scope` (`Scope.audience_q`) over its paths:
    the audience path is one of `audience_paths`, or lies under one of `managed_paths`.
    Kept apart so that a query compiled once per shape (`core.prebuilt`) applies the
    very same rule to marker paths."""
    audience_paths, managed_paths = list(audience_paths), list(managed_paths)
    q = Q(**{f"{field}__in": audience_paths}) if audience_paths else NOTHING
    if managed_paths:
        q |= path_prefix_q(managed_paths, field=field)
    return q


class Scope:
    """What one user reaches through `roles` (None: any role) — and reads as a member.

    units_q / covers / overlaps   the subtrees of the units where the user holds `roles`
    audience_q / sees_audience    reader visibility, whatever `roles` says
    """

    def __init__(self, user, roles: Iterable[str] | None = None):
        self.user = user
        self.roles = tuple(roles) if roles else None

    @property
    def is_authenticated(self) -> bool:
        return _authenticated(self.user)

    @property
    def is_global(self) -> bool:
        """Superusers reach every unit."""
        return self.is_authenticated and bool(getattr(self.user, "is_superuser", False))

    def __repr__(self) -> str:
        return f"<Scope user={getattr(self.user, 'pk', None)} roles={self.roles} global={self.is_global}>"

    # --- the subtrees the roles cover -------------------------------------------------
    @cached_property
    def paths(self) -> tuple[str, ...]:
        """Minimal role-unit paths (empty for superusers too: check `is_global`)."""
        return tuple(role_paths(self.user, self.roles))

    @property
    def has_role(self) -> bool:
        """Holds one of the roles somewhere (superusers: always)."""
        return self.is_global or bool(self.paths)

    def units_q(self, field: str = "path") -> Q:
        """Q keeping rows whose unit path (`field`, e.g. "owner_unit__path") lies in a
        covered subtree. Superusers: every row; no role, anonymous: none."""
        if self.is_global:
            return Q()
        return path_prefix_q(self.paths, field=field)

    def covers(self, path: str | None, *, strictly: bool = False) -> bool:
        """Is the unit at `path` inside a covered subtree (`strictly`: below a role unit,
        not the role unit itself)?"""
        if self.is_global:
            return True
        if not path:
            return False
        return any(path.startswith(p) and not (strictly and p == path) for p in self.paths)

    def overlaps(self, path: str) -> bool:
        """Does the subtree at `path` share a unit with the covered subtrees?"""
        if self.is_global:
            return True
        return any(path.startswith(p) or p.startswith(path) for p in self.paths)

    @cached_property
    def ancestor_paths(self) -> tuple[str, ...]:
        """Strict ancestors of the role units (e.g. whose outlets the subtree's content
        goes out through)."""
        return tuple(
            sorted(
                {p[:i] for p in self.paths for i in range(OrgUnit.steplen, len(p), OrgUnit.steplen)}
            )
        )

    def units_and_ancestors_q(self, field: str = "path") -> Q:
        """The covered subtrees and the units above them."""
        if self.is_global:
            return Q()
        if not self.paths:
            return NOTHING
        return self.units_q(field) | Q(**{f"{field}__in": self.ancestor_paths})

    # --- reading: the audience rule ---------------------------------------------------
    @cached_property
    def managed_paths(self) -> tuple[str, ...]:
        """Paths of every unit the user holds any role on (readers answer for them)."""
        return tuple(role_paths(self.user))

    @cached_property
    def audience_paths(self) -> tuple[str, ...]:
        """Audience paths whose content the user reads: the member's unit and its
        ancestors; for staff, also the ancestors of every unit they hold a role on."""
        member = member_for_user(self.user)
        paths = set(ancestor_paths_of(member.unit.path, OrgUnit.steplen) if member else ())
        for p in self.managed_paths:
            paths.update(ancestor_paths_of(p, OrgUnit.steplen))
        return tuple(sorted(paths))

    def audience_q(self, field: str = "audience_unit__path") -> Q:
        """Q keeping rows whose audience unit (path at `field`) the user may read: the
        audience path is an ancestor-or-self of the member's unit (one indexed IN), or
        lies in a subtree the user holds a role on. Superusers: every row."""
        if self.is_global:
            return Q()
        return audience_paths_q(self.audience_paths, self.managed_paths, field)

    def sees_audience(self, path: str | None) -> bool:
        """`audience_q` for one row already loaded."""
        if self.is_global:
            return True
        if not path:
            return False
        return path in self.audience_paths or any(path.startswith(p) for p in self.managed_paths)


def scope_for(user, *, roles: Iterable[str] | None = None) -> Scope:
    """The user's `Scope` through `roles` (default: any role), memoised on the user."""
    key = _CACHE_PREFIX + "scope:" + ",".join(sorted(roles or ()))
    if user is not None and not isinstance(user, AnonymousUser):
        cached = getattr(user, key, None)
        if cached is not None:
            return cached
        scope = Scope(user, roles)
        try:
            setattr(user, key, scope)
        except AttributeError:  # pragma: no cover - a user object without a __dict__
            pass
        return scope
    return Scope(user, roles)
