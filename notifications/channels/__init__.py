"""The channels a notification goes out on besides the inbox: push (APNs, FCM, Web Push
through django-push-notifications), e-mail (Django's mail backend) and SMS (a pluggable
backend, notifications.channels.sms). Each channel's `send(message)` answers an
`Outcome`; the delivery task (notifications.delivery) records it on the Delivery row
and retries the transient ones. A channel with no provider configured answers
NOT_CONFIGURED — never an exception."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Message:
    """What a channel sends: the stored notification's text and its deep link."""

    notification_id: int
    kind: str
    title: str
    body: str
    api_path: str
    portal_url: str
    user_id: int
    email: str = ""
    phone: str = ""

    def data(self) -> dict[str, str]:
        """The deep link the apps open (FCM data and APNs custom keys are strings)."""
        return {
            "notification_id": str(self.notification_id),
            "kind": self.kind,
            "api": self.api_path,
            "portal": self.portal_url,
        }


@dataclass(frozen=True)
class Outcome:
    SENT = "sent"
    FAILED = "failed"  # refused for good (a rejected token, a bad address)
    RETRY = "retry"  # the provider timed out or answered 5xx: try again later
    NOT_CONFIGURED = "not_configured"
    NO_ADDRESS = "no_address"  # no active device, no e-mail, no phone

    result: str
    error: str = ""
    details: list[str] = field(default_factory=list)


def sender(channel: str):
    from notifications.channels import email, push, sms

    return {"push": push.send, "email": email.send, "sms": sms.send}[channel]
