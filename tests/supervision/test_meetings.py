"""Meetings and lessons: scheduling on the unit's clock, check-in window and invitees,
leave and absence, minutes (late or not), and compliance across time zones."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.test import TestCase

from core.errors import ObjectNotFound
from notifications.models import Notification
from supervision.common import SupervisionError, period_parse
from supervision.meetings import selectors, services
from supervision.meetings.models import Attendance, ComplianceRule, Meeting

pytestmark = pytest.mark.django_db


def _utc(tz: str, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zoneinfo.ZoneInfo(tz)).astimezone(dt.UTC)


def _schedule(world, unit, user, when=dt.datetime(2026, 3, 10, 14, 0), kind="theme_day", **kw):
    return services.meeting_schedule(
        user=user,
        unit_id=unit.pk,
        kind=kind,
        title=kw.pop("title", "三月主题党日"),
        starts_local=when,
        duration_minutes=kw.pop("duration_minutes", 90),
        place=kw.pop("place", "项目部会议室"),
        **kw,
    )


@pytest.mark.parametrize(
    "tz",
    ["Asia/Shanghai", "Africa/Dar_es_Salaam", "Asia/Riyadh", "Asia/Jakarta", "America/Sao_Paulo"],
)
def test_schedule_is_on_the_units_clock_and_invites_its_members(world, members, tz):
    world.b1.timezone = tz
    world.b1.save()
    with TestCase.captureOnCommitCallbacks(execute=True):
        m = _schedule(world, world.b1, world.sec_b1)
    assert m.starts_at == _utc(tz, 2026, 3, 10, 14, 0)
    assert m.ends_at - m.starts_at == dt.timedelta(minutes=90)
    invited = set(m.attendances.values_list("member_id", flat=True))
    assert invited == {x.pk for x in members["b1"]} | {world.sec_b1.member.pk}
    assert m.invited_count == len(invited)
    note = Notification.objects.get(recipient=members["b1"][0], kind="meeting_scheduled")
    assert "2026-03-10 14:00" in note.body


def test_schedule_refuses_bad_input_and_writes_nothing(world, members):
    with pytest.raises(SupervisionError, match="党课须填写授课人和党课题目"):
        _schedule(world, world.a1, world.sec_a1, kind="party_lesson")
    with pytest.raises(SupervisionError, match="中心组学习只能由党委安排"):
        _schedule(world, world.a1, world.sec_a1, kind="central_study")
    with pytest.raises(SupervisionError, match="地点或线上会议链接"):
        _schedule(world, world.a1, world.sec_a1, place="")
    with pytest.raises(ObjectNotFound):  # B1 is outside A1's secretary's subtree
        _schedule(world, world.b1, world.sec_a1)
    assert not Meeting.objects.exists() and not Attendance.objects.exists()


def test_check_in_only_in_the_window_and_only_for_invitees(world, members):
    m = _schedule(world, world.b3, world.sec_b3, when=dt.datetime(2026, 3, 10, 19, 0))
    start = _utc("America/Sao_Paulo", 2026, 3, 10, 19, 0)
    me = members["b3"][0]
    with pytest.raises(SupervisionError, match=r"不在签到时间内.*America/Sao_Paulo"):
        services.meeting_check_in(user=me.user, meeting_id=m.pk, now=start - dt.timedelta(hours=1))
    with pytest.raises(SupervisionError, match="不在签到时间内"):
        services.meeting_check_in(
            user=me.user, meeting_id=m.pk, now=start + dt.timedelta(minutes=91)
        )
    stranger = members["b1"][0]  # not invited, and cannot even see the meeting
    with pytest.raises(ObjectNotFound):
        services.meeting_check_in(user=stranger.user, meeting_id=m.pk, now=start)
    # the secretary of B sees it (manager) but is not on the list
    with pytest.raises(SupervisionError, match="不在本次会议的参会名单中"):
        services.meeting_check_in(user=world.sec_b, meeting_id=m.pk, now=start)
    assert not Attendance.objects.filter(meeting=m, status="present").exists()
    att = services.meeting_check_in(
        user=me.user, meeting_id=m.pk, now=start - dt.timedelta(minutes=20)
    )
    assert att.status == "present" and not att.late
    late = services.meeting_check_in(
        user=members["b3"][1].user, meeting_id=m.pk, now=start + dt.timedelta(minutes=30)
    )
    assert late.late
    services.meeting_check_in(user=me.user, meeting_id=m.pk, now=start)  # again: no change
    m.refresh_from_db()
    assert m.present_count == 2


def test_leave_absence_and_minutes(world, members):
    m = _schedule(world, world.a1, world.sec_a1, when=dt.datetime(2026, 3, 10, 14, 0))
    start = _utc("Asia/Shanghai", 2026, 3, 10, 14, 0)
    with pytest.raises(SupervisionError, match="请假须填写原因"):
        services.meeting_leave_request(
            user=members["a1"][0].user, meeting_id=m.pk, reason=" ", now=start
        )
    services.meeting_leave_request(
        user=members["a1"][0].user, meeting_id=m.pk, reason="出差", now=start - dt.timedelta(days=1)
    )
    services.attendance_mark(
        user=world.sec_a1,
        meeting_id=m.pk,
        member_id=members["a1"][1].pk,
        status="present",
        now=start,
    )
    with pytest.raises(SupervisionError, match="会议结束后才能提交会议记录"):
        services.meeting_minutes_file(user=world.sec_a1, meeting_id=m.pk, minutes="记录", now=start)
    filed = services.meeting_minutes_file(
        user=world.sec_a1, meeting_id=m.pk, minutes="学习了……", now=start + dt.timedelta(days=8)
    )
    assert filed.status == "held" and filed.minutes_late
    statuses = dict(Attendance.objects.filter(meeting=m).values_list("member_id", "status"))
    assert statuses[members["a1"][0].pk] == "leave"
    assert statuses[members["a1"][1].pk] == "present"
    assert statuses[members["a1"][2].pk] == "absent"


def _held(world, unit, user, kind, local, **kw):
    m = _schedule(world, unit, user, when=local, kind=kind, **kw)
    services.meeting_minutes_file(
        user=user, meeting_id=m.pk, minutes="记录", now=m.ends_at + dt.timedelta(hours=1)
    )
    return m


def test_compliance_counts_each_rule_per_period_on_the_units_clock(world, members):
    """Q1 2026: a branch needs 1 members' meeting, 3 committee meetings, 3 group meetings,
    1 lesson and 3 theme days. A meeting at 23:30 on 31 March in São Paulo is 1 April in
    UTC and in Beijing, yet it counts for March (Q1) on the unit's clock."""
    q1 = period_parse("2026-Q1")
    for month in (1, 2, 3):
        _held(world, world.b3, world.sec_b3, "theme_day", dt.datetime(2026, month, 5, 9, 0))
        _held(world, world.b3, world.sec_b3, "committee_meeting", dt.datetime(2026, month, 6, 9, 0))
    _held(world, world.b3, world.sec_b3, "group_meeting", dt.datetime(2026, 1, 7, 9, 0))
    _held(world, world.b3, world.sec_b3, "group_meeting", dt.datetime(2026, 2, 7, 9, 0))
    late = _held(
        world,
        world.b3,
        world.sec_b3,
        "group_meeting",
        dt.datetime(2026, 3, 31, 23, 30),
        duration_minutes=20,
    )
    assert late.starts_at.month == 4 and late.local_month == 2026 * 12 + 2
    _held(world, world.b3, world.sec_b3, "members_meeting", dt.datetime(2026, 2, 20, 9, 0))
    _held(
        world,
        world.b3,
        world.sec_b3,
        "party_lesson",
        dt.datetime(2026, 3, 20, 9, 0),
        lecturer="张书记",
        topic="党章学习",
    )
    # two lessons in a quarter do not make up for a missing theme day elsewhere:
    _held(
        world,
        world.b1,
        world.sec_b1,
        "party_lesson",
        dt.datetime(2026, 1, 20, 9, 0),
        lecturer="李书记",
        topic="纪律",
    )
    _held(
        world,
        world.b1,
        world.sec_b1,
        "party_lesson",
        dt.datetime(2026, 2, 20, 9, 0),
        lecturer="李书记",
        topic="纪律",
    )
    # April does not count in Q1 (Dar es Salaam clock)
    _held(world, world.b1, world.sec_b1, "theme_day", dt.datetime(2026, 4, 1, 0, 30))

    report = selectors.compliance_report(unit=world.b, period=q1)
    rows = {r["code"]: r for r in report["rows"]}
    assert rows["B3"]["required"] == 11 and rows["B3"]["held"] == 11
    assert rows["B3"]["compliant_units"] == 1
    assert rows["B1"]["required"] == 11 and rows["B1"]["held"] == 1
    assert rows["B1"]["compliant_units"] == 0 and rows["B1"]["meetings_held"] == 2
    assert report["total"]["units"] == 4  # B (committee: central study) and its 3 branches
    assert report["total"]["required"] == 3 + 11 * 3  # B's monthly central-group study


