"""Quiz contests and study points.

- `Contest` entries keep a best result per member (`ContestBest`) and a running total per
  unit (`ContestUnitScore`), so leaderboards are index scans, not aggregations.
- `PointLedger` is append-only (one unique key per verified event); `PointBalance` holds
  each member's total for leaderboards.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from elearning.exams.models import AUTO_GRADED_TYPES, Question
from organizations.registry import scoped


@scoped(unit="audience_unit", audience="audience_unit", routes=("contest", "leaderboard"))
class Contest(models.Model):
    class Mode(models.TextChoices):
        FIXED = "fixed", _("固定试卷")
        CHALLENGE = "challenge", _("挑战答题（答错即止）")

    title = models.CharField(_("竞赛名称"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    audience_unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("面向党组织"),
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    mode = models.CharField(_("模式"), max_length=10, choices=Mode.choices, default=Mode.FIXED)
    questions = models.ManyToManyField(
        Question,
        verbose_name=_("题目"),
        related_name="+",
        limit_choices_to={"type__in": AUTO_GRADED_TYPES},
        help_text=_("只能选择可自动评分的题目（配对题、问答题和说明除外）"),
    )
    seconds_per_question = models.PositiveSmallIntegerField(
        _("每题限时（秒）"), default=20, help_text=_("以服务器收到题目到收到答案的时间为准")
    )
    entries_allowed = models.PositiveSmallIntegerField(_("每人参赛次数"), default=3)
    is_published = models.BooleanField(_("已发布"), default=False)

    class Meta:
        verbose_name = _("知识竞答")
        verbose_name_plural = _("知识竞答")
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return self.title


class ContestEntry(models.Model):
    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="entries")
    member = models.ForeignKey("organizations.Member", on_delete=models.CASCADE, related_name="+")
    question_ids = models.JSONField(default=list)
    current = models.PositiveSmallIntegerField(default=0)
    asked_at = models.DateTimeField(null=True)
    correct = models.PositiveSmallIntegerField(default=0)
    elapsed_ms = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["contest", "member"])]

    def __str__(self) -> str:
        return f"{self.contest_id}/{self.member_id}"


@scoped(unit="unit", member="member")
class ContestBest(models.Model):
    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey("organizations.Member", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("organizations.OrgUnit", on_delete=models.CASCADE, related_name="+")
    score = models.IntegerField()
    elapsed_ms = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contest", "member"], name="uniq_contest_best")
        ]
        indexes = [models.Index(fields=["contest", "-score", "elapsed_ms"], name="contest_rank")]

    def __str__(self) -> str:
        return f"{self.contest_id}/{self.member_id}: {self.score}"


@scoped(unit="unit")
class ContestUnitScore(models.Model):
    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("organizations.OrgUnit", on_delete=models.CASCADE, related_name="+")
    participants = models.IntegerField(default=0)
    total_score = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contest", "unit"], name="uniq_contest_unit")
        ]
        indexes = [models.Index(fields=["contest", "-total_score"], name="contest_unit_rank")]

    def __str__(self) -> str:
        return f"{self.contest_id}/{self.unit_id}: {self.total_score}"


# --- study points -----------------------------------------------------------------------


class PointRule(models.Model):
    class Code(models.TextChoices):
        ARTICLE_READ = "article_read", _("阅读图文")
        WATCH_MINUTES = "watch_minutes", _("视听学习（每 N 分钟）")
        LESSON_COMPLETE = "lesson_complete", _("完成课时")
        QUIZ_PASS = "quiz_pass", _("考试/测验通过")
        CONTEST = "contest", _("知识竞答（每答对一题）")

    code = models.CharField(_("规则"), max_length=20, choices=Code.choices, unique=True)
    points = models.PositiveSmallIntegerField(_("每次积分"), default=1)
    per_minutes = models.PositiveSmallIntegerField(
        _("每 N 分钟"), default=0, help_text=_("仅“视听学习”：每累计 N 分钟有效视听计一次")
    )
    daily_cap = models.PositiveSmallIntegerField(
        _("每日上限"), default=10, help_text=_("0 表示不限")
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")

    def __str__(self) -> str:
        return self.get_code_display()


class PointLedger(models.Model):
    """Append-only: rows are only ever inserted (one per verified event)."""

    member = models.ForeignKey("organizations.Member", on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(max_length=20, choices=PointRule.Code.choices)
    points = models.IntegerField()
    event_key = models.CharField(max_length=120, unique=True)
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("积分明细")
        verbose_name_plural = _("积分明细")
        indexes = [models.Index(fields=["member", "rule", "day"])]

    def __str__(self) -> str:
        return self.event_key


class PointBalance(models.Model):
    member = models.OneToOneField(
        "organizations.Member", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    unit_path = models.CharField(max_length=255, db_index=True)
    total = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["-total"], name="points_rank")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.total}"
