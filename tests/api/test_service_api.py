"""The API of transfers and pairing assistance: handshake over HTTP, bad input, scope."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from care.assistance.models import AssistanceCase, AssistanceVisit
from organizations.models import Transfer
from tests.factories import member_in, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org, client_for):
    out_sec = user_with_role(org.a1, "secretary")
    in_sec = user_with_role(org.b1, "secretary")
    m = member_in(org.a1, name="欧阳建国")
    return out_sec, in_sec, m, client_for(out_sec), client_for(in_sec), client_for(m.user)


def test_transfer_handshake_over_the_api(org, people, django_capture_on_commit_callbacks):
    out_sec, in_sec, m, out_api, in_api, me_api = people
    with django_capture_on_commit_callbacks(execute=True):
        r = out_api.post(
            "/api/v1/transfers/",
            {"member_id": m.pk, "to_unit_id": org.b1.pk, "reason": "调往坦桑尼亚项目"},
            format="json",
        )
    assert r.status_code == 201, r.json()
    t = r.json()
    assert (t["status"], t["to_side"]["name"], t["member"]["name"]) == (
        "pending",
        "坦桑尼亚项目党支部",
        "欧阳建国",
    )
    assert t["letter_no"].startswith("组转〔")

    # the member sees the state in the app
    mine = me_api.get("/api/v1/me/transfers/").json()
    assert [(x["id"], x["status_label"]) for x in mine] == [(t["id"], "待接收")]

    # the out-unit's secretary cannot accept; the in-unit's can, once
    assert (
        out_api.post(f"/api/v1/transfers/{t['id']}/accept/", {}, format="json").status_code == 404
    )
    r = in_api.post(f"/api/v1/transfers/{t['id']}/accept/", {"note": "欢迎"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    again = in_api.post(f"/api/v1/transfers/{t['id']}/accept/", {}, format="json")
    assert again.status_code == 409
    assert (
        again.json()["error"]["code"] == "conflict" and "已接收" in again.json()["error"]["message"]
    )
    m.refresh_from_db()
    assert m.unit == org.b1

    # history on both sides, filterable by member; letter as PDF
    for api in (out_api, in_api):
        rows = api.get("/api/v1/transfers/", {"member_id": m.pk}).json()["results"]
        assert [x["id"] for x in rows] == [t["id"]]
    pdf = in_api.get(f"/api/v1/transfers/{t['id']}/letter/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert me_api.get("/api/v1/me/transfers/").json()[0]["status"] == "accepted"


def test_bad_transfer_input_is_refused_with_a_message_and_nothing_written(org, people, client_for):
    out_sec, in_sec, m, out_api, in_api, _ = people
    r = out_api.post(
        "/api/v1/transfers/", {"member_id": m.pk, "to_unit_id": org.a1.pk}, format="json"
    )
    assert r.status_code == 400 and "不能转接到党员所在的党组织" in r.json()["error"]["message"]
    r = out_api.post("/api/v1/transfers/", {"member_id": m.pk, "direction": "out"}, format="json")
    assert r.status_code == 400 and "系统外党组织名称" in r.json()["error"]["message"]
    outsider = member_in(org.b1)
    r = out_api.post(
        "/api/v1/transfers/", {"member_id": outsider.pk, "to_unit_id": org.a1.pk}, format="json"
    )
    assert r.status_code == 404
    assert Transfer.objects.count() == 0

    t = out_api.post(
        "/api/v1/transfers/", {"member_id": m.pk, "to_unit_id": org.b1.pk}, format="json"
    ).json()
    r = in_api.post(f"/api/v1/transfers/{t['id']}/reject/", {"reason": ""}, format="json")
    assert r.status_code == 400 and "退回原因" in str(r.json())
    assert Transfer.objects.get(pk=t["id"]).status == "pending"
    r = in_api.post(
        f"/api/v1/transfers/{t['id']}/reject/", {"reason": "档案材料不全"}, format="json"
    )
    assert r.status_code == 200 and r.json()["decision_note"] == "档案材料不全"
    stranger = user_with_role(org.a, "editor")  # no transfer role: sees nothing
    c = client_for(stranger)
    assert c.get(f"/api/v1/transfers/{t['id']}/").status_code == 404
    assert c.get("/api/v1/transfers/").json()["results"] == []


def test_transfer_list_runs_constant_queries(org, people, django_assert_max_num_queries):
    out_sec, in_sec, m, out_api, *_ = people
    from organizations.transfers import transfer_start

    for i in range(12):
        transfer_start(
            member=member_in(org.a1, name=f"党员{i}"), started_by=out_sec, to_unit=org.b1
        )
    with django_assert_max_num_queries(8):
        r = out_api.get("/api/v1/transfers/")
    assert len(r.json()["results"]) == 12


def test_counts_endpoint(org, people, client_for):
    out_sec, in_sec, m, out_api, in_api, _ = people
    upper = user_with_role(org.root, "secretary")
    from organizations.transfers import transfer_accept, transfer_start

    transfer_accept(
        transfer=transfer_start(member=m, started_by=out_sec, to_unit=org.b1), accepted_by=in_sec
    )
    c = client_for(upper)
    today = timezone.localdate().isoformat()
    r = c.get("/api/v1/transfers/counts/", {"unit_id": org.root.pk, "since": today, "until": today})
    assert {row["code"]: (row["out"], row["in"]) for row in r.json()} == {"A": (1, 0), "B": (0, 1)}
    bad = c.get(
        "/api/v1/transfers/counts/", {"unit_id": org.root.pk, "since": today, "until": "2000-01-01"}
    )
    assert bad.status_code == 400
    assert (
        out_api.get(
            "/api/v1/transfers/counts/", {"unit_id": org.b.pk, "since": today, "until": today}
        ).status_code
        == 404
    )


# --- pairing assistance ------------------------------------------------------------------------
def test_assistance_case_through_to_closure_and_report(org, client_for):
    sec = user_with_role(org.a, "secretary")
    api = client_for(sec)
    needy = member_in(org.a1, name="刘大伟")
    helper = member_in(org.a1, name="陈帮扶")
    today = timezone.localdate()
    r = api.post(
        "/api/v1/assistance-cases/",
        {
            "member_id": needy.pk,
            "category": "illness",
            "situation": "罹患重病，住院治疗",
            "plan": "每月走访一次，协调医疗救助",
            "opened_on": (today - dt.timedelta(days=10)).isoformat(),
        },
        format="json",
    )
    assert r.status_code == 201, r.json()
    case = r.json()
    url = f"/api/v1/assistance-cases/{case['id']}/"
    r = api.post(
        url + "helpers/", {"helper_id": helper.pk, "paired_on": today.isoformat()}, format="json"
    )
    assert r.status_code == 201 and r.json()["helpers"][0]["helper"]["name"] == "陈帮扶"
    r = api.post(
        url + "visits/",
        {
            "kind": "money",
            "visited_on": today.isoformat(),
            "amount_fen": 200000,
            "helper_id": helper.pk,
            "notes": "送去慰问金",
        },
        format="json",
    )
    assert r.status_code == 201 and r.json()["visits"][0]["amount_fen"] == 200000
    api.post(url + "visits/", {"kind": "visit", "visited_on": today.isoformat()}, format="json")

    # bad input: a future date, money without amount, a fractional amount, closing without a summary
    future = (today + dt.timedelta(days=5)).isoformat()
    r = api.post(url + "visits/", {"kind": "visit", "visited_on": future}, format="json")
    assert r.status_code == 400 and "不能晚于今天" in r.json()["error"]["message"]
    r = api.post(url + "visits/", {"kind": "money", "visited_on": today.isoformat()}, format="json")
    assert r.status_code == 400 and "金额" in r.json()["error"]["message"]
    r = api.post(
        url + "visits/",
        {"kind": "money", "visited_on": today.isoformat(), "amount_fen": 12.5},
        format="json",
    )
    assert r.status_code == 400
    r = api.post(
        url + "helpers/", {"helper_id": needy.pk, "paired_on": today.isoformat()}, format="json"
    )
    assert r.status_code == 400 and "本人" in r.json()["error"]["message"]
    r = api.post(url + "close/", {"closed_on": today.isoformat(), "summary": ""}, format="json")
    assert r.status_code == 400
    assert AssistanceVisit.objects.filter(case_id=case["id"]).count() == 2

    r = api.post(
        url + "close/",
        {"closed_on": today.isoformat(), "summary": "病情好转，已返岗"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = api.post(url + "visits/", {"kind": "visit", "visited_on": today.isoformat()}, format="json")
    assert r.status_code == 409

    # report: one row for A1 with the money; Excel export with the same numbers
    q = {
        "unit_id": org.a.pk,
        "since": (today - dt.timedelta(days=30)).isoformat(),
        "until": today.isoformat(),
    }
    rows = api.get("/api/v1/assistance-cases/report/", q).json()
    assert rows == [
        {
            "unit_id": org.a1.pk,
            "code": "A1",
            "name": org.a1.name,
            "is_unit_itself": False,
            "opened": 1,
            "open": 0,
            "closed": 1,
            "visits": 2,
            "amount_fen": 200000,
        }
    ]
    xlsx = api.get("/api/v1/assistance-cases/report/", {**q, "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[2][:7] == [org.a1.name, "A1", 1, 0, 1, 2, 2000]


def test_assistance_scope_and_constant_list_queries(org, client_for, django_assert_max_num_queries):
    sec_b = user_with_role(org.b, "secretary")
    sec_a = user_with_role(org.a, "secretary")
    today = timezone.localdate()
    for _i in range(6):
        AssistanceCase.objects.create(
            unit=org.a1,
            member=member_in(org.a1),
            category="illness",
            situation="x",
            opened_on=today,
        )
    case = AssistanceCase.objects.first()
    api_b = client_for(sec_b)
    assert api_b.get(f"/api/v1/assistance-cases/{case.pk}/").status_code == 404
    assert (
        api_b.post(
            f"/api/v1/assistance-cases/{case.pk}/close/",
            {"closed_on": today.isoformat(), "summary": "x"},
            format="json",
        ).status_code
        == 404
    )
    assert api_b.get("/api/v1/assistance-cases/").json()["results"] == []
    with django_assert_max_num_queries(6):
        r = client_for(sec_a).get("/api/v1/assistance-cases/")
    assert len(r.json()["results"]) == 6
    # a case for a member outside scope cannot be opened
    r = api_b.post(
        "/api/v1/assistance-cases/",
        {
            "member_id": case.member_id,
            "category": "illness",
            "situation": "x",
            "opened_on": today.isoformat(),
        },
        format="json",
    )
    assert r.status_code == 404
