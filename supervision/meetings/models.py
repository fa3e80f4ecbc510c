"""Meetings and lessons (三会一课, 主题党日, 中心组学习), who must attend, their check-ins,
minutes and photos, and the compliance rules (as data, with the regulation's defaults)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from organizations.registry import scoped


class MeetingKind(models.TextChoices):
    MEMBERS = "members_meeting", _("支部党员大会")
    COMMITTEE = "committee_meeting", _("支部委员会")
    GROUP = "group_meeting", _("党小组会")
    LESSON = "party_lesson", _("党课")
    THEME_DAY = "theme_day", _("主题党日")
    CENTRAL_STUDY = "central_study", _("中心组学习")


class ComplianceRule(models.Model):
    """At least `min_count` meetings of `kind` per `period_months` in every unit of
    `unit_kind` (the regulation's defaults are loaded by set-up and may be edited)."""

    kind = models.CharField(_("会议类型"), max_length=32, choices=MeetingKind.choices)
    unit_kind = models.CharField(
        _("适用组织类型"),
        max_length=20,
        choices=[
            ("committee", _("党委")),
            ("general_branch", _("党总支")),
            ("branch", _("党支部")),
        ],
    )
    period_months = models.PositiveSmallIntegerField(
        _("周期（月）"),
        choices=[(1, _("每月")), (3, _("每季度")), (12, _("每年"))],
        default=1,
    )
    min_count = models.PositiveSmallIntegerField(_("最少次数"), default=1)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("组织生活规则")
        verbose_name_plural = _("组织生活规则")
        constraints = [
            models.UniqueConstraint(fields=["kind", "unit_kind"], name="supervision_rule_unique")
        ]
        ordering = ["unit_kind", "kind"]

    def __str__(self) -> str:
        return f"{self.get_unit_kind_display()} · {self.get_kind_display()}"


@scoped(unit="unit", routes=("meeting",))
class Meeting(models.Model):
    """One meeting or lesson of a unit. Times are stored in UTC and entered and shown on
    the unit's clock; `local_date`/`local_month` are the meeting's date on that clock
    (what the compliance periods count)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("已安排")
        HELD = "held", _("已召开")
        CANCELLED = "cancelled", _("已取消")

    unit = models.ForeignKey(
        "organizations.OrgUnit",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("党组织"),
    )
    kind = models.CharField(_("类型"), max_length=32, choices=MeetingKind.choices)
    title = models.CharField(_("主题"), max_length=200)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    local_date = models.DateField(_("日期（本组织时区）"), editable=False)
    local_month = models.PositiveIntegerField(editable=False)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    online_link = models.URLField(_("线上会议链接"), max_length=500, blank=True)
    agenda = models.TextField(_("议程"), blank=True)
    lecturer = models.CharField(_("授课人"), max_length=64, blank=True)
    topic = models.CharField(_("党课题目/学习专题"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.SCHEDULED
    )
    minutes = models.TextField(_("会议记录"), blank=True)
    minutes_filed_at = models.DateTimeField(_("记录提交时间"), null=True, blank=True)
    minutes_late = models.BooleanField(_("记录逾期提交"), default=False)
    invited_count = models.PositiveIntegerField(_("应到人数"), default=0)
    present_count = models.PositiveIntegerField(_("实到人数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("会议/党课")
        verbose_name_plural = _("会议/党课")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "local_month"], name="supervision_meeting_unit_m"),
            models.Index(fields=["local_month", "status"], name="supervision_meeting_month"),
            # held meetings still without minutes (the compliance report's late minutes
            # depend on the clock, so they are read here rather than from the roll-up)
            models.Index(
                fields=["local_month", "unit"],
                condition=models.Q(status="held", minutes_filed_at__isnull=True),
                name="supervision_meeting_unfiled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.get_kind_display()}）"

    def save(self, *args, **kwargs):
        from supervision.common import month_index, zone

        if self.starts_at is not None and self.unit_id is not None:
            self.local_date = self.starts_at.astimezone(zone(self.unit.timezone)).date()
            self.local_month = month_index(self.local_date)
        super().save(*args, **kwargs)


@scoped(unit="meeting__unit", member="member", routes=("meeting-attendance",))
class Attendance(models.Model):
    """One invitee of a meeting and what became of them."""

    class Status(models.TextChoices):
        INVITED = "invited", _("未签到")
        PRESENT = "present", _("出席")
        LEAVE = "leave", _("请假")
        ABSENT = "absent", _("缺席")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    member = models.ForeignKey(
        "organizations.Member", on_delete=models.CASCADE, related_name="+", verbose_name=_("党员")
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.INVITED
    )
    reason = models.CharField(_("缺席/请假原因"), max_length=300, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    late = models.BooleanField(_("迟到"), default=False)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("参会记录")
        verbose_name_plural = _("参会记录")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="supervision_attend_once")
        ]
        indexes = [models.Index(fields=["member", "meeting"], name="supervision_attend_member")]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.member_id}"


@scoped(unit="meeting__unit", routes=("meeting-file",))
class MeetingFile(models.Model):
    """Minutes and photos, attached afterwards; protected (served through a scoped view)."""

    class Kind(models.TextChoices):
        MINUTES = "minutes", _("会议记录")
        PHOTO = "photo", _("照片")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.MINUTES)
    file = models.FileField(_("文件"), upload_to="supervision/meetings/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("会议附件")
        verbose_name_plural = _("会议附件")

    def __str__(self) -> str:
        return self.name
