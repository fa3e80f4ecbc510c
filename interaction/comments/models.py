"""Comments and message boards.

A `Comment` is written on one *target*: a news item, an exemplar story, a lesson, a
digest issue (the item's id) or a unit's message board (`Board`, the board's id). It
carries two units copied from the target when written:

unit           who moderates it — the item's publishing unit (a lesson: its course's
               audience unit), or the board's unit; editors and reviewers of that unit's
               subtree see it in their queue
audience_unit  who reads it — the item's audience unit, or the board's unit

Threads are one level deep: a reply's parent is a top-level comment of the same target.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, gettext_lazy

from interaction.text import fold
from organizations.models import Member, OrgUnit
from organizations.registry import scoped

__all__ = [
    "TargetType",
    "Mode",
    "Board",
    "ModerationRule",
    "SensitiveWord",
    "Comment",
    "CommentReport",
]


class TargetType(models.TextChoices):
    NEWS = "news", "动态资讯"
    EXEMPLAR = "exemplar", "先进典型"
    LESSON = "lesson", "课时"
    DIGEST = "digest", "手机报"
    BOARD = "board", "留言板"


class Mode(models.TextChoices):
    PRE = "pre", "先审后发"
    POST = "post", "先发后审"


@scoped(unit="unit", routes=("board",))
class Board(models.Model):
    """A unit's message board (留言板): the unit's members and the levels above post to it.
    Created on first use (`board_for_unit`)."""

    class Moderation(models.TextChoices):
        INHERIT = "inherit", "按审核规则"
        PRE = "pre", "先审后发"
        POST = "post", "先发后审"

    unit = models.OneToOneField(
        OrgUnit, on_delete=models.CASCADE, related_name="board", verbose_name="党组织"
    )
    moderation = models.CharField(
        "审核方式",
        max_length=10,
        choices=Moderation.choices,
        default=Moderation.INHERIT,
        help_text="“按审核规则”：使用本单位或上级为留言板设置的审核规则（默认先发后审）",
    )
    is_open = models.BooleanField("开放留言", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "留言板"
        verbose_name_plural = "留言板"

    def __str__(self) -> str:
        return gettext("%(unit)s留言板") % {"unit": self.unit.name}


@scoped(unit="unit", routes=("moderationrule",))
class ModerationRule(models.Model):
    """How comments under a unit's items (or on its boards) are moderated. The rule of the
    nearest unit up the tree applies; a rule naming a news channel wins over the one for
    all news. No rule: post-moderation."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, verbose_name="党组织")
    target = models.CharField("栏目", max_length=16, choices=TargetType.choices)
    channel_code = models.CharField(
        "资讯频道代码",
        max_length=32,
        blank=True,
        help_text="只对动态资讯：留空表示全部频道，填写频道代码（如 headline）只对该频道",
    )
    mode = models.CharField("审核方式", max_length=8, choices=Mode.choices, default=Mode.POST)

    class Meta:
        verbose_name = "评论审核规则"
        verbose_name_plural = "评论审核规则"
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "target", "channel_code"], name="interaction_rule_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.get_target_display()} {self.get_mode_display()}"


@scoped(unit="unit", routes=("sensitiveword",))
class SensitiveWord(models.Model):
    """One word of a unit's sensitive-word list; it applies to comments moderated by the
    unit and by every unit below it. Matched in Simplified form (`folded`), so the
    Traditional spelling of a word is caught too."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, verbose_name="党组织")
    word = models.CharField("敏感词", max_length=64)
    folded = models.CharField("规范形式", max_length=64, editable=False)
    created_at = models.DateTimeField("添加时间", auto_now_add=True)

    class Meta:
        verbose_name = "敏感词"
        verbose_name_plural = "敏感词"
        constraints = [
            models.UniqueConstraint(fields=["unit", "folded"], name="interaction_word_unique")
        ]

    def __str__(self) -> str:
        return self.word

    def save(self, *args, **kwargs):
        self.word = (self.word or "").strip()
        self.folded = fold(self.word)
        super().save(*args, **kwargs)


@scoped(unit="unit", audience="audience_unit", routes=("comment",))
class Comment(models.Model):
    class Status(models.TextChoices):
        PUBLISHED = "published", gettext_lazy("已发布")
        PENDING = "pending", gettext_lazy("待审核")
        REJECTED = "rejected", gettext_lazy("未通过")
        REMOVED = "removed", gettext_lazy("已删除")

    class Held(models.TextChoices):
        NONE = "", "—"
        PRE = "pre", "先审后发"
        SENSITIVE = "sensitive", "命中敏感词"
        REPORTED = "reported", "被举报"

    target_type = models.CharField("对象类型", max_length=16, choices=TargetType.choices)
    target_id = models.PositiveBigIntegerField("对象编号")
    unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="+", verbose_name="审核单位"
    )
    audience_unit = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="+", verbose_name="可见范围"
    )
    author = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="comments", verbose_name="作者"
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name="回复的评论",
    )
    body = models.TextField("内容")
    status = models.CharField(
        "状态", max_length=12, choices=Status.choices, default=Status.PUBLISHED
    )
    held_reason = models.CharField(
        "待审原因", max_length=12, choices=Held.choices, default=Held.NONE, blank=True
    )
    matched_words = models.JSONField("命中的敏感词", default=list, blank=True)
    report_count = models.PositiveIntegerField("举报次数", default=0)
    is_official = models.BooleanField("官方回复", default=False)
    official_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="代表单位",
    )
    reject_reason = models.CharField("未通过原因", max_length=200, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="审核人",
    )
    moderated_at = models.DateTimeField("审核时间", null=True, blank=True)
    edited_at = models.DateTimeField("修改时间", null=True, blank=True)
    created_at = models.DateTimeField("发表时间", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True, db_index=True)

    class Meta:
        verbose_name = "评论"
        verbose_name_plural = "评论"
        indexes = [
            models.Index(fields=["target_type", "target_id", "created_at"], name="ia_cmt_target"),
            models.Index(fields=["status", "unit"], name="ia_cmt_status_unit"),
        ]

    def __str__(self) -> str:
        return self.body[:30]

    @property
    def is_visible(self) -> bool:
        return self.status == self.Status.PUBLISHED


@scoped(unit="comment__unit", member="reporter", routes=("commentreport",))
class CommentReport(models.Model):
    """A member's report of a comment (one per member and comment); it puts the comment in
    its moderators' queue."""

    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="reports", verbose_name="评论"
    )
    reporter = models.ForeignKey(Member, on_delete=models.CASCADE, verbose_name="举报人")
    reason = models.CharField("举报理由", max_length=200, blank=True)
    created_at = models.DateTimeField("举报时间", auto_now_add=True)

    class Meta:
        verbose_name = "评论举报"
        verbose_name_plural = "评论举报"
        constraints = [
            models.UniqueConstraint(fields=["comment", "reporter"], name="ia_report_once")
        ]

    def __str__(self) -> str:
        return f"{self.reporter} → #{self.comment_id}"
