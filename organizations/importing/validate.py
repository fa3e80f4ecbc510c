"""Checking every row before anything is written: each problem names the file/sheet, the
row and the column. Units are checked against the file and the database together (unknown
parent codes, cycles, scope); members against the units and existing member numbers.

Over 400 lines: units and members are checked together (a member row refers to units
of the same file and the database), with one error collector for both.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from organizations.models import Member, OrgUnit
from organizations.scope import Scope, scope_for

from .files import ImportRefused, Table

UNIT_COLUMNS = {
    "code": ("组织代码", "代码"),
    "name": ("名称", "组织名称"),
    "kind": ("类型", "组织类型"),
    "parent_code": ("上级组织代码", "上级代码"),
    "country": ("国家/地区", "国家", "国家地区"),
    "timezone": ("时区",),
    "is_active": ("启用",),
}
UNIT_REQUIRED = ("code", "name", "kind", "parent_code")
MEMBER_COLUMNS = {
    "member_no": ("党员编号", "编号"),
    "name": ("姓名",),
    "unit_code": ("组织代码", "所在组织代码"),
    "gender": ("性别",),
    "join_date": ("入党日期",),
    "category": ("党员类别", "类别"),
    "birthday": ("出生日期", "生日"),
    "phone": ("手机号", "手机", "电话"),
    "status": ("状态",),
}
MEMBER_REQUIRED = ("member_no", "name", "unit_code")

KINDS = {**{v: v for v in OrgUnit.Kind.values}, **{str(lbl): v for v, lbl in OrgUnit.Kind.choices}}
GENDERS = {"M": "M", "F": "F", "m": "M", "f": "F", "男": "M", "女": "F"}
CATEGORIES = {
    **{v: v for v in Member.Category.values},
    **{str(lbl): v for v, lbl in Member.Category.choices},
    "正式": "full",
    "预备": "probationary",
}
STATUSES = {
    **{v: v for v in Member.Status.values},
    **{str(lbl): v for v, lbl in Member.Status.choices},
}
BOOLS = {"": True, "1": True, "true": True, "是": True, "0": False, "false": False, "否": False}
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-()]{4,30}$")
CODE_RE = re.compile(r"^[^\s]{1,32}$")


@dataclass
class Issue:
    source: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f" 第 {self.row} 行"
        if self.column:
            where += f"【{self.column}】"
        return f"{where}：{self.message}"


@dataclass
class UnitRow:
    source: str
    row: int
    code: str
    name: str
    kind: str
    parent_code: str
    country: str
    timezone: str
    is_active: bool


@dataclass
class MemberRow:
    source: str
    row: int
    member_no: str
    name: str
    unit_code: str
    fields: dict


@dataclass
class Parsed:
    units: list[UnitRow] = field(default_factory=list)
    members: list[MemberRow] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def _canonical(header: list[str], columns: dict) -> tuple[list[str | None], list[str]]:
    aliases = {}
    for key, names in columns.items():
        aliases[key] = key
        for n in names:
            aliases[n] = key
    mapped, unknown = [], []
    for h in header:
        key = aliases.get(h.strip().lower()) or aliases.get(h.strip())
        mapped.append(key)
        if key is None and h.strip():
            unknown.append(h)
    return mapped, unknown


def detect_kind(table: Table) -> str:
    names = {h.strip().lower() for h in table.header}
    if names & {"member_no", "党员编号", "编号"}:
        return "members"
    if names & {"code", "组织代码", "代码"}:
        return "units"
    raise ImportRefused(
        f"{table.source}：无法识别表头 {table.header}。组织表需要列 code, name, kind, "
        "parent_code（可选 country, timezone）；党员表需要列 member_no, name, unit_code"
        "（可选 gender, join_date, category, birthday, phone, status）"
    )


def _rows(table: Table, columns: dict, required: tuple, issues: list[Issue]):
    mapped, unknown = _canonical(table.header, columns)
    missing = [c for c in required if c not in mapped]
    dupes = sorted({c for c in mapped if c and mapped.count(c) > 1})
    if unknown or missing or dupes:
        parts = []
        if missing:
            parts.append("缺少列 " + ", ".join(missing))
        if unknown:
            parts.append("无法识别的列 " + ", ".join(unknown))
        if dupes:
            parts.append("重复的列 " + ", ".join(dupes))
        allowed = ", ".join(columns)
        issues.append(Issue(table.source, 1, None, "；".join(parts) + f"（可用的列：{allowed}）"))
        return
    for number, cells in table.rows:
        values = {}
        for key, cell in zip(mapped, cells, strict=False):
            if key:
                values[key] = cell if isinstance(cell, date) else str(cell).strip()
        for key in columns:
            values.setdefault(key, "")
        yield number, values


def parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", text
    )
    if not m:
        raise ValueError(f"“{text}”不是日期，请用 YYYY-MM-DD 格式，如 2020-07-01")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise ValueError(f"日期“{text}”不存在（月份或日期超出范围）")


def parse_units(tables: list[Table], user, issues: list[Issue]) -> list[UnitRow]:
    rows: list[UnitRow] = []
    seen: dict[str, UnitRow] = {}
    for table in tables:
        for number, v in _rows(table, UNIT_COLUMNS, UNIT_REQUIRED, issues):

            def bad(col, msg, number=number, table=table):
                issues.append(Issue(table.source, number, col, msg))

            code, name = v["code"], v["name"]
            if not code:
                bad("code", "组织代码不能为空")
            elif not CODE_RE.match(code):
                bad("code", f"组织代码“{code}”不能含空白且最长 32 个字符")
            elif code in seen:
                bad("code", f"组织代码“{code}”在文件中重复（第 {seen[code].row} 行已出现）")
            if not name:
                bad("name", "名称不能为空")
            elif len(name) > 200:
                bad("name", "名称最长 200 个字符")
            kind = KINDS.get(v["kind"])
            if kind is None:
                bad(
                    "kind",
                    f"类型“{v['kind']}”无效，应为 committee/general_branch/branch 或 党委/党总支/党支部",
                )
            country = (v["country"] or "CN").upper()
            if len(country) != 2 or not country.isalpha():
                bad("country", f"国家/地区“{v['country']}”应为两位字母代码，如 CN、TZ")
            tz = v["timezone"] or "Asia/Shanghai"
            if tz not in zoneinfo.available_timezones():
                bad(
                    "timezone",
                    f"时区“{tz}”不是有效的 IANA 时区名称，如 Asia/Shanghai、Africa/Dar_es_Salaam",
                )
            active = BOOLS.get(str(v["is_active"]).lower())
            if active is None:
                bad("is_active", f"启用“{v['is_active']}”应为 是/否")
            if v["parent_code"] and v["parent_code"] == code:
                bad("parent_code", f"组织“{code}”不能是自己的上级（层级循环）")
            row = UnitRow(
                table.source,
                number,
                code,
                name,
                kind or "",
                v["parent_code"],
                country,
                tz,
                bool(active),
            )
            if code and code not in seen:
                seen[code] = row
            rows.append(row)
    _check_tree(rows, user, issues)
    return rows


def _check_tree(rows: list[UnitRow], user, issues: list[Issue]) -> None:
    """Unknown parents, cycles (through the file and the stored tree), and scope."""
    by_code = {r.code: r for r in rows if r.code}
    db = dict(OrgUnit.objects.values_list("code", "path"))
    code_of_path = {p: c for c, p in db.items()}
    scope = _scope(user)

    def parent_of(code):
        if code in by_code:
            return by_code[code].parent_code or None
        path = db.get(code)
        return (
            code_of_path.get(path[: -OrgUnit.steplen])
            if path and len(path) > OrgUnit.steplen
            else None
        )

    reported = set()
    for r in rows:
        if not r.code or r.code in reported:
            continue
        if r.parent_code and r.parent_code not in by_code and r.parent_code not in db:
            issues.append(
                Issue(
                    r.source,
                    r.row,
                    "parent_code",
                    f"上级组织代码“{r.parent_code}”不存在（文件和系统中都没有）",
                )
            )
            continue
        chain, code = [r.code], parent_of(r.code)
        while code is not None and code not in chain and len(chain) < 80:
            chain.append(code)
            code = parent_of(code)
        if code is not None and code in chain:
            cycle = chain[chain.index(code) :] + [code]
            rows_in = sorted(by_code[c].row for c in set(cycle) if c in by_code)
            reported.update(cycle)
            issues.append(
                Issue(
                    r.source,
                    r.row,
                    "parent_code",
                    "组织层级出现循环："
                    + " → ".join(cycle)
                    + f"（涉及第 {', '.join(map(str, rows_in))} 行）",
                )
            )
            continue
        if scope is not None:
            if r.code in db and not _in(db[r.code], scope):
                issues.append(Issue(r.source, r.row, "code", f"组织“{r.code}”不在您的管理范围内"))
            elif not r.parent_code:
                issues.append(
                    Issue(
                        r.source,
                        r.row,
                        "parent_code",
                        "只有超级管理员可以导入顶级组织，请填写上级组织代码",
                    )
                )
            elif r.parent_code not in by_code and not _in(db[r.parent_code], scope):
                issues.append(
                    Issue(
                        r.source,
                        r.row,
                        "parent_code",
                        f"上级组织“{r.parent_code}”不在您的管理范围内",
                    )
                )


def _scope(user) -> Scope | None:
    """The importing user's organisation-admin scope (None: no user, no limit)."""
    from organizations.permissions import ORG_ADMIN_ROLES

    return None if user is None else scope_for(user, roles=ORG_ADMIN_ROLES)


