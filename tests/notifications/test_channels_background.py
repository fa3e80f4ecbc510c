"""Delivery never runs in a web request: an instructor assigns a compulsory course through
the admin while the member's push service hangs; the page answers at once with the
broadcast queued for the task worker (the database task queue, as in the embedded
default); the worker writes the inbox row and queues the push; run there, it times out, is
retried when due and then sent."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.test import override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from push_notifications.models import WebPushDevice

from elearning.models import Course
from notifications.channels import devices
from notifications.delivery import deliver_notifications, deliveries_due
from notifications.models import Delivery, Notification
from notifications.tasks import broadcast_run
from tests.admin_forms import admin_form, fill, submit
from tests.elearning.test_admin_save import instructor_on
from tests.factories import member_in
from tests.notifications.conftest import Browser

pytestmark = pytest.mark.django_db
DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_a_hanging_push_service_does_not_hold_up_the_admin_request(
    org, client, webpush, django_capture_on_commit_callbacks
):
    member = member_in(org.a1, username="bg_member")
    browser = Browser()
    devices.device_register(
        user=member.user,
        type="webpush",
        registration_id=webpush.endpoint("slow"),
        p256dh=browser.p256dh,
        auth=browser.auth_b64,
    )
    client.force_login(instructor_on(org.a, "bg_instructor"))
    course = Course.objects.create(title="党章学习", audience_unit=org.a)
    url = reverse("elearning_assignments:add")
    data = admin_form(client, url)
    due = dt.date.today() + dt.timedelta(days=10)
    fill(
        data,
        {"course": str(course.pk), "audience_unit": str(org.a1.pk), "due_date": due.isoformat()},
    )
    with override_settings(TASKS=DB_QUEUE):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            submit(client, url, data)
        elapsed = time.monotonic() - started
        assert webpush.requests == []  # the request did not touch the provider
        assert elapsed < webpush.slow_seconds
        # the worker runs the queued fan-out: it writes the inbox row, queues the push
        fanout = DBTaskResult.objects.get(task_path="notifications.tasks.broadcast_run")
        with django_capture_on_commit_callbacks(execute=True):
            broadcast_run.call(*fanout.args_kwargs["args"], **fanout.args_kwargs["kwargs"])
        n = Notification.objects.get(recipient=member, kind="course_assigned")
        assert webpush.requests == []
        queued = DBTaskResult.objects.filter(
            task_path="notifications.delivery.deliver_notifications"
        )
        assert queued.count() == 1 and n.pk in queued.get().args_kwargs["args"][0]
        assert not Delivery.objects.filter(notification=n).exists()

        # the worker runs the queued task (as db_worker does; the worker command itself
        # closes the test's database connection): the push times out and is left pending
        job = queued.get().args_kwargs
        deliver_notifications.call(*job["args"], **job["kwargs"])
    push = Delivery.objects.get(notification=n, channel="push")
    assert push.status == Delivery.Status.PENDING and "超时" in push.last_error
    assert len(webpush.requests) == 1

    # the push service recovers; the periodic job sends it when due
    WebPushDevice.objects.filter(user=member.user).update(registration_id=webpush.endpoint("ok"))
    deliveries_due(now=push.due_at)
    push.refresh_from_db()
    assert push.status == Delivery.Status.SENT and push.attempts == 2
    payload = browser.decrypt(webpush.requests[-1].body)
    assert "党章学习" in payload["title"]
