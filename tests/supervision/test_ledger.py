"""The work ledger: default items loaded once, reports refused for periods not yet open
(on the unit's clock) or items that do not apply, the upper level's review, the
completion grid in one query, and reminders at 09:00 local time."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from core.errors import ObjectNotFound
from notifications.models import Notification
from supervision.common import SupervisionError, period_parse
from supervision.ledger import selectors, services
from supervision.ledger.models import LedgerItem, LedgerReport
from supervision.services import setup_ensure

pytestmark = pytest.mark.django_db


def _item(code="T01"):
    return LedgerItem.objects.get(code=code)


def _at(tz, *args):
    return dt.datetime(*args, tzinfo=zoneinfo.ZoneInfo(tz))


def test_default_items_are_loaded_once_and_edits_survive(world):
    assert LedgerItem.objects.count() == 80
    LedgerItem.objects.filter(code="T01").update(title="改过的标题")
    setup_ensure()
    assert LedgerItem.objects.count() == 80
    assert _item("T01").title == "改过的标题"


def test_period_not_yet_open_is_judged_on_the_units_clock(world):
    """At 2026-03-31 20:00 UTC it is already 1 April in Jakarta (UTC+7) but still
    31 March in São Paulo (UTC-3): April's report opens for one and not the other."""
    item = LedgerItem.objects.filter(period="month", for_branch=True).first()
    now = dt.datetime(2026, 3, 31, 20, 0, tzinfo=dt.UTC)
    ok = services.ledger_report_submit(
        user=world.sec_a,
        unit_id=world.a2.pk,
        item_id=item.pk,
        period="2026-04",
        text="已完成",
        now=now,
    )
    assert ok.period == "2026-04"
    with pytest.raises(SupervisionError, match="尚未开始.*2026-03-31"):
        services.ledger_report_submit(
            user=world.sec_b3,
            unit_id=world.b3.pk,
            item_id=item.pk,
            period="2026-04",
            text="x",
            now=now,
        )
    assert LedgerReport.objects.count() == 1


def test_bad_reports_are_refused_and_nothing_written(world):
    committee_only = LedgerItem.objects.filter(for_committee=True, for_branch=False).first()
    quarterly = LedgerItem.objects.filter(period="quarter", for_branch=True).first()
    now = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
    with pytest.raises(SupervisionError, match="不适用于党支部"):
        services.ledger_report_submit(
            user=world.sec_a1,
            unit_id=world.a1.pk,
            item_id=committee_only.pk,
            period=f"2026{'' if committee_only.period == 'year' else '-Q1' if committee_only.period == 'quarter' else '-01'}",
            text="x",
            now=now,
        )
    with pytest.raises(SupervisionError, match="按季度报告"):
        services.ledger_report_submit(
            user=world.sec_a1,
            unit_id=world.a1.pk,
            item_id=quarterly.pk,
            period="2026-05",
            text="x",
            now=now,
        )
    with pytest.raises(SupervisionError, match="周期“2026-13”无效"):
        services.ledger_report_submit(
            user=world.sec_a1,
            unit_id=world.a1.pk,
            item_id=quarterly.pk,
            period="2026-13",
            text="x",
            now=now,
        )
    with pytest.raises(ObjectNotFound):
        services.ledger_report_submit(
            user=world.sec_a1,
            unit_id=world.b1.pk,
            item_id=quarterly.pk,
            period="2026-Q1",
            text="x",
            now=now,
        )
    assert not LedgerReport.objects.exists()


def test_upper_level_reviews(world):
    item = LedgerItem.objects.filter(period="quarter", for_branch=True).first()
    now = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)
    r = services.ledger_report_submit(
        user=world.sec_a1,
        unit_id=world.a1.pk,
        item_id=item.pk,
        period="2026-Q2",
        text="完成",
        now=now,
    )
    with pytest.raises(SupervisionError, match="由上级组织审核"):
        services.ledger_report_review(user=world.sec_a1, report_id=r.pk, accept=True)
    with pytest.raises(SupervisionError, match="退回须填写原因"):
        services.ledger_report_review(user=world.sec_a, report_id=r.pk, accept=False)
    services.ledger_report_review(user=world.sec_a, report_id=r.pk, accept=False, reason="材料不全")
    r.refresh_from_db()
    assert r.status == "returned" and r.return_reason == "材料不全"
    services.ledger_report_submit(
        user=world.sec_a1,
        unit_id=world.a1.pk,
        item_id=item.pk,
        period="2026-Q2",
        text="补充",
        now=now,
    )
    services.ledger_report_review(user=world.sec_a, report_id=r.pk, accept=True)
    r.refresh_from_db()
    assert r.status == "accepted" and r.text == "补充"
    with pytest.raises(SupervisionError, match="已审核通过"):
        services.ledger_report_submit(
            user=world.sec_a1,
            unit_id=world.a1.pk,
            item_id=item.pk,
            period="2026-Q2",
            text="再改",
            now=now,
        )