def _in(path: str, scope: Scope) -> bool:
    return scope.covers(path)


def parse_members(
    tables: list[Table], unit_rows: list[UnitRow], user, issues: list[Issue]
) -> list[MemberRow]:
    rows: list[MemberRow] = []
    seen: dict[str, MemberRow] = {}
    file_units = {u.code for u in unit_rows}
    db_units = dict(OrgUnit.objects.values_list("code", "path"))
    scope = _scope(user)
    today = timezone.localdate()
    for table in tables:
        for number, v in _rows(table, MEMBER_COLUMNS, MEMBER_REQUIRED, issues):

            def bad(col, msg, number=number, table=table):
                issues.append(Issue(table.source, number, col, msg))

            no, name, unit_code = v["member_no"], v["name"], v["unit_code"]
            if not no:
                bad("member_no", "党员编号不能为空")
            elif not CODE_RE.match(no):
                bad("member_no", f"党员编号“{no}”不能含空白且最长 32 个字符")
            elif no in seen:
                bad("member_no", f"党员编号“{no}”在文件中重复（第 {seen[no].row} 行已出现）")
            if not name:
                bad("name", "姓名不能为空")
            elif len(name) > 64:
                bad("name", "姓名最长 64 个字符")
            if not unit_code:
                bad("unit_code", "组织代码不能为空")
            elif unit_code not in file_units and unit_code not in db_units:
                bad("unit_code", f"组织代码“{unit_code}”不存在（文件和系统中都没有）")
            elif (
                scope is not None
                and unit_code not in file_units
                and not _in(db_units[unit_code], scope)
            ):
                bad("unit_code", f"组织“{unit_code}”不在您的管理范围内")
            fields = {}
            for col, table_map, default in (
                ("gender", GENDERS, ""),
                ("category", CATEGORIES, "full"),
                ("status", STATUSES, "active"),
            ):
                raw = v[col]
                if not raw:
                    fields[col] = default
                elif raw in table_map:
                    fields[col] = table_map[raw]
                else:
                    choices = "/".join(sorted(set(table_map)))
                    bad(col, f"“{raw}”无效，可选：{choices}")
            for col in ("join_date", "birthday"):
                raw = v[col]
                fields[col] = None
                if raw in ("", None):
                    continue
                try:
                    value = parse_date(raw)
                except ValueError as exc:
                    bad(col, str(exc))
                    continue
                if value > today:
                    bad(col, f"日期 {value} 晚于今天")
                elif value.year < 1900:
                    bad(col, f"日期 {value} 早于 1900 年")
                else:
                    fields[col] = value
            if (
                fields["join_date"]
                and fields["birthday"]
                and fields["birthday"] >= fields["join_date"]
            ):
                bad("birthday", "出生日期应早于入党日期")
            phone = v["phone"]
            if phone and not PHONE_RE.match(phone):
                bad("phone", f"手机号“{phone}”格式不正确")
            fields["phone"] = phone
            row = MemberRow(table.source, number, no, name, unit_code, fields)
            if no and no not in seen:
                seen[no] = row
            rows.append(row)
    _check_existing_members(rows, scope, issues)
    return rows


