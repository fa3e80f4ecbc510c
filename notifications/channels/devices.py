"""Members' push devices (django-push-notifications' APNSDevice, GCMDevice for FCM,
WebPushDevice): register (one device per token — registering a token again updates it
and moves it to the caller), list and unregister the caller's own. Another user's token
answers ObjectNotFound like an unknown one."""

from __future__ import annotations

from django.db import transaction

from core.errors import ObjectNotFound

TYPES = ("apns", "fcm", "webpush")
BROWSERS = ("CHROME", "FIREFOX", "OPERA", "EDGE", "SAFARI")


def _models():
    from push_notifications.models import APNSDevice, GCMDevice, WebPushDevice

    return {"apns": APNSDevice, "fcm": GCMDevice, "webpush": WebPushDevice}


def device_as_dict(type_: str, device) -> dict:
    return {
        "type": type_,
        "registration_id": device.registration_id,
        "name": device.name or "",
        "active": device.active,
        "created_at": device.date_created,
    }


def devices_of(user) -> list[dict]:
    """The user's devices, every type (one query per type)."""
    out = []
    for type_, model in _models().items():
        out += [
            device_as_dict(type_, d)
            for d in model.objects.filter(user=user).order_by("-date_created", "-pk")
        ]
    return out


def device_register(
    *,
    user,
    type: str,
    registration_id: str,
    name: str = "",
    active: bool = True,
    p256dh: str = "",
    auth: str = "",
    browser: str = "CHROME",
) -> tuple[dict, bool]:
    """Register the token for `user` (validated by the caller's serializer); answers the
    device and whether it is new."""
    model = _models()[type]
    with transaction.atomic():
        same = list(
            model.objects.select_for_update().filter(registration_id=registration_id).order_by("pk")
        )
        device = same[0] if same else model(registration_id=registration_id)
        if len(same) > 1:  # one device per token
            model.objects.filter(pk__in=[d.pk for d in same[1:]]).delete()
        device.user = user
        device.name = name or device.name or ""
        device.active = active
        if type == "fcm":
            device.cloud_message_type = "FCM"
        if type == "webpush":
            device.p256dh, device.auth, device.browser = p256dh, auth, browser
        device.save()
    return device_as_dict(type, device), not same


def device_unregister(*, user, type: str, registration_id: str) -> None:
    deleted, _ = _models()[type].objects.filter(user=user, registration_id=registration_id).delete()
    if not deleted:
        raise ObjectNotFound
