"""The first trigger: a new assignment tells the active members of its audience subtree,
once it is committed, with a link to the course."""

from __future__ import annotations

import datetime as dt

import pytest

from elearning.courses.services import assignment_create, assignment_notify
from elearning.models import Assignment, Course
from notifications.models import Broadcast, Notification
from organizations.models import Member
from tests.factories import member_in

pytestmark = pytest.mark.django_db


def test_members_of_the_audience_subtree_are_told_after_commit(
    org, django_capture_on_commit_callbacks
):
    a, a1 = member_in(org.a), member_in(org.a1)
    gone = member_in(org.a1, status=Member.Status.TRANSFERRED_OUT)
    outside = member_in(org.b1)
    course = Course.objects.create(title="党章学习", audience_unit=org.root, is_published=True)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assignment = assignment_create(
            course=course, audience_unit=org.a, due_date=dt.date(2026, 12, 31), note="必修"
        )
    assert not Notification.objects.exists()  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:  # the broadcast is recorded, then fanned out
            callback()
    told = Notification.objects.filter(kind="course_assigned")
    assert set(told.values_list("recipient", flat=True)) == {a.pk, a1.pk}
    n = told.get(recipient=a1)
    assert n.title == "新的学习任务：《党章学习》"
    assert n.body == "请在 2026-12-31 前完成《党章学习》的学习。必修"
    assert n.api_path == f"/api/v1/courses/{course.pk}/"
    assert n.portal_url == f"/learn/courses/{course.pk}/"
    assert not Notification.objects.filter(recipient__in=[gone, outside]).exists()

    broadcast = Broadcast.objects.get(source=f"assignment:{assignment.pk}")
    assert (broadcast.audience, broadcast.total, broadcast.written) == ("assignment", 2, 2)
    # a repeated hook (a retried job) answers the same broadcast and notifies nobody twice
    with django_capture_on_commit_callbacks(execute=True):
        assert assignment_notify(assignment_id=assignment.pk).pk == broadcast.pk
    assert told.count() == 2


def test_an_assignment_made_in_the_admin_notifies_too(
    org, client, django_capture_on_commit_callbacks
):
    from tests.factories import user_with_role

    member = member_in(org.a1)
    from django.contrib.auth.models import Group, Permission

    secretary = user_with_role(org.a, "instructor")
    group, _ = Group.objects.get_or_create(name="academy-test")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="elearning"),
        Permission.objects.get(codename="access_admin"),
    )
    secretary.groups.add(group)
    course = Course.objects.create(title="廉政教育", audience_unit=org.root, is_published=True)
    client.force_login(secretary)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/admin/elearning_assignments/new/",
            {"course": course.pk, "audience_unit": org.a1.pk, "due_date": "2026-12-31", "note": ""},
        )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Assignment.objects.filter(course=course).exists(), r["Location"]
    assert Notification.objects.filter(recipient=member, kind="course_assigned").count() == 1
