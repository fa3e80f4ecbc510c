"""Courses, lessons, assignments and the progress rows the server keeps.

- `Course` (audience unit) has ordered `Lesson`s; a lesson plays a `media_pipeline.MediaAsset`
  (video/audio), shows rich text (article) or opens a `cms.Book` (reading).
- `Assignment` puts a course in front of an audience unit's subtree with a due *date*; the
  deadline is the end of that day in each member's unit time zone (computed, never stored).
- `LessonProgress` is one row per (member, lesson): merged watched intervals in
  milliseconds (an `int4multirange` on PostgreSQL, JSON text elsewhere) and
  server-measured reading time. `WatchAllowance` is one row per member: the media
  seconds they may still report, across all lessons.
  `CourseProgress` is one row per (member, course) — the row the reports roll up.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from core.richtext import SanitisedRichTextField
from elearning.courses.fields import IntMultiRangeField
from organizations.registry import scoped


@scoped(unit="audience_unit", audience="audience_unit")
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


@scoped(unit="course__audience_unit", audience="course__audience_unit")
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


@scoped(unit="audience_unit", audience="audience_unit")
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
    """One row per (member, lesson). Written only by `elearning.courses.progress_store`."""

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
