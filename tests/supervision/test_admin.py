"""The supervision admin goes through the services the API calls: a meeting scheduled in
the admin invites its members and tells them (like the API), attendance is marked by the
secretary, ledger reports are submitted and reviewed, problem transfer lists are handed
down, answered and verified — and every refusal is the API's message, on its field,
with nothing written. Out of scope: 404."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from notifications.models import Notification
from supervision.ledger.models import LedgerEvidence, LedgerItem, LedgerReport
from supervision.meetings import services as meeting_services
from supervision.meetings.models import Attendance, Meeting
from supervision.rectification.models import Rectification

pytestmark = pytest.mark.django_db


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _errors(response) -> list[str]:
    """The error texts of an admin page (for assertion messages)."""
    return re.findall(r'class="error-message">\s*([^<]+)', _page(response))


def _api_message(response) -> str:
    return response.json()["error"]["message"]


def _field_error(page: str, field: str) -> str:
    """The error Wagtail shows on `field`: the text of the field's list item."""
    for item in page.split("<li>"):
        if re.search(rf'id="id_{field}(_\d+)?"', item):
            m = re.search(r'class="error-message">(.*?)</p>', item, re.S)
            return m.group(1).strip() if m else ""
    raise AssertionError(f"no field {field}")


def _local(unit, delta: dt.timedelta) -> str:
    from supervision.common import zone

    return (timezone.now() + delta).astimezone(zone(unit.timezone)).strftime("%Y-%m-%d %H:%M")


# --- meetings --------------------------------------------------------------------------------
def test_meeting_scheduled_in_the_admin_invites_like_the_api(
    world, members, client, client_for, django_capture_on_commit_callbacks
):
    starts = _local(world.b1, dt.timedelta(days=2))
    body = {
        "unit": world.b1.pk,
        "kind": "theme_day",
        "title": "主题党日（后台）",
        "starts_local": starts,
        "duration_minutes": 90,
        "place": "营地会议室",
    }
    client.force_login(world.sec_b1)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/admin/supervision_meetings/new/", body)
    assert r.status_code == 302, _errors(r)
    admin_meeting = Meeting.objects.get(title="主题党日（后台）")
    with django_capture_on_commit_callbacks(execute=True):
        api = client_for(world.sec_b1).post(
            "/api/v1/supervision/meetings/",
            {**body, "title": "主题党日（接口）", "starts_local": starts.replace(" ", "T")},
            format="json",
        )
    assert api.status_code == 201
    api_meeting = Meeting.objects.get(pk=api.json()["id"])
    # the same time on the unit's clock, the same invitees, the same notifications
    assert admin_meeting.starts_at == api_meeting.starts_at
    assert admin_meeting.ends_at - admin_meeting.starts_at == dt.timedelta(minutes=90)
    invited = {x.pk for x in members["b1"]} | {world.sec_b1.member.pk}
    for m in (admin_meeting, api_meeting):
        assert set(m.attendances.values_list("member_id", flat=True)) == invited
        assert m.invited_count == len(invited)
        told = Notification.objects.filter(
            kind="meeting_scheduled", idempotency_key=f"meeting-{m.pk}-scheduled"
        )
        assert set(told.values_list("recipient_id", flat=True)) == invited
        assert all(starts in n.body for n in told)
    # only the secretary's units are offered; another unit's id is refused
    form = _page(client.get("/admin/supervision_meetings/new/"))
    assert world.b1.name in form and world.a1.name not in form
    r = client.post("/admin/supervision_meetings/new/", {**body, "unit": world.a1.pk})
    assert r.status_code == 200 and "不在您的管理范围内" in _field_error(_page(r), "unit")
    assert Meeting.objects.count() == 2


@pytest.mark.parametrize(
    "change, field, unit",
    [
        ({"kind": "party_lesson"}, "lecturer", "a1"),
        ({"kind": "central_study"}, "kind", "a1"),
        ({"place": ""}, "place", "a1"),
        ({"duration_minutes": 5}, "duration_minutes", "a1"),
    ],
)
def test_meeting_refusals_are_the_apis_messages_on_their_fields(
    world, members, client, client_for, change, field, unit
):
    body = {
        "unit": world.a1.pk,
        "kind": "theme_day",
        "title": "主题党日",
        "starts_local": "2099-03-10 14:00",
        "duration_minutes": 60,
        "place": "会议室",
        **change,
    }
    api = client_for(world.sec_a1).post(
        "/api/v1/supervision/meetings/",
        {**body, "starts_local": "2099-03-10T14:00"},
        format="json",
    )
    assert api.status_code == 400
    client.force_login(world.sec_a1)
    r = client.post("/admin/supervision_meetings/new/", body)
    assert r.status_code == 200
    assert _api_message(api) in _field_error(_page(r), field)
    assert not Meeting.objects.exists() and not Attendance.objects.exists()


