"""Organisation scope: the one place that decides what a user may see.

Rules (DESIGN.md "Organisation scope"):
- a role on a unit covers the unit's subtree (`path` prefix match);
- content with an audience unit is visible to a member when the audience path is one of
  the ≤ 64 ancestor paths of the member's unit (one indexed `IN`);
- roll-ups over a subtree are one SQL query grouped by the child-unit path prefix.
Every other app asks these functions; none re-implements the rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Q, QuerySet

from organizations.models import Member, OrgUnit, UnitRole, ancestor_paths_of

ALL_ROLES = tuple(UnitRole.Role.values)


def _is_global(user) -> bool:
    return bool(getattr(user, "is_superuser", False))


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


def member_cache_set(user, member: Member | None) -> None:
    """Remember `user`'s member record (already loaded with its unit, e.g. joined in by
    the API's JWT authentication), so `member_for_user` needs no query."""
    user._ehome_member = member


def role_paths(user, roles: Iterable[str] | None = None) -> list[str]:
    """Paths of the units on which the user holds any of `roles`, minimised (no path that
    another one in the list already covers)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    roles = tuple(roles or ALL_ROLES)
    cache_key = "_ehome_role_paths_" + ",".join(sorted(roles))
    cached = getattr(user, cache_key, None)
    if cached is not None:
        return cached
    paths = sorted(
        set(
            UnitRole.objects.filter(
                user_id=user.pk, role__in=roles, unit__is_active=True
            ).values_list("unit__path", flat=True)
        )
    )
    minimal: list[str] = []
    for path in paths:  # sorted: an ancestor comes before its descendants
        if not any(path.startswith(kept) for kept in minimal):
            minimal.append(path)
    setattr(user, cache_key, minimal)
    return minimal


def path_prefix_q(paths: Iterable[str], field: str = "path") -> Q:
    """Q matching rows whose `field` lies in the subtree of any of `paths`."""
    paths = list(paths)
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in paths))


def user_has_global_scope(user) -> bool:
    return _is_global(user)


def scope_q(user, *, field: str, roles: Iterable[str] | None = None) -> Q:
    """Q keeping rows whose unit path (`field`, e.g. "owner_unit__path") lies in the subtree
    of a unit where `user` holds one of `roles` (default: any role). Superusers: every
    row; anonymous users: none. The admin's access rule (organizations.permissions) and
    the listings below are all this one test."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if _is_global(user):
        return Q()
    return path_prefix_q(role_paths(user, roles), field=field)


def units_in_scope(user, *, roles: Iterable[str] | None = None) -> QuerySet[OrgUnit]:
    """Units the user administers through any of `roles` (default: any role)."""
    qs = OrgUnit.objects.all()
    if _is_global(user):
        return qs
    return qs.filter(path_prefix_q(role_paths(user, roles)))


def members_in_scope(user, *, roles: Iterable[str] | None = None) -> QuerySet[Member]:
    """Members whose unit lies in the subtree of a unit where the user holds a role."""
    qs = Member.objects.select_related("unit", "user")
    if _is_global(user):
        return qs
    return qs.filter(path_prefix_q(role_paths(user, roles), field="unit__path"))


def unit_in_scope(user, unit: OrgUnit, *, roles: Iterable[str] | None = None) -> bool:
    if _is_global(user):
        return True
    return any(unit.path.startswith(p) for p in role_paths(user, roles))


def audience_paths_for_member(member: Member | None) -> list[str]:
    """The audience paths visible to a member: their unit's path and its ancestors'."""
    if member is None:
        return []
    return ancestor_paths_of(member.unit.path, OrgUnit.steplen)


def audience_paths_for_user(user) -> list[str]:
    """Audience paths whose content this user may read as a member. Users without a
    member record (pure staff accounts) read what their roles cover plus the ancestors
    of those units (an editor of a branch sees group-wide news too)."""
    member = member_for_user(user)
    paths = set(audience_paths_for_member(member))
    for p in role_paths(user):
        paths.update(ancestor_paths_of(p, OrgUnit.steplen))
    return sorted(paths)


def audience_q(user, field: str = "audience_unit__path") -> Q:
    """Q that keeps rows whose audience unit is visible to `user`.

    Superusers see everything. Editors/secretaries additionally see content addressed to
    units inside the subtree they manage (they answer for it)."""
    if _is_global(user):
        return Q()
    paths = audience_paths_for_user(user)
    q = Q(**{f"{field}__in": paths}) if paths else Q(pk__in=[])
    managed = role_paths(user)
    if managed:
        q |= path_prefix_q(managed, field=field)
    return q


def is_visible_to_member(*, audience_path: str, member: Member) -> bool:
    return member.unit.path.startswith(audience_path)


@dataclass(frozen=True)
class SubtreeCount:
    unit_id: int
    code: str
    name: str
    path: str
    members: int


def subtree_member_counts(
    unit: OrgUnit, *, status: str | None = Member.Status.ACTIVE
) -> list[SubtreeCount]:
    """Active members per child unit of `unit` (each child counting its whole subtree),
    plus the unit's own direct members as a row for the unit itself — ONE SQL query."""
    child_len = (unit.depth + 1) * OrgUnit.steplen
    status_sql = "AND m.status = %s" if status else ""
    params: list = [child_len, unit.path + "%"]
    if status:
        params.append(status)
    sql = f"""
        WITH counts AS (
            SELECT substr(u.path, 1, %s) AS bucket, COUNT(*) AS n
            FROM organizations_member m
            JOIN organizations_orgunit u ON u.id = m.unit_id
            WHERE u.path LIKE %s {status_sql}
            GROUP BY 1
        )
        SELECT g.id, g.code, g.name, g.path, c.n
        FROM counts c JOIN organizations_orgunit g ON g.path = c.bucket
        ORDER BY g.path
    """
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    return [SubtreeCount(*row) for row in rows]


def subtree_member_total(unit: OrgUnit, *, status: str | None = Member.Status.ACTIVE) -> int:
    """Members in a unit's whole subtree, one query."""
    qs = Member.objects.filter(unit__path__startswith=unit.path)
    if status:
        qs = qs.filter(status=status)
    return qs.count()


def member_search_q(query: str) -> Q:
    """Admin/member search: substring match on name, member number, phone and unit name,
    so a two-character Chinese query finds 张建国 or 坦桑尼亚…党支部. (The search app may
    swap in segmentation; callers only rely on this returning a Q for Member.)"""
    query = (query or "").strip()
    if not query:
        return Q()
    return (
        Q(name__icontains=query)
        | Q(member_no__icontains=query)
        | Q(phone__icontains=query)
        | Q(unit__name__icontains=query)
    )
