"""A branch secretary's work in the portal: schedule a meeting (members are told), mark
attendance, file minutes with photos; submit a ledger report with evidence and have it
reviewed by the level above; answer a problem transfer list and have it verified. Each
refusal is the service's message on its field with nothing written; CSRF is required;
another subtree's ids are 404."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from notifications.models import Notification
from supervision.ledger.models import LedgerEvidence, LedgerItem, LedgerReport
from supervision.meetings import services as meeting_services
from supervision.meetings.models import Attendance, Meeting
from supervision.rectification import services as rect_services
from supervision.rectification.models import Rectification

pytestmark = pytest.mark.django_db


def _page(r) -> str:
    return html.unescape(r.content.decode())


def _field_error(r, field: str) -> str:
    found = re.findall(rf'data-field-error="{field}">([^<]*)<', _page(r))
    return " ".join(found)


def _form_error(r) -> str:
    m = re.search(r'data-testid="form-error">(.*?)</div>', _page(r), re.S)
    return m.group(1) if m else ""


# --- meetings --------------------------------------------------------------------------------
def test_secretary_schedules_a_meeting_and_members_are_told(
    world, members, client, django_capture_on_commit_callbacks
):
    client.force_login(world.sec_b1)
    assert "安排会议" in _page(client.get("/supervision/meetings/"))
    form = _page(client.get("/supervision/meetings/new/"))
    assert world.b1.name in form and world.a1.name not in form
    body = {
        "unit": world.b1.pk,
        "kind": "party_lesson",
        "title": "专题党课",
        "starts_local": "2099-03-10 19:00",
        "duration_minutes": 60,
        "place": "营地会议室",
    }
    r = client.post("/supervision/meetings/new/", body)
    assert "党课须填写授课人和党课题目" in _field_error(r, "lecturer")
    r = client.post("/supervision/meetings/new/", {**body, "unit": world.a1.pk, "lecturer": "周"})
    assert "不在您的管理范围内" in _field_error(r, "unit")
    assert not Meeting.objects.exists() and not Notification.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/supervision/meetings/new/", {**body, "lecturer": "周书记", "topic": "党章"}
        )
    m = Meeting.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/supervision/meetings/{m.pk}/"
    invited = {x.pk for x in members["b1"]} | {world.sec_b1.member.pk}
    assert set(m.attendances.values_list("member_id", flat=True)) == invited
    told = Notification.objects.filter(kind="meeting_scheduled")
    assert set(told.values_list("recipient_id", flat=True)) == invited
    assert all("2099-03-10 19:00" in n.body for n in told)
    # a member without a role may not schedule
    client.force_login(members["b1"][0].user)
    assert client.get("/supervision/meetings/new/").status_code == 403
    assert "安排会议" not in _page(client.get("/supervision/meetings/"))


def test_secretary_marks_attendance_and_files_minutes_with_photos(world, members, client):
    m = meeting_services.meeting_schedule(
        user=world.sec_a1,
        unit_id=world.a1.pk,
        kind="theme_day",
        title="主题党日",
        starts_local=dt.datetime.now() + dt.timedelta(days=3),
        duration_minutes=60,
        place="会议室",
    )
    who = members["a1"][0]
    client.force_login(world.sec_a1)
    page = client.get(f"/supervision/meetings/{m.pk}/")
    assert 'data-testid="attendance-form"' in _page(page) and who.name in _page(page)
    att_url = f"/supervision/meetings/{m.pk}/attendance/"
    r = client.post(att_url, {"member": who.pk, "status": "present"})
    assert "会议尚未开始，不能标记出席" in _field_error(r, "status")
    r = client.post(att_url, {"member": who.pk, "status": "absent"})
    assert "请假或缺席须填写原因" in _field_error(r, "reason")
    assert Attendance.objects.get(meeting=m, member=who).status == "invited"
    r = client.post(att_url, {"member": who.pk, "status": "leave", "reason": "出差"})
    assert r.status_code == 302
    assert Attendance.objects.get(meeting=m, member=who).status == "leave"
    minutes_url = f"/supervision/meetings/{m.pk}/minutes/"
    photo = SimpleUploadedFile("合影.jpg", b"\xff\xd8\xff\xe0 jpeg", content_type="image/jpeg")
    body = {"op": "minutes", "minutes": "学习了党章", "file_kind": "photo", "files": photo}
    r = client.post(minutes_url, body)
    assert "会议结束后才能提交会议记录" in _form_error(r)
    assert not m.files.exists()
    Meeting.objects.filter(pk=m.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=2),
        ends_at=timezone.now() - dt.timedelta(hours=1),
    )
    photo.seek(0)
    r = client.post(minutes_url, body)
    assert r.status_code == 302
    m.refresh_from_db()
    assert m.status == "held" and m.files.get().kind == "photo"
    page = _page(client.get(f"/supervision/meetings/{m.pk}/"))
    assert "学习了党章" in page and "合影.jpg" in page
    # another branch's secretary: 404; a member: no forms, and a POST is a 404
    client.force_login(world.sec_b1)
    assert client.post(att_url, {"member": who.pk, "status": "present"}).status_code == 404
    assert client.post(minutes_url, {"op": "attach"}).status_code == 404
    client.force_login(members["a1"][1].user)
    assert 'data-testid="attendance-form"' not in _page(
        client.get(f"/supervision/meetings/{m.pk}/")
    )
    assert client.post(att_url, {"member": who.pk, "status": "present"}).status_code == 404


def test_forms_need_the_csrf_token(world, members):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.sec_a1)
    body = {"unit": world.a1.pk, "kind": "theme_day", "title": "t", "place": "p"}
    assert strict.post("/supervision/meetings/new/", body).status_code == 403
    assert strict.post("/supervision/ledger/report/", {}).status_code == 403
    assert not Meeting.objects.exists()


# --- ledger ----------------------------------------------------------------------------------
def test_branch_submits_a_report_and_the_level_above_reviews_it(world, client):
    item = LedgerItem.objects.filter(period="year", for_branch=True, for_committee=False).first()
    year = timezone.now().year
    client.force_login(world.sec_a1)
    form = _page(client.get(f"/supervision/ledger/report/?unit={world.a1.pk}&item={item.pk}"))
    assert f'value="{world.a1.pk}" selected' in form
    body = {"unit": world.a1.pk, "item": item.pk, "period": str(year + 1), "text": "已完成"}
    r = client.post("/supervision/ledger/report/", body)
    assert "尚未开始" in _field_error(r, "period")
    client.force_login(world.sec_a)
    r = client.post("/supervision/ledger/report/", {**body, "unit": world.a.pk, "period": year})
    assert f"事项“{item.title}”不适用于" in _field_error(r, "item")
    assert not LedgerReport.objects.exists()
    client.force_login(world.sec_a1)
    proof = SimpleUploadedFile("签到表.pdf", b"%PDF-1.4 sign", content_type="application/pdf")
    r = client.post("/supervision/ledger/report/", {**body, "period": year, "files": proof})
    report = LedgerReport.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/supervision/ledger/reports/{report.pk}/"
    assert report.status == "submitted" and LedgerEvidence.objects.get().report == report
    page = _page(client.get(r["Location"]))
    assert "签到表.pdf" in page and 'data-testid="review-form"' not in page
    # the branch itself may not review
    r = client.post(f"/supervision/ledger/reports/{report.pk}/review/", {"decision": "accept"})
    assert "台账报告由上级组织审核" in _form_error(r)
    # the level above: listed as waiting, returned only with a reason
    client.force_login(world.sec_a)
    listing = _page(client.get("/supervision/ledger/reports/"))
    assert item.title in listing and "待您审核" in listing
    review = f"/supervision/ledger/reports/{report.pk}/review/"
    r = client.post(review, {"decision": "return", "reason": " "})
    assert "退回须填写原因" in _field_error(r, "reason")
    report.refresh_from_db()
    assert report.status == "submitted"
    assert client.post(review, {"decision": "return", "reason": "缺少照片"}).status_code == 302
    report.refresh_from_db()
    assert (report.status, report.return_reason) == ("returned", "缺少照片")
    # the branch reports again; the level above accepts
    client.force_login(world.sec_a1)
    assert "重新报告" in _page(client.get(f"/supervision/ledger/reports/{report.pk}/"))
    r = client.post("/supervision/ledger/report/", {**body, "period": year, "text": "已补照片"})
    assert r.status_code == 302
    client.force_login(world.sec_a)
    assert client.post(review, {"decision": "accept"}).status_code == 302
    report.refresh_from_db()
    assert (report.status, report.text) == ("accepted", "已补照片")
    evidence = LedgerEvidence.objects.get()
    assert client.get(f"/supervision/ledger/evidence/{evidence.pk}/").status_code == 200
    # the other subtree: 404 for the report, its review and its evidence
    client.force_login(world.sec_b)
    assert client.get(f"/supervision/ledger/reports/{report.pk}/").status_code == 404
    assert client.post(review, {"decision": "return", "reason": "x"}).status_code == 404
    assert client.get(f"/supervision/ledger/evidence/{evidence.pk}/").status_code == 404
    assert item.title not in _page(client.get("/supervision/ledger/reports/?status=accepted"))


# --- rectification ---------------------------------------------------------------------------
def test_unit_replies_and_the_issuer_verifies_in_the_portal(world, client):
    item = rect_services.rectification_issue(
        user=world.sec_b,
        unit_id=world.b3.pk,
        issued_by_unit_id=world.b.pk,
        title="党费收缴不及时",
        description="连续两月未收缴",
        category="党费管理",
        source="audit",
        deadline=dt.date(2099, 1, 1),
        responsible_person="赵",
    )
    reply, verify = (
        f"/supervision/rectifications/{item.pk}/reply/",
        f"/supervision/rectifications/{item.pk}/verify/",
    )
    client.force_login(world.sec_b3)
    assert 'data-testid="reply-form"' in _page(
        client.get(f"/supervision/rectifications/{item.pk}/")
    )
    r = client.post(reply, {"measures": ""})
    assert "请填写整改措施" in _field_error(r, "measures")
    assert client.post(reply, {"measures": "已收缴"}).status_code == 302
    client.force_login(world.sec_b)
    assert 'data-testid="verify-form"' in _page(
        client.get(f"/supervision/rectifications/{item.pk}/")
    )
    r = client.post(verify, {"action": "close"})
    assert "没有整改佐证材料，不能销号" in _field_error(r, "action")
    item.refresh_from_db()
    assert item.status == "replied"
    r = client.post(verify, {"action": "return"})
    assert "退回须填写原因" in _field_error(r, "reason")
    assert client.post(verify, {"action": "return", "reason": "请附收据"}).status_code == 302
    client.force_login(world.sec_b3)
    receipt = SimpleUploadedFile("收据.pdf", b"%PDF-1.4 receipt", content_type="application/pdf")
    r = client.post(reply, {"measures": "已收缴", "evidence_text": "收据附后", "files": receipt})
    assert r.status_code == 302
    client.force_login(world.sec_b)
    assert client.post(verify, {"action": "close"}).status_code == 302
    item.refresh_from_db()
    assert item.status == "closed" and item.closed_on_time and item.files.count() == 1
    page = _page(client.get(f"/supervision/rectifications/{item.pk}/"))
    evidence_url = f"/supervision/rectifications/evidence/{item.files.get().pk}/"
    assert evidence_url in page and client.get(evidence_url).status_code == 200
    # the other subtree: 404
    client.force_login(world.sec_a)
    assert client.post(reply, {"measures": "x"}).status_code == 404
    assert client.post(verify, {"action": "close"}).status_code == 404
    assert client.get(evidence_url).status_code == 404
    assert Rectification.objects.get().status == "closed"
