"""The input forms of supervision's writes, shared by the admin (supervision.admin_views)
and the portal (portal.views.supervision_forms): each form only shapes its input (types,
choices, lengths); every rule is the service's. `run_service` calls the service and puts
a refusal (SupervisionError and its `field`) on the form, with nothing written."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from organizations.models import Member, OrgUnit
from organizations.selectors import scope_for
from supervision.common import MANAGE_ROLES
from supervision.ledger.models import LedgerItem
from supervision.ledger.services import (
    ledger_evidence_add,
    ledger_report_review,
    ledger_report_submit,
)
from supervision.meetings.models import Attendance, MeetingFile, MeetingKind
from supervision.meetings.services import (
    attendance_mark,
    meeting_file_add,
    meeting_minutes_file,
    meeting_schedule,
)
from supervision.rectification.models import Rectification
from supervision.rectification.services import (
    rectification_evidence_add,
    rectification_issue,
    rectification_reply,
    rectification_verify,
)

MAX_FILES = 10


def run_service(form: forms.BaseForm, call):
    """`call()` in a transaction; a DomainError becomes an error on the form's field it
    names (else on the form), rolls everything back and answers None."""
    try:
        with transaction.atomic():
            return call()
    except DomainError as exc:
        field = getattr(exc, "field", None)
        form.add_error(field if field in form.fields else None, exc.message)
        return None


class NaiveDateTimeField(forms.DateTimeField):
    """A wall-clock time as typed: on the unit's clock, not the server's."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and timezone.is_aware(value):
            value = value.replace(tzinfo=None)
        return value


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more files (the service checks each one)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("一次最多上传 %(count)d 个文件") % {"count": MAX_FILES})
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def managed_units(user):
    """The units where `user` may schedule, report and hand down (tree order)."""
    return OrgUnit.objects.filter(scope_for(user, roles=MANAGE_ROLES).units_q("path")).order_by(
        "path"
    )


def _unit_field(label=None):
    label = label or gettext_lazy("党组织")
    return forms.ModelChoiceField(
        label=label,
        queryset=OrgUnit.objects.none(),
        error_messages={
            "invalid_choice": format_lazy(gettext_lazy("所选{}不存在或不在您的管理范围内"), label)
        },
    )


# --- meetings --------------------------------------------------------------------------------
class MeetingScheduleFields(forms.Form):
    unit = _unit_field()
    kind = forms.ChoiceField(label=gettext_lazy("会议类型"), choices=MeetingKind.choices)
    title = forms.CharField(label=gettext_lazy("会议主题"), max_length=200, required=False)
    starts_local = NaiveDateTimeField(
        label=gettext_lazy("开始时间（本组织当地时间）"),
        help_text=gettext_lazy("按本组织所在时区填写，如 2026-12-10 14:30"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("时长（分钟）"), initial=60, min_value=1, max_value=7 * 24 * 60
    )
    place = forms.CharField(label=gettext_lazy("地点"), max_length=200, required=False)
    online_link = forms.URLField(
        label=gettext_lazy("线上会议链接"), max_length=500, required=False, assume_scheme="https"
    )
    agenda = forms.CharField(label=gettext_lazy("议程"), widget=forms.Textarea, required=False)
    lecturer = forms.CharField(label=gettext_lazy("授课人（党课）"), max_length=64, required=False)
    topic = forms.CharField(label=gettext_lazy("党课题目/学习专题"), max_length=200, required=False)

    def setup(self, user):
        self.fields["unit"].queryset = managed_units(user)

    def schedule(self, user):

        d = self.cleaned_data
        return run_service(
            self,
            lambda: meeting_schedule(
                user=user,
                unit_id=d["unit"].pk,
                kind=d["kind"],
                title=d["title"],
                starts_local=d["starts_local"],
                duration_minutes=d["duration_minutes"],
                place=d["place"],
                online_link=d["online_link"],
                agenda=d["agenda"],
                lecturer=d["lecturer"],
                topic=d["topic"],
            ),
        )


ATTENDANCE_CHOICES = [
    (Attendance.Status.PRESENT, gettext_lazy("出席")),
    (Attendance.Status.LEAVE, gettext_lazy("请假")),
    (Attendance.Status.ABSENT, gettext_lazy("缺席")),
]


class AttendanceMarkFields(forms.Form):
    member = forms.ModelChoiceField(
        label=gettext_lazy("党员"),
        queryset=Member.objects.none(),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("该党员不在本次会议的参会名单中")},
    )
    status = forms.ChoiceField(
        label=gettext_lazy("出勤情况"), choices=ATTENDANCE_CHOICES, required=False
    )
    reason = forms.CharField(label=gettext_lazy("请假/缺席原因"), max_length=300, required=False)

    def setup_meeting(self, meeting):
        self.fields["member"].queryset = Member.objects.filter(
            pk__in=Attendance.objects.filter(meeting=meeting).values("member_id")
        ).order_by("name", "pk")

    def mark(self, user, meeting):

        d = self.cleaned_data
        if d.get("member") is None:
            self.add_error("member", gettext_lazy("请选择党员"))
            return None
        return run_service(
            self,
            lambda: attendance_mark(
                user=user,
                meeting_id=meeting.pk,
                member_id=d["member"].pk,
                status=d.get("status") or "",
                reason=d.get("reason", ""),
            ),
        )


