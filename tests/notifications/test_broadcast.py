"""Broadcasts: a notification fanned out to an audience in batches by the worker, once per
member however often it is sent or run, only to the audience as it was when it was sent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from notifications.broadcasts import broadcast_create
from notifications.errors import NotificationError
from notifications.fanout import broadcast_step, broadcasts_stalled
from notifications.models import Broadcast, Notification
from organizations.models import Member, Transfer
from tests.factories import member_in

pytestmark = pytest.mark.django_db


def _send(org, key="b-1", unit=None, **kwargs):
    return broadcast_create(
        kind="announcement",
        audience_unit=unit or org.a,
        context={"title": "七一表彰大会", "body": "请准时参加"},
        link=("/api/v1/x/", "/x/"),
        idempotency_key=key,
        **kwargs,
    )


def test_everyone_in_the_subtree_is_told_once_in_batches(
    org, settings, django_capture_on_commit_callbacks
):
    settings.EHOME_BROADCAST_BATCH = 2
    told = [member_in(org.a) for _ in range(3)] + [member_in(org.a1) for _ in range(2)]
    member_in(org.a1, status=Member.Status.TRANSFERRED_OUT)
    outside = member_in(org.b1)
    with django_capture_on_commit_callbacks(execute=True):
        broadcast = _send(org)
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.DONE
    assert (broadcast.total, broadcast.written, broadcast.batches) == (5, 5, 3)
    assert broadcast.progress == 100
    rows = Notification.objects.filter(idempotency_key=broadcast.notification_key)
    assert sorted(rows.values_list("recipient", flat=True)) == sorted(m.pk for m in told)
    n = rows.get(recipient=told[0])
    assert (n.title, n.body, n.api_path, n.portal_url) == (
        "七一表彰大会",
        "请准时参加",
        "/api/v1/x/",
        "/x/",
    )
    assert not Notification.objects.filter(recipient=outside).exists()

    # a retried send with the same key is the same broadcast and writes nothing
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = _send(org)
    assert again.pk == broadcast.pk and callbacks == []
    assert rows.count() == 5 and Broadcast.objects.count() == 1


def test_a_member_who_joins_after_the_send_does_not_get_it(org, django_capture_on_commit_callbacks):
    before = member_in(org.a1)
    mover = member_in(org.b1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        broadcast = _send(org)
    assert broadcast.total == 1
    # after the send, before the worker reaches them: a new member and a transfer in
    newcomer = member_in(org.a1)
    mover.unit = org.a1
    mover.save(update_fields=["unit"])
    Transfer.objects.create(
        member=mover, from_unit=org.b1, to_unit=org.a1, transferred_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    told = set(Notification.objects.values_list("recipient", flat=True))
    assert told == {before.pk}
    assert newcomer.pk not in told and mover.pk not in told
    # and a later broadcast reaches both
    with django_capture_on_commit_callbacks(execute=True):
        _send(org, key="b-2")
    assert Notification.objects.filter(recipient__in=[newcomer, mover]).count() == 2


def test_a_run_interrupted_between_batches_resumes_after_the_last_committed_one(
    org, settings, django_capture_on_commit_callbacks
):
    settings.EHOME_BROADCAST_BATCH = 2
    settings.EHOME_BROADCAST_LEASE_SECONDS = 30
    members = [member_in(org.a1) for _ in range(5)]
    with django_capture_on_commit_callbacks(execute=False):
        broadcast = _send(org)
    assert broadcast_step(broadcast.pk) is True  # first batch, then the worker "dies"
    broadcast.refresh_from_db()
    assert (broadcast.status, broadcast.written, broadcast.progress) == ("running", 2, 40)
    assert broadcast.cursor == members[1].pk
    # not stalled while its lease runs; stalled (and claimed) once it ran out
    assert broadcasts_stalled() == []
    later = timezone.now() + dt.timedelta(seconds=31)
    Broadcast.objects.filter(pk=broadcast.pk).update(created_at=later - dt.timedelta(minutes=5))
    assert broadcasts_stalled(later) == [broadcast.pk]
    assert broadcasts_stalled(later) == []  # claimed: the next tick leaves it alone
    while broadcast_step(broadcast.pk):
        pass
    broadcast.refresh_from_db()
    assert (broadcast.status, broadcast.written) == ("done", 5)
    assert Notification.objects.count() == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "no-such-kind"}, "未知的消息类型"),
        ({"context": {"title": "x"}}, "消息模板缺少字段"),
        ({"idempotency_key": " "}, "idempotency_key"),
        ({"audience": "martians"}, "未知的发送对象"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(org, kwargs, message):
    member_in(org.a)
    args = {
        "kind": "announcement",
        "audience_unit": org.a,
        "context": {"title": "t", "body": "b"},
        "idempotency_key": "k",
        **kwargs,
    }
    with pytest.raises(NotificationError, match=message):
        broadcast_create(**args)
    assert not Broadcast.objects.exists() and not Notification.objects.exists()


def test_the_inbox_costs_the_same_queries_with_5_and_5000_notifications(org, client_for):
    """The inbox of a member whom broadcasts reached 5,000 times: first page and a page
    deep in the cursor run as many queries as for a member with 5."""
    few, many = member_in(org.a1), member_in(org.a1)

    def fill(member, n):
        Notification.objects.bulk_create(
            Notification(
                kind="announcement", recipient=member, title=f"通知{i}", idempotency_key=f"k{i}"
            )
            for i in range(n)
        )

    fill(few, 5)
    fill(many, 5000)
    url = "/api/v1/notifications/"
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    small_api, api = client_for(few.user), client_for(many.user)
    small_api.get(url), api.get(url)  # warm: the login's first request
    reset_queries()  # a full query log (9,000 entries) would capture nothing
    with CaptureQueriesContext(connection) as small:
        assert len(small_api.get(url).json()["results"]) == 5
    reset_queries()
    with CaptureQueriesContext(connection) as large:
        page = api.get(url).json()
    for _ in range(10):
        page = api.get(page["next"]).json()
    reset_queries()
    with CaptureQueriesContext(connection) as deep:
        deep_page = api.get(page["next"]).json()
    assert len(deep_page["results"]) == len(page["results"]) > 0
    assert len(small) > 0
    assert len(large) == len(small)  # no query per row
    assert len(deep) <= len(large)  # a page deep in the cursor costs no more


POISON = {  # the database refuses every in-app row of the broadcast: a batch that always fails
    "postgresql": (
        """CREATE OR REPLACE FUNCTION notif_test_fail() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'notification table refused (test)'; END; $$ LANGUAGE plpgsql;
           CREATE TRIGGER notif_test_fail BEFORE INSERT ON notifications_notification
           FOR EACH ROW EXECUTE FUNCTION notif_test_fail();""",
        "DROP TRIGGER notif_test_fail ON notifications_notification; DROP FUNCTION notif_test_fail();",
    ),
    "sqlite": (
        """CREATE TRIGGER notif_test_fail BEFORE INSERT ON notifications_notification
           BEGIN SELECT RAISE(ABORT, 'notification table refused (test)'); END;""",
        "DROP TRIGGER notif_test_fail;",
    ),
}


def _expire_lease(broadcast, minutes):
    """The moment `minutes` after creation, with the lease of the last resume run out."""
    Broadcast.objects.filter(pk=broadcast.pk).update(lease_until=None)
    return broadcast.created_at + dt.timedelta(minutes=minutes)


def test_a_batch_that_fails_every_time_ends_failed_with_its_error_after_the_resumes(
    org, settings, django_capture_on_commit_callbacks
):
    from django.db import connection

    from notifications.fanout import broadcast_run_all

    settings.EHOME_BROADCAST_MAX_STALLED_RESUMES = 2
    settings.EHOME_BROADCAST_LEASE_SECONDS = 30
    member_in(org.a)
    with django_capture_on_commit_callbacks(execute=False):
        broadcast = _send(org)
    with connection.cursor() as cur:
        cur.execute(POISON[connection.vendor][0])
    try:
        with pytest.raises(Exception, match="refused"):
            broadcast_run_all(broadcast.pk)
        broadcast.refresh_from_db()
        assert broadcast.status == "pending" and "refused" in broadcast.error
        for minute in (5, 10):  # two resumes are allowed, each fails again
            assert broadcasts_stalled(_expire_lease(broadcast, minute)) == [broadcast.pk]
            with pytest.raises(Exception, match="refused"):
                broadcast_run_all(broadcast.pk)
        assert broadcasts_stalled(_expire_lease(broadcast, 15)) == []  # gives up
    finally:
        with connection.cursor() as cur:
            cur.execute(POISON[connection.vendor][1])
    broadcast.refresh_from_db()
    assert broadcast.status == "failed" and broadcast.finished_at is not None
    assert "连续 2 次恢复发送均无进展" in broadcast.error and "refused" in broadcast.error
    assert Notification.objects.count() == 0
    assert broadcasts_stalled(_expire_lease(broadcast, 20)) == []  # and stays failed


def test_a_resume_that_made_progress_starts_the_count_again(org, settings):
    settings.EHOME_BROADCAST_BATCH = 1
    settings.EHOME_BROADCAST_MAX_STALLED_RESUMES = 1
    for _ in range(3):
        member_in(org.a)
    broadcast = _send(org)
    assert broadcasts_stalled(_expire_lease(broadcast, 5)) == [broadcast.pk]
    assert broadcast_step(broadcast.pk) is True  # one batch, then the worker dies again
    assert broadcasts_stalled(_expire_lease(broadcast, 10)) == [broadcast.pk]
    broadcast.refresh_from_db()
    assert (broadcast.status, broadcast.stalled_resumes) == ("running", 1)
    assert broadcasts_stalled(_expire_lease(broadcast, 15)) == []  # no batch since: failed
    broadcast.refresh_from_db()
    assert broadcast.status == "failed" and broadcast.written == 1
