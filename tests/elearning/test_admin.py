"""Instructors manage the academy in the Wagtail admin only within their unit subtree."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from elearning import tasks
from elearning.models import Course
from tests.factories import user_with_role


@pytest.fixture
def instructor_a(org):
    user = user_with_role(org.a, "instructor")
    group, _ = Group.objects.get_or_create(name="academy-test")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="elearning"),
        Permission.objects.get(codename="access_admin"),
    )
    user.groups.add(group)
    return user


def test_instructor_sees_and_edits_only_own_subtree(org, instructor_a, client):
    mine = Course.objects.create(title="第一工程局课程", audience_unit=org.a1)
    theirs = Course.objects.create(title="海外课程", audience_unit=org.b)
    client.force_login(instructor_a)
    index = client.get("/admin/elearning_courses/")
    assert index.status_code == 200
    body = index.content.decode()
    assert mine.title in body and theirs.title not in body
    assert client.get(f"/admin/elearning_courses/edit/{mine.pk}/").status_code == 200
    assert client.get(f"/admin/elearning_courses/edit/{theirs.pk}/").status_code == 404
    assert client.get(f"/admin/elearning_courses/delete/{theirs.pk}/").status_code == 404
    form = client.get(reverse("elearning_courses:add")).content.decode()
    assert org.a1.name in form and org.b1.name not in form


def test_periodic_task_closes_overdue_attempts(academy, org, settings):
    import datetime as dt

    from django.utils import timezone

    from elearning import exams
    from elearning.models import Attempt
    from tests.factories import member_in

    attempt = exams.attempt_start(exam=academy.exam, member=member_in(org.a1))
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - dt.timedelta(hours=1))
    assert ("elearning.tasks.attempts_close_overdue", 60) in settings.EHOME_PERIODIC_TASKS
    assert tasks.attempts_close_overdue.call() == 1  # what the worker runs each minute
    assert Attempt.objects.get(pk=attempt.pk).status == "expired"
