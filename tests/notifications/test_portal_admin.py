"""The portal's bell and inbox page (Chinese), and the admin's read-only list of what was
sent, scoped to the viewer's unit subtree."""

from __future__ import annotations

import pytest

from notifications.kinds import Kind, register
from notifications.models import Notification
from notifications.services import notification_send
from tests.factories import member_in, user_with_role

pytestmark = pytest.mark.django_db

register(Kind(code="test_portal_other", label="其他测试类型", title_template="{title}"))


def send(member, title, key, kind="announcement", portal_url=""):
    notification_send(
        kind=kind,
        recipients=[member],
        context={"title": title, "body": f"{title}的内容"},
        link=("", portal_url),
        idempotency_key=key,
    )
    return Notification.objects.get(recipient=member, idempotency_key=key)


@pytest.fixture
def me(org):
    return member_in(org.a1, username="portal_me")


def test_the_bell_shows_the_unread_count(me, client):
    client.force_login(me.user)
    page = client.get("/news/").content.decode()
    assert 'class="bell"' in page and "bell-count" not in page
    send(me, "开会通知", "k1")
    send(me, "学习通知", "k2")
    page = client.get("/news/").content.decode()
    assert '<span class="bell-count" title="未读消息">2<' in page


def test_the_inbox_page_lists_marks_read_and_deletes_in_chinese(org, me, client):
    client.force_login(me.user)
    first = send(me, "开会通知", "k1", portal_url="/learn/")
    second = send(me, "学习通知", "k2")
    theirs = send(member_in(org.b1), "海外通知", "k3")
    page = client.get("/notifications/").content.decode()
    assert "开会通知" in page and "学习通知" in page and "海外通知" not in page
    assert "2 条未读" in page and "全部标为已读" in page and "删除" in page

    # opening one marks it read and follows its deep link
    r = client.get(f"/notifications/{first.pk}/open/")
    assert r.status_code == 302 and r["Location"] == "/learn/"
    first.refresh_from_db()
    assert first.read_at is not None

    assert client.post(f"/notifications/{second.pk}/read/").status_code == 302
    second.refresh_from_db()
    assert second.read_at is not None

    client.post(f"/notifications/{first.pk}/delete/")
    assert not Notification.objects.filter(pk=first.pk).exists()
    assert "暂无消息" not in client.get("/notifications/").content.decode()
    client.post(f"/notifications/{second.pk}/delete/")
    assert "暂无消息" in client.get("/notifications/").content.decode()

    # another member's notification: the same 404 as a missing one, nothing changes
    for url in ("open/", "read/", "delete/"):
        method = client.get if url == "open/" else client.post
        assert method(f"/notifications/{theirs.pk}/{url}").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_on_the_portal(me, client):
    client.force_login(me.user)
    send(me, "一", "k1")
    send(me, "二", "k2")
    r = client.post("/notifications/read-all/", follow=True)
    assert "已将 2 条消息标为已读" in r.content.decode()
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert client.get("/notifications/read-all/").status_code == 405


def test_a_foreign_deep_link_is_not_followed(me, client):
    client.force_login(me.user)
    n = send(me, "外链", "k1", portal_url="https://evil.example/")
    r = client.get(f"/notifications/{n.pk}/open/")
    assert r["Location"] == "/notifications/"


def test_the_admin_lists_what_was_sent_in_the_viewers_subtree(org, client):
    secretary = user_with_role(org.a, "secretary")
    mine = send(member_in(org.a1, name="甲党员"), "本局通知", "k1")
    other = send(member_in(org.a1, name="乙党员"), "其他类型", "k2", kind="test_portal_other")
    theirs = send(member_in(org.b1, name="丙党员"), "海外通知", "k3")
    client.force_login(secretary)
    page = client.get("/admin/notifications/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "本局通知" in body and "其他类型" in body and "海外通知" not in body
    assert "甲党员" in body

    filtered = client.get("/admin/notifications/", {"kind": "test_portal_other"}).content.decode()
    assert "其他类型" in filtered and "本局通知" not in filtered

    assert client.get(f"/admin/notifications/inspect/{mine.pk}/").status_code == 200
    assert client.get(f"/admin/notifications/inspect/{theirs.pk}/").status_code == 404
    # read-only: no add, edit or delete
    assert client.get("/admin/notifications/new/").status_code == 404
    assert client.get(f"/admin/notifications/edit/{other.pk}/").status_code == 404
    assert client.get(f"/admin/notifications/delete/{other.pk}/").status_code == 404


def test_a_member_without_a_role_has_no_admin_list(me, client):
    client.force_login(me.user)
    assert client.get("/admin/notifications/").status_code in (302, 403)


def test_the_inbox_reads_in_english_when_chosen(me, client, settings):
    client.force_login(me.user)
    send(me, "开会通知", "k1")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/notifications/").content.decode()
    assert "1 unread" in page and "Mark all read" in page and "Mark read" in page
