"""Delivery over each channel, at the providers' HTTP boundary: django-push-notifications
and the providers' SDKs build and sign the requests; local fake servers answer them
(tests/servers/push_fakes.py)."""

from __future__ import annotations

import datetime as dt
import json
import re

import jwt
import pytest
from django.core import mail
from django.test import override_settings
from push_notifications.models import APNSDevice, GCMDevice, WebPushDevice

from notifications.channels import devices
from notifications.channels.sms import ConsoleSMSBackend
from notifications.delivery import deliver, deliveries_due
from notifications.models import Delivery, Notification
from tests.factories import member_in
from tests.notifications.conftest import NOTHING, Browser, delivery

pytestmark = pytest.mark.django_db
S = Delivery.Status


@pytest.fixture
def me(org):
    m = member_in(org.a1, username="push_me", phone="+8613800000000")
    m.user.email = "push_me@ehome.test"
    m.user.save(update_fields=["email"])
    return m


def register_webpush(user, endpoint: str, browser: Browser):
    return devices.device_register(
        user=user,
        type="webpush",
        registration_id=endpoint,
        p256dh=browser.p256dh,
        auth=browser.auth_b64,
        browser="CHROME",
    )


# --- nothing configured (the embedded default) ---------------------------------------------
def test_with_no_provider_configured_every_channel_is_recorded_not_configured(
    me, send, unconfigured
):
    APNSDevice.objects.create(user=me.user, registration_id="a" * 64)
    n = send(me)
    assert {d.channel: d.status for d in n.deliveries.all()} == {
        "push": S.NOT_CONFIGURED,
        "email": S.NOT_CONFIGURED,
        "sms": S.NOT_CONFIGURED,
    }
    assert all(d.attempts == 0 for d in n.deliveries.all())
    assert APNSDevice.objects.get(user=me.user).active  # nothing was tried


# --- Web Push ------------------------------------------------------------------------------
def test_web_push_is_encrypted_for_the_browser_and_signed_with_vapid(me, send, webpush):
    browser = Browser()
    register_webpush(me.user, webpush.endpoint("ok"), browser)
    n = send(me, title="学习提醒", body="请完成必修课")
    d = delivery(n, "push")
    assert d.status == S.SENT and d.attempts == 1 and d.sent_at is not None
    [req] = webpush.requests
    assert req.headers["content-encoding"] == "aes128gcm"
    assert int(req.headers["ttl"]) > 0
    # VAPID: a JWT signed with our private key, for the push service's origin
    scheme, _, params = req.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    token = dict(p.split("=", 1) for p in params.split(","))["t"]
    claims = jwt.decode(
        token, webpush.vapid_public, algorithms=["ES256"], audience=webpush.base_url
    )
    assert claims["sub"] == "mailto:ops@ehome.test"
    # only the browser can read the payload: the title, body and deep link
    payload = browser.decrypt(req.body)
    assert payload["title"] == "学习提醒" and payload["body"] == "请完成必修课"
    assert payload["url"] == "/news/7/"
    assert payload["data"]["api"] == "/api/v1/news/7/"
    assert payload["data"]["notification_id"] == str(n.pk)


@pytest.mark.parametrize("answer", ["gone", "missing"])
def test_a_subscription_the_push_service_no_longer_knows_is_deactivated(me, send, webpush, answer):
    register_webpush(me.user, webpush.endpoint(answer), Browser())
    n = send(me)
    d = delivery(n, "push")
    assert d.status == S.FAILED and "已停用" in d.last_error
    assert not WebPushDevice.objects.get(user=me.user).active
    # the next notification does not try it again
    n2 = send(me)
    assert delivery(n2, "push").status == S.NO_ADDRESS
    assert len(webpush.requests) == 1


def test_one_good_device_is_enough_the_rejected_one_is_deactivated(me, send, webpush):
    register_webpush(me.user, webpush.endpoint("ok"), Browser())
    register_webpush(me.user, webpush.endpoint("gone"), Browser())
    d = delivery(send(me), "push")
    assert d.status == S.SENT
    assert "已停用" in d.last_error
    assert WebPushDevice.objects.filter(user=me.user, active=True).count() == 1