def test_compliance_is_one_query_and_attendance_and_late_minutes(world, members, assert_selects):
    m = _schedule(world, world.a1, world.sec_a1, when=dt.datetime(2026, 3, 10, 14, 0))
    start = _utc("Asia/Shanghai", 2026, 3, 10, 14, 0)
    services.meeting_check_in(user=members["a1"][0].user, meeting_id=m.pk, now=start)
    services.meeting_minutes_file(
        user=world.sec_a1, meeting_id=m.pk, minutes="x", now=start + dt.timedelta(days=10)
    )
    with assert_selects(2):  # the rules, then the report
        report = selectors.compliance_report(unit=world.g, period=period_parse("2026-03"))
    row = next(r for r in report["rows"] if r["code"] == "A")
    assert row["invited"] == 4 and row["present"] == 1 and row["attendance_rate"] == 0.25
    assert row["late_minutes"] == 1


def test_rules_are_data(world, members):
    ComplianceRule.objects.filter(kind="theme_day", unit_kind="branch").update(min_count=2)
    _held(world, world.a1, world.sec_a1, "theme_day", dt.datetime(2026, 5, 5, 9, 0))
    report = selectors.compliance_report(unit=world.a1, period=period_parse("2026-05"))
    assert report["total"]["required"] == 4  # committee 1 + group 1 + theme day 2
    assert report["total"]["held"] == 1
