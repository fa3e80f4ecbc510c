"""A small tree across time zones for the supervision tests.

G 集团党委 (Asia/Shanghai)
├── A 第一工程局党委 (committee, Asia/Shanghai) ── A1 北京项目党支部 (Asia/Shanghai)
│                                             └── A2 雅加达项目党支部 (Asia/Jakarta)
└── B 海外事业部党委 (committee, Asia/Shanghai) ── B1 坦桑尼亚项目党支部 (Africa/Dar_es_Salaam)
                                              ├── B2 利雅得项目党支部 (Asia/Riyadh)
                                              └── B3 圣保罗项目党支部 (America/Sao_Paulo)
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from organizations.models import OrgUnit
from supervision.services import setup_ensure
from tests.factories import add_unit, member_in, user_with_role


@dataclass
class World:
    g: OrgUnit
    a: OrgUnit
    a1: OrgUnit
    a2: OrgUnit
    b: OrgUnit
    b1: OrgUnit
    b2: OrgUnit
    b3: OrgUnit
    sec_g: object  # secretary of G (the upper level of everything)
    sec_a: object
    sec_a1: object
    sec_b: object
    sec_b1: object
    sec_b3: object

    def refresh(self):
        for name in ("g", "a", "a1", "a2", "b", "b1", "b2", "b3"):
            getattr(self, name).refresh_from_db()


@pytest.fixture
def world(db) -> World:
    g = add_unit(None, "G", "集团党委", kind="committee")
    a = add_unit(g, "A", "第一工程局党委", kind="committee")
    b = add_unit(g, "B", "海外事业部党委", kind="committee")
    a1 = add_unit(a, "A1", "北京项目党支部")
    a2 = add_unit(a, "A2", "雅加达项目党支部", country="ID", tz="Asia/Jakarta")
    b1 = add_unit(b, "B1", "坦桑尼亚项目党支部", country="TZ", tz="Africa/Dar_es_Salaam")
    b2 = add_unit(b, "B2", "利雅得项目党支部", country="SA", tz="Asia/Riyadh")
    b3 = add_unit(b, "B3", "圣保罗项目党支部", country="BR", tz="America/Sao_Paulo")
    w = World(
        g=g,
        a=a,
        a1=a1,
        a2=a2,
        b=b,
        b1=b1,
        b2=b2,
        b3=b3,
        sec_g=user_with_role(g, "secretary", "sec_g"),
        sec_a=user_with_role(a, "secretary", "sec_a"),
        sec_a1=user_with_role(a1, "secretary", "sec_a1"),
        sec_b=user_with_role(b, "secretary", "sec_b"),
        sec_b1=user_with_role(b1, "secretary", "sec_b1"),
        sec_b3=user_with_role(b3, "secretary", "sec_b3"),
    )
    w.refresh()
    setup_ensure()
    return w


@pytest.fixture
def members(world):
    """Three members in each branch."""
    out = {}
    for name in ("a1", "a2", "b1", "b2", "b3"):
        unit = getattr(world, name)
        out[name] = [member_in(unit, name=f"{unit.code}党员{i}") for i in range(3)]
    return out


@pytest.fixture
def assert_selects():
    """`with assert_selects(n):` — exactly n data queries (transaction control and the
    report's SET LOCAL settings are not counted)."""
    from contextlib import contextmanager

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    @contextmanager
    def check(n: int):
        with CaptureQueriesContext(connection) as ctx:
            yield
        data = [
            q["sql"]
            for q in ctx.captured_queries
            if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE", "SET ", "ROLLBACK"))
        ]
        assert len(data) == n, data

    return check
