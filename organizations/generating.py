"""`manage.py generate_org`: a production-sized organisation (8,000 units, 140,000
members) built with bulk inserts.

The treebeard paths are computed here rather than by `add_child` (which costs several
queries per node): children of a parent get consecutive steps in code order, which is the
order treebeard itself keeps (`node_order_by = ["code"]`), so later tree operations on the
generated units behave normally. Logins get one shared unusable password hash — hashing
140,000 passwords would take longer than everything else together."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from core.errors import DomainError
from organizations.models import Member, OrgUnit

Progress = Callable[..., Iterable]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤欧阳上官司马诸葛"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志海燕红梅文博宇浩然晓东立新庆春生"
CITIES = "北京 上海 广州 深圳 成都 重庆 武汉 西安 南京 杭州 天津 郑州 长沙 沈阳 青岛 厦门 昆明 贵阳 兰州 乌鲁木齐".split()
WORKS = "地铁 高铁 机场 港口 大桥 隧道 电站 水厂 医院 学校 体育馆 商务区 产业园 公路 市政".split()
ABROAD = [
    ("TZ", "Africa/Dar_es_Salaam", "坦桑尼亚"),
    ("AE", "Asia/Dubai", "阿联酋"),
    ("ID", "Asia/Jakarta", "印尼"),
    ("PK", "Asia/Karachi", "巴基斯坦"),
    ("DZ", "Africa/Algiers", "阿尔及利亚"),
    ("KZ", "Asia/Almaty", "哈萨克斯坦"),
    ("EG", "Africa/Cairo", "埃及"),
    ("SA", "Asia/Riyadh", "沙特"),
    ("MY", "Asia/Kuala_Lumpur", "马来西亚"),
    ("NG", "Africa/Lagos", "尼日利亚"),
]


class GenerateError(DomainError):
    """The generator's arguments cannot produce a tree (message for the operator)."""


def _noop(iterable, **kwargs):
    return iterable


@dataclass
class _Node:
    code: str
    name: str
    kind: str
    path: str
    depth: int
    country: str = "CN"
    timezone: str = "Asia/Shanghai"
    numchild: int = 0


def _step(n: int) -> str:
    key = OrgUnit._int2str(n)
    return "0" * (OrgUnit.steplen - len(key)) + key


