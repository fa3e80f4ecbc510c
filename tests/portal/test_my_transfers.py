"""The member's transfer page in the portal: state of the pending transfer and history."""

import pytest
from django.urls import reverse

from organizations.transfers import transfer_accept, transfer_start
from tests.factories import member_in, user_with_role

pytestmark = pytest.mark.django_db


def test_member_sees_pending_then_accepted_transfer(org, client):
    out_sec = user_with_role(org.a1, "secretary")
    in_sec = user_with_role(org.b1, "secretary")
    m = member_in(org.a1, name="欧阳建国")
    client.force_login(m.user)
    url = reverse("portal:my_transfers")
    assert "暂无组织关系转接记录" in client.get(url).content.decode()

    t = transfer_start(member=m, started_by=out_sec, to_unit=org.b1, reason="调往海外")
    page = client.get(url).content.decode()
    assert 'data-testid="transfer-pending"' in page
    assert "待接收" in page and "坦桑尼亚项目党支部" in page and t.letter_no in page
    assert 'name="viewport"' in page  # mobile layout from base.html

    transfer_accept(transfer=t, accepted_by=in_sec, note="欢迎加入")
    page = client.get(url).content.decode()
    assert 'data-testid="transfer-pending"' not in page
    assert "已接收" in page and "欢迎加入" in page


def test_another_members_transfer_does_not_show(org, client):
    sec = user_with_role(org.a1, "secretary")
    other = member_in(org.a1, name="司马光")
    transfer_start(member=other, started_by=sec, to_unit=org.b1)
    me = member_in(org.a1)
    client.force_login(me.user)
    page = client.get(reverse("portal:my_transfers")).content.decode()
    assert "司马光" not in page and "暂无组织关系转接记录" in page


def test_anonymous_is_sent_to_login(client):
    resp = client.get(reverse("portal:my_transfers"))
    assert resp.status_code == 302
