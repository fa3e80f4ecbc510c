"""The supervision API (/api/v1/supervision/…) and portal pages: what a member and a
secretary see and do, refusals with clear messages, scope (404), constant queries for
lists, Excel exports, and the dashboard with its dues slot."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from supervision.ledger.models import LedgerItem, LedgerReport
from supervision.meetings import services as meeting_services
from supervision.meetings.models import Meeting
from supervision.rectification.models import Rectification

pytestmark = pytest.mark.django_db


def _local_now(unit, delta=dt.timedelta(0)):
    import zoneinfo

    return (
        (timezone.now() + delta)
        .astimezone(zoneinfo.ZoneInfo(unit.timezone))
        .replace(tzinfo=None, second=0, microsecond=0)
    )


def test_schedule_and_check_in_through_the_api(world, members, client_for):
    sec = client_for(world.sec_b1)
    body = {
        "unit": world.b1.pk,
        "kind": "theme_day",
        "title": "主题党日",
        "starts_local": _local_now(world.b1, dt.timedelta(minutes=10)).isoformat(),
        "duration_minutes": 60,
        "online_link": "https://meet.example.org/abc",
    }
    r = sec.post("/api/v1/supervision/meetings/", body, format="json")
    assert r.status_code == 201, r.content
    meeting_id = r.json()["id"]
    assert r.json()["timezone"] == "Africa/Dar_es_Salaam"
    assert r.json()["starts_local"] == body["starts_local"][:16]
    me = client_for(members["b1"][0].user)
    listed = me.get("/api/v1/supervision/meetings/?mine=true").json()["results"]
    assert [m["id"] for m in listed] == [meeting_id] and listed[0]["my_status"] == "invited"
    ok = me.post(f"/api/v1/supervision/meetings/{meeting_id}/check-in/")
    assert ok.status_code == 200 and ok.json()["my_status"] == "present"
    # a member of another branch: the meeting does not exist for them
    other = client_for(members["a1"][0].user)
    assert other.post(f"/api/v1/supervision/meetings/{meeting_id}/check-in/").status_code == 404
    assert other.get(f"/api/v1/supervision/meetings/{meeting_id}/").status_code == 404


def test_check_in_outside_the_window_is_a_clear_409(world, members, client_for):
    m = meeting_services.meeting_schedule(
        user=world.sec_a1,
        unit_id=world.a1.pk,
        kind="group_meeting",
        title="党小组会",
        starts_local=_local_now(world.a1, dt.timedelta(days=2)),
        duration_minutes=60,
        place="会议室",
    )
    r = client_for(members["a1"][0].user).post(f"/api/v1/supervision/meetings/{m.pk}/check-in/")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "outside_window"
    assert "不在签到时间内" in r.json()["error"]["message"]
    assert not Meeting.objects.get(pk=m.pk).present_count


def test_meeting_list_runs_constant_queries(
    world, members, client_for, django_assert_max_num_queries
):
    for i in range(8):
        meeting_services.meeting_schedule(
            user=world.sec_a1,
            unit_id=world.a1.pk,
            kind="theme_day",
            title=f"活动{i}",
            starts_local=dt.datetime(2026, 3, 1 + i, 9, 0),
            duration_minutes=60,
            place="会议室",
        )
    c = client_for(world.sec_a)
    with django_assert_max_num_queries(12):
        r = c.get("/api/v1/supervision/meetings/?page_size=100")
    assert r.json()["count"] == 8


def test_rectification_api_refuses_past_deadline_and_closing_without_evidence(world, client_for):
    c = client_for(world.sec_b)
    body = {
        "unit": world.b3.pk,
        "issued_by_unit": world.b.pk,
        "title": "党费收缴不及时",
        "description": "连续两月未收缴",
        "category": "党费管理",
        "source": "audit",
        "deadline": "2020-01-01",
        "responsible_person": "赵",
    }
    r = c.post("/api/v1/supervision/rectifications/", body, format="json")
    assert r.status_code == 400 and "已过" in r.json()["error"]["message"]
    assert not Rectification.objects.exists()
    body["deadline"] = "2099-01-01"
    rid = c.post("/api/v1/supervision/rectifications/", body, format="json").json()["id"]
    unit_side = client_for(world.sec_b3)
    assert (
        unit_side.post(
            f"/api/v1/supervision/rectifications/{rid}/reply/",
            {"measures": "已收缴"},
            format="json",
        ).status_code
        == 200
    )
    r = c.post(
        f"/api/v1/supervision/rectifications/{rid}/verify/", {"action": "close"}, format="json"
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_evidence"
    from django.core.files.uploadedfile import SimpleUploadedFile

    up = unit_side.post(
        f"/api/v1/supervision/rectifications/{rid}/files/",
        {"file": SimpleUploadedFile("凭证.pdf", b"%PDF-1.4 receipt")},
        format="multipart",
    )
    assert up.status_code == 201
    got = c.get(up.json()["url"])
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"%PDF-1.4 receipt"
    assert client_for(world.sec_a).get(up.json()["url"]).status_code == 404
    r = c.post(
        f"/api/v1/supervision/rectifications/{rid}/verify/", {"action": "close"}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "closed"


def test_ledger_api_submit_review_and_grid_export(world, client_for):
    item = LedgerItem.objects.filter(period="year", for_branch=True).first()
    year = timezone.now().year
    unit_side = client_for(world.sec_a1)
    r = unit_side.post(
        "/api/v1/supervision/ledger/reports/",
        {"unit": world.a1.pk, "item": item.pk, "period": str(year + 1), "text": "x"},
        format="json",
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "period_not_open"
    r = unit_side.post(
        "/api/v1/supervision/ledger/reports/",
        {"unit": world.a1.pk, "item": item.pk, "period": str(year), "text": "已完成"},
        format="json",
    )
    assert r.status_code == 201
    upper = client_for(world.sec_a)
    rv = upper.post(
        f"/api/v1/supervision/ledger/reports/{r.json()['id']}/review/",
        {"action": "accept"},
        format="json",
    )
    assert rv.status_code == 200 and rv.json()["status"] == "accepted"
    grid = upper.get(f"/api/v1/supervision/ledger/grid/?unit={world.a.pk}&period={year}").json()
    a1 = next(row for row in grid["rows"] if row["code"] == "A1")
    assert a1["cells"][str(item.pk)]["state"] == "accepted"
    x = upper.get(f"/api/v1/supervision/ledger/grid/?unit={world.a.pk}&period={year}&export=xlsx")
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws["A3"].value == "第一工程局党委（本级）" or ws["A3"].value.startswith("北京")
    assert LedgerReport.objects.count() == 1
    assert upper.get(f"/api/v1/supervision/ledger/grid/?unit={world.b.pk}").status_code == 404


def test_dashboard_panels_drill_down_export_and_dues_slot(world, members, client_for):
    from dues.models import LedgerEntry

    payer = members["a1"][0]
    april = dt.date(2026, 4, 1)
    LedgerEntry.objects.create(
        member=payer, unit=world.a1, month=april, kind="obligation", amount_fen=500
    )
    LedgerEntry.objects.create(
        member=payer, unit=world.a1, month=april, kind="payment", amount_fen=-300
    )
    LedgerEntry.objects.create(  # outside the quarter: not counted
        member=payer, unit=world.a1, month=dt.date(2026, 7, 1), kind="obligation", amount_fen=900
    )
    c = client_for(world.sec_g)
    r = c.get(f"/api/v1/supervision/dashboard/?unit={world.g.pk}&period=2026-Q2")
    assert r.status_code == 200
    panels = {p["key"]: p for p in r.json()["panels"]}
    assert set(panels) == {"learning", "meetings", "ledger", "rectification", "dues"}
    dues = panels["dues"]
    assert dues["available"] is not False
    a = next(row for row in dues["rows"] if row["code"] == "A")
    assert (a["expected"], a["collected"], a["arrears"]) in (
        ("5.00", "3.00", "2.00"),
        (5.0, 3.0, 2.0),
    )
    assert a["members_in_arrears"] == 1 and a["collection_rate"] == 0.6
    dx = c.get(f"/api/v1/supervision/dashboard/?unit={world.a.pk}&panel=dues&export=xlsx")
    assert dx.status_code == 200
    assert load_workbook(io.BytesIO(dx.content)).active["D2"].value == "应收（元）"
    assert {row["code"] for row in panels["meetings"]["rows"]} >= {"A", "B"}
    down = c.get(f"/api/v1/supervision/dashboard/?unit={world.b.pk}&panel=meetings").json()
    assert {row["code"] for row in down["panels"][0]["rows"]} == {"B", "B1", "B2", "B3"}
    x = c.get(f"/api/v1/supervision/dashboard/?unit={world.b.pk}&panel=ledger&export=xlsx")
    assert x["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws["A2"].value == "组织" and ws["C2"].value == "应报"
    # a secretary of A does not see B; a plain member has no dashboard
    assert (
        client_for(world.sec_a).get(f"/api/v1/supervision/dashboard/?unit={world.b.pk}").status_code
        == 404
    )
    assert (
        client_for(members["a1"][0].user).get("/api/v1/supervision/dashboard/").status_code == 404
    )
    bad = c.get("/api/v1/supervision/dashboard/?period=2026-Q5")
    assert bad.status_code == 400 and "周期" in bad.json()["error"]["message"]


def test_portal_pages(world, members, client):
    m = meeting_services.meeting_schedule(
        user=world.sec_b3,
        unit_id=world.b3.pk,
        kind="party_lesson",
        title="专题党课",
        starts_local=dt.datetime(2026, 3, 10, 19, 0),
        duration_minutes=60,
        place="营地会议室",
        lecturer="周书记",
        topic="党章",
    )
    client.force_login(members["b3"][0].user)
    page = client.get(f"/supervision/meetings/{m.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "2026-03-10 19:00" in html and "America/Sao_Paulo" in html
    r = client.post(f"/supervision/meetings/{m.pk}/check-in/", follow=True)
    assert "不在签到时间内" in r.content.decode()
    client.force_login(members["a1"][0].user)
    assert client.get(f"/supervision/meetings/{m.pk}/").status_code == 404
    assert client.get("/supervision/").status_code == 403
    client.force_login(world.sec_b)
    rect = Rectification.objects.create(
        unit=world.b1,
        issued_by_unit=world.b,
        title="逾期问题",
        description="d",
        category="c",
        deadline=dt.date(2020, 1, 1),
        responsible_person="p",
    )
    listing = client.get(f"/supervision/rectifications/?unit={world.b.pk}").content.decode()
    assert 'data-overdue="1"' in listing and "逾期问题" in listing
    dash = client.get("/supervision/?period=2026-Q1").content.decode()
    for title in (
        "学习完成情况",
        "三会一课落实情况",
        "电子台账完成情况",
        "问题整改情况",
        "党费收缴情况",
    ):
        assert title in dash
    x = client.get(f"/supervision/export.xlsx?panel=rectification&unit={world.b.pk}")
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws["A3"].value == "坦桑尼亚项目党支部" and (ws["C3"].value, ws["D3"].value) == (
        1,
        1,
    )  # open, overdue
    assert ws["A4"].value == "海外事业部党委（合计）"
    grid = client.get("/supervision/ledger/?period=2026-Q1")
    assert grid.status_code == 200 and 'data-testid="ledger-grid"' in grid.content.decode()
    assert client.get(f"/supervision/rectifications/{rect.pk}/").status_code == 200
    client.force_login(world.sec_a)
    assert client.get(f"/supervision/rectifications/{rect.pk}/").status_code == 404
