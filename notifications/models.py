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
