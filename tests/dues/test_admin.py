"""Treasurers in the admin: the collection report (one SQL query over the subtree, by
child unit; Excel), bases imported all-or-nothing with a report naming each bad row,
refunds and adjustments — all inside their subtree, 404 outside."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from dues.ledger import LedgerEntry
from dues.rules import DuesBase
from dues.selectors import collection_report
from dues.services import obligations_generate
from tests.dues.conftest import give_base
from tests.factories import member_in, user_with_role

pytestmark = pytest.mark.django_db
DEC = dt.date(2026, 12, 1)


def sheet(rows) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def ledger(org):
    """A1: two members (one paid), B1: one member; all with December obligations."""
    a_paid, a_owing, b_owing = member_in(org.a1), member_in(org.a1), member_in(org.b1)
    for m in (a_paid, a_owing, b_owing):
        give_base(m, year=2026)
    obligations_generate(month=DEC)
    LedgerEntry.objects.create(
        member=a_paid, unit=org.a1, month=DEC, kind="payment", amount_fen=-9750
    )
    return a_paid, a_owing, b_owing


def test_collection_report_is_one_query_by_child_unit(org, ledger, django_assert_num_queries):
    with django_assert_num_queries(3):  # savepoint, the report, release
        report = collection_report(unit=org.root, year=2026, month=12)
    rows = {r["code"]: r for r in report["rows"]}
    assert rows["A"]["expected_fen"] == 19500 and rows["A"]["collected_fen"] == 9750
    assert rows["A"]["arrears_fen"] == 9750 and rows["A"]["members_in_arrears"] == 1
    assert rows["B"]["members_in_arrears"] == 1
    assert report["total"]["expected_fen"] == 29250 and report["total"]["arrears_fen"] == 19500
    year = collection_report(unit=org.a, year=2026)
    assert [r["code"] for r in year["rows"]] == ["A1"]


def test_report_page_and_excel_in_scope_404_outside(org, ledger, client):
    treasurer = user_with_role(org.a, "treasurer")
    client.force_login(treasurer)
    r = client.get("/admin/dues/report/", {"unit": org.a.pk, "year": 2026, "month": 12})
    assert r.status_code == 200 and "北京项目党支部" in r.content.decode()
    x = client.get(
        "/admin/dues/report/", {"unit": org.a.pk, "year": 2026, "month": 12, "export": "xlsx"}
    )
    ws = load_workbook(io.BytesIO(x.content)).active
    values = [c for row in ws.iter_rows(values_only=True) for c in row]
    assert "北京项目党支部" in values and 195.0 in values
    assert client.get("/admin/dues/report/", {"unit": org.b.pk, "year": 2026}).status_code == 404


def test_bases_import_all_or_nothing_with_a_report(org, client):
    treasurer = user_with_role(org.a, "treasurer")
    client.force_login(treasurer)
    mine, other = member_in(org.a1), member_in(org.b1)
    bad = sheet(
        [
            ["党员编号", "交纳类别", "月缴费基数（元）"],
            [mine.member_no, "在职", "6500.00"],
            [other.member_no, "在职", "5000"],  # another unit's member
            ["NOPE", "退休", "1.234"],
        ]
    )
    r = client.post("/admin/dues/bases/import/", {"year": 2026, "file": io.BytesIO(bad)})
    text = r.content.decode()
    assert r.status_code == 200
    assert f"第 3 行：党员编号 {other.member_no} 不存在或不在您管理的党组织内" in text
    assert "第 4 行：交纳类别“退休”不正确" in text
    assert not DuesBase.objects.exists()
    good = sheet(
        [["党员编号", "交纳类别", "月缴费基数（元）"], [mine.member_no, "离退休", "4800.50"]]
    )
    upload = io.BytesIO(good)
    upload.name = "bases.xlsx"
    r = client.post("/admin/dues/bases/import/", {"year": 2026, "file": upload})
    assert r.status_code == 302
    base = DuesBase.objects.get()
    assert (base.member_id, base.category, base.base_fen, base.unit_id) == (
        mine.pk,
        "retired",
        480050,
        org.a1.pk,
    )


def test_refund_and_adjustment_pages_scoped(org, ledger, client):
    from django.utils import timezone

    from dues.orders import PaymentOrder

    a_paid, a_owing, b_owing = ledger
    treasurer = user_with_role(org.a, "treasurer")
    client.force_login(treasurer)
    order_b = PaymentOrder.objects.create(
        member=b_owing,
        unit=org.b1,
        provider="sandbox",
        out_trade_no="DTEST1",
        amount_fen=9750,
        status="paid",
        expires_at=timezone.now(),
    )
    assert client.get(f"/admin/dues/orders/{order_b.pk}/refund/").status_code == 404
    r = client.post(
        "/admin/dues/adjustments/new/",
        {
            "member_no": b_owing.member_no,
            "month": "2026-12",
            "amount_yuan": "-10",
            "reason": "减免",
        },
    )
    assert "不存在或不在您管理的党组织内" in r.content.decode()
    r = client.post(
        "/admin/dues/adjustments/new/",
        {
            "member_no": a_owing.member_no,
            "month": "2026-12",
            "amount_yuan": "-97.50",
            "reason": "困难党员减免",
        },
    )
    assert r.status_code == 302
    entry = LedgerEntry.objects.get(kind="adjustment")
    assert entry.amount_fen == -9750 and entry.approved_by == treasurer
    for url in ("/admin/dues_bases/", "/admin/dues_orders/", "/admin/dues_refunds/"):
        assert client.get(url).status_code == 200, url
    assert client.get(f"/admin/dues_orders/inspect/{order_b.pk}/").status_code == 404
    listing = client.get("/admin/dues_entries/")
    assert listing.status_code == 200
    assert b_owing.name not in listing.content.decode() and a_owing.name in listing.content.decode()
