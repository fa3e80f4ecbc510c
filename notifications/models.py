from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.models import Member, OrgUnit
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
    #: a picture shown with it (the mobile newspaper's cover), as a URL
    image_url = models.CharField(_("配图"), max_length=500, blank=True, default="")
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


@scoped(unit="audience_unit", routes=("broadcast",))
class Broadcast(models.Model):
    """One notification sent to an audience (a unit subtree, a course assignment's
    audience, everyone), fanned out in the background in batches
    (`notifications.broadcasts`). The rows of each batch and the cursor (the last member
    id done) commit together, so a worker killed mid-way resumes after the last committed
    batch, and the unique (recipient, idempotency_key) of Notification makes a batch
    written twice write nothing the second time.

    Audience snapshot: members who existed when the broadcast was created (id at most
    `member_ceiling`) and were not transferred into the audience afterwards; a member who
    left the audience (or stopped being active) before their batch ran is not told."""

    class Audience(models.TextChoices):
        UNIT = "unit", _("组织及下级组织")
        ASSIGNMENT = "assignment", _("学习任务对象")
        EVERYONE = "everyone", _("全体党员")

    class Status(models.TextChoices):
        PENDING = "pending", _("等待发送")
        RUNNING = "running", _("发送中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类型"), max_length=64)
    context = models.JSONField(_("模板参数"), default=dict, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    api_path = models.CharField(_("接口路径"), max_length=300, blank=True)
    portal_url = models.CharField(_("门户链接"), max_length=300, blank=True)
    image_url = models.CharField(_("配图"), max_length=500, blank=True, default="")
    audience = models.CharField(
        _("发送对象"), max_length=16, choices=Audience.choices, default=Audience.UNIT
    )
    audience_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("发送范围")
    )
    #: what it is about, for the record ("assignment:7", "digest:12")
    source = models.CharField(_("来源"), max_length=64, blank=True)
    idempotency_key = models.CharField(_("幂等键"), max_length=100, unique=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发送人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    member_ceiling = models.BigIntegerField(default=0)  # highest member id at creation
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    total = models.IntegerField(_("预计人数"), default=0)
    written = models.IntegerField(_("已写入"), default=0)
    cursor = models.BigIntegerField(default=0)  # last member id of the last committed batch
    batches = models.IntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)
    #: resumes in a row that found the cursor where the previous resume left it
    stalled_resumes = models.IntegerField(_("无进展恢复次数"), default=0)
    stalled_cursor = models.BigIntegerField(default=0)  # the cursor at the last resume

    class Meta:
        verbose_name = _("群发通知")
        verbose_name_plural = _("群发通知")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def notification_key(self) -> str:
        """The idempotency key of the notifications it writes."""
        return f"broadcast:{self.idempotency_key}"

    @property
    def progress(self) -> int:
        """Percent done (0–100)."""
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, self.written * 100 // self.total)


class PeriodicRun(models.Model):
    """One slot of one periodic job (core.schedule), claimed by the scheduler that
    inserted the row first: the unique (job, slot) is what keeps two schedulers from
    both enqueueing it."""

    class Status(models.TextChoices):
        ENQUEUED = "enqueued", _("已排队")
        RUNNING = "running", _("运行中")
        FINISHED = "finished", _("已完成")
        FAILED = "failed", _("失败")

    job = models.CharField(_("任务"), max_length=100)
    slot = models.DateTimeField(_("计划时间"))
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.ENQUEUED
    )
    claimed_by = models.CharField(_("调度进程"), max_length=100, blank=True)
    enqueued_at = models.DateTimeField(_("排队时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    duration_ms = models.IntegerField(_("耗时（毫秒）"), null=True, blank=True)
    result = models.TextField(_("结果"), blank=True)

    class Meta:
        verbose_name = _("定时任务运行")
        verbose_name_plural = _("定时任务运行")
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="periodic_run_once_per_slot")
        ]
        indexes = [models.Index(fields=["job", "-slot"], name="periodic_run_latest")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot:%Y-%m-%d %H:%M}"


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
