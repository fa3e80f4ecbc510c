from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.models import Member
from organizations.registry import scoped


@scoped(member="recipient", routes=("notification",))
class Notification(models.Model):
    """One message in one member's inbox. Title and body are rendered from the kind's
    template when it is sent and stored as sent. The recipient is the organisation's
    Member (the person; their login is `recipient.user`) so that audiences (a unit
    subtree, a course's assignees) and the admin's unit scope reach it directly."""

    kind = models.CharField(_("类型"), max_length=64, db_index=True)
    recipient = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    #: the resource it is about, as an API path ("/api/v1/courses/7/") and a portal URL
    api_path = models.CharField(_("接口路径"), max_length=300, blank=True)
    portal_url = models.CharField(_("门户链接"), max_length=300, blank=True)
    idempotency_key = models.CharField(_("幂等键"), max_length=128)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "idempotency_key"],
                name="notification_once_per_recipient_key",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
            models.Index(fields=["recipient", "updated_at"], name="notification_sync"),
        ]

    def __str__(self) -> str:
        return self.title


# --- delivery over channels, members' preferences (docs/architecture.md "Notification
# channels") ---------------------------------------------------------------------------------
CHANNEL_INAPP = "inapp"


class Channel(models.TextChoices):
    """The channels a notification goes out on besides the inbox row itself."""

    PUSH = "push", _("推送")
    EMAIL = "email", _("邮件")
    SMS = "sms", _("短信")


@scoped(member="notification__recipient", routes=("delivery",))
class Delivery(models.Model):
    """How one notification went out on one channel: one row per notification and
    channel, written by the delivery task (notifications.delivery), never by a request."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已送达")
        FAILED = "failed", _("失败")
        NOT_CONFIGURED = "not_configured", _("未配置")
        SUPPRESSED = "suppressed_by_preference", _("按偏好不发送")
        DEFERRED = "deferred_quiet_hours", _("免打扰推迟")
        NO_ADDRESS = "no_address", _("无接收地址")

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("消息")
    )
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    status = models.CharField(
        _("状态"), max_length=32, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    #: when a deferred (quiet hours) or retried delivery is due again
    due_at = models.DateTimeField(_("下次发送时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("投递记录")
        verbose_name_plural = _("投递记录")
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_once_per_channel"
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=models.Q(status__in=["pending", "deferred_quiet_hours"]),
                name="delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.notification_id}/{self.channel}: {self.status}"


@scoped(member="member", routes=("notification-preference",))
class NotificationPreference(models.Model):
    """One member's choices: the channels switched off per kind (everything is on until
    switched off) and quiet hours in their unit's local time (both empty: none)."""

    member = models.OneToOneField(
        Member,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("党员"),
    )
    #: {kind code: [channel, …]} — the channels ("inapp", "push", "email", "sms") that
    #: are off for that kind
    disabled = models.JSONField(_("已关闭的渠道"), default=dict, blank=True)
    quiet_start = models.TimeField(_("免打扰开始"), null=True, blank=True)
    quiet_end = models.TimeField(_("免打扰结束"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("消息偏好")
        verbose_name_plural = _("消息偏好")

    def __str__(self) -> str:
        return str(self.member_id)

    def is_enabled(self, kind: str, channel: str) -> bool:
        return channel not in (self.disabled or {}).get(kind, ())
