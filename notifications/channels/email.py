"""E-mail through Django's mail backend, to the member's login e-mail."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import send_mail

from notifications.channels import Message, Outcome


def configured() -> bool:
    return bool(getattr(settings, "NOTIFICATIONS_EMAIL", False))


def send(message: Message) -> Outcome:
    if not configured():
        return Outcome(Outcome.NOT_CONFIGURED)
    if not message.email:
        return Outcome(Outcome.NO_ADDRESS, "用户未填写电子邮箱")
    body = message.body
    if message.portal_url:
        body = f"{body}\n\n{message.portal_url}" if body else message.portal_url
    try:
        send_mail(message.title, body, None, [message.email], fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        return Outcome(Outcome.FAILED, f"收件地址被拒绝：{exc}")
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        return Outcome(Outcome.RETRY, f"邮件服务器错误：{exc.__class__.__name__}: {exc}")
    return Outcome(Outcome.SENT)
