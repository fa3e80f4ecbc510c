"""The academy's triggers at the right local hour in five time zones: assignment reminders
3 days and 1 day before the due date and on its last day at 09:00 local time, only to
members not yet done, once however often the job runs; exams and contests announced to
their audience when they open."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from elearning.contests.models import Contest
from elearning.courses.models import Assignment, Course, CourseProgress
from elearning.exams.models import Exam
from elearning.notify import assignment_reminders, openings_announce
from notifications.models import Broadcast, Notification
from tests.factories import add_unit, member_in

pytestmark = pytest.mark.django_db

ZONES = [
    "Asia/Shanghai",
    "Africa/Dar_es_Salaam",
    "Asia/Riyadh",
    "Asia/Jakarta",
    "America/Sao_Paulo",
]
DUE = dt.date(2026, 12, 10)


@pytest.fixture
def five_zones(org):
    units = {
        "Asia/Shanghai": org.a1,
        "Africa/Dar_es_Salaam": org.b1,
        "Asia/Riyadh": add_unit(org.b, "B2", "利雅得项目党支部", country="SA", tz="Asia/Riyadh"),
        "Asia/Jakarta": add_unit(org.b, "B3", "雅加达项目党支部", country="ID", tz="Asia/Jakarta"),
        "America/Sao_Paulo": add_unit(
            org.b, "B4", "圣保罗项目党支部", country="BR", tz="America/Sao_Paulo"
        ),
    }
    return units


def _nine_local(zone: str, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9), ZoneInfo(zone)).astimezone(dt.UTC)


def test_reminders_at_nine_local_in_each_zone_only_to_those_not_done(org, five_zones):
    course = Course.objects.create(title="党章学习", audience_unit=org.root, is_published=True)
    Assignment.objects.create(course=course, audience_unit=org.root, due_date=DUE)
    todo = {zone: member_in(unit) for zone, unit in five_zones.items()}
    done = {zone: member_in(unit) for zone, unit in five_zones.items()}
    for member in done.values():
        CourseProgress.objects.create(
            member=member, course=course, completed_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
        )

    for days, kind, label in [
        (3, "course_reminder", "3d"),
        (1, "course_reminder", "1d"),
        (0, "course_last_day", "last-day"),
    ]:
        local_day = DUE - dt.timedelta(days=days)
        instants = sorted({_nine_local(zone, local_day) for zone in ZONES})
        for nine in instants:  # Dar es Salaam and Riyadh share one
            zones = [zone for zone in ZONES if _nine_local(zone, local_day) == nine]
            mine = Notification.objects.filter(
                recipient__in=[todo[zone] for zone in zones],
                kind=kind,
                idempotency_key__contains=label,
            )
            assignment_reminders(nine - dt.timedelta(minutes=1))  # 08:59 local: not yet
            assert not mine.exists(), (zones, label)
            assignment_reminders(nine)  # 09:00 local
            assert mine.count() == len(zones), (zones, label)
            for n in mine:
                assert n.idempotency_key.endswith(f"remind-{label}:{local_day.isoformat()}")
            # the rest of the day: every later run sends nothing more
            assert assignment_reminders(nine + dt.timedelta(minutes=15)) == {}
            assert mine.count() == len(zones)
    assert Notification.objects.filter(recipient__in=done.values()).count() == 0
    for member in todo.values():
        titles = list(
            Notification.objects.filter(recipient=member)
            .order_by("id")
            .values_list("title", flat=True)
        )
        assert titles == [
            "学习提醒：《党章学习》还有 3 天截止",
            "学习提醒：《党章学习》还有 1 天截止",
            "今天截止：《党章学习》",
        ]
    # no reminder on other days (2 days before)
    for zone in ZONES:
        assert (
            assignment_reminders(
                _nine_local(zone, DUE - dt.timedelta(days=2)) + dt.timedelta(hours=1)
            )
            == {}
        )


def test_a_member_who_completes_is_not_reminded_again(org, five_zones):
    course = Course.objects.create(title="廉政教育", audience_unit=org.root, is_published=True)
    Assignment.objects.create(course=course, audience_unit=org.b, due_date=DUE)
    member = member_in(five_zones["Asia/Jakarta"])
    assignment_reminders(_nine_local("Asia/Jakarta", DUE - dt.timedelta(days=3)))
    CourseProgress.objects.create(
        member=member, course=course, completed_at=dt.datetime(2026, 12, 8, tzinfo=dt.UTC)
    )
    assignment_reminders(_nine_local("Asia/Jakarta", DUE - dt.timedelta(days=1)))
    assignment_reminders(_nine_local("Asia/Jakarta", DUE))
    assert Notification.objects.filter(recipient=member).count() == 1


def test_exams_and_contests_are_announced_when_they_open(
    org, five_zones, django_capture_on_commit_callbacks
):
    members = [member_in(unit) for unit in five_zones.values()]
    opens = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)
    exam = Exam.objects.create(
        title="党规党纪考试", audience_unit=org.root, opens_at=opens, is_published=True
    )
    Exam.objects.create(title="未发布", audience_unit=org.root, opens_at=opens, is_published=False)
    contest = Contest.objects.create(
        title="党史竞答",
        audience_unit=org.b,
        starts_at=opens,
        ends_at=opens + dt.timedelta(days=3),
        is_published=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert openings_announce(opens - dt.timedelta(seconds=1)) == {"announced": []}
    assert not Notification.objects.exists()
    for _ in range(2):  # the job runs every 5 minutes: the second run adds nothing
        with django_capture_on_commit_callbacks(execute=True):
            openings_announce(opens + dt.timedelta(minutes=3))
    exam_rows = Notification.objects.filter(kind="exam_open")
    assert sorted(exam_rows.values_list("recipient", flat=True)) == sorted(m.pk for m in members)
    assert exam_rows.first().title == "考试已开始：党规党纪考试"
    assert exam_rows.first().portal_url == f"/learn/exams/{exam.pk}/"
    contest_rows = Notification.objects.filter(kind="contest_open")
    assert set(contest_rows.values_list("recipient", flat=True)) == {m.pk for m in members[1:]}
    assert contest_rows.first().portal_url == f"/contests/{contest.pk}/"
    assert Broadcast.objects.count() == 2
    # long opened (more than a day ago): not announced by a late run
    Exam.objects.create(
        title="旧考试",
        audience_unit=org.root,
        opens_at=opens - dt.timedelta(days=2),
        is_published=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        openings_announce(opens + dt.timedelta(minutes=5))
    assert Broadcast.objects.count() == 2
