"""Members' preferences (which kinds on which channels, mandatory kinds) and quiet hours in
their unit's time zone, through the API, the portal page and the delivery task."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from notifications.channels.sms import ConsoleSMSBackend
from notifications.delivery import deliver, deliveries_due
from notifications.kinds import Kind, register
from notifications.models import Delivery, Notification, NotificationPreference
from notifications.preferences import quiet_until
from notifications.services import notification_send
from tests.factories import UserFactory, member_in
from tests.notifications.conftest import NOTHING, delivery

pytestmark = pytest.mark.django_db
S = Delivery.Status
URL = "/api/v1/notification-preferences/"
SMS = {**NOTHING, "NOTIFICATIONS_SMS_BACKEND": "notifications.channels.sms.ConsoleSMSBackend"}

register(Kind(code="test_urgent", label="紧急测试", title_template="{title}", urgent=True))


@pytest.fixture
def me(org):
    m = member_in(org.a1, username="pref_me", phone="+255700000001")
    m.user.email = "pref_me@ehome.test"
    m.user.save(update_fields=["email"])
    return m


@pytest.fixture
def api(me, client_for):
    return client_for(me.user)


def kinds_of(body) -> dict:
    return {k["code"]: k for k in body["kinds"]}


_keys = iter(range(10**9))


def write(member, kind="announcement") -> Notification:
    """An inbox row, its delivery not yet run (the test runs it at a chosen instant)."""
    key = f"p-{next(_keys)}"
    notification_send(
        kind=kind,
        recipients=[member],
        context={"title": "通知", "body": "内容", "course": "党章", "due": "周五", "note": ""},
        link=("", "/notifications/"),
        idempotency_key=key,
    )
    return Notification.objects.get(recipient=member, idempotency_key=key)


# --- the API -------------------------------------------------------------------------------
def test_everything_is_on_by_default_and_mandatory_kinds_are_marked(api, me):
    r = api.get(URL)
    assert r.status_code == 200
    body = r.json()
    assert body["timezone"] == me.unit.timezone and body["quiet_hours"] is None
    k = kinds_of(body)
    assert k["announcement"]["channels"] == {
        "inapp": True,
        "push": True,
        "email": True,
        "sms": True,
    }
    assert k["course_assigned"]["mandatory"] is True
    assert k["test_urgent"]["urgent"] is True


def test_switching_channels_and_quiet_hours(api, me):
    r = api.put(
        URL,
        {
            "kinds": [
                {"code": "announcement", "channels": {"push": False, "sms": False}},
                {"code": "course_assigned", "channels": {"email": False, "push": False}},
            ],
            "quiet_hours": {"start": "22:30", "end": "06:45"},
        },
        format="json",
    )
    assert r.status_code == 200, r.content
    k = kinds_of(r.json())
    assert k["announcement"]["channels"] == {
        "inapp": True,
        "push": False,
        "email": True,
        "sms": False,
    }
    assert k["course_assigned"]["channels"]["inapp"] is True
    assert k["course_assigned"]["channels"]["email"] is False
    assert r.json()["quiet_hours"] == {"start": "22:30", "end": "06:45"}
    # a later PUT changes only what it names; null clears quiet hours
    r = api.put(
        URL,
        {"kinds": [{"code": "announcement", "channels": {"push": True}}], "quiet_hours": None},
        format="json",
    )
    k = kinds_of(r.json())
    assert k["announcement"]["channels"]["push"] is True
    assert k["announcement"]["channels"]["sms"] is False
    assert r.json()["quiet_hours"] is None
    assert api.get(URL).json() == r.json()


def test_a_mandatory_kind_cannot_be_switched_off_in_the_inbox(api, me):
    r = api.put(
        URL,
        {"kinds": [{"code": "course_assigned", "channels": {"inapp": False, "push": False}}]},
        format="json",
    )
    assert r.status_code == 400
    message = r.json()["error"]["message"]
    assert "course_assigned" in message and "不能关闭站内消息" in message
    assert not NotificationPreference.objects.filter(member=me).exists()  # nothing written


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kinds": [{"code": "no_such_kind", "channels": {"push": False}}]}, "no_such_kind"),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "22:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "07:00", "end": "07:00"}}, "quiet_hours"),
        ({"kinds": [{"code": "announcement", "channels": {"push": "sometimes"}}]}, "kinds"),
        ({"kinds": "all"}, "kinds"),
    ],
)
def test_bad_input_is_a_400_naming_what_is_wrong(api, me, body, field):
    r = api.put(URL, body, format="json")
    assert r.status_code == 400
    err = r.json()["error"]
    assert field in err["message"] or field in err["fields"]
    assert not NotificationPreference.objects.filter(member=me).exists()


def test_preferences_are_the_callers_own(api, me, org, client_for):
    other = member_in(org.b1, username="pref_other")
    api.put(URL, {"quiet_hours": {"start": "21:00", "end": "06:00"}}, format="json")
    theirs = client_for(other.user).get(URL).json()
    assert theirs["quiet_hours"] is None and theirs["timezone"] == org.b1.timezone
    # a login with no member record has no preferences
    nobody = client_for(UserFactory())
    assert nobody.get(URL).status_code == 404
    assert nobody.put(URL, {"quiet_hours": None}, format="json").status_code == 404
    assert NotificationPreference.objects.count() == 1


# --- preferences decide the delivery -------------------------------------------------------
@override_settings(**{**SMS, "NOTIFICATIONS_EMAIL": True})
def test_a_switched_off_channel_is_suppressed_and_the_others_go(api, me):
    api.put(URL, {"kinds": [{"code": "announcement", "channels": {"sms": False}}]}, format="json")
    n = write(me)
    deliver([n.pk])
    assert delivery(n, "sms").status == S.SUPPRESSED
    assert delivery(n, "email").status == S.SENT
    assert delivery(n, "push").status == S.NOT_CONFIGURED


def test_a_kind_switched_off_in_the_inbox_is_not_shown_there(api, me):
    write(me)
    assert api.get("/api/v1/notifications/").json()["unread_count"] == 1
    api.put(URL, {"kinds": [{"code": "announcement", "channels": {"inapp": False}}]}, format="json")
    body = api.get("/api/v1/notifications/").json()
    assert body["unread_count"] == 0 and body["results"] == []


# --- quiet hours -----------------------------------------------------------------------------
ZONES = [
    "Asia/Shanghai",
    "Africa/Dar_es_Salaam",
    "Asia/Riyadh",
    "Asia/Jakarta",
    "America/Sao_Paulo",
]


def at_local(zone: str, day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


@pytest.mark.parametrize("zone", ZONES)
@override_settings(**SMS)
def test_quiet_hours_across_midnight_hold_push_and_sms_until_they_end_locally(me, zone):
    me.unit.timezone = zone
    me.unit.save(update_fields=["timezone"])
    NotificationPreference.objects.create(
        member=me, quiet_start=dt.time(22, 0), quiet_end=dt.time(7, 0)
    )
    ConsoleSMSBackend.sent.clear()
    day = dt.date(2026, 12, 7)
    n = write(me)
    deliver([n.pk], now=at_local(zone, day, 23, 30))  # 23:30 local: quiet
    sms, push = delivery(n, "sms"), delivery(n, "push")
    end = at_local(zone, day + dt.timedelta(days=1), 7, 0)  # 07:00 the next local day
    assert sms.status == push.status == S.DEFERRED
    assert sms.due_at == push.due_at == end
    assert delivery(n, "email").status == S.NOT_CONFIGURED  # e-mail does not wait
    assert not ConsoleSMSBackend.sent

    deliveries_due(now=end - dt.timedelta(minutes=1))  # 06:59 local: still quiet
    assert delivery(n, "sms").status == S.DEFERRED and not ConsoleSMSBackend.sent

    deliveries_due(now=end)  # 07:00 local: sent
    assert delivery(n, "sms").status == S.SENT
    assert delivery(n, "push").status == S.NOT_CONFIGURED
    assert len(ConsoleSMSBackend.sent) == 1
    deliveries_due(now=end + dt.timedelta(hours=1))
    assert len(ConsoleSMSBackend.sent) == 1

    # after midnight, before the end: deferred to 07:00 the same local day
    n2 = write(me)
    deliver([n2.pk], now=at_local(zone, day, 2, 15))
    assert delivery(n2, "sms").due_at == at_local(zone, day, 7, 0)
    # outside quiet hours: at once
    n3 = write(me)
    deliver([n3.pk], now=at_local(zone, day, 12, 0))
    assert delivery(n3, "sms").status == S.SENT


@override_settings(**SMS)
def test_the_same_instant_is_quiet_in_one_zone_and_not_in_another(me, org):
    """13:00 UTC is 21:00 in Beijing (quiet from 20:00) and 16:00 in Dar es Salaam."""
    overseas = member_in(org.b1, username="pref_tz", phone="+255700000002")
    org.b1.timezone = "Africa/Dar_es_Salaam"
    org.b1.save(update_fields=["timezone"])
    me.unit.timezone = "Asia/Shanghai"
    me.unit.save(update_fields=["timezone"])
    for m in (me, overseas):
        NotificationPreference.objects.create(
            member=m, quiet_start=dt.time(20, 0), quiet_end=dt.time(8, 0)
        )
    now = dt.datetime(2026, 12, 7, 13, 0, tzinfo=dt.UTC)
    a, b = write(me), write(overseas)
    deliver([a.pk, b.pk], now=now)
    assert delivery(a, "sms").status == S.DEFERRED
    assert delivery(a, "sms").due_at == dt.datetime(2026, 12, 8, 0, 0, tzinfo=dt.UTC)
    assert delivery(b, "sms").status == S.SENT


@override_settings(**SMS)
def test_urgent_kinds_are_sent_in_quiet_hours(me):
    NotificationPreference.objects.create(
        member=me, quiet_start=dt.time(0, 0), quiet_end=dt.time(23, 59)
    )
    n = write(me, kind="test_urgent")
    deliver([n.pk], now=at_local(me.unit.timezone, dt.date(2026, 12, 7), 12, 0))
    assert delivery(n, "sms").status == S.SENT


@override_settings(**SMS)
def test_switching_a_channel_off_while_deferred_suppresses_it_when_due(api, me):
    NotificationPreference.objects.create(
        member=me, quiet_start=dt.time(22, 0), quiet_end=dt.time(7, 0)
    )
    n = write(me)
    deliver([n.pk], now=at_local(me.unit.timezone, dt.date(2026, 12, 7), 23, 0))
    due = delivery(n, "sms").due_at
    api.put(URL, {"kinds": [{"code": "announcement", "channels": {"sms": False}}]}, format="json")
    deliveries_due(now=due)
    assert delivery(n, "sms").status == S.SUPPRESSED


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("21:59", None),
        ("22:00", "2026-12-08 07:00"),
        ("23:59", "2026-12-08 07:00"),
        ("00:00", "2026-12-07 07:00"),
        ("06:59", "2026-12-07 07:00"),
        ("07:00", None),
        ("12:00", None),
    ],
)
@pytest.mark.parametrize("zone", ZONES)
def test_quiet_until_across_midnight(zone, local, expected):
    hh, mm = map(int, local.split(":"))
    now = at_local(zone, dt.date(2026, 12, 7), hh, mm)
    got = quiet_until(now, zone, dt.time(22, 0), dt.time(7, 0))
    if expected is None:
        assert got is None
    else:
        assert got.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") == expected


def test_quiet_hours_within_one_day():
    zone = "Asia/Jakarta"
    lunch = (dt.time(12, 0), dt.time(14, 0))
    assert quiet_until(at_local(zone, dt.date(2026, 12, 7), 11, 59), zone, *lunch) is None
    assert quiet_until(at_local(zone, dt.date(2026, 12, 7), 13, 0), zone, *lunch) == at_local(
        zone, dt.date(2026, 12, 7), 14, 0
    )
    assert quiet_until(at_local(zone, dt.date(2026, 12, 7), 14, 0), zone, *lunch) is None


# --- the portal page -------------------------------------------------------------------------
def test_the_portal_page_edits_preferences_in_chinese(me, client):
    client.force_login(me.user)
    inbox = client.get("/notifications/").content.decode()
    assert 'href="/notifications/preferences/"' in inbox and "消息设置" in inbox
    page = client.get("/notifications/preferences/").content.decode()
    assert "接收渠道" in page and "免打扰时段" in page and "必收" in page
    assert 'name="course_assigned:inapp" checked disabled' in page
    # what the browser posts: every box that is checked and not disabled
    form = {name: "on" for name in re.findall(r'name="([\w]+:\w+)" checked>', page)}
    assert "course_assigned:inapp" not in form  # disabled: not posted, it stays on
    assert "course_assigned:push" in form and "test_urgent:sms" in form
    del form["announcement:push"]
    form.update({"quiet_on": "on", "quiet_start": "23:00", "quiet_end": "06:30"})
    r = client.post("/notifications/preferences/", form)
    assert r.status_code == 302
    pref = NotificationPreference.objects.get(member=me)
    assert pref.disabled == {"announcement": ["push"]}
    assert (pref.quiet_start, pref.quiet_end) == (dt.time(23, 0), dt.time(6, 30))
    page = client.get("/notifications/preferences/").content.decode()
    assert 'value="23:00"' in page and "消息设置已保存" in page

    r = client.post(
        "/notifications/preferences/", {**form, "quiet_start": "晚上", "quiet_end": "06:30"}
    )
    assert r.status_code == 400 and "免打扰时段" in r.content.decode()
    pref.refresh_from_db()
    assert pref.quiet_start == dt.time(23, 0)
