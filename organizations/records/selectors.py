"""Reads of member records, consents and the access log — every one through the scope rule.

RECORD_ROLES (organizer 组织委员, secretary 书记, unit admin 组织管理员) see records of the
members in their subtree, masked, and may reveal them with a stated purpose. Editors,
instructors, reviewers (and any other role) do not reach a record at all: for them a
record, like one outside their subtree, does not exist (ObjectNotFound).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from organizations.models import (
    AccessLog,
    ConsentRecord,
    Member,
    Purpose,
    UnitRole,
    ancestor_paths_of,
)
from organizations.scope import scope_for
from organizations.selectors import object_or_not_found

RECORD_ROLES = (UnitRole.Role.ORGANIZER, UnitRole.Role.SECRETARY, UnitRole.Role.UNIT_ADMIN)
LOG_ROLES = (UnitRole.Role.UNIT_ADMIN,)


def can_see_records(user) -> bool:
    return scope_for(user, roles=RECORD_ROLES).has_role


def record_members(user) -> QuerySet[Member]:
    """Members whose records `user` may see (masked): one query with their records."""
    return (
        Member.objects.select_related("unit", "record")
        .filter(scope_for(user, roles=RECORD_ROLES).units_q("unit__path"))
        .order_by("unit__path", "member_no")
    )


def access_member_record_by_id(user, member_id, *, action: str = "view") -> Member:
    """The member (with record) if `user` holds a record role over their unit; otherwise
    ObjectNotFound, the same as for a missing id."""
    return object_or_not_found(record_members(user), member_id)


def access_logs(user) -> QuerySet[AccessLog]:
    """Access-log entries about members of the units `user` administers (unit admins)."""
    return AccessLog.objects.filter(scope_for(user, roles=LOG_ROLES).units_q("unit__path"))


def access_log_search(
    user, *, member: str = "", actor: str = "", action: str = "", since=None, until=None
) -> QuerySet[AccessLog]:
    qs = access_logs(user).select_related("unit")
    if member:
        qs = qs.filter(member_name__icontains=member) | qs.filter(member_no=member)
    if actor:
        qs = qs.filter(actor_name__icontains=actor)
    if action:
        qs = qs.filter(action=action)
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    return qs.order_by("-at", "-id")


def my_access_log(member: Member) -> QuerySet[AccessLog]:
    """Who looked at or changed this member's record (what the member sees)."""
    return AccessLog.objects.filter(member_id=member.pk).order_by("-at", "-id")


def consent_state(member: Member) -> dict[str, ConsentRecord | None]:
    """The latest consent per purpose (None: never asked)."""
    state: dict[str, ConsentRecord | None] = {p.value: None for p in Purpose}
    for row in ConsentRecord.objects.filter(member_id=member.pk).order_by("at", "id"):
        state[row.purpose] = row
    return state


def has_consent(member: Member, purpose: str) -> bool:
    row = consent_state(member).get(purpose)
    return bool(row and row.granted)


def secretaries_by_unit_path(unit_paths: set[str]) -> dict[str, list[int]]:
    """{unit path: member ids of the nearest secretaries} — the secretaries on the unit or
    on its closest ancestor that has one (one query)."""
    wanted = {a for p in unit_paths for a in ancestor_paths_of(p)}
    holders: dict[str, list[int]] = defaultdict(list)
    rows = (
        UnitRole.objects.filter(role=UnitRole.Role.SECRETARY, unit__path__in=wanted)
        .filter(user__member__isnull=False)
        .values_list("unit__path", "user__member__id")
    )
    for path, member_id in rows:
        holders[path].append(member_id)
    result = {}
    for p in unit_paths:
        for a in reversed(ancestor_paths_of(p)):
            if holders.get(a):
                result[p] = sorted(set(holders[a]))
                break
    return result
