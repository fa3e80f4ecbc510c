"""The admin: starting and deciding transfers, the letter, the assistance pages and report."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from care.assistance.models import AssistanceCase, AssistanceVisit
from organizations.models import Transfer
from tests.factories import member_in, user_with_role

pytestmark = pytest.mark.django_db


def test_transfer_started_and_accepted_in_the_admin(org, client):
    out_sec = user_with_role(org.a1, "secretary")
    in_sec = user_with_role(org.b1, "secretary")
    m = member_in(org.a1, name="欧阳建国", member_no="M0001")
    client.force_login(out_sec)
    resp = client.post(
        reverse("org_transfers:add"),
        {"member_no": "M0001", "direction": "internal", "to_unit": org.b1.pk, "reason": "调动"},
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    t = Transfer.objects.get(member=m)
    assert t.status == "pending"
    # a bad start: the member's own unit, shown on the form, nothing written
    resp = client.post(
        reverse("org_transfers:add"),
        {"member_no": "M0001", "direction": "internal", "to_unit": org.a1.pk},
    )
    assert resp.status_code == 200 and "不能转接到党员所在的党组织" in resp.content.decode()
    assert Transfer.objects.count() == 1
    # the starter cannot decide it
    resp = client.post(reverse("org_transfers:edit", args=[t.pk]), {"decision": "accept"})
    assert resp.status_code == 200 and "转入组织" in resp.content.decode()
    assert Transfer.objects.get(pk=t.pk).status == "pending"
    letter = client.get(reverse("transfer_letter", args=[t.pk]))
    assert letter.status_code == 200 and letter.content.startswith(b"%PDF")

    client.force_login(in_sec)
    resp = client.post(
        reverse("org_transfers:edit", args=[t.pk]), {"decision": "reject", "note": ""}
    )
    assert resp.status_code == 200 and "退回原因" in resp.content.decode()
    resp = client.post(reverse("org_transfers:edit", args=[t.pk]), {"decision": "accept"})
    assert resp.status_code == 302
    m.refresh_from_db()
    assert m.unit == org.b1
    listing = client.get(reverse("org_transfers:index")).content.decode()
    assert "欧阳建国" in listing and "已接收" in listing
    assert client.post(reverse("org_transfers:delete", args=[t.pk])).status_code in (302, 403, 404)
    assert Transfer.objects.filter(pk=t.pk).exists()


def test_assistance_in_the_admin_and_report(org, client):
    sec = user_with_role(org.a, "secretary")
    needy = member_in(org.a1, name="刘大伟", member_no="N01")
    member_in(org.a1, name="陈帮扶", member_no="H01")
    client.force_login(sec)
    today = dt.date.today()
    resp = client.post(
        reverse("care_cases:add"),
        {
            "member_no": "N01",
            "category": "work_injury",
            "situation": "工伤住院",
            "opened_on": today,
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    case = AssistanceCase.objects.get(member=needy)
    resp = client.post(
        reverse("care_helpers:add"), {"case": case.pk, "helper_no": "H01", "paired_on": today}
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    future = today + dt.timedelta(days=3)
    resp = client.post(
        reverse("care_visits:add"),
        {"case": case.pk, "kind": "money", "visited_on": future, "amount_yuan": "500"},
    )
    assert resp.status_code == 200 and "不能晚于今天" in resp.content.decode()
    resp = client.post(
        reverse("care_visits:add"),
        {"case": case.pk, "kind": "money", "visited_on": today, "amount_yuan": "500.50"},
    )
    assert resp.status_code == 302
    assert AssistanceVisit.objects.get().amount_fen == 50050

    q = {"unit": org.a.pk, "since": today.replace(day=1), "until": today}
    page = client.get(reverse("care_assistance_report"), q).content.decode()
    assert "500.50" in page and org.a1.name in page
    xlsx = client.get(reverse("care_assistance_report"), {**q, "export": "xlsx"})
    rows = [
        [c.value for c in r] for r in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows()
    ]
    assert rows[2][:7] == [org.a1.name, "A1", 1, 1, 0, 1, 500.5]