@override_settings(NOTIFICATIONS_DELIVERY_ATTEMPTS=3, NOTIFICATIONS_RETRY_BACKOFF=60)
def test_a_push_service_that_times_out_is_retried_with_backoff_then_failed(me, send, webpush):
    register_webpush(me.user, webpush.endpoint("slow"), Browser())
    n = send(me)
    d = delivery(n, "push")
    assert d.status == S.PENDING and d.attempts == 1 and "超时" in d.last_error
    first_wait = d.due_at - d.updated_at
    assert dt.timedelta(seconds=59) < first_wait < dt.timedelta(seconds=61)
    # the other channels were not held up by it
    assert delivery(n, "email").status == S.NOT_CONFIGURED

    # not yet due: the periodic job leaves it
    deliveries_due(now=d.due_at - dt.timedelta(seconds=1))
    assert delivery(n, "push").attempts == 1 and len(webpush.requests) == 1

    at = d.due_at
    deliveries_due(now=at)
    d = delivery(n, "push")
    assert d.status == S.PENDING and d.attempts == 2
    assert d.due_at - at == dt.timedelta(seconds=120)  # doubled

    deliveries_due(now=d.due_at)
    d = delivery(n, "push")
    assert d.status == S.FAILED and d.attempts == 3 and d.due_at is None
    assert "超时" in d.last_error and "已尝试 3 次" in d.last_error
    assert len(webpush.requests) == 3
    assert WebPushDevice.objects.get(user=me.user).active  # a timeout is not a bad token

    deliveries_due(now=at + dt.timedelta(days=1))  # closed: never sent again
    assert len(webpush.requests) == 3


def test_a_5xx_answer_is_retried_and_delivering_twice_sends_once(me, send, webpush):
    register_webpush(me.user, webpush.endpoint("busy"), Browser())
    n = send(me)
    d = delivery(n, "push")
    assert d.status == S.PENDING and "503" in d.last_error
    ok = Browser()
    WebPushDevice.objects.filter(user=me.user).update(
        registration_id=webpush.endpoint("ok"), p256dh=ok.p256dh, auth=ok.auth_b64
    )
    deliveries_due(now=d.due_at)
    assert delivery(n, "push").status == S.SENT
    # the task run again (a retried job) sends nothing more
    deliver([n.pk], now=d.due_at + dt.timedelta(hours=1))
    deliveries_due(now=d.due_at + dt.timedelta(hours=1))
    assert len(webpush.requests) == 2


# --- FCM -----------------------------------------------------------------------------------
FCM_OK = "ok" + "A1b2C3d4" * 20
FCM_GONE = "unregistered" + "Zz9" * 20
FCM_BAD = "invalid" + "Qq8" * 20


def test_fcm_messages_carry_the_text_and_deep_link_and_rejected_tokens_are_deactivated(
    me, send, fcm
):
    for token in (FCM_OK, FCM_GONE, FCM_BAD):
        devices.device_register(user=me.user, type="fcm", registration_id=token)
    n = send(me, title="考试开放", body="党章知识测试已开放")
    d = delivery(n, "push")
    assert d.status == S.SENT
    sent = {m["token"]: m for m in fcm.sends()}
    assert set(sent) == {FCM_OK, FCM_GONE, FCM_BAD}
    ok = sent[FCM_OK]
    assert ok["android"]["notification"]["title"] == "考试开放"
    assert ok["android"]["notification"]["body"] == "党章知识测试已开放"
    assert ok["data"]["portal"] == "/news/7/" and ok["data"]["api"] == "/api/v1/news/7/"
    assert ok["data"]["notification_id"] == str(n.pk)
    # the SDK's OAuth2 flow: a JWT assertion signed with the service account's key
    sends = [r for r in fcm.requests if r.path != "/token"]
    assert all(r.headers["authorization"].startswith("Bearer fake-") for r in sends)
    claims = jwt.decode(
        fcm.assertions[0],
        fcm.service_key.public_key(),
        algorithms=["RS256"],
        options={"verify_aud": False},
    )
    assert claims["iss"] == fcm.info["client_email"]
    assert "https://www.googleapis.com/auth/cloud-platform" in claims["scope"].split()
    active = dict(GCMDevice.objects.values_list("registration_id", "active"))
    assert active == {FCM_OK: True, FCM_GONE: False, FCM_BAD: False}


