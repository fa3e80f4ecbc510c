"""The online academy (网络学院): courses and lessons, assignments, server-verified
progress, the question bank and exams, quiz contests, study points.

How the pieces relate:
- `Course` (audience unit) has ordered `Lesson`s; a lesson plays a `media_pipeline.MediaAsset`
  (video/audio), shows rich text (article) or opens a `cms.Book` (reading).
- `Assignment` puts a course in front of an audience unit's subtree with a due *date*; the
  deadline is the end of that day in each member's unit time zone (computed, never stored).
- `LessonProgress` is one row per (member, lesson): merged watched intervals in
  milliseconds (an `int4multirange` on PostgreSQL, JSON text elsewhere) and
  server-measured reading time. `WatchAllowance` is one row per member: the media
  seconds they may still report, across all lessons.
  `CourseProgress` is one row per (member, course) — the row the reports roll up.
- `Question`s are drawn into an `Attempt` of an `Exam` by `ExamRule`s; the attempt stores
  the drawn questions and option order, so grading never trusts the client.
- `Contest` entries keep a best result per member (`ContestBest`) and a running total per
  unit (`ContestUnitScore`), so leaderboards are index scans, not aggregations.
- `PointLedger` is append-only (one unique key per verified event); `PointBalance` holds
  each member's total for leaderboards.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from core.richtext import SanitisedRichTextField


class IntMultiRangeField(models.Field):
    """Half-open integer ranges, e.g. ``[[0, 30000], [45000, 60000]]`` (watched media
    milliseconds in `LessonProgress.intervals`).

    PostgreSQL stores an ``int4multirange`` (merged by the database with ``+``); other
    databases store the same normalised list as JSON text. Python always sees a list of
    ``[lower, upper]`` pairs, sorted and non-overlapping."""

    description = "integer multirange"

    def db_type(self, connection):
        return "int4multirange" if connection.vendor == "postgresql" else "text"

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value is None or isinstance(value, list):
            return value or []
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("{") and connection_is_pg_text(text):
                return _parse_pg_multirange(text)
            return json.loads(text or "[]")
        # psycopg Multirange of Range objects
        return [[r.lower, r.upper] for r in value if r.lower is not None]

    def get_db_prep_value(self, value, connection, prepared=False):
        value = value or []
        if connection.vendor == "postgresql":
            return "{" + ",".join(f"[{lo},{hi})" for lo, hi in value) + "}"
        return json.dumps(value)


def connection_is_pg_text(text: str) -> bool:
    return text.startswith("{") and ("[" in text or text == "{}")


def _parse_pg_multirange(text: str) -> list[list[int]]:
    out = []
    for part in text.strip("{}").split("),"):
        part = part.strip().rstrip(")")
        if not part:
            continue
        lo, hi = part.lstrip("[").split(",")
        out.append([int(lo), int(hi)])
    return out


class Course(ClusterableModel):
    class Kind(models.TextChoices):
        COMPULSORY = "compulsory", _("必修")
        ELECTIVE = "elective", _("选修")

    title = models.CharField(_("课程名称"), max_length=200)
    description = models.TextField(_("课程简介"), blank=True, help_text=_("显示在课程详情页顶部"))
    cover = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("封面"),
        help_text=_("建议 16:9 图片"),
    )
    category = models.CharField(
        _("课程分类"), max_length=64, blank=True, help_text=_("如：党章党规、理论学习、业务技能")
    )
    credit_hours = models.DecimalField(
        _("学时"), max_digits=5, decimal_places=1, default=1, help_text=_("完成课程计入的学时")
    )
    kind = models.CharField(
        _("课程类型"), max_length=12, choices=Kind.choices, default=Kind.COMPULSORY
    )
    audience_unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("面向党组织"),
        help_text=_("该组织及其下级组织的党员可以看到本课程"),
    )
    is_published = models.BooleanField(_("已发布"), default=False, help_text=_("发布后党员可见"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("课程")
        verbose_name_plural = _("课程")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Lesson(Orderable):
    class Kind(models.TextChoices):
        VIDEO = "video", _("视频")
        AUDIO = "audio", _("音频")
        ARTICLE = "article", _("图文")
        READING = "reading", _("电子书阅读")

    course = ParentalKey(Course, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(_("课时名称"), max_length=200)
    kind = models.CharField(_("课时类型"), max_length=10, choices=Kind.choices)
    media = models.ForeignKey(
        "media_pipeline.MediaAsset",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("音视频"),
        help_text=_("视频/音频课时必填，须为已转码可播放的音视频"),
    )
    body = SanitisedRichTextField(_("正文"), blank=True, help_text=_("图文课时的正文"))
    book = models.ForeignKey(
        "cms.Book",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("电子书"),
        help_text=_("电子书阅读课时必填"),
    )
    min_seconds = models.PositiveIntegerField(
        _("最少学习时长（秒）"),
        default=120,
        help_text=_("图文/阅读课时：服务器计时达到该时长即完成（不采信客户端上报的时长）"),
    )

    class Meta(Orderable.Meta):
        verbose_name = _("课时")
        verbose_name_plural = _("课时")

    def __str__(self) -> str:
        return self.title

    @property
    def is_timed_media(self) -> bool:
        return self.kind in (self.Kind.VIDEO, self.Kind.AUDIO)

    @property
    def duration_seconds(self) -> int:
        if self.media_id and self.media and self.media.duration:
            return int(round(self.media.duration))
        return 0


class Assignment(models.Model):
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("课程")
    )
    audience_unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("学习对象"),
        help_text=_("该组织及其全部下级组织的党员都要完成"),
    )
    due_date = models.DateField(
        _("截止日期"), help_text=_("截止到当天 24:00，按每位党员所在组织的时区计算")
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("布置人"),
    )
    created_at = models.DateTimeField(_("布置时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("学习任务")
        verbose_name_plural = _("学习任务")
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["audience_unit", "due_date"])]

    def __str__(self) -> str:
        return f"{self.course} → {self.audience_unit}（{self.due_date}）"


class LessonProgress(models.Model):
    """One row per (member, lesson). Written only by `elearning.progress` with one
    statement (PostgreSQL) or under the SQLite write lock."""

    member = models.ForeignKey("organizations.Member", on_delete=models.CASCADE, related_name="+")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    intervals = IntMultiRangeField(default=list)  # watched milliseconds, merged
    unique_seconds = models.IntegerField(default=0)  # whole seconds of the merged set
    unique_seconds_before = models.IntegerField(default=0)  # value before the last report
    seconds_spent = models.IntegerField(default=0)  # server-measured (article/reading)
    opened_at = models.DateTimeField(null=True)
    last_report_at = models.DateTimeField(null=True)
    completed_at = models.DateTimeField(null=True)
    reports = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("课时进度")
        verbose_name_plural = _("课时进度")
        constraints = [
            models.UniqueConstraint(fields=["member", "lesson"], name="uniq_progress_member_lesson")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}/{self.lesson_id}: {self.unique_seconds}s"


class WatchAllowance(models.Model):
    """Token bucket of media seconds a member may still report, whatever the lesson:
    refilled by wall time × the maximum playback rate since the last accepted report
    (capped), spent by each accepted batch with its real length. Six lessons reported
    at once share it, so together they cannot claim more than wall time allows."""

    member = models.OneToOneField(
        "organizations.Member", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    budget = models.FloatField(default=0)
    refilled_at = models.DateTimeField()

    class Meta:
        verbose_name = _("视听额度")
        verbose_name_plural = _("视听额度")

    def __str__(self) -> str:
        return f"{self.member_id}: {self.budget:.1f}s"


class ProgressReceipt(models.Model):
    """Idempotency keys of accepted progress reports: a retried batch is recognised."""

    member = models.ForeignKey("organizations.Member", on_delete=models.CASCADE, related_name="+")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "key"], name="uniq_progress_receipt")
        ]

    def __str__(self) -> str:
        return self.key


class CourseProgress(models.Model):
    """One row per (member, course): what reports roll up (≈ members × courses rows)."""

    member = models.ForeignKey("organizations.Member", on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(null=True)
    lessons_completed = models.IntegerField(default=0)
    lessons_done_at = models.DateTimeField(null=True)
    best_score = models.FloatField(null=True)
    exam_passed_at = models.DateTimeField(null=True)
    completed_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("课程进度")
        verbose_name_plural = _("课程进度")
        constraints = [
            models.UniqueConstraint(fields=["course", "member"], name="uniq_courseprogress")
        ]
        indexes = [
            # Reports probe (course, member) once per member: covering the rolled-up columns
            # lets PostgreSQL answer from the index alone (index-only scan).
            models.Index(
                fields=["course", "member"],
                include=["started_at", "completed_at", "best_score"],
                name="courseprogress_report",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id}/{self.course_id}"


# --- question bank and exams ------------------------------------------------------------


class Question(models.Model):
    class Type(models.TextChoices):
        SINGLE = "single", _("单选题")
        MULTIPLE = "multiple", _("多选题")
        TRUE_FALSE = "true_false", _("判断题")
        FILL = "fill", _("填空题")

    class Difficulty(models.IntegerChoices):
        EASY = 1, _("易")
        MEDIUM = 2, _("中")
        HARD = 3, _("难")

    type = models.CharField(_("题型"), max_length=12, choices=Type.choices)
    title = models.CharField(_("题目名称"), max_length=200, blank=True)
    stem = models.TextField(_("题干"))
    options = models.JSONField(
        _("选项"),
        default=list,
        blank=True,
        help_text=_('单选/多选题：[{"key": "A", "text": "…", "weight": 100}]'),
    )
    answer = models.JSONField(
        _("答案"),
        default=list,
        blank=True,
        help_text=_("选择题为正确选项字母列表；判断题为 true/false；填空题为可接受答案列表"),
    )
    explanation = models.TextField(_("解析"), blank=True)
    category = models.CharField(_("题库分类"), max_length=100, db_index=True, default="默认")
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
    category = models.CharField(_("题库分类"), max_length=100)
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
        choices=Question.Type.choices,
        blank=True,
        help_text=_("留空表示不限"),
    )
    count = models.PositiveSmallIntegerField(_("抽题数量"), default=10)
    points = models.PositiveSmallIntegerField(_("每题分值"), default=5)

    class Meta(Orderable.Meta):
        verbose_name = _("抽题规则")
        verbose_name_plural = _("抽题规则")


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


# --- contests ---------------------------------------------------------------------------


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
    questions = models.ManyToManyField(Question, verbose_name=_("题目"), related_name="+")
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
