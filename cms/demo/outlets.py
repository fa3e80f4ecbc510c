"""Demo outlet registry (阵地备案): the built-in outlets' owners and a few units' own
accounts and screens."""

from __future__ import annotations

from organizations.models import OrgUnit

# Units' own outlets (阵地备案): (name, kind, unit, owner, deputy, address, approver,
# suspended because …). The built-in outlets (portal sections, the app) answer to the
# group's editor, with its reviewer as deputy.
UNIT_OUTLETS = [
    ("海外事业部党建", "wechat", "G02", "editor_g02", "secretary_g02", "gh_ehome_g02", "admin", ""),
    (
        "达港项目党建",
        "wechat",
        "G02-01",
        "secretary_tz",
        "member",
        "gh_ehome_tz01",
        "secretary_g02",
        "",
    ),
    (
        "第一工程局党建",
        "weibo",
        "G01",
        "secretary_g01",
        "unitadmin_g01",
        "weibo.com/ehome-g01",
        "admin",
        "",
    ),
    (
        "大兴机场项目工地电子屏",
        "screen",
        "G01-01",
        "member_bj",
        None,
        "项目部大门",
        "secretary_g01",
        "屏幕检修",
    ),
]


def seed_outlets() -> int:
    """Idempotent: the built-in outlets with their accountable owners, and a few units'
    WeChat/Weibo accounts and a screen, registered by the demo superuser and approved by
    the upper level (one of them suspended)."""
    from django.contrib.auth import get_user_model

    from cms.models import Outlet
    from cms.outlet_services import (
        outlet_approve,
        outlet_register,
        outlet_update,
        outlets_builtin_ensure,
    )

    people = {u.username: u for u in get_user_model().objects.all()}
    admin = people.get("admin")
    if admin is None:
        return 0
    outlets_builtin_ensure()
    for outlet in Outlet.objects.filter(code__isnull=False, owner__isnull=True):
        outlet_update(
            outlet=outlet, user=admin, owner=people.get("editor"), deputy=people.get("reviewer")
        )
    units = {u.code: u for u in OrgUnit.objects.all()}
    for name, kind, code, owner, deputy, address, approver, suspended in UNIT_OUTLETS:
        if code not in units or Outlet.objects.filter(name=name, owner_unit=units[code]).exists():
            continue
        outlet = outlet_register(
            user=admin,
            name=name,
            kind=kind,
            owner_unit=units[code],
            owner=people.get(owner),
            deputy=people.get(deputy) if deputy else None,
            address=address,
        )
        outlet_approve(outlet=outlet, user=people.get(approver, admin), note="同意备案")
        if suspended:
            outlet_update(outlet=outlet, user=admin, status="suspended", status_reason=suspended)
    return Outlet.objects.count()