def test_fcm_only_rejected_tokens_fail_the_delivery_with_the_reason(me, send, fcm):
    devices.device_register(user=me.user, type="fcm", registration_id=FCM_GONE)
    d = delivery(send(me), "push")
    assert d.status == S.FAILED and "UNREGISTERED" in d.last_error


# --- APNs (HTTP/2 + TLS, JWT provider token) -----------------------------------------------
APNS_OK = "0a" * 32
APNS_BAD = "bad" + "0" * 61
APNS_DEAD = "dead" + "0" * 60


def test_apns_over_http2_with_a_signed_token_and_rejected_tokens_deactivated(me, send, apns):
    for token in (APNS_OK, APNS_BAD, APNS_DEAD):
        devices.device_register(user=me.user, type="apns", registration_id=token)
    n = send(me, title="新的必修课", body="请按时完成")
    d = delivery(n, "push")
    assert d.status == S.SENT
    by_token = {r.headers[":path"].rsplit("/", 1)[-1]: r for r in apns.requests}
    assert set(by_token) == {APNS_OK, APNS_BAD, APNS_DEAD}
    req = by_token[APNS_OK]
    assert req.headers[":method"] == "POST"
    assert req.headers["apns-topic"] == "org.ehome.app"
    scheme, token = req.headers["authorization"].split(" ", 1)
    assert scheme.lower() == "bearer"
    assert jwt.get_unverified_header(token)["kid"] == "ABC123DEFG"
    claims = jwt.decode(token, apns.auth_key.public_key(), algorithms=["ES256"])
    assert claims["iss"] == "TEAM123456"
    body = json.loads(req.body)
    assert body["aps"]["alert"] == {"title": "新的必修课", "body": "请按时完成"}
    assert body["portal"] == "/news/7/" and body["notification_id"] == str(n.pk)
    active = dict(APNSDevice.objects.values_list("registration_id", "active"))
    assert active == {APNS_OK: True, APNS_BAD: False, APNS_DEAD: False}


def test_apns_that_never_answers_is_retried(me, send, apns):
    apns.stall = True
    devices.device_register(user=me.user, type="apns", registration_id=APNS_OK)
    d = delivery(send(me), "push")
    assert d.status == S.PENDING and d.attempts == 1 and "Timeout" in d.last_error
    assert APNSDevice.objects.get(user=me.user).active


# --- e-mail and SMS ------------------------------------------------------------------------
@override_settings(**{**NOTHING, "NOTIFICATIONS_EMAIL": True})
def test_email_goes_to_the_members_login_email_through_the_mail_backend(me, send, org):
    n = send(me, title="主题党日", body="请准时参加")
    assert delivery(n, "email").status == S.SENT
    [m] = mail.outbox
    assert m.to == ["push_me@ehome.test"] and m.subject == "主题党日"
    assert "请准时参加" in m.body and "/news/7/" in m.body
    nobody = member_in(org.a1, username="no_mail")
    nobody.user.email = ""
    nobody.user.save(update_fields=["email"])
    assert delivery(send(nobody), "email").status == S.NO_ADDRESS
    assert len(mail.outbox) == 1


class FlakySMS(ConsoleSMSBackend):
    def send(self, *, phone, text):
        from notifications.channels.sms import SMSTemporaryError

        raise SMSTemporaryError("vendor 502")


@override_settings(
    **{**NOTHING, "NOTIFICATIONS_SMS_BACKEND": "notifications.channels.sms.ConsoleSMSBackend"}
)
def test_sms_goes_through_the_configured_backend(me, send):
    ConsoleSMSBackend.sent.clear()
    n = send(me, title="党费提醒", body="请于月底前缴纳")
    assert delivery(n, "sms").status == S.SENT
    assert list(ConsoleSMSBackend.sent) == [
        ("+8613800000000", "【党建e家】党费提醒：请于月底前缴纳")
    ]


