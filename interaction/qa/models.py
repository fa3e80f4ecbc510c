"""Questions (答疑解惑) and the FAQ.

A member asks their own unit or a unit above it (`addressed_unit`); the question sits with
`unit` — at first the addressed unit, after each escalation of an overdue question the
next unit up — whose answerers (role `answerer`, covering their subtree) answer it before
`due_at`. `anonymous` hides the asker from other members (the FAQ), never from the
answerers. A good question and its answer may be published as a `FaqEntry`, read by the
members of the question's unit subtree.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from organizations.models import Member, OrgUnit
from organizations.registry import scoped

__all__ = ["Question", "FaqEntry"]


@scoped(unit="unit", member="asker", routes=("question",))
class Question(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", gettext_lazy("待答复")
        ANSWERED = "answered", gettext_lazy("已答复")

    asker = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="questions", verbose_name="提问人"
    )
    asker_unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="+", verbose_name="提问人所在党组织"
    )
    addressed_unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="+", verbose_name="提问对象"
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="+", verbose_name="当前答复单位"
    )
    title = models.CharField("标题", max_length=100)
    body = models.TextField("问题")
    anonymous = models.BooleanField("对其他党员匿名", default=False)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    due_at = models.DateTimeField("答复期限")
    escalations = models.PositiveSmallIntegerField("升级次数", default=0)
    answer = models.TextField("答复", blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="答复人",
    )
    answered_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="答复单位",
    )
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    created_at = models.DateTimeField("提问时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True, db_index=True)

    class Meta:
        verbose_name = "问题"
        verbose_name_plural = "答疑解惑"
        indexes = [models.Index(fields=["status", "due_at"], name="ia_q_status_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def asker_display(self) -> str:
        """The asker as other members see them."""
        return "匿名党员" if self.anonymous else self.asker.name


@scoped(unit="unit", audience="audience_unit", routes=("faq",))
class FaqEntry(models.Model):
    question = models.OneToOneField(
        Question,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="faq",
        verbose_name="来源问题",
    )
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="+", verbose_name="发布单位"
    )
    audience_unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="+", verbose_name="可见范围"
    )
    question_text = models.TextField("问题")
    answer_text = models.TextField("答复")
    asker_display = models.CharField("提问人", max_length=64, blank=True)
    is_published = models.BooleanField("已发布", default=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="发布人",
    )
    created_at = models.DateTimeField("发布时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "常见问题"
        verbose_name_plural = "常见问题"

    def __str__(self) -> str:
        return self.question_text[:40]