def _shape(units: int) -> tuple[int, int, int]:
    """Committees, general branches and branches below one root (1 + n2 + n3 + n4 = units)."""
    rest = units - 1
    n2 = max(1, min(40, rest // 200)) if rest else 0
    n3 = min(n2 * 10, max(0, (rest - n2) // 20))
    return n2, n3, rest - n2 - n3


def _plan_units(units: int, prefix: str, root_path: str, rng: random.Random) -> list[_Node]:
    n2, n3, n4 = _shape(units)
    root = _Node(prefix, "规模测试集团党委", "committee", root_path, 1)
    nodes = [root]
    level2 = []
    for i in range(n2):
        node = _Node(
            f"{prefix}{i + 1:02d}", f"第{i + 1}工程局党委", "committee", root.path + _step(i + 1), 2
        )
        level2.append(node)
    root.numchild = n2
    level3 = []
    for i in range(n3):
        parent = level2[i % n2]
        parent.numchild += 1
        n = parent.numchild
        level3.append(
            _Node(
                f"{parent.code}-{n:02d}",
                f"{parent.name[:-2]}第{n}党总支",
                "general_branch",
                parent.path + _step(n),
                3,
            )
        )
    parents = level3 or level2 or [root]
    leaves = []
    for i in range(n4):
        parent = parents[i % len(parents)]
        parent.numchild += 1
        n = parent.numchild
        node = _Node(
            f"{parent.code}-{n:03d}", "", "branch", parent.path + _step(n), parent.depth + 1
        )
        if rng.random() < 0.15:
            node.country, node.timezone, where = rng.choice(ABROAD)
        else:
            where = rng.choice(CITIES)
        node.name = f"{where}{rng.choice(WORKS)}项目第{n}党支部"
        leaves.append(node)
    # Parents before children and siblings in code order, as treebeard would store them.
    for group in (level2, level3):
        nodes.extend(group)
    nodes.extend(leaves)
    return nodes


def _name(rng: random.Random) -> str:
    surname = (
        rng.choice(SURNAMES[:-8])
        if rng.random() < 0.97
        else rng.choice(["欧阳", "上官", "司马", "诸葛"])
    )
    return surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def org_generate(
    *,
    units: int,
    members: int,
    prefix: str = "S",
    batch: int = 5000,
    seed: int = 1,
    progress: Progress = _noop,
) -> dict:
    """Create `units` units under a new root coded `prefix` and `members` members spread
    over its branches. Refuses when units coded `prefix…` exist already."""
    if units < 1:
        raise GenerateError("至少需要 1 个党组织")
    if (
        OrgUnit.objects.filter(code=prefix).exists()
        or Member.objects.filter(member_no__startswith=f"{prefix}M").exists()
    ):
        raise GenerateError(f"代码前缀“{prefix}”的数据已存在：换一个 --prefix，或使用新的数据库")
    rng = random.Random(seed)
    with transaction.atomic():
        last = OrgUnit.get_last_root_node()
        root_path = last._inc_path() if last else _step(1)
        plan = _plan_units(units, prefix, root_path, rng)
        objs = [
            OrgUnit(
                code=n.code,
                name=n.name,
                kind=n.kind,
                path=n.path,
                depth=n.depth,
                numchild=n.numchild,
                country=n.country,
                timezone=n.timezone,
            )
            for n in plan
        ]
        for start in progress(
            range(0, len(objs), batch), desc="党组织", unit="批", total=-(-len(objs) // batch)
        ):
            OrgUnit.objects.bulk_create(objs[start : start + batch])
        leaf_codes = [n.code for n in plan if n.kind == "branch"] or [n.code for n in plan]
        unit_ids = dict(OrgUnit.objects.filter(code__in=leaf_codes).values_list("code", "id"))
        country = {n.code: n.country for n in plan}
        leaves = [(unit_ids[c], country[c] != "CN") for c in leaf_codes]
        password = make_password(None)
        insert = _copy_members if connection.vendor == "postgresql" else _bulk_members
        made = 0
        for start in progress(
            range(0, members, batch), desc="党员", unit="批", total=-(-members // batch)
        ):
            count = min(batch, members - start)
            rows = []
            for i in range(start, start + count):
                unit_id, overseas = leaves[i % len(leaves)]
                rows.append(
                    {
                        "member_no": f"{prefix}M{i + 1:07d}",
                        "name": _name(rng),
                        "unit_id": unit_id,
                        "gender": "M" if rng.random() < 0.7 else "F",
                        "join_date": date(
                            rng.randint(1980, 2024), rng.randint(1, 12), rng.randint(1, 28)
                        ),
                        "birthday": date(
                            rng.randint(1960, 2002), rng.randint(1, 12), rng.randint(1, 28)
                        ),
                        "category": "probationary" if rng.random() < 0.06 else "full",
                        "phone": f"1{rng.randint(3, 9)}{rng.randint(100000000, 999999999)}",
                        "is_overseas": overseas,
                    }
                )
            insert(rows, password)
            made += count
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Fresh statistics and visibility map after a bulk load, so subtree counts get
        # index-only nested loops instead of sequential scans from the first query on.
        with connection.cursor() as cur:
            for model in (OrgUnit, Member, get_user_model()):
                cur.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
    return {"units": len(objs), "members": made, "root": prefix}


MEMBER_COLUMNS = [
    "member_no",
    "name",
    "unit_id",
    "gender",
    "join_date",
    "birthday",
    "category",
    "phone",
    "is_overseas",
]


def _bulk_members(rows: list[dict], password: str) -> None:
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=r["member_no"], first_name=r["name"], password=password) for r in rows]
    )
    Member.objects.bulk_create(
        [Member(user_id=u.pk, **r) for u, r in zip(users, rows, strict=True)]
    )


def _copy_members(rows: list[dict], password: str) -> None:
    """PostgreSQL: COPY the logins and members (several times faster than INSERTs)."""
    User = get_user_model()
    now = timezone.now()
    user_table, member_table = User._meta.db_table, Member._meta.db_table
    with connection.cursor() as cur:
        raw = cur.cursor  # the psycopg 3 cursor underneath Django's wrapper
        with raw.copy(
            f"COPY {user_table} (username, first_name, last_name, email, password, is_staff,"
            " is_active, is_superuser, date_joined) FROM STDIN"
        ) as copy:
            for r in rows:
                copy.write_row(
                    (r["member_no"], r["name"], "", "", password, False, True, False, now)
                )
        cur.execute(
            f"SELECT username, id FROM {user_table} WHERE username >= %s AND username <= %s",
            [rows[0]["member_no"], rows[-1]["member_no"]],
        )
        ids = dict(cur.fetchall())
        cols = ", ".join(["user_id", *MEMBER_COLUMNS, "status", "created_at", "updated_at"])
        with raw.copy(f"COPY {member_table} ({cols}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(
                    (ids[r["member_no"]], *(r[c] for c in MEMBER_COLUMNS), "active", now, now)
                )