def test_grid_one_query_with_states_and_item_rates(world, assert_selects):
    LedgerItem.objects.exclude(code__in=["T02", "T05"]).update(is_active=False)
    monthly = _item("T02")  # branch committee meeting: monthly, branches and general branches
    theme = _item("T05")  # theme day: monthly, branches only
    now = dt.datetime(2026, 6, 20, 8, 0, tzinfo=dt.UTC)
    for month in ("2026-04", "2026-05", "2026-06"):
        r = services.ledger_report_submit(
            user=world.sec_a1,
            unit_id=world.a1.pk,
            item_id=monthly.pk,
            period=month,
            text="x",
            now=now,
        )
        services.ledger_report_review(user=world.sec_a, report_id=r.pk, accept=True)
    services.ledger_report_submit(
        user=world.sec_a,
        unit_id=world.a2.pk,
        item_id=monthly.pk,
        period="2026-04",
        text="x",
        now=now,
    )
    q2 = period_parse("2026-Q2")
    with assert_selects(2):  # the items, then the grid
        grid = selectors.ledger_grid(unit=world.a, period=q2)
    rows = {r["code"]: r for r in grid["rows"]}
    assert rows["A1"]["cells"][monthly.pk]["state"] == "accepted"
    assert rows["A1"]["cells"][theme.pk]["state"] == "missing"
    assert rows["A2"]["cells"][monthly.pk]["state"] == "partial"
    assert rows["A1"]["expected"] == 6 and rows["A1"]["accepted"] == 3
    assert grid["total"]["expected"] == 12 and grid["total"]["submitted"] == 1
    rates = {i["code"]: i["completion_rate"] for i in grid["items"]}
    assert rates == {"T02": 0.5, "T05": 0.0}
    top = selectors.ledger_grid(unit=world.g, period=q2, by_item=False)
    a_row = next(r for r in top["rows"] if r["code"] == "A")
    assert a_row["expected"] == 12 and a_row["accepted"] == 3 and a_row["missing"] == 8


@pytest.mark.parametrize(
    ("tz", "nine_local_utc"),
    [
        ("Asia/Shanghai", dt.datetime(2026, 6, 26, 1, 5, tzinfo=dt.UTC)),
        ("Africa/Dar_es_Salaam", dt.datetime(2026, 6, 26, 6, 5, tzinfo=dt.UTC)),
        ("Asia/Riyadh", dt.datetime(2026, 6, 26, 6, 5, tzinfo=dt.UTC)),
        ("Asia/Jakarta", dt.datetime(2026, 6, 26, 2, 5, tzinfo=dt.UTC)),
        ("America/Sao_Paulo", dt.datetime(2026, 6, 26, 12, 5, tzinfo=dt.UTC)),
    ],
)
def test_reminders_at_nine_local_once(world, tz, nine_local_utc):
    """Five days before the end of June, at 09:00 on the branch's clock, its secretary is
    reminded of each monthly item not yet reported — once, however often the job runs."""
    from organizations.models import OrgUnit

    OrgUnit.objects.exclude(pk=world.b1.pk).update(timezone="Pacific/Kiritimati")
    world.b1.timezone = tz
    world.b1.save()
    LedgerItem.objects.exclude(code__in=["T02", "T05"]).update(is_active=False)
    before = nine_local_utc - dt.timedelta(hours=1)
    assert (
        services.ledger_reminders_send(now=before) == 0
        or not Notification.objects.filter(recipient=world.sec_b1.member).exists()
    )
    Notification.objects.all().delete()
    services.ledger_report_submit(
        user=world.sec_b1,
        unit_id=world.b1.pk,
        item_id=_item("T05").pk,
        period="2026-06",
        text="已开展",
        now=before,
    )
    services.ledger_reminders_send(now=nine_local_utc)
    services.ledger_reminders_send(now=nine_local_utc + dt.timedelta(hours=1))
    notes = list(Notification.objects.filter(recipient=world.sec_b1.member, kind="ledger_due"))
    assert [n.title for n in notes] == [f"台账待报告：{_item('T02').title}"]
