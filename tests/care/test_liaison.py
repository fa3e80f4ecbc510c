"""Family liaison files: family contacts encrypted and masked (reveal with a purpose, one
log entry), the contact log and needs, overdue reminders (idempotent, 09:00 local) and the
per-unit report of members abroad without a recent contact (one query)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from care.liaison.jobs import liaison_overdue_remind
from care.liaison.models import FamilyContact, LiaisonFile, LiaisonNeed
from care.liaison.selectors import members_abroad_report
from care.liaison.services import LiaisonError, contact_log, need_follow_up, need_raise
from notifications.models import Notification
from organizations.models import AccessLog, UnitRole
from tests.factories import member_in, user_with_role

pytestmark = pytest.mark.django_db
FAMILY_PHONE = "13655554444"


def make_file(unit, *, liaison=None, last=None, cadence=91, name="海外甲"):
    member = member_in(unit, is_overseas=True, name=name)
    f = LiaisonFile.objects.create(
        member=member, liaison=liaison, cadence_days=cadence, last_contact_on=last
    )
    FamilyContact.objects.create(
        file=f, relation="配偶", name="王芳", phone=FAMILY_PHONE, address="湖北省孝感市"
    )
    return f


def test_family_contacts_are_encrypted_and_masked(org, client_for):
    f = make_file(org.b1)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, phone, address FROM care_familycontact WHERE file_id = %s", [f.pk]
        )
        raw = " ".join(cursor.fetchone())
    assert "王芳" not in raw and FAMILY_PHONE not in raw and "孝感" not in raw
    secretary = user_with_role(org.b, UnitRole.Role.SECRETARY)
    body = client_for(secretary).get(f"/api/v1/liaison/files/{f.pk}/").json()
    family = body["family"][0]
    assert (family["name"], family["phone"], family["address"]) == ("王*", "136****4444", "******")
    page = Client()
    page.force_login(secretary)
    edit = page.get(reverse("liaison_family:edit", args=[f.family.get().pk])).content.decode()
    assert FAMILY_PHONE not in edit and "王芳" not in edit


def test_family_reveal_needs_a_purpose_and_writes_one_entry(org, client_for):
    f = make_file(org.b1)
    contact = f.family.get()
    organizer = client_for(user_with_role(org.b, UnitRole.Role.ORGANIZER))
    r = organizer.post(
        f"/api/v1/liaison/family/{contact.pk}/reveal/", {"purpose": " "}, format="json"
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "purpose_required"
    assert not AccessLog.objects.exists()
    r = organizer.post(
        f"/api/v1/liaison/family/{contact.pk}/reveal/", {"purpose": "春节慰问"}, format="json"
    )
    assert r.status_code == 200 and r.json()["phone"] == FAMILY_PHONE
    entry = AccessLog.objects.get()
    assert (entry.member_id, entry.purpose, entry.action) == (f.member_id, "春节慰问", "reveal")
    assert "family.phone" in entry.fields
    # the admin reveal path: one more entry
    web = Client()
    web.force_login(entry.actor)
    r = web.post(reverse("liaison_family_reveal", args=[contact.pk]), {"purpose": "走访前核对地址"})
    assert r.status_code == 200 and "湖北省孝感市" in r.content.decode()
    assert AccessLog.objects.count() == 2
    # out of scope and editors: 404
    other = client_for(user_with_role(org.a, UnitRole.Role.ORGANIZER))
    assert (
        other.post(
            f"/api/v1/liaison/family/{contact.pk}/reveal/", {"purpose": "x"}, format="json"
        ).status_code
        == 404
    )
    editor = client_for(user_with_role(org.b, UnitRole.Role.EDITOR))
    assert editor.get(f"/api/v1/liaison/files/{f.pk}/").status_code == 404
    assert AccessLog.objects.count() == 2


def test_contact_log_moves_the_last_contact_and_refuses_future_dates(org, client_for):
    secretary = user_with_role(org.b, UnitRole.Role.SECRETARY)
    f = make_file(org.b1, last=dt.date(2026, 1, 5))
    c = client_for(secretary)
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    r = c.post(
        f"/api/v1/liaison/files/{f.pk}/contacts/",
        {"kind": "call", "on": future, "notes": "通话"},
        format="json",
    )
    assert r.status_code == 400 and "晚于今天" in r.json()["error"]["message"]
    today = dt.date.today()
    r = c.post(
        f"/api/v1/liaison/files/{f.pk}/contacts/",
        {"kind": "visit", "on": today.isoformat(), "notes": "上门走访，老人身体好"},
        format="json",
    )
    assert r.status_code == 201
    contact_log(
        user=secretary, file_id=f.pk, kind="call", on=dt.date(2026, 2, 1), notes="较早的一次"
    )
    f.refresh_from_db()
    assert f.last_contact_on == today  # an older entry does not move it back
    need = need_raise(user=secretary, file_id=f.pk, raised_on=today, description="孩子入学需要协调")
    with pytest.raises(LiaisonError, match="解决日期"):
        need_follow_up(user=secretary, need_id=need.pk, status="resolved", follow_up="已协调")
    need_follow_up(
        user=secretary,
        need_id=need.pk,
        status="resolved",
        follow_up="已协调学校",
        resolved_on=today,
    )
    assert LiaisonNeed.objects.get().status == "resolved"
    body = c.get(f"/api/v1/liaison/files/{f.pk}/").json()
    assert body["needs"][0]["follow_up"] == "已协调学校" and len(body["contacts"]) == 2


def test_overdue_reminder_goes_to_the_liaison_once_at_nine_local(org):
    liaison = member_in(org.a1, name="联络人").user
    secretary = user_with_role(org.b1, UnitRole.Role.SECRETARY)
    today = dt.date(2026, 12, 7)
    overdue = make_file(org.b1, liaison=liaison, last=today - dt.timedelta(days=100), name="逾期甲")
    make_file(org.b1, liaison=liaison, last=today - dt.timedelta(days=20), name="未到期乙")
    no_liaison = make_file(
        org.b1, last=today - dt.timedelta(days=40), cadence=30, name="无联络人丙"
    )
    early = dt.datetime(2026, 12, 7, 5, 0, tzinfo=dt.UTC)  # 08:00 in Dar es Salaam
    nine = dt.datetime(2026, 12, 7, 6, 5, tzinfo=dt.UTC)  # 09:05 there
    assert liaison_overdue_remind(now=early) == 0
    assert liaison_overdue_remind(now=nine) == 2
    assert liaison_overdue_remind(now=nine) == 0  # idempotent
    by_recipient = {n.recipient_id: n for n in Notification.objects.all()}
    assert "逾期甲" in by_recipient[liaison.member.pk].title
    assert "无联络人丙" in by_recipient[secretary.member.pk].title
    assert overdue.pk and no_liaison.pk


def test_report_of_members_abroad_without_recent_contact_is_one_query(org, client_for):
    since = dt.date.today() - dt.timedelta(days=91)
    make_file(org.b1, last=dt.date.today() - dt.timedelta(days=10), name="近期")
    make_file(org.b1, last=dt.date.today() - dt.timedelta(days=200), name="久未")
    member_in(org.b1, is_overseas=True, name="无档案")
    member_in(org.a1, is_overseas=True, name="A海外")
    member_in(org.b1, is_overseas=False, name="国内")
    with CaptureQueriesContext(connection) as q:
        rows = members_abroad_report(org.root, since=since)
    assert len(q.captured_queries) == 1
    got = {r.code: (r.overseas, r.without_file, r.not_contacted) for r in rows}
    assert got == {"A": (1, 1, 1), "B": (3, 1, 2)}
    secretary = user_with_role(org.b, UnitRole.Role.SECRETARY)
    body = client_for(secretary).get("/api/v1/liaison/report/").json()
    assert [(r["code"], r["not_contacted"]) for r in body["rows"]] == [("B1", 2)]
    assert client_for(secretary).get("/api/v1/liaison/report/?unit=A").status_code == 404
    web = Client()
    web.force_login(secretary)
    resp = web.get(reverse("liaison_report") + "?export=xlsx")
    values = [r for r in load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True)]
    assert str(values[0][0]).startswith("导出人：")
    assert ("B1", "坦桑尼亚项目党支部", 3, 1, 2) in values
