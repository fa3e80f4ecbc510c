"""SMS: one small interface, no vendor chosen yet.

A vendor is one module with one class:

    class AcmeSMSBackend(SMSBackend):
        def send(self, *, phone: str, text: str) -> None:
            ... # call the vendor's API; raise SMSTemporaryError on a timeout or 5xx,
            ... # SMSRejected when the vendor refuses the number or the text

and `NOTIFICATIONS_SMS_BACKEND=vendor_module.AcmeSMSBackend` in the environment.
`ConsoleSMSBackend` writes the text to the worker's log (development). No backend set:
the delivery is recorded "not configured".
"""

from __future__ import annotations

import logging
from collections import deque

from django.conf import settings
from django.utils.module_loading import import_string

from notifications.channels import Message, Outcome

log = logging.getLogger("notifications.sms")

#: the longest text sent (a longer body is cut; the link to the portal is kept)
MAX_TEXT = 300


class SMSTemporaryError(Exception):
    """The vendor timed out or failed on its side: the delivery is retried."""


class SMSRejected(Exception):
    """The vendor refused the number or the text: the delivery fails."""


class SMSBackend:
    def send(self, *, phone: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSMSBackend(SMSBackend):
    """Development: log the text instead of sending it."""

    #: the latest texts "sent" (for a developer's shell and the tests), bounded
    sent: deque[tuple[str, str]] = deque(maxlen=100)

    def send(self, *, phone: str, text: str) -> None:
        log.info("SMS to %s: %s", phone, text)
        ConsoleSMSBackend.sent.append((phone, text))


def get_backend() -> SMSBackend | None:
    path = getattr(settings, "NOTIFICATIONS_SMS_BACKEND", "") or ""
    return import_string(path)() if path else None


def text_for(message: Message) -> str:
    text = f"【党建e家】{message.title}"
    if message.body:
        text = f"{text}：{message.body}"
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    return text


def send(message: Message) -> Outcome:
    backend = get_backend()
    if backend is None:
        return Outcome(Outcome.NOT_CONFIGURED)
    if not message.phone:
        return Outcome(Outcome.NO_ADDRESS, "党员未登记手机号")
    try:
        backend.send(phone=message.phone, text=text_for(message))
    except SMSTemporaryError as exc:
        return Outcome(Outcome.RETRY, f"短信服务暂时不可用：{exc}")
    except SMSRejected as exc:
        return Outcome(Outcome.FAILED, f"短信被拒绝：{exc}")
    return Outcome(Outcome.SENT)
