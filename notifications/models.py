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
