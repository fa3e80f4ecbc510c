"""Writing validated rows: units through the tree services (parents first), members in
bulk. Matching is by unit code and member number, so importing the same file again
updates rows instead of duplicating them (and leaves unchanged rows alone)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from organizations import services
from organizations.models import Member, OrgUnit
from organizations.names import user_names_sync

from .validate import MemberRow, UnitRow

Progress = Callable[..., Iterable]


def _no_progress(iterable, **kwargs):
    return iterable


def apply_units(rows: list[UnitRow], counts: dict, progress: Progress = _no_progress) -> None:
    by_code = {r.code: r for r in rows}

    def depth(r: UnitRow) -> int:
        d, code = 0, r.parent_code
        while code in by_code:
            d, code = d + 1, by_code[code].parent_code
        return d

    for r in progress(sorted(rows, key=depth), total=len(rows), desc="组织", unit="个"):
        fields = {
            "name": r.name,
            "kind": r.kind,
            "country": r.country,
            "timezone": r.timezone,
            "is_active": r.is_active,
        }
        parent = OrgUnit.objects.get(code=r.parent_code) if r.parent_code else None
        # Re-read each unit: moves and sorted inserts earlier in the loop shift paths.
        unit = OrgUnit.objects.filter(code=r.code).first()
        if unit is None:
            services.unit_create(parent=parent, code=r.code, **fields)
            counts["units_created"] += 1
            continue
        same_parent = (parent is None and unit.depth == 1) or (
            parent is not None and unit.path[: -OrgUnit.steplen] == parent.path
        )
        if same_parent and all(getattr(unit, k) == v for k, v in fields.items()):
            counts["units_unchanged"] += 1
            continue
        services.unit_update(unit=unit, parent=None if same_parent else parent, **fields)
        counts["units_updated"] += 1


MEMBER_UPDATE_FIELDS = ["name", "gender", "join_date", "category", "birthday", "phone", "status"]


def _access_log_write(**kwargs):
    from organizations.records.services import access_log_write

    return access_log_write(**kwargs)


def apply_members(
    rows: list[MemberRow], counts: dict, *, user=None, progress: Progress = _no_progress, batch=2000
) -> None:
    User = get_user_model()
    units = {}
    codes = {r.unit_code for r in rows}
    for u in OrgUnit.objects.filter(code__in=list(codes)).only("id", "code", "country"):
        units[u.code] = u
    unusable = make_password(None)  # one hash for every new login; they activate later
    now = timezone.now()
    bar = progress(
        range(0, len(rows), batch), total=(len(rows) + batch - 1) // batch, desc="党员", unit="批"
    )
    for start in bar:
        chunk = rows[start : start + batch]
        stored = {
            m.member_no: m
            for m in Member.objects.filter(member_no__in=[r.member_no for r in chunk])
        }
        free_users = {
            u.username: u
            for u in User.objects.filter(
                username__in=[r.member_no for r in chunk if r.member_no not in stored],
                member__isnull=True,
            )
        }
        new_rows = [r for r in chunk if r.member_no not in stored]
        new_users = [
            User(username=r.member_no, first_name=r.name[:150], password=unusable)
            for r in new_rows
            if r.member_no not in free_users
        ]
        for u in User.objects.bulk_create(new_users):
            free_users[u.username] = u
        Member.objects.bulk_create(
            [
                Member(
                    user=free_users[r.member_no],
                    unit=units[r.unit_code],
                    member_no=r.member_no,
                    name=r.name,
                    is_overseas=units[r.unit_code].country != "CN",
                    **r.fields,
                )
                for r in new_rows
            ]
        )
        counts["members_created"] += len(new_rows)
        changed, phone_changed = [], []
        for r in chunk:
            m = stored.get(r.member_no)
            if m is None:
                continue
            # the unit of a stored member never changes here: validation refused such a
            # row (a move is a transfer, organizations.transfers)
            wanted = {"name": r.name, **r.fields}
            if not wanted.get("phone"):
                # an empty or absent phone cell never clears a stored (encrypted) phone: the
                # member export carries only its mask (docs/architecture.md "Member records")
                wanted.pop("phone", None)
            if all(getattr(m, k) == v for k, v in wanted.items()):
                counts["members_unchanged"] += 1
                continue
            if "phone" in wanted and wanted["phone"] != m.phone:
                phone_changed.append(m)
            for k, v in wanted.items():
                setattr(m, k, v)
            m.updated_at = now
            changed.append(m)
        Member.objects.bulk_update(changed, [*MEMBER_UPDATE_FIELDS, "updated_at"])
        # the phone is a sensitive field: each change by the import is an edit in the
        # access log, as an admin edit is (organizations.records)
        for m in phone_changed:
            _access_log_write(
                user=user,
                action="edit",
                fields=["phone"],
                purpose="Excel 导入党员",
                ip="",
                member=m,
            )
        # bulk writes send no signals: the logins of new and renamed members take their names
        user_names_sync(member_ids=[m.pk for m in changed])
        counts["members_updated"] += len(changed)
