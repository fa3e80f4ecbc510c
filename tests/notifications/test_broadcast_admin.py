"""The admin's 发送通知: a unit admin or secretary sends to a unit subtree in their scope
and watches the progress; out-of-scope units are refused with a Chinese message and
other subtrees' broadcasts answer 404. 定时任务 lists the schedule for unit admins."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from notifications.models import Broadcast, Notification
from tests.factories import member_in, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _login(user) -> Client:
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    c = Client()
    c.force_login(user)
    return c


def _form(unit, key="k1", **extra):
    return {
        "title": "防汛紧急通知",
        "body": "请各支部做好防汛准备",
        "audience_unit": unit.pk,
        "portal_url": "",
        "send_key": key,
        **extra,
    }


def test_a_secretary_sends_to_a_subtree_in_scope_and_sees_the_progress(
    org, django_capture_on_commit_callbacks
):
    secretary = user_with_role(org.a, "secretary")
    told = [member_in(org.a1), member_in(org.a1)]
    outside = member_in(org.b1)
    c = _login(secretary)
    page = c.get("/admin/notifications_broadcasts/new/")
    assert page.status_code == 200 and "发送给" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/admin/notifications_broadcasts/new/", _form(org.a1))
    assert r.status_code == 302, r.content.decode()[:3000]
    broadcast = Broadcast.objects.get()
    assert r["Location"] == f"/admin/notifications_broadcasts/progress/{broadcast.pk}/"
    assert broadcast.sent_by == secretary and broadcast.audience_unit == org.a1
    assert set(Notification.objects.values_list("recipient", flat=True)) == {m.pk for m in told}
    assert not Notification.objects.filter(recipient=outside).exists()
    # a double submit of the same form is the same broadcast
    with django_capture_on_commit_callbacks(execute=True):
        c.post("/admin/notifications_broadcasts/new/", _form(org.a1))
    assert Broadcast.objects.count() == 1 and Notification.objects.count() == 2

    html = c.get(r["Location"]).content.decode()
    assert "发送进度" in html and 'value="100"' in html and "已完成" in html
    data = c.get(f"/admin/notifications_broadcasts/progress/{broadcast.pk}/json/").json()
    assert data == {
        "id": broadcast.pk,
        "status": "done",
        "status_label": "已完成",
        "total": 2,
        "written": 2,
        "progress": 100,
        "done": True,
    }
    listing = c.get("/admin/notifications_broadcasts/").content.decode()
    assert "防汛紧急通知" in listing and "2/2（100%）" in listing


def test_out_of_scope_units_and_broadcasts_are_refused(org, django_capture_on_commit_callbacks):
    admin_a = user_with_role(org.a, "unit_admin")
    c = _login(admin_a)
    r = c.post("/admin/notifications_broadcasts/new/", _form(org.b1))
    assert r.status_code == 200
    assert "所选发送范围不存在或不在您管理的组织范围内" in r.content.decode()
    r = c.post("/admin/notifications_broadcasts/new/", _form(org.a1, title=""))
    assert r.status_code == 200 and not Broadcast.objects.exists()

    from notifications.broadcasts import broadcast_create

    theirs = broadcast_create(
        kind="announcement",
        audience_unit=org.b,
        context={"title": "B的通知", "body": "x"},
        idempotency_key="theirs",
    )
    for url in (
        f"/admin/notifications_broadcasts/progress/{theirs.pk}/",
        f"/admin/notifications_broadcasts/progress/{theirs.pk}/json/",
        f"/admin/notifications_broadcasts/inspect/{theirs.pk}/",
    ):
        assert c.get(url).status_code == 404, url
    assert "B的通知" not in c.get("/admin/notifications_broadcasts/").content.decode()
    # an editor (no unit_admin/secretary role) cannot send
    editor = user_with_role(org.a, "editor")
    assert _login(editor).get("/admin/notifications_broadcasts/new/").status_code in (302, 403)


def test_periodic_jobs_page_lists_every_job_for_unit_admins_only(org):
    from core import schedule

    admin_a = user_with_role(org.a, "unit_admin")
    html = _login(admin_a).get("/admin/periodic-jobs/").content.decode()
    for job in schedule.all_jobs():
        assert job.name in html and str(job.description) in html
    assert "每 15 分钟" in html and "从未运行" in html and "下次运行" in html
    assert _login(user_with_role(org.a, "editor")).get("/admin/periodic-jobs/").status_code == 404


def test_a_failed_broadcast_shows_why_in_the_admin(org):
    from notifications.broadcasts import broadcast_create

    secretary = user_with_role(org.a, "secretary")
    broadcast = broadcast_create(
        kind="announcement",
        audience_unit=org.a,
        context={"title": "停发的通知", "body": "x"},
        idempotency_key="failed-one",
    )
    Broadcast.objects.filter(pk=broadcast.pk).update(
        status="failed", error="连续 5 次恢复发送均无进展，已停止（停在党员 id 0 之后）。"
    )
    page = _login(secretary).get(f"/admin/notifications_broadcasts/inspect/{broadcast.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "连续 5 次恢复发送均无进展" in text and "失败" in text
