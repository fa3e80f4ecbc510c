"""Demo organisation for `manage.py seed_demo`: a group committee, second-level
committees, project branches in China and abroad with their real time zones, ~200 members
and one login per role. Idempotent: units and members are matched by code / number."""

from __future__ import annotations

import random
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from core.env import env
from organizations.models import Member, OrgUnit
from organizations.services import unit_role_grant

DEMO_PASSWORD_DEFAULT = "ehome-demo"

# (code, name, kind, country, timezone, parent code)
UNITS = [
    ("G", "中国建工集团党委", "committee", "CN", "Asia/Shanghai", None),
    ("G01", "第一工程局党委", "committee", "CN", "Asia/Shanghai", "G"),
    ("G01-01", "北京大兴机场配套项目党支部", "branch", "CN", "Asia/Shanghai", "G01"),
    ("G01-02", "雄安新区市政项目党支部", "branch", "CN", "Asia/Shanghai", "G01"),
    ("G01-03", "第一工程局机关党总支", "general_branch", "CN", "Asia/Shanghai", "G01"),
    ("G01-03-01", "机关第一党支部", "branch", "CN", "Asia/Shanghai", "G01-03"),
    ("G02", "海外事业部党委", "committee", "CN", "Asia/Shanghai", "G"),
    ("G02-01", "坦桑尼亚达累斯萨拉姆港口项目党支部", "branch", "TZ", "Africa/Dar_es_Salaam", "G02"),
    ("G02-02", "阿联酋迪拜地铁项目党支部", "branch", "AE", "Asia/Dubai", "G02"),
    ("G02-03", "印尼雅万高铁项目党支部", "branch", "ID", "Asia/Jakarta", "G02"),
    ("G02-04", "巴基斯坦卡拉奇电站项目党支部", "branch", "PK", "Asia/Karachi", "G02"),
    ("G02-05", "阿尔及利亚嘉玛清真寺维保项目党支部", "branch", "DZ", "Africa/Algiers", "G02"),
    ("G03", "第三建设公司党委", "committee", "CN", "Asia/Shanghai", "G"),
    ("G03-01", "深圳前海商务区项目党支部", "branch", "CN", "Asia/Shanghai", "G03"),
    ("G03-02", "成都天府新区项目党支部", "branch", "CN", "Asia/Shanghai", "G03"),
]

# (username, name, unit code, roles, is_superuser)
LOGINS = [
    ("admin", "系统管理员", "G", [], True),
    ("editor", "王编辑", "G", ["editor"], False),
    ("reviewer", "李审核", "G", ["reviewer"], False),
    ("editor_g02", "陈编辑", "G02", ["editor"], False),
    ("reviewer_g02", "周审核", "G02", ["reviewer"], False),
    ("secretary_g02", "赵书记", "G02", ["secretary"], False),
    ("secretary_tz", "刘书记", "G02-01", ["secretary"], False),
    ("secretary_g01", "孙书记", "G01", ["secretary"], False),
    ("instructor", "吴教员", "G", ["instructor"], False),
    ("unitadmin_g01", "郑管理", "G01", ["unit_admin"], False),
    ("member", "张建国", "G02-01", [], False),
    ("member_bj", "黄丽华", "G01-01", [], False),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强海燕红梅文博宇浩然晓东立新国庆春生"


def demo_password() -> str:
    return env("EHOME_DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)


def _unit(code, name, kind, country, tz, parent_code) -> OrgUnit:
    existing = OrgUnit.objects.filter(code=code).first()
    fields = {"name": name, "kind": kind, "country": country, "timezone": tz}
    if existing:
        for k, v in fields.items():
            setattr(existing, k, v)
        existing.save()
        return existing
    if parent_code is None:
        return OrgUnit.add_root(code=code, **fields)
    parent = OrgUnit.objects.get(code=parent_code)
    return parent.add_child(code=code, **fields)


def _member(user, name, unit, number, rng) -> Member:
    member, _ = Member.objects.update_or_create(
        member_no=number,
        defaults={
            "user": user,
            "unit": unit,
            "name": name,
            "gender": rng.choice("MF"),
            "join_date": date(rng.randint(1985, 2023), rng.randint(1, 12), rng.randint(1, 28)),
            "birthday": date(rng.randint(1965, 2000), rng.randint(1, 12), rng.randint(1, 28)),
            "category": "probationary" if rng.random() < 0.08 else "full",
            "phone": f"1{rng.randint(3, 9)}{rng.randint(100000000, 999999999)}",
            "is_overseas": unit.country != "CN",
        },
    )
    return member


@transaction.atomic
def seed(stdout=None) -> dict:
    rng = random.Random(20261128)
    units = {}
    for row in UNITS:
        units[row[0]] = _unit(*row)
        # treebeard's add_child updates the parent's numchild in the DB; refresh the
        # parent objects we hold so the next add_child computes the right path.
        for u in units.values():
            u.refresh_from_db()

    User = get_user_model()
    # One hash for every demo login: hashing ~200 passwords one by one (PBKDF2, a million
    # rounds each) made `make run` take minutes on a busy 2-core machine.
    password_hash = make_password(demo_password())
    logins = []
    for i, (username, name, code, roles, is_super) in enumerate(LOGINS):
        user, created = User.objects.get_or_create(username=username)
        user.first_name = name
        user.is_superuser = is_super
        user.is_staff = is_super or bool(roles)
        user.is_active = True
        if created or not user.has_usable_password():
            user.password = password_hash
        user.save()
        _member(user, name, units[code], f"D{10000 + i}", rng)
        for role in roles:
            unit_role_grant(user=user, unit=units[code], role=role)
        logins.append(
            (
                username,
                name,
                units[code].name,
                ",".join(roles) or ("超级管理员" if is_super else "党员"),
            )
        )

    branch_codes = [row[0] for row in UNITS if row[2] == "branch"]
    for i in range(190):
        code = branch_codes[i % len(branch_codes)]
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
        username = f"m{20000 + i}"
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.first_name = name
            user.password = password_hash
            user.save()
        else:
            name = user.first_name or name
        _member(user, name, units[code], f"D{20000 + i}", rng)

    return {"units": len(units), "members": Member.objects.count(), "logins": logins}
