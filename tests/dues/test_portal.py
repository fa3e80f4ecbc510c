"""The portal's 党费 page: what I owe, pay through the sandbox sheet, history and a PDF
receipt; another member's order is a 404."""

from __future__ import annotations

import pytest

from dues.orders import PaymentOrder
from tests.factories import member_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_member_pays_in_the_portal(payer, client, org):
    client.force_login(payer.user)
    page = client.get("/dues/").content.decode()
    assert "应缴党费" in page and "292.50" in page and "一键缴纳" in page
    r = client.post("/dues/pay/", {"extra_yuan": ""})
    order = PaymentOrder.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/dues/orders/{order.pk}/"
    assert "确认支付（模拟支付）" in client.get(r["Location"]).content.decode()
    r = client.post(f"/dues/orders/{order.pk}/pay/")
    assert "已支付" in client.get(r["Location"]).content.decode()
    page = client.get("/dues/").content.decode()
    assert "目前没有欠缴的党费" in page and "收据（PDF）" in page
    pdf = client.get(f"/dues/receipts/{order.pk}/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    other = member_in(org.a1)
    client.force_login(other.user)
    assert client.get(f"/dues/orders/{order.pk}/").status_code == 404
    assert client.get(f"/dues/receipts/{order.pk}/").status_code == 404
    assert client.post(f"/dues/orders/{order.pk}/pay/").status_code == 404


def test_bad_extra_amount_is_a_clear_message(payer, client):
    client.force_login(payer.user)
    r = client.post("/dues/pay/", {"extra_yuan": "abc"}, follow=True)
    assert "自愿多交金额" in r.content.decode()
    assert not PaymentOrder.objects.exists()
