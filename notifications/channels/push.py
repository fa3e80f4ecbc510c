"""Push to phones (APNs, FCM) and browsers (Web Push) through django-push-notifications.

The library builds and signs every request (VAPID for Web Push, the Firebase Admin SDK's
OAuth2 service-account flow for FCM, aioapns' JWT over HTTP/2 for APNs) and deactivates
the tokens the provider rejects (FCM UNREGISTERED / INVALID_ARGUMENT, APNs BadDeviceToken
/ Unregistered, Web Push 404 / 410). This module reads the project's settings at send
time (so a configuration change needs no restart of the library's module state), sends
to each of the member's active devices and folds the answers into one Outcome:
sent on any device → SENT; otherwise a timeout or 5xx on any → RETRY; otherwise FAILED.
"""

from __future__ import annotations

import json
import re
import threading

from django.conf import settings

from notifications.channels import Message, Outcome

#: the library's settings keys this project sets (config/settings.py)
_LIB_KEYS = (
    "WP_PRIVATE_KEY",
    "WP_CLAIMS",
    "WP_ERROR_TIMEOUT",
    "APNS_AUTH_KEY_PATH",
    "APNS_AUTH_KEY_ID",
    "APNS_TEAM_ID",
    "APNS_TOPIC",
    "APNS_USE_SANDBOX",
)
#: APNs answers after which a later attempt may succeed
APNS_TRANSIENT = {
    "TimeoutError",
    "ServiceUnavailable",
    "InternalServerError",
    "Shutdown",
    "TooManyRequests",
    "APNSServerError",
}
_lock = threading.Lock()
_firebase_key: tuple | None = None


def _conf() -> dict:
    return getattr(settings, "PUSH_NOTIFICATIONS_SETTINGS", {}) or {}


def _sync_library_settings() -> None:
    """Hand the current settings to django-push-notifications (its module keeps the dict
    it read at import)."""
    from push_notifications.settings import PUSH_NOTIFICATIONS_SETTINGS as lib

    conf = _conf()
    for key in _LIB_KEYS:
        lib[key] = conf.get(key)
    if lib.get("WP_ERROR_TIMEOUT") is None:
        lib["WP_ERROR_TIMEOUT"] = 10


def webpush_configured() -> bool:
    conf = _conf()
    return bool(conf.get("WP_PRIVATE_KEY") and conf.get("WP_CLAIMS"))


def fcm_configured() -> bool:
    return bool(getattr(settings, "NOTIFICATIONS_FCM_CREDENTIALS", None))


def apns_configured() -> bool:
    conf = _conf()
    return all(
        conf.get(k)
        for k in ("APNS_AUTH_KEY_PATH", "APNS_AUTH_KEY_ID", "APNS_TEAM_ID", "APNS_TOPIC")
    )


def configured() -> bool:
    return webpush_configured() or fcm_configured() or apns_configured()


# --- Web Push -------------------------------------------------------------------------------
def _webpush(device, message: Message) -> tuple[str, str]:
    import requests
    from push_notifications.exceptions import WebPushError

    payload = json.dumps(
        {
            "title": message.title,
            "body": message.body,
            "url": message.portal_url,
            "data": message.data(),
        },
        ensure_ascii=False,
    )
    try:
        result = device.send_message(payload, ttl=24 * 3600)
    except WebPushError as exc:
        text = str(exc)
        status = re.search(r"\b([45]\d\d)\b", text)
        code = int(status.group(1)) if status else 0
        if code >= 500 or code == 429:
            return Outcome.RETRY, f"Web Push {code}"
        return Outcome.FAILED, f"Web Push 拒绝：{text[:200]}"
    except requests.Timeout:
        return Outcome.RETRY, "Web Push 超时"
    except requests.RequestException as exc:
        return Outcome.RETRY, f"Web Push 连接失败：{exc.__class__.__name__}"
    if result.get("success"):
        return Outcome.SENT, ""
    error = result["results"][0].get("error", "")
    if isinstance(error, bytes):
        error = error.decode("utf-8", "replace")
    if not device.active:
        return Outcome.FAILED, f"Web Push 订阅已失效，已停用：{error}"[:300]
    return Outcome.FAILED, f"Web Push 失败：{error}"[:300]


# --- FCM ------------------------------------------------------------------------------------
def _firebase_default_app():
    """The Firebase app of the configured service account (django-push-notifications'
    legacy settings send through the SDK's default app). The FCM send URL may point at
    a stand-in server (NOTIFICATIONS_FCM_ENDPOINT, "{0}" for the project id)."""
    global _firebase_key
    import firebase_admin
    from firebase_admin import credentials, messaging

    path = settings.NOTIFICATIONS_FCM_CREDENTIALS
    endpoint = getattr(settings, "NOTIFICATIONS_FCM_ENDPOINT", None)
    timeout = float(_conf().get("WP_ERROR_TIMEOUT") or 10)
    key = (path, endpoint, timeout)
    with _lock:
        if _firebase_key != key:
            try:
                firebase_admin.delete_app(firebase_admin.get_app())
            except ValueError:
                pass
            app = firebase_admin.initialize_app(
                credentials.Certificate(path), options={"httpTimeout": timeout}
            )
            service = messaging._get_messaging_service(app)
            if endpoint:
                service._fcm_url = endpoint.format(app.project_id)
            _firebase_key = key
        return firebase_admin.get_app()