def test_secretary_marks_attendance_files_minutes_and_cancels_in_the_admin(world, members, client):
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
    url = f"/admin/supervision_meetings/edit/{m.pk}/"
    client.force_login(world.sec_a1)
    assert who.name in _page(client.get(url))
    # present before the window opens: the service's refusal, nothing written
    r = client.post(url, {"action": "mark", "member": who.pk, "status": "present"})
    assert "会议尚未开始，不能标记出席" in _field_error(_page(r), "status")
    r = client.post(url, {"action": "mark", "member": who.pk, "status": "leave"})
    assert "请假或缺席须填写原因" in _field_error(_page(r), "reason")
    assert Attendance.objects.get(meeting=m, member=who).status == "invited"
    # a member of another branch is not on the list
    r = client.post(
        url, {"action": "mark", "member": members["b1"][0].pk, "status": "absent", "reason": "x"}
    )
    assert "不在本次会议的参会名单中" in _field_error(_page(r), "member")
    r = client.post(url, {"action": "mark", "member": who.pk, "status": "leave", "reason": "出差"})
    assert r.status_code == 302
    att = Attendance.objects.get(meeting=m, member=who)
    assert (att.status, att.reason, att.marked_by) == ("leave", "出差", world.sec_a1)
    # minutes only after the end; nothing (not even the photo) is kept on refusal
    photo = SimpleUploadedFile("合影.jpg", b"\xff\xd8\xff\xe0 jpeg", content_type="image/jpeg")
    r = client.post(
        url, {"action": "minutes", "minutes": "记录", "file_kind": "photo", "files": photo}
    )
    assert "会议结束后才能提交会议记录" in _page(r)
    assert not m.files.exists()
    Meeting.objects.filter(pk=m.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=2),
        ends_at=timezone.now() - dt.timedelta(hours=1),
    )
    photo.seek(0)
    r = client.post(
        url, {"action": "minutes", "minutes": "学习了党章", "file_kind": "photo", "files": photo}
    )
    assert r.status_code == 302
    m.refresh_from_db()
    assert m.status == "held" and m.minutes == "学习了党章" and m.files.get().kind == "photo"
    assert Attendance.objects.filter(meeting=m, status="absent").count() == 3
    r = client.post(url, {"action": "cancel"})
    assert "会议已召开，不能取消" in _page(r)
    # another branch's secretary: 404 everywhere
    client.force_login(world.sec_b1)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "cancel"}).status_code == 404
    assert client.get(f"/admin/supervision_meetings/inspect/{m.pk}/").status_code == 404


