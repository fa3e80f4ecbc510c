"""Reads of liaison files — through the scope rule. Organizers, secretaries and unit admins
of the member's subtree manage the files; a file's own liaison person reaches it too.
Everyone else: ObjectNotFound, the same as for a missing id."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet

from care.liaison.models import FamilyContact, LiaisonContact, LiaisonFile, LiaisonNeed
from organizations.models import Member, OrgUnit
from organizations.records.selectors import RECORD_ROLES
from organizations.scope import scope_for
from organizations.selectors import object_or_not_found


def _files_q(user, prefix: str = "") -> Q:
    q = scope_for(user, roles=RECORD_ROLES).units_q(f"{prefix}member__unit__path")
    if getattr(user, "is_authenticated", False):
        q |= Q(**{f"{prefix}liaison_id": user.pk})
    return q


def liaison_files(user) -> QuerySet[LiaisonFile]:
    return LiaisonFile.objects.filter(_files_q(user)).select_related(
        "member", "member__unit", "liaison"
    )


def access_liaison_file_by_id(user, pk, *, action: str = "view") -> LiaisonFile:
    return object_or_not_found(liaison_files(user), pk)


def access_family_contact_by_id(user, pk, *, action: str = "view") -> FamilyContact:
    qs = FamilyContact.objects.filter(_files_q(user, "file__")).select_related(
        "file", "file__member", "file__member__unit"
    )
    return object_or_not_found(qs, pk)


def access_liaison_contact_by_id(user, pk, *, action: str = "view") -> LiaisonContact:
    return object_or_not_found(LiaisonContact.objects.filter(_files_q(user, "file__")), pk)


def access_liaison_need_by_id(user, pk, *, action: str = "view") -> LiaisonNeed:
    return object_or_not_found(LiaisonNeed.objects.filter(_files_q(user, "file__")), pk)


def contact_due_on(file: LiaisonFile) -> dt.date:
    """When the next contact is due: the last contact plus the cadence (a file never
    contacted is due from the day it was opened)."""
    start = file.last_contact_on or file.created_at.date()
    return start + dt.timedelta(days=file.cadence_days) if file.last_contact_on else start


def overdue_candidates(today: dt.date) -> QuerySet[LiaisonFile]:
    """Active files that may be overdue on `today` (the shortest cadence bounds them)."""
    shortest = min(LiaisonFile.Cadence.values)
    return LiaisonFile.objects.filter(is_active=True).filter(
        Q(last_contact_on__isnull=True) | Q(last_contact_on__lt=today - dt.timedelta(days=shortest))
    )


@dataclass(frozen=True)
class AbroadRow:
    unit_id: int
    code: str
    name: str
    path: str
    overseas: int
    without_file: int
    not_contacted: int


def members_abroad_report(unit: OrgUnit, *, since: dt.date) -> list[AbroadRow]:
    """Per child unit of `unit` (each counting its whole subtree; the unit's own members as
    a row for the unit): active overseas members, those without a liaison file, and those
    with no contact on or after `since` — ONE SQL query grouped by the path prefix."""
    child_len = (unit.depth + 1) * OrgUnit.steplen
    sql = """
        WITH counts AS (
            SELECT substr(u.path, 1, %s) AS bucket,
                   COUNT(*) AS overseas,
                   SUM(CASE WHEN f.id IS NULL THEN 1 ELSE 0 END) AS without_file,
                   SUM(CASE WHEN f.last_contact_on IS NULL OR f.last_contact_on < %s
                            THEN 1 ELSE 0 END) AS not_contacted
            FROM organizations_member m
            JOIN organizations_orgunit u ON u.id = m.unit_id
            LEFT JOIN care_liaisonfile f ON f.member_id = m.id AND f.is_active
            WHERE u.path LIKE %s AND m.is_overseas AND m.status = %s
            GROUP BY 1
        )
        SELECT g.id, g.code, g.name, g.path, c.overseas, c.without_file, c.not_contacted
        FROM counts c JOIN organizations_orgunit g ON g.path = c.bucket
        ORDER BY g.path
    """
    with connection.cursor() as cur:
        cur.execute(sql, [child_len, since, unit.path + "%", Member.Status.ACTIVE])
        rows = cur.fetchall()
    return [AbroadRow(*r) for r in rows]