def _check_existing_members(rows: list[MemberRow], scope, issues: list[Issue]) -> None:
    """Member numbers already stored are updated, unless they belong outside the importer's
    scope or the row names another unit (a move is a transfer: started by the out-unit,
    accepted by the in-unit — organizations.transfers); a new member's login name (=
    member number) must not belong to another member."""
    numbers = [r.member_no for r in rows if r.member_no]
    existing = {}
    units_now = {}
    User = get_user_model()
    taken = {}
    for i in range(0, len(numbers), 2000):
        chunk = numbers[i : i + 2000]
        for no, path, code in Member.objects.filter(member_no__in=chunk).values_list(
            "member_no", "unit__path", "unit__code"
        ):
            existing[no], units_now[no] = path, code
        taken.update(
            dict(
                User.objects.filter(username__in=chunk, member__isnull=False).values_list(
                    "username", "member__member_no"
                )
            )
        )
    for r in rows:
        if r.member_no in existing:
            if scope is not None and not _in(existing[r.member_no], scope):
                issues.append(
                    Issue(
                        r.source,
                        r.row,
                        "member_no",
                        f"党员编号“{r.member_no}”已被您管理范围之外的党员使用",
                    )
                )
            elif r.unit_code and r.unit_code != units_now[r.member_no]:
                issues.append(
                    Issue(
                        r.source,
                        r.row,
                        "unit_code",
                        f"党员“{r.member_no}”现属组织“{units_now[r.member_no]}”，导入不能改变"
                        "所在党组织：请发起组织关系转接，由转入方接收",
                    )
                )
        elif r.member_no in taken:
            issues.append(
                Issue(
                    r.source,
                    r.row,
                    "member_no",
                    f"登录名“{r.member_no}”已被编号为“{taken[r.member_no]}”的党员使用",
                )
            )