def _fcm(devices, message: Message) -> list[tuple[str, str]]:
    from firebase_admin import exceptions as fb
    from firebase_admin import messaging
    from push_notifications.gcm import dict_to_fcm_message, send_message

    _firebase_default_app()
    tokens = [d.registration_id for d in devices]
    fcm_message = dict_to_fcm_message(
        {"title": message.title, "body": message.body, **message.data()}
    )
    response = send_message(tokens, fcm_message)
    permanent = (messaging.UnregisteredError, messaging.SenderIdMismatchError)
    out = []
    for r in response.responses:
        exc = r.exception
        if exc is None:
            out.append((Outcome.SENT, ""))
        elif isinstance(exc, permanent) or isinstance(exc, fb.InvalidArgumentError):
            reason = {
                messaging.UnregisteredError: "UNREGISTERED",
                messaging.SenderIdMismatchError: "SENDER_ID_MISMATCH",
            }.get(type(exc), exc.code)
            out.append((Outcome.FAILED, f"FCM 拒绝令牌（{reason}），已停用"))
        elif isinstance(exc, fb.PermissionDeniedError | fb.UnauthenticatedError):
            out.append((Outcome.FAILED, f"FCM 凭据无效（{exc.code}）"))
        else:
            out.append((Outcome.RETRY, f"FCM {exc.code}: {str(exc)[:120]}"))
    return out


# --- APNs -----------------------------------------------------------------------------------
def _apns_endpoint() -> None:
    """Point aioapns at NOTIFICATIONS_APNS_ENDPOINT ("host:port") when set (a stand-in)."""
    from aioapns import connection

    endpoint = getattr(settings, "NOTIFICATIONS_APNS_ENDPOINT", None)
    prod, dev = connection.APNsProductionClientProtocol, connection.APNsDevelopmentClientProtocol
    if endpoint:
        host, _, port = endpoint.rpartition(":")
        for cls in (prod, dev):
            cls.APNS_SERVER, cls.APNS_PORT = host, int(port)
    else:
        prod.APNS_SERVER, dev.APNS_SERVER = "api.push.apple.com", "api.development.push.apple.com"
        prod.APNS_PORT = dev.APNS_PORT = 443


def _apns(device, message: Message) -> tuple[str, str]:
    from push_notifications.apns_async import Alert, apns_send_message
    from push_notifications.exceptions import APNSError

    _apns_endpoint()
    try:
        apns_send_message(
            registration_id=device.registration_id,
            alert=Alert(title=message.title, body=message.body),
            extra=message.data(),
            thread_id=message.kind,
        )
    except APNSError as exc:
        text = str(exc)
        reason = text.rsplit(": ", 1)[-1]
        if reason in APNS_TRANSIENT or "CommunicationError" in text or "Timeout" in text:
            return Outcome.RETRY, f"APNs {reason[:150]}"
        if reason in ("Unregistered", "BadDeviceToken", "DeviceTokenNotForTopic"):
            return Outcome.FAILED, f"APNs 拒绝令牌（{reason}），已停用"
        return Outcome.FAILED, f"APNs {reason[:150]}"
    except OSError as exc:
        return Outcome.RETRY, f"APNs 连接失败：{exc.__class__.__name__}"
    return Outcome.SENT, ""


# --- one member's devices -------------------------------------------------------------------
def send(message: Message) -> Outcome:
    from push_notifications.models import APNSDevice, GCMDevice, WebPushDevice

    if not configured():
        return Outcome(Outcome.NOT_CONFIGURED)
    _sync_library_settings()
    user = message.user_id
    webpush = list(WebPushDevice.objects.filter(user_id=user, active=True))
    fcm = list(GCMDevice.objects.filter(user_id=user, active=True, cloud_message_type="FCM"))
    apns = list(APNSDevice.objects.filter(user_id=user, active=True))
    if not (webpush or fcm or apns):
        return Outcome(Outcome.NO_ADDRESS, "没有已登记的设备")
    results: list[tuple[str, str]] = []
    if webpush:
        if webpush_configured():
            results += [_webpush(d, message) for d in webpush]
        else:
            results += [(Outcome.NOT_CONFIGURED, "Web Push 未配置")] * len(webpush)
    if fcm:
        if fcm_configured():
            results += _fcm(fcm, message)
        else:
            results += [(Outcome.NOT_CONFIGURED, "FCM 未配置")] * len(fcm)
    if apns:
        if apns_configured():
            results += [_apns(d, message) for d in apns]
        else:
            results += [(Outcome.NOT_CONFIGURED, "APNs 未配置")] * len(apns)
    errors = [e for _, e in results if e]
    kinds = {r for r, _ in results}
    for result in (Outcome.SENT, Outcome.RETRY, Outcome.FAILED):
        if result in kinds:
            return Outcome(result, "；".join(errors)[:1000], errors)
    return Outcome(Outcome.NOT_CONFIGURED, "；".join(errors)[:1000], errors)
