"""Manuscripts (稿件): items a lower unit offers to an upper unit's bulletin or news.

A manuscript goes from `sender_unit` to `receiver_unit` (an ancestor of the sender). The
receiving unit registers it (登记号, unique per receiving unit and year), may return it
with comments (the sender resubmits), and decides: adopted in the bulletin, adopted as
news (a draft NewsPage under the receiver's news index), or not adopted. Adopted items
are scored once by the rules (`ManuscriptScoreRule`, data).

Who sees a manuscript (publications.manuscripts.selectors): editors, secretaries and unit
admins whose subtree holds the sender (their own items) or the receiver (what was sent to
their subtree's units). The registry records the sender side; the selectors add the
receiver side, and an object outside both answers 404.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from organizations.models import OrgUnit
from organizations.registry import scoped


class TargetKind(models.TextChoices):
    BULLETIN = "bulletin", _("简报（政工情况）")
    NEWS = "news", _("新闻动态")


@scoped(unit="sender_unit", routes=("manuscript",))
class Manuscript(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已投稿")
        REGISTERED = "registered", _("已登记")
        RETURNED = "returned", _("已退回修改")
        RESUBMITTED = "resubmitted", _("已重新投稿")
        ADOPTED_BULLETIN = "adopted_bulletin", _("简报采用")
        ADOPTED_NEWS = "adopted_news", _("新闻采用")
        NOT_ADOPTED = "not_adopted", _("未采用")

    class BodyFormat(models.TextChoices):
        PLAIN = "plain", _("纯文本")
        RICH = "rich", _("富文本")

    title = models.CharField(_("标题"), max_length=200)
    sender_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="sent_manuscripts",
        verbose_name=_("投稿单位"),
    )
    receiver_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="received_manuscripts",
        verbose_name=_("收稿单位"),
        help_text=_("投稿单位的上级组织"),
    )
    target_kind = models.CharField(
        _("投稿去向"), max_length=16, choices=TargetKind.choices, default=TargetKind.BULLETIN
    )
    column = models.CharField(_("栏目"), max_length=64, blank=True)
    body_format = models.CharField(
        _("正文格式"), max_length=8, choices=BodyFormat.choices, default=BodyFormat.PLAIN
    )
    body = models.TextField(_("正文"), blank=True)
    leader_endorsed = models.BooleanField(_("领导批示"), default=False)
    endorsement_note = models.CharField(_("批示内容"), max_length=500, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    register_year = models.PositiveSmallIntegerField(_("登记年度"), null=True, blank=True)
    register_seq = models.PositiveIntegerField(_("登记序号"), null=True, blank=True)
    register_number = models.CharField(_("登记号"), max_length=32, blank=True)
    news_page = models.ForeignKey(
        "wagtailcore.Page",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("采用为新闻"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("投稿人"),
    )
    submitted_at = models.DateTimeField(_("投稿时间"), null=True, blank=True)
    registered_at = models.DateTimeField(_("登记时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("稿件")
        verbose_name_plural = _("稿件")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["receiver_unit", "register_year", "register_seq"],
                condition=Q(register_seq__isnull=False),
                name="manuscript_register_unique_per_receiver_year",
            )
        ]
        indexes = [
            models.Index(fields=["receiver_unit", "status"], name="manuscript_queue"),
            models.Index(fields=["sender_unit", "submitted_at"], name="manuscript_sender_period"),
        ]

    def __str__(self) -> str:
        return f"{self.register_number} {self.title}".strip()

    ADOPTED = (Status.ADOPTED_BULLETIN, Status.ADOPTED_NEWS)
    DECIDED = (Status.ADOPTED_BULLETIN, Status.ADOPTED_NEWS, Status.NOT_ADOPTED)


def attachment_path(instance, filename: str) -> str:
    # "protected/…": never served from a public path (core.files)
    return f"protected/manuscripts/{instance.manuscript_id}/{filename}"


@scoped(
    unit="manuscript__sender_unit",
    routes=("manuscript-attachment",),
)
class ManuscriptAttachment(models.Model):
    """An image (jpg/png/gif/webp) or a document (PDF, Word, Excel) of a manuscript."""

    manuscript = models.ForeignKey(
        Manuscript, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("稿件")
    )
    file = models.FileField(_("附件"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("文件名"), max_length=200)
    kind = models.CharField(_("格式"), max_length=8)
    is_image = models.BooleanField(_("图片"), default=False)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("稿件附件")
        verbose_name_plural = _("稿件附件")

    def __str__(self) -> str:
        return self.name


@scoped(unit="manuscript__sender_unit")  # served inside its manuscript, no URL of its own
class ManuscriptEvent(models.Model):
    """The manuscript's history: each submission, registration, return (with comments),
    resubmission, decision and score."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("投稿")
        REGISTERED = "registered", _("登记")
        RETURNED = "returned", _("退回修改")
        RESUBMITTED = "resubmitted", _("重新投稿")
        DECIDED = "decided", _("处理")
        SCORED = "scored", _("计分")

    manuscript = models.ForeignKey(
        Manuscript, on_delete=models.CASCADE, related_name="events", verbose_name=_("稿件")
    )
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, blank=True)
    comment = models.TextField(_("意见"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("稿件处理记录")
        verbose_name_plural = _("稿件处理记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.manuscript_id} · {self.get_action_display()}"


class ManuscriptScoreRule(models.Model):
    """One scoring rule: an adopted item of `kind` (and `column`, blank = any column)
    whose body length (characters) lies in [min_length, max_length] scores `points`, plus
    `endorsement_extra` when a leader endorsed it. The most specific matching rule wins
    (a column rule before an any-column rule, then the highest min_length)."""

    kind = models.CharField(_("采用类别"), max_length=16, choices=TargetKind.choices)
    column = models.CharField(_("栏目"), max_length=64, blank=True, help_text=_("留空：任意栏目"))
    min_length = models.PositiveIntegerField(_("最少字数"), default=0)
    max_length = models.PositiveIntegerField(
        _("最多字数"), null=True, blank=True, help_text=_("留空：不限")
    )
    points = models.DecimalField(_("分值"), max_digits=6, decimal_places=2)
    endorsement_extra = models.DecimalField(
        _("领导批示加分"), max_digits=6, decimal_places=2, default=0
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("稿件计分规则")
        verbose_name_plural = _("稿件计分规则")
        ordering = ["kind", "column", "min_length"]

    def __str__(self) -> str:
        upper = self.max_length if self.max_length is not None else "∞"
        return f"{self.get_kind_display()} {self.column or '*'} {self.min_length}–{upper}"


@scoped(unit="manuscript__sender_unit")  # served inside its manuscript, no URL of its own
class ManuscriptScore(models.Model):
    """The score of an adopted manuscript: one per manuscript."""

    manuscript = models.OneToOneField(
        Manuscript, on_delete=models.CASCADE, related_name="score", verbose_name=_("稿件")
    )
    rule = models.ForeignKey(
        ManuscriptScoreRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("计分规则"),
    )
    length = models.PositiveIntegerField(_("字数"))
    base_points = models.DecimalField(_("基础分"), max_digits=6, decimal_places=2)
    extra_points = models.DecimalField(_("加分"), max_digits=6, decimal_places=2, default=0)
    points = models.DecimalField(_("得分"), max_digits=7, decimal_places=2)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("计分人"),
    )
    scored_at = models.DateTimeField(_("计分时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("稿件得分")
        verbose_name_plural = _("稿件得分")
        constraints = [
            models.UniqueConstraint(fields=["manuscript"], name="one_score_per_manuscript")
        ]

    def __str__(self) -> str:
        return f"{self.manuscript_id} · {self.points}"
