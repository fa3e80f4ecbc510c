"""Organisation reads: the scope rule's entry points, members and units by id, and the
subtree roll-ups.

The scope rule itself lives in `organizations.scope` (`scope_for(user, roles=…)` →
`Scope`, re-exported here); the functions below are its common uses. Roll-ups over a
subtree are one SQL query grouped by the child-unit path prefix.
Every other app asks these functions; none re-implements the rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet

from core.errors import ObjectNotFound
from organizations.models import Member, OrgUnit, ancestor_paths_of
from organizations.scope import ALL_ROLES, Scope, member_for_user, scope_for

__all__ = [
    "ALL_ROLES",
    "ObjectNotFound",
    "Scope",
    "access_member_by_id",
    "access_unit_by_id",
    "audience_paths_for_member",
    "audience_paths_for_user",
    "audience_q",
    "is_visible_to_member",
    "member_cache_set",
    "member_for_user",
    "member_search_q",
    "members_in_scope",
    "object_or_not_found",
    "scope_for",
    "scope_q",
    "subtree_member_counts",
    "subtree_member_total",
    "top_unit_in_scope",
    "unit_ancestors_in_scope",
    "unit_in_scope",
    "units_in_scope",
    "user_has_global_scope",
]


def member_cache_set(user, member: Member | None) -> None:
    """Remember `user`'s member record (already loaded with its unit, e.g. joined in by
    the API's JWT authentication), so `member_for_user` needs no query."""
    user._ehome_member = member


def user_has_global_scope(user) -> bool:
    return scope_for(user).is_global


def scope_q(user, *, field: str, roles: Iterable[str] | None = None) -> Q:
    """Q keeping rows whose unit path (`field`, e.g. "owner_unit__path") lies in the subtree
    of a unit where `user` holds one of `roles` (default: any role)."""
    return scope_for(user, roles=roles).units_q(field)


def units_in_scope(user, *, roles: Iterable[str] | None = None) -> QuerySet[OrgUnit]:
    """Units the user administers through any of `roles` (default: any role)."""
    return OrgUnit.objects.filter(scope_for(user, roles=roles).units_q("path"))


def members_in_scope(user, *, roles: Iterable[str] | None = None) -> QuerySet[Member]:
    """Members whose unit lies in the subtree of a unit where the user holds a role."""
    qs = Member.objects.select_related("unit", "user")
    return qs.filter(scope_for(user, roles=roles).units_q("unit__path"))


def unit_in_scope(user, unit: OrgUnit | None, *, roles: Iterable[str] | None = None) -> bool:
    return scope_for(user, roles=roles).covers(unit.path if unit is not None else None)


def audience_paths_for_member(member: Member | None) -> list[str]:
    """The audience paths visible to a member: their unit's path and its ancestors'."""
    if member is None:
        return []
    return ancestor_paths_of(member.unit.path, OrgUnit.steplen)


def audience_paths_for_user(user) -> list[str]:
    """Audience paths whose content this user may read (`Scope.audience_paths`)."""
    return list(scope_for(user).audience_paths)


def audience_q(user, field: str = "audience_unit__path") -> Q:
    """Q that keeps rows whose audience unit is visible to `user` (`Scope.audience_q`)."""
    return scope_for(user).audience_q(field)


def is_visible_to_member(*, audience_path: str, member: Member) -> bool:
    return member.unit.path.startswith(audience_path)


# --- by id: the object, or one not-found answer for missing and out of scope ------------
def object_or_not_found(queryset: QuerySet, pk):
    """`queryset`'s row `pk`, or ObjectNotFound (also for an id of the wrong type)."""
    try:
        obj = queryset.filter(pk=pk).first()
    except (TypeError, ValueError, ValidationError):
        obj = None
    if obj is None:
        raise ObjectNotFound
    return obj


def access_unit_by_id(
    user, unit_id, *, action: str = "view", roles: Iterable[str] | None = None
) -> OrgUnit:
    """A unit inside the subtrees where `user` holds `roles` (any action: the role is
    what allows it)."""
    return object_or_not_found(units_in_scope(user, roles=roles), unit_id)


def top_unit_in_scope(user, *, roles: Iterable[str] | None = None) -> OrgUnit | None:
    """Where a view over the user's subtree starts: the root for superusers, else the
    first unit (in tree order) where the user holds `roles`; None without a role."""
    scope = scope_for(user, roles=roles)
    if scope.is_global:
        return OrgUnit.get_first_root_node()
    return OrgUnit.objects.filter(path=scope.paths[0]).first() if scope.paths else None


def unit_ancestors_in_scope(
    user, unit: OrgUnit, *, roles: Iterable[str] | None = None
) -> list[OrgUnit]:
    """`unit` and its ancestors the user may open (inside their `roles` subtrees), root
    first — a breadcrumb trail."""
    scope = scope_for(user, roles=roles)
    units = OrgUnit.objects.filter(path__in=unit.ancestor_paths()).order_by("depth")
    return [u for u in units if scope.covers(u.path)]


def access_member_by_id(
    user, member_id, *, action: str = "view", roles: Iterable[str] | None = None
) -> Member:
    """A member of a unit inside the subtrees where `user` holds `roles`."""
    return object_or_not_found(members_in_scope(user, roles=roles), member_id)


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
    """Admin/member search: substring match on name, member number and unit name (the phone is encrypted),
    so a two-character Chinese query finds 张建国 or 坦桑尼亚…党支部. (The search app may
    swap in segmentation; callers only rely on this returning a Q for Member.)"""
    query = (query or "").strip()
    if not query:
        return Q()
    return Q(name__icontains=query) | Q(member_no__icontains=query) | Q(unit__name__icontains=query)