# --- ledger ----------------------------------------------------------------------------------
def test_ledger_report_submitted_and_reviewed_in_the_admin(world, client, client_for):
    item = LedgerItem.objects.filter(period="year", for_branch=True, for_committee=False).first()
    year = timezone.now().year
    body = {"unit": world.a1.pk, "item": item.pk, "period": str(year + 1), "text": "已完成"}
    api = client_for(world.sec_a1).post("/api/v1/supervision/ledger/reports/", body, format="json")
    assert api.status_code == 409
    client.force_login(world.sec_a1)
    r = client.post("/admin/supervision_ledger_reports/new/", body)
    assert _api_message(api) in _field_error(_page(r), "period")
    # an item that does not apply to a committee: refused with the API's message
    client.force_login(world.sec_a)
    wrong = {**body, "unit": world.a.pk, "period": str(year)}
    api = client_for(world.sec_a).post("/api/v1/supervision/ledger/reports/", wrong, format="json")
    r = client.post("/admin/supervision_ledger_reports/new/", wrong)
    assert "不适用于" in _api_message(api) and _api_message(api) in _field_error(_page(r), "item")
    assert not LedgerReport.objects.exists()
    # the branch submits with evidence
    client.force_login(world.sec_a1)
    proof = SimpleUploadedFile("记录.pdf", b"%PDF-1.4 ledger", content_type="application/pdf")
    r = client.post(
        "/admin/supervision_ledger_reports/new/", {**body, "period": str(year), "files": proof}
    )
    assert r.status_code == 302, _errors(r)
    report = LedgerReport.objects.get()
    assert report.status == "submitted" and report.submitted_by == world.sec_a1
    assert LedgerEvidence.objects.get(report=report).name == "记录.pdf"
    url = f"/admin/supervision_ledger_reports/edit/{report.pk}/"
    # the branch may not review its own report
    r = client.post(url, {"decision": "accept"})
    assert "台账报告由上级组织审核" in _page(r)
    # the level above returns it — only with a reason
    client.force_login(world.sec_a)
    r = client.post(url, {"decision": "return", "reason": ""})
    assert "退回须填写原因" in _field_error(_page(r), "reason")
    report.refresh_from_db()
    assert report.status == "submitted"
    r = client.post(url, {"decision": "return", "reason": "缺少签到表"})
    assert r.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.return_reason, report.reviewed_by) == (
        "returned",
        "缺少签到表",
        world.sec_a,
    )
    # the branch reports again; the level above accepts
    client.force_login(world.sec_a1)
    assert client.post(url, {"decision": "resubmit", "text": "已补签到表"}).status_code == 302
    client.force_login(world.sec_a)
    assert client.post(url, {"decision": "accept"}).status_code == 302
    report.refresh_from_db()
    assert (report.status, report.text, report.return_reason) == ("accepted", "已补签到表", "")
    # the other subtree: 404
    client.force_login(world.sec_b)
    assert client.get(url).status_code == 404
    assert client.post(url, {"decision": "return", "reason": "x"}).status_code == 404


# --- rectification ---------------------------------------------------------------------------
def test_rectification_issued_answered_and_verified_in_the_admin(world, client, client_for):
    body = {
        "issued_by_unit": world.b.pk,
        "unit": world.b3.pk,
        "title": "党费收缴不及时",
        "description": "连续两月未收缴",
        "category": "党费管理",
        "source": "audit",
        "deadline": "2020-01-01",
        "responsible_person": "赵",
    }
    api = client_for(world.sec_b).post("/api/v1/supervision/rectifications/", body, format="json")
    assert api.status_code == 400
    client.force_login(world.sec_b)
    r = client.post("/admin/supervision_rectifications/new/", body)
    assert "已过" in _api_message(api)
    assert _api_message(api) in _field_error(_page(r), "deadline")
    assert not Rectification.objects.exists()
    r = client.post("/admin/supervision_rectifications/new/", {**body, "deadline": "2099-01-01"})
    assert r.status_code == 302, _errors(r)
    rect = Rectification.objects.get()
    assert rect.created_by == world.sec_b and rect.status == "open"
    url = f"/admin/supervision_rectifications/edit/{rect.pk}/"
    # the unit replies without evidence; the issuer may not close it
    client.force_login(world.sec_b3)
    r = client.post(url, {"action": "reply", "measures": ""})
    assert "请填写整改措施" in _field_error(_page(r), "measures")
    assert client.post(url, {"action": "reply", "measures": "已收缴"}).status_code == 302
    client.force_login(world.sec_b)
    r = client.post(url, {"action": "close"})
    assert "没有整改佐证材料，不能销号" in _field_error(_page(r), "action")
    rect.refresh_from_db()
    assert rect.status == "replied" and rect.closed_at is None
    r = client.post(url, {"action": "return", "reason": "请附收据"})
    assert r.status_code == 302
    rect.refresh_from_db()
    assert (rect.status, rect.return_reason) == ("returned", "请附收据")
    client.force_login(world.sec_b3)
    receipt = SimpleUploadedFile("收据.pdf", b"%PDF-1.4 receipt", content_type="application/pdf")
    r = client.post(url, {"action": "reply", "measures": "已收缴", "files": receipt})
    assert r.status_code == 302
    client.force_login(world.sec_b)
    assert client.post(url, {"action": "close"}).status_code == 302
    rect.refresh_from_db()
    assert rect.status == "closed" and rect.closed_on_time and rect.files.count() == 1
    # another subtree: 404
    client.force_login(world.sec_a)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "close"}).status_code == 404
