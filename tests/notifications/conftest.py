"""Fixtures for the channel tests (and, from tests/cms, the content fixtures the
content triggers' tests use): local provider stand-ins (tests/servers/push_fakes.py),
keys made per session, and a send that runs its delivery task once the transaction
commits (the immediate task backend of the test settings)."""

from __future__ import annotations

import base64
import json
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import override_settings

from notifications.models import Delivery, Notification
from notifications.services import notification_send
from tests.cms.conftest import _fast_passwords, roles, site  # noqa: F401 - content triggers' fixtures
from tests.servers.push_fakes import (
    FakeAPNs,
    FakeFCM,
    FakeWebPush,
    ec_private_pem,
    self_signed_cert,
    service_account,
)

NOTHING = {
    "PUSH_NOTIFICATIONS_SETTINGS": {"CONFIG": "push_notifications.conf.LegacyConfig"},
    "NOTIFICATIONS_FCM_CREDENTIALS": None,
    "NOTIFICATIONS_FCM_ENDPOINT": None,
    "NOTIFICATIONS_APNS_ENDPOINT": None,
    "NOTIFICATIONS_EMAIL": False,
    "NOTIFICATIONS_SMS_BACKEND": "",
}


@pytest.fixture
def unconfigured():
    with override_settings(**NOTHING):
        yield


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    return self_signed_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def trust(tls, monkeypatch):
    """The clients (requests, OpenSSL's default context) trust the fakes' certificate."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls[0]))
    monkeypatch.setenv("SSL_CERT_FILE", str(tls[0]))
    return tls


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Browser:
    """A browser's push subscription keys (the private half decrypts what was pushed)."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.p256dh = b64url(point)
        self.auth_b64 = b64url(self.auth)

    def decrypt(self, body: bytes) -> dict:
        import http_ece

        return json.loads(
            http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm")
        )


@pytest.fixture
def webpush(trust, tmp_path):
    """A push service over HTTPS, and the VAPID settings to reach it."""
    pem, key = ec_private_pem()
    path = tmp_path / "vapid.pem"
    path.write_bytes(pem)
    fake = FakeWebPush(slow_seconds=1.5).start(tls=trust)
    fake.vapid_public = key.public_key()
    conf = {
        "CONFIG": "push_notifications.conf.LegacyConfig",
        "WP_PRIVATE_KEY": str(path),
        "WP_CLAIMS": {"sub": "mailto:ops@ehome.test"},
        "WP_ERROR_TIMEOUT": 0.5,
    }
    with override_settings(**{**NOTHING, "PUSH_NOTIFICATIONS_SETTINGS": conf}):
        yield fake
    fake.stop()


@pytest.fixture
def fcm(tmp_path):
    fake = FakeFCM().start()
    info, key = service_account(f"{fake.base_url}/token")
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(info))
    fake.service_key = key
    fake.info = info
    with override_settings(
        **{
            **NOTHING,
            "NOTIFICATIONS_FCM_CREDENTIALS": str(path),
            "NOTIFICATIONS_FCM_ENDPOINT": f"{fake.base_url}/v1/projects/{{0}}/messages:send",
        }
    ):
        yield fake
    fake.stop()


@pytest.fixture
def apns(trust, tmp_path):
    pem, key = ec_private_pem()
    path = tmp_path / "AuthKey_ABC123DEFG.p8"
    path.write_bytes(pem)
    fake = FakeAPNs(tls=trust).start()
    fake.auth_key = key
    conf = {
        "CONFIG": "push_notifications.conf.LegacyConfig",
        "APNS_AUTH_KEY_PATH": str(path),
        "APNS_AUTH_KEY_ID": "ABC123DEFG",
        "APNS_TEAM_ID": "TEAM123456",
        "APNS_TOPIC": "org.ehome.app",
        "APNS_USE_SANDBOX": False,
    }
    with override_settings(
        **{
            **NOTHING,
            "PUSH_NOTIFICATIONS_SETTINGS": conf,
            "NOTIFICATIONS_APNS_ENDPOINT": f"127.0.0.1:{fake.port}",
        }
    ):
        yield fake
    fake.stop()


_seq = iter(range(1, 10**9))


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """send(member, title=…) → the Notification, its delivery task run on commit."""

    def run(member, *, title="支部大会通知", body="周五 19:00 开会", kind="announcement", **ctx):
        key = f"t-{next(_seq)}"
        with django_capture_on_commit_callbacks(execute=True):
            notification_send(
                kind=kind,
                recipients=[member],
                context={"title": title, "body": body, **ctx},
                link=("/api/v1/news/7/", "/news/7/"),
                idempotency_key=key,
            )
        return Notification.objects.get(recipient=member, idempotency_key=key)

    return run


def delivery(notification, channel: str) -> Delivery:
    return Delivery.objects.get(notification=notification, channel=channel)
