"""Problem transfer lists: issue (no deadline in the past on the unit's clock), reply,
verify (no closing without evidence), the subtree report in one query, and escalation
of overdue items at 09:00 local time — the unit's secretary, then the level above."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import TestCase

from core.errors import ObjectNotFound
from notifications.models import Notification
from supervision.common import SupervisionError, period_parse
from supervision.rectification import selectors, services
from supervision.rectification.models import Rectification

pytestmark = pytest.mark.django_db


def _issue(world, unit, deadline, user=None, issuer=None, now=None, **kw):
    return services.rectification_issue(
        user=user or world.sec_b,
        unit_id=unit.pk,
        issued_by_unit_id=(issuer or world.b).pk,
        title=kw.get("title", "三会一课记录不全"),
        description="2026 年一季度支委会记录缺失",
        category="组织生活",
        source="inspection",
        deadline=deadline,
        responsible_person="王书记",
        now=now,
    )


def test_deadline_in_the_past_on_the_units_clock(world):
    """At 2026-05-01 02:00 UTC it is 1 May in Riyadh but still 30 April in São Paulo."""
    now = dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC)
    with pytest.raises(SupervisionError, match="整改期限 2026-04-30 已过"):
        _issue(world, world.b2, dt.date(2026, 4, 30), now=now)
    assert _issue(world, world.b3, dt.date(2026, 4, 30), now=now).pk
    assert Rectification.objects.count() == 1


def test_issue_refuses_other_units_and_missing_fields(world):
    now = dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC)
    with pytest.raises(ObjectNotFound):
        _issue(world, world.a1, dt.date(2026, 6, 1), now=now)  # A1 outside B's subtree
    with pytest.raises(SupervisionError, match="本级或下级"):
        _issue(world, world.b, dt.date(2026, 6, 1), user=world.sec_g, issuer=world.b1, now=now)
    with pytest.raises(SupervisionError, match="请填写问题"):
        _issue(world, world.b1, dt.date(2026, 6, 1), now=now, title=" ")
    assert not Rectification.objects.exists()


def test_reply_verify_close_only_with_evidence(world):
    rect = _issue(world, world.b1, dt.date(2099, 6, 1))
    with pytest.raises(SupervisionError, match="整改单位反馈后才能核验"):
        services.rectification_verify(user=world.sec_b, rectification_id=rect.pk, close=True)
    with pytest.raises(SupervisionError, match="请填写整改措施"):
        services.rectification_reply(user=world.sec_b1, rectification_id=rect.pk, measures="")
    services.rectification_reply(user=world.sec_b1, rectification_id=rect.pk, measures="补齐记录")
    with pytest.raises(SupervisionError, match="由移交单位核验销号"):
        services.rectification_verify(user=world.sec_b1, rectification_id=rect.pk, close=True)
    with pytest.raises(SupervisionError, match="没有整改佐证材料，不能销号"):
        services.rectification_verify(user=world.sec_b, rectification_id=rect.pk, close=True)
    rect.refresh_from_db()
    assert rect.status == "replied" and rect.closed_at is None
    services.rectification_verify(
        user=world.sec_b, rectification_id=rect.pk, close=False, reason="请附记录照片"
    )
    services.rectification_reply(
        user=world.sec_b1,
        rectification_id=rect.pk,
        measures="补齐记录",
        evidence_text="已补记录 3 份",
    )
    closed = services.rectification_verify(user=world.sec_b, rectification_id=rect.pk, close=True)
    assert closed.status == "closed" and closed.closed_on_time


def test_report_one_query(world, assert_selects):
    now = dt.datetime(2026, 5, 10, 8, 0, tzinfo=dt.UTC)
    late = _issue(world, world.b1, dt.date(2026, 5, 15), now=now)
    _issue(world, world.b3, dt.date(2026, 5, 15), now=now)
    done = _issue(world, world.b2, dt.date(2026, 5, 20), now=now)
    services.rectification_reply(
        user=world.sec_b, rectification_id=done.pk, measures="m", evidence_text="e"
    )
    Rectification.objects.filter(pk=done.pk).update(created_at=now)
    services.rectification_verify(
        user=world.sec_b, rectification_id=done.pk, close=True, now=now + dt.timedelta(days=2)
    )
    later = dt.datetime(2026, 5, 16, 12, 0, tzinfo=dt.UTC)
    with assert_selects(2):  # the zones of the subtree, then the report
        report = selectors.rectification_report(
            unit=world.g, period=period_parse("2026-Q2"), now=later
        )
    b = next(r for r in report["rows"] if r["code"] == "B")
    assert (b["open"], b["overdue"], b["closed"], b["closed_on_time"]) == (2, 2, 1, 1)
    assert b["average_days_to_close"] == 2.0
    assert selectors.is_overdue(Rectification.objects.get(pk=late.pk), now=later)


@pytest.mark.parametrize(
    ("tz", "nine_local_utc"),
    [
        ("Asia/Shanghai", dt.datetime(2026, 5, 2, 1, 10, tzinfo=dt.UTC)),
        ("Africa/Dar_es_Salaam", dt.datetime(2026, 5, 2, 6, 10, tzinfo=dt.UTC)),
        ("Asia/Riyadh", dt.datetime(2026, 5, 2, 6, 10, tzinfo=dt.UTC)),
        ("Asia/Jakarta", dt.datetime(2026, 5, 2, 2, 10, tzinfo=dt.UTC)),
        ("America/Sao_Paulo", dt.datetime(2026, 5, 2, 12, 10, tzinfo=dt.UTC)),
    ],
)
def test_escalation_secretary_then_level_above(world, tz, nine_local_utc):
    world.b1.timezone = tz
    world.b1.save()
    with TestCase.captureOnCommitCallbacks(execute=True):
        rect = _issue(
            world, world.b1, dt.date(2026, 5, 1), now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
        )
    Notification.objects.all().delete()
    # before 09:00 local on the first day past the deadline: nothing
    services.rectifications_escalate(now=nine_local_utc - dt.timedelta(hours=1))
    assert not Notification.objects.exists()
    for _ in range(2):  # a repeated run tells nobody twice
        services.rectifications_escalate(now=nine_local_utc)
    overdue = Notification.objects.filter(kind="rectification_overdue")
    assert list(overdue.values_list("recipient_id", flat=True)) == [world.sec_b1.member.pk]
    assert not Notification.objects.filter(kind="rectification_escalated").exists()
    week = nine_local_utc + dt.timedelta(days=6)
    services.rectifications_escalate(now=week)
    up = Notification.objects.filter(kind="rectification_escalated")
    assert list(up.values_list("recipient_id", flat=True)) == [world.sec_b.member.pk]
    rect.refresh_from_db()
    assert rect.escalation_level == 2
    services.rectifications_escalate(now=week + dt.timedelta(days=1))
    assert Notification.objects.count() == 2
