"""The question bank and exams.

`Question`s are drawn into an `Attempt` of an `Exam` by `ExamRule`s; the attempt stores
the drawn questions and option order, so grading never trusts the client.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from elearning.courses.models import Course
from organizations.registry import scoped


@scoped(unit="owner_unit")
class Question(models.Model):
    class Type(models.TextChoices):
        SINGLE = "single", _("单选题")
        MULTIPLE = "multiple", _("多选题")
        TRUE_FALSE = "true_false", _("判断题")
        FILL = "fill", _("填空题")
        NUMERICAL = "numerical", _("数值题")
        MATCHING = "matching", _("配对题")
        ESSAY = "essay", _("问答题")
        DESCRIPTION = "description", _("说明")

    class TextFormat(models.TextChoices):
        PLAIN = "plain", _("纯文本")
        HTML = "html", _("HTML（保存和显示时清理）")

    class Difficulty(models.IntegerChoices):
        EASY = 1, _("易")
        MEDIUM = 2, _("中")
        HARD = 3, _("难")

    type = models.CharField(_("题型"), max_length=12, choices=Type.choices)
    title = models.CharField(_("题目名称"), max_length=200, blank=True)
    stem = models.TextField(_("题干"))
    text_format = models.CharField(
        _("文本格式"),
        max_length=8,
        choices=TextFormat.choices,
        default=TextFormat.PLAIN,
        help_text=_("题干、选项、解析和反馈的格式；HTML 只保留安全的标签（无脚本）"),
    )
    options = models.JSONField(
        _("选项"),
        default=list,
        blank=True,
        help_text=_(
            '单选/多选题：[{"key": "A", "text": "…", "weight": 100, "feedback": "…"}]；'
            "配对题：每个子问题一项"
        ),
    )
    answer = models.JSONField(
        _("答案"),
        default=list,
        blank=True,
        help_text=_(
            "选择题为正确选项字母列表；判断题为 true/false；填空题为可接受答案列表"
            '（部分得分的答案写成 {"text": "…", "weight": 50}）；'
            '数值题为 [{"value": 3.14, "tolerance": 0.01, "weight": 100}]；'
            '配对题为 {"pairs": {"A": "答案"}, "extra": ["干扰项"]}；问答题和说明为空'
        ),
    )
    explanation = models.TextField(_("解析"), blank=True, help_text=_("交卷后显示的总体反馈"))
    feedback = models.JSONField(
        _("反馈"),
        default=dict,
        blank=True,
        help_text=_(
            '判断题：{"true": "选“正确”时的反馈", "false": "选“错误”时的反馈"}；'
            '数值题：{"other": "其他答案的反馈"}'
        ),
    )
    category = models.CharField(
        _("题库分类"),
        max_length=255,
        db_index=True,
        default="默认",
        help_text=_("分类路径，层级之间用“/”分隔，如“安全/消防”"),
    )
    difficulty = models.PositiveSmallIntegerField(
        _("难度"), choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    tags = models.CharField(
        _("标签"), max_length=200, blank=True, help_text=_("多个标签用逗号分隔")
    )
    owner_unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所属党组织"),
        help_text=_("题目归属的组织；该组织及上级组织的教员可以管理"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("试题")
        verbose_name_plural = _("题库")
        indexes = [models.Index(fields=["category", "difficulty"])]

    def __str__(self) -> str:
        return self.title or self.stem[:40]

    def save(self, *args, **kwargs):
        """HTML texts are sanitised on every save (the admin form included), as imports
        do, so the bank never holds a script; they are cleaned again when shown."""
        if self.text_format == self.TextFormat.HTML:
            from core.richtext import sanitize_html

            self.stem = sanitize_html(self.stem)
            self.explanation = sanitize_html(self.explanation)
            self.options = [
                {k: sanitize_html(v) if k in ("text", "feedback") else v for k, v in o.items()}
                for o in self.options or []
            ]
            self.feedback = {k: sanitize_html(str(v)) for k, v in (self.feedback or {}).items()}
        super().save(*args, **kwargs)


# Types an exam or contest can draw: the portal shows them and the server grades them.
# Matching questions wait for a portal form, essays for manual grading; descriptions
# carry no score. All of them stay in the bank (GIFT import, admin, export).
AUTO_GRADED_TYPES = (
    Question.Type.SINGLE,
    Question.Type.MULTIPLE,
    Question.Type.TRUE_FALSE,
    Question.Type.FILL,
    Question.Type.NUMERICAL,
)
AUTO_GRADED_CHOICES = [(t.value, t.label) for t in AUTO_GRADED_TYPES]


def category_q(category: str, field: str = "category") -> models.Q:
    """A category and every category below it ("安全" also holds "安全/消防")."""
    return models.Q(**{field: category}) | models.Q(**{f"{field}__startswith": f"{category}/"})


@scoped(unit="audience_unit", audience="audience_unit")
class Exam(ClusterableModel):
    class ReviewShow(models.TextChoices):
        NOTHING = "nothing", _("不显示")
        SCORE = "score", _("仅分数")
        CORRECTNESS = "correctness", _("分数和对错")
        ANSWERS = "answers", _("分数、对错和正确答案")

    class ReviewWhen(models.TextChoices):
        AFTER_LAST = "after_last", _("交卷后看分数；作答次数用完或考试结束后看对错和答案")
        AFTER_CLOSE = "after_close", _("考试结束后")
        AFTER_SUBMIT = "after_submit", _("交卷后立即（仅适合只能作答一次的考试）")
        NEVER = "never", _("从不")

    title = models.CharField(_("考试名称"), max_length=200)
    course = models.ForeignKey(
        Course,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exams",
        verbose_name=_("所属课程"),
        help_text=_("课程考试：通过后课程才算完成"),
    )
    audience_unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("面向党组织"),
    )
    time_limit_minutes = models.PositiveIntegerField(_("限时（分钟）"), default=30)
    pass_mark = models.PositiveSmallIntegerField(_("及格分（百分制）"), default=60)
    attempts_allowed = models.PositiveSmallIntegerField(
        _("允许作答次数"), default=3, help_text=_("0 表示不限次数")
    )
    review_show = models.CharField(
        _("交卷后可见内容"), max_length=12, choices=ReviewShow.choices, default=ReviewShow.ANSWERS
    )
    review_when = models.CharField(
        _("何时可见"),
        max_length=12,
        choices=ReviewWhen.choices,
        default=ReviewWhen.AFTER_LAST,
        help_text=_(
            "允许多次作答时，对错和正确答案须等党员用完作答次数或考试结束后才显示，"
            "否则可以先交白卷看答案、再次作答时照抄（后一次作答会尽量抽取未做过的题目）"
        ),
    )
    opens_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    closes_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    is_published = models.BooleanField(_("已发布"), default=False)

    class Meta:
        verbose_name = _("考试")
        verbose_name_plural = _("考试")

    def __str__(self) -> str:
        return self.title

    @property
    def reveals_answers_between_attempts(self) -> bool:
        """Correctness or answers shown right after submit while another attempt is
        allowed: a member could submit blank, read them, and copy them next time."""
        return (
            self.review_when == self.ReviewWhen.AFTER_SUBMIT
            and self.review_show in (self.ReviewShow.CORRECTNESS, self.ReviewShow.ANSWERS)
            and self.attempts_allowed != 1
        )

    def clean(self):
        super().clean()
        if self.attempts_allowed is not None and self.reveals_answers_between_attempts:
            raise ValidationError(
                {
                    "review_when": _(
                        "本考试允许多次作答，交卷后立即显示对错或正确答案，党员可以先交白卷看答案，"
                        "再次作答时照抄。请改选“交卷后看分数；作答次数用完或考试结束后看对错和答案”"
                        "或“考试结束后”，或把允许作答次数设为 1。"
                    )
                }
            )


class ExamRule(Orderable):
    exam = ParentalKey(Exam, on_delete=models.CASCADE, related_name="rules")
    category = models.CharField(
        _("题库分类"),
        max_length=255,
        help_text=_("也从其下级分类抽题（“安全”包括“安全/消防”）"),
    )
    difficulty = models.PositiveSmallIntegerField(
        _("难度"),
        choices=Question.Difficulty.choices,
        null=True,
        blank=True,
        help_text=_("留空表示不限"),
    )
    question_type = models.CharField(
        _("题型"),
        max_length=12,
        choices=AUTO_GRADED_CHOICES,
        blank=True,
        help_text=_("留空表示不限（配对题、问答题和说明不参加自动组卷）"),
    )
    count = models.PositiveSmallIntegerField(_("抽题数量"), default=10)
    points = models.PositiveSmallIntegerField(_("每题分值"), default=5)

    class Meta(Orderable.Meta):
        verbose_name = _("抽题规则")
        verbose_name_plural = _("抽题规则")


@scoped(member="member")
class Attempt(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("作答中")
        SUBMITTED = "submitted", _("已交卷")
        EXPIRED = "expired", _("超时自动交卷")

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="attempts")
    member = models.ForeignKey("organizations.Member", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True)
    # [{"id": qid, "options": ["C", "A", "B", "D"], "points": 5}]
    questions = models.JSONField(default=list)
    answers = models.JSONField(default=dict)
    score = models.FloatField(null=True)
    max_score = models.FloatField(default=0)
    percent = models.FloatField(null=True)
    passed = models.BooleanField(null=True)
    per_question = models.JSONField(default=dict)  # qid -> earned points
    idempotency_key = models.CharField(max_length=64, blank=True)
    grade_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("答卷")
        verbose_name_plural = _("答卷")
        constraints = [
            models.UniqueConstraint(fields=["exam", "member", "number"], name="uniq_attempt_no"),
            # one open attempt per member and exam: concurrent starts cannot both insert
            models.UniqueConstraint(
                fields=["exam", "member"],
                condition=models.Q(status="in_progress"),
                name="uniq_open_attempt",
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return f"{self.exam_id}#{self.number} ({self.member_id})"