class MinutesFields(forms.Form):
    minutes = forms.CharField(label=gettext_lazy("会议记录"), widget=forms.Textarea, required=False)
    lecturer = forms.CharField(label=gettext_lazy("授课人（党课）"), max_length=64, required=False)
    topic = forms.CharField(label=gettext_lazy("党课题目/学习专题"), max_length=200, required=False)
    file_kind = forms.ChoiceField(
        label=gettext_lazy("附件类型"),
        choices=MeetingFile.Kind.choices,
        initial="minutes",
        required=False,
    )
    files = MultipleFileField(label=gettext_lazy("会议记录/照片附件"))

    def file_minutes(self, user, meeting):
        """File the minutes and attach the files — all or nothing."""

        d = self.cleaned_data

        def call():
            m = meeting_minutes_file(
                user=user,
                meeting_id=meeting.pk,
                minutes=d["minutes"],
                lecturer=d["lecturer"],
                topic=d["topic"],
            )
            for f in d["files"]:
                meeting_file_add(
                    user=user, meeting_id=meeting.pk, upload=f, kind=d["file_kind"] or "minutes"
                )
            return m

        return run_service(self, call)

    def attach(self, user, meeting):
        """Only attach files (photos, scans of the minutes)."""

        d = self.cleaned_data
        if not d["files"]:
            self.add_error("files", gettext_lazy("请选择要上传的文件"))
            return None

        def call():
            return [
                meeting_file_add(
                    user=user, meeting_id=meeting.pk, upload=f, kind=d["file_kind"] or "minutes"
                )
                for f in d["files"]
            ]

        return run_service(self, call)


# --- ledger ----------------------------------------------------------------------------------
class LedgerSubmitFields(forms.Form):
    unit = _unit_field()
    item = forms.ModelChoiceField(
        label=gettext_lazy("台账事项"),
        queryset=LedgerItem.objects.filter(is_active=True).order_by("order", "code"),
        error_messages={"invalid_choice": gettext_lazy("台账事项不存在或已停用")},
    )
    period = forms.CharField(
        label=gettext_lazy("周期"),
        max_length=8,
        help_text=gettext_lazy("2026（年）、2026-Q2（季度）或 2026-05（月）"),
    )
    text = forms.CharField(label=gettext_lazy("完成情况"), widget=forms.Textarea, required=False)
    files = MultipleFileField(label=gettext_lazy("佐证材料"))

    def setup(self, user):
        self.fields["unit"].queryset = managed_units(user)

    def submit(self, user):
        d = self.cleaned_data
        return submit_report(self, user, unit=d["unit"], item=d["item"], period=d["period"])


def submit_report(form, user, *, unit, item, period):
    """Report `form`'s text and files for (unit, item, period) — all or nothing."""
    d = form.cleaned_data

    def call():
        report = ledger_report_submit(
            user=user, unit_id=unit.pk, item_id=item.pk, period=period, text=d["text"]
        )
        for f in d["files"]:
            ledger_evidence_add(user=user, report_id=report.pk, upload=f)
        return report

    return run_service(form, call)


class ReviewFields(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("审核"),
        choices=[("accept", gettext_lazy("通过")), ("return", gettext_lazy("退回"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=gettext_lazy("退回原因"), max_length=500, required=False)

    def review(self, user, report):

        d = self.cleaned_data
        return run_service(
            self,
            lambda: ledger_report_review(
                user=user,
                report_id=report.pk,
                accept=d["decision"] == "accept",
                reason=d["reason"],
            ),
        )


# --- rectification ---------------------------------------------------------------------------
class RectificationIssueFields(forms.Form):
    issued_by_unit = _unit_field(gettext_lazy("移交单位"))
    unit = _unit_field(gettext_lazy("整改单位"))
    title = forms.CharField(label=gettext_lazy("问题"), max_length=200, required=False)
    description = forms.CharField(
        label=gettext_lazy("问题描述"), widget=forms.Textarea, required=False
    )
    category = forms.CharField(label=gettext_lazy("问题类别"), max_length=64, required=False)
    source = forms.ChoiceField(
        label=gettext_lazy("来源"),
        choices=Rectification.Source.choices,
        initial=Rectification.Source.UPPER,
    )
    deadline = forms.DateField(
        label=gettext_lazy("整改期限（整改单位当地日期）"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    responsible_person = forms.CharField(
        label=gettext_lazy("责任人"), max_length=64, required=False
    )

    def setup(self, user):
        self.fields["unit"].queryset = managed_units(user)
        self.fields["issued_by_unit"].queryset = managed_units(user)

    def issue(self, user):

        d = self.cleaned_data
        return run_service(
            self,
            lambda: rectification_issue(
                user=user,
                unit_id=d["unit"].pk,
                issued_by_unit_id=d["issued_by_unit"].pk,
                title=d["title"],
                description=d["description"],
                category=d["category"],
                source=d["source"],
                deadline=d["deadline"],
                responsible_person=d["responsible_person"],
            ),
        )


class ReplyFields(forms.Form):
    measures = forms.CharField(
        label=gettext_lazy("整改措施"), widget=forms.Textarea, required=False
    )
    evidence_text = forms.CharField(
        label=gettext_lazy("佐证说明"), widget=forms.Textarea, required=False
    )
    files = MultipleFileField(label=gettext_lazy("佐证材料"))

    def reply(self, user, rect):

        d = self.cleaned_data

        def call():
            for f in d["files"]:
                rectification_evidence_add(user=user, rectification_id=rect.pk, upload=f)
            return rectification_reply(
                user=user,
                rectification_id=rect.pk,
                measures=d["measures"],
                evidence_text=d["evidence_text"],
            )

        return run_service(self, call)


class VerifyFields(forms.Form):
    action = forms.ChoiceField(
        label=gettext_lazy("核验"),
        choices=[("close", gettext_lazy("销号")), ("return", gettext_lazy("退回"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=gettext_lazy("退回原因"), max_length=500, required=False)

    def verify(self, user, rect):

        d = self.cleaned_data
        return run_service(
            self,
            lambda: rectification_verify(
                user=user,
                rectification_id=rect.pk,
                close=d["action"] == "close",
                reason=d["reason"],
            ),
        )
