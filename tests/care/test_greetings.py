"""Birthday and political-birthday greetings at 09:00 local time, across time zones."""

import datetime as dt

import pytest

from care.greetings.models import GreetingTemplate
from care.greetings.services import greetings_send
from notifications.models import Notification
from tests.factories import add_unit, member_in, user_with_role

pytestmark = pytest.mark.django_db
UTC = dt.UTC

ZONES = {
    "SH": ("Asia/Shanghai", "CN"),
    "TZ": ("Africa/Dar_es_Salaam", "TZ"),
    "SA": ("Asia/Riyadh", "SA"),
    "ID": ("Asia/Jakarta", "ID"),
    "BR": ("America/Sao_Paulo", "BR"),
}


@pytest.fixture
def world(org):
    units = {
        code: add_unit(org.b, f"B-{code}", f"{code}项目党支部", country=c, tz=zone)
        for code, (zone, c) in ZONES.items()
    }
    return units


def greetings(member):
    return list(Notification.objects.filter(recipient=member, kind="care_greeting"))


def test_greeting_arrives_at_nine_local_in_five_zones_once(org, world):
    # everyone was born on 8 December; 9:00 local on 8 December is at a different UTC instant
    people = {
        code: member_in(unit, name=f"党员{code}", birthday=dt.date(1990, 12, 8))
        for code, unit in world.items()
    }
    nine_local_utc = [  # (09:00 local as UTC, the zones reaching it)
        (dt.datetime(2026, 12, 8, 1, 0, tzinfo=UTC), ["SH"]),  # UTC+8
        (dt.datetime(2026, 12, 8, 2, 0, tzinfo=UTC), ["ID"]),  # UTC+7
        (dt.datetime(2026, 12, 8, 6, 0, tzinfo=UTC), ["SA", "TZ"]),  # UTC+3
        (dt.datetime(2026, 12, 8, 12, 0, tzinfo=UTC), ["BR"]),  # UTC-3
    ]
    for at, codes in nine_local_utc:
        greetings_send(now=at - dt.timedelta(minutes=1))  # 08:59 local: not yet
        for code in codes:
            assert greetings(people[code]) == [], code
        greetings_send(now=at)
        for code in codes:
            got = greetings(people[code])
            assert len(got) == 1, code
            assert got[0].title == f"党员{code}同志，生日快乐！"
    # running again later the same day sends nothing more
    assert greetings_send(now=dt.datetime(2026, 12, 8, 14, 0, tzinfo=UTC)) == 0
    assert Notification.objects.filter(kind="care_greeting").count() == 5


def test_political_birthday_counts_years_with_the_organisations_template(org, world):
    GreetingTemplate.objects.create(
        unit=org.root,
        kind="political",
        title="{name}同志：入党{years}周年",
        body="{unit}祝您政治生日快乐",
    )
    m = member_in(world["TZ"], name="王建军", join_date=dt.date(2006, 7, 1))
    greetings_send(now=dt.datetime(2026, 7, 1, 6, 30, tzinfo=UTC))  # 09:30 in Dar es Salaam
    (note,) = greetings(m)
    assert note.title == "王建军同志：入党20周年"
    assert note.body == "TZ项目党支部祝您政治生日快乐"
    # the default wording for a birthday (no template) still works the same day
    m.birthday = dt.date(1980, 7, 1)
    m.save()
    greetings_send(now=dt.datetime(2026, 7, 1, 7, 0, tzinfo=UTC))
    assert sorted(n.title for n in greetings(m)) == [
        "王建军同志，生日快乐！",
        "王建军同志：入党20周年",
    ]


def test_february_29_birthday_is_greeted_on_february_28_in_other_years(org, world):
    m = member_in(world["SH"], birthday=dt.date(1996, 2, 29))
    greetings_send(now=dt.datetime(2027, 2, 27, 3, 0, tzinfo=UTC))
    assert greetings(m) == []
    greetings_send(now=dt.datetime(2027, 2, 28, 3, 0, tzinfo=UTC))
    assert len(greetings(m)) == 1
    greetings_send(now=dt.datetime(2028, 2, 28, 3, 0, tzinfo=UTC))  # leap year: not on the 28th
    assert len(greetings(m)) == 1
    greetings_send(now=dt.datetime(2028, 2, 29, 3, 0, tzinfo=UTC))
    assert len(greetings(m)) == 2


def test_secretary_gets_one_daily_list_with_the_names(org, world):
    sec = user_with_role(world["SA"], "secretary")
    member_in(world["SA"], name="李明", birthday=dt.date(1991, 3, 5))
    member_in(world["SA"], name="赵强", join_date=dt.date(2016, 3, 5))
    member_in(world["SA"], name="孙亮", birthday=dt.date(1991, 3, 6))  # not today
    at = dt.datetime(2026, 3, 5, 6, 15, tzinfo=UTC)  # 09:15 in Riyadh
    greetings_send(now=at)
    greetings_send(now=at + dt.timedelta(minutes=15))
    (daily,) = Notification.objects.filter(recipient=sec.member, kind="care_greeting_list")
    assert "2 人" in daily.title
    assert "李明" in daily.body and "赵强" in daily.body and "10 周年" in daily.body
    assert "孙亮" not in daily.body


def test_inactive_members_get_nothing_and_template_placeholders_are_checked(org, world):
    from django.core.exceptions import ValidationError

    member_in(world["ID"], birthday=dt.date(1990, 5, 1), status="transferred_out")
    assert greetings_send(now=dt.datetime(2026, 5, 1, 3, 0, tzinfo=UTC)) == 0
    bad = GreetingTemplate(unit=org.root, kind="birthday", title="{nmae}生日快乐", body="x")
    with pytest.raises(ValidationError) as err:
        bad.full_clean()
    assert "{name}" in str(err.value)


def test_jobs_are_registered_in_the_one_schedule_and_run(org, world):
    from importlib import import_module

    from core.schedule import get

    for name in ("care.greetings_send", "care.transfers_expire"):
        job = get(name)
        module, attr = job.task.rsplit(".", 1)
        assert hasattr(import_module(module), attr), job.task
    from care.greetings.tasks import greetings_send_job
    from care.transfer_notices import transfers_expire_job

    assert greetings_send_job.call() >= 0
    assert transfers_expire_job.call() == 0