@override_settings(
    **{
        **NOTHING,
        "NOTIFICATIONS_SMS_BACKEND": "tests.notifications.test_channels.FlakySMS",
        "NOTIFICATIONS_DELIVERY_ATTEMPTS": 2,
    }
)
def test_a_vendor_module_plugs_in_by_its_dotted_path_and_its_outage_is_retried(me, send):
    n = send(me)
    d = delivery(n, "sms")
    assert d.status == S.PENDING and "vendor 502" in d.last_error
    deliveries_due(now=d.due_at)
    d = delivery(n, "sms")
    assert d.status == S.FAILED and d.attempts == 2


# --- the admin list and the batches ----------------------------------------------------------
def test_the_admin_list_shows_delivered_and_failed_counts(me, send, webpush, client, org):
    from tests.factories import user_with_role

    register_webpush(me.user, webpush.endpoint("ok"), Browser())
    ok = send(me, title="送达的消息")
    WebPushDevice.objects.filter(user=me.user).update(registration_id=webpush.endpoint("gone"))
    bad = send(me, title="失败的消息")
    assert delivery(ok, "push").status == S.SENT and delivery(bad, "push").status == S.FAILED
    client.force_login(user_with_role(org.a, "secretary"))
    page = client.get("/admin/notifications/").content.decode()
    assert "已送达" in page and "发送失败" in page
    rows = {
        title: row
        for row in page.split("<tr")
        for title in ("送达的消息", "失败的消息")
        if title in row
    }

    def counts(row: str) -> list[str]:
        cells = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        return cells[-2:]

    assert counts(rows["送达的消息"]) == ["1", "0"]
    assert counts(rows["失败的消息"]) == ["0", "1"]


@override_settings(
    NOTIFICATIONS_DELIVERY_BATCH=2,
    TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}},
)
def test_delivery_is_queued_in_batches_once_the_send_commits(
    org, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from notifications.services import notification_send

    members = [member_in(org.a1) for _ in range(5)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification_send(
            kind="announcement",
            recipients=members,
            context={"title": "批量", "body": ""},
            idempotency_key="batch-1",
        )
        assert not DBTaskResult.objects.exists()  # nothing before the commit
    for callback in callbacks:
        callback()
    batches = [r.args_kwargs["args"][0] for r in DBTaskResult.objects.order_by("enqueued_at")]
    assert [len(b) for b in batches] == [2, 2, 1]
    ids = set(Notification.objects.filter(idempotency_key="batch-1").values_list("pk", flat=True))
    assert {i for b in batches for i in b} == ids


@override_settings(
    **{**NOTHING, "NOTIFICATIONS_SMS_BACKEND": "notifications.channels.sms.ConsoleSMSBackend"}
)
def test_rows_a_lost_task_left_pending_are_picked_up_by_the_periodic_job(me):
    """A worker killed after writing the Delivery rows: the periodic job sends them once
    they have waited LOST_AFTER, and only once."""
    from django.utils import timezone

    from notifications.services import notification_send

    ConsoleSMSBackend.sent.clear()
    notification_send(
        kind="announcement",
        recipients=[me],
        context={"title": "丢失的任务", "body": ""},
        idempotency_key="lost-1",
    )  # its on-commit task never runs (the test's transaction never commits)
    n = Notification.objects.get(idempotency_key="lost-1")
    Delivery.objects.bulk_create([Delivery(notification=n, channel=c) for c in ("push", "sms")])
    now = timezone.now()
    deliveries_due(now=now)  # just written: the task may still be running
    assert delivery(n, "sms").status == S.PENDING and not ConsoleSMSBackend.sent
    later = now + dt.timedelta(minutes=11)
    deliveries_due(now=later)
    assert delivery(n, "sms").status == S.SENT
    assert delivery(n, "push").status == S.NOT_CONFIGURED
    deliver([n.pk], now=later)  # the lost task finally runs: nothing more is sent
    deliveries_due(now=later + dt.timedelta(minutes=30))
    assert len(ConsoleSMSBackend.sent) == 1
