"""The admin's create and edit views of meetings, ledger reports and problem transfer
lists. Every save is a call of the service the API calls (supervision.forms): a meeting
scheduled here invites its members like one scheduled through the API, and a refusal is
the service's Chinese message on the field it names, with nothing written."""

from __future__ import annotations

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views.generic import CreateView, EditView
from wagtail.log_actions import log

from supervision.forms import (
    AttendanceMarkFields,
    LedgerSubmitFields,
    MeetingScheduleFields,
    MinutesFields,
    MultipleFileField,
    RectificationIssueFields,
    ReplyFields,
    ReviewFields,
    VerifyFields,
    run_service,
    submit_report,
)
from supervision.ledger.models import LedgerReport
from supervision.meetings.models import Meeting
from supervision.meetings.services import meeting_cancel
from supervision.rectification.models import Rectification


class ServiceSaveMixin:
    """`save_instance` runs `call_service()`; a refusal makes the form invalid and is shown
    (a message for the form as a whole, which Wagtail's field list does not render)."""

    log_action = "wagtail.edit"

    def form_valid(self, form):
        self.form = form
        saved = self.call_service(form)
        if saved is None:
            self.produced_error_code = "validation_error"
            self.produced_error_message = "；".join(
                str(e) for errors in form.errors.values() for e in errors
            )
            return self.form_invalid(form)
        self.object = saved
        log(instance=self.object, action=self.log_action, content_changed=True)
        return self.save_action()

    def get_error_message(self):
        errors = self.form.non_field_errors() if getattr(self, "form", None) else []
        return "；".join(errors) if errors else super().get_error_message()


def _user_form(base):
    """`base` (a supervision.forms input form) as a Wagtail admin form of `model` without
    model fields: the view saves through the service, never through the form."""

    class AdminForm(base, WagtailAdminModelForm):
        class Meta:
            model = base.admin_model
            fields: list[str] = []

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if hasattr(self, "setup") and self.for_user is not None:
                self.setup(self.for_user)
            if self.instance.pk and hasattr(self, "setup_instance"):
                self.setup_instance(self.instance)

        def _post_clean(self):
            """No model validation: the form fills no model field; the service validates."""

    AdminForm.__name__ = f"Admin{base.__name__}"
    return AdminForm


# --- meetings --------------------------------------------------------------------------------
class MeetingCreateFields(MeetingScheduleFields):
    admin_model = Meeting


class MeetingActionFields(AttendanceMarkFields, MinutesFields):
    admin_model = Meeting
    action = forms.ChoiceField(
        label="操作",
        choices=[
            ("mark", "标记出勤（党员、出勤情况、原因）"),
            ("minutes", "提交会议记录（会议结束后；可附文件）"),
            ("attach", "只上传附件（会议记录扫描件、照片）"),
            ("cancel", "取消会议"),
        ],
        widget=forms.RadioSelect,
    )
    field_order = ["action", "member", "status", "reason", "minutes", "lecturer", "topic"]

    def setup_instance(self, meeting):
        self.setup_meeting(meeting)
        self.fields["minutes"].initial = meeting.minutes
        self.fields["lecturer"].initial = meeting.lecturer
        self.fields["topic"].initial = meeting.topic


MeetingCreateForm = _user_form(MeetingCreateFields)
MeetingActionForm = _user_form(MeetingActionFields)


class MeetingCreateView(ServiceSaveMixin, CreateView):
    log_action = "wagtail.create"

    def call_service(self, form):
        return form.schedule(self.request.user)


class MeetingEditView(ServiceSaveMixin, EditView):
    success_message = "已保存"

    def call_service(self, form):
        user, meeting, action = self.request.user, self.object, form.cleaned_data["action"]
        if action == "mark":
            done = form.mark(user, meeting)
        elif action == "minutes":
            done = form.file_minutes(user, meeting)
        elif action == "attach":
            done = form.attach(user, meeting)
        else:
            done = run_service(form, lambda: meeting_cancel(user=user, meeting_id=meeting.pk))
        if done is None:
            return None
        return Meeting.objects.select_related("unit").get(pk=meeting.pk)


# --- ledger reports --------------------------------------------------------------------------
class LedgerCreateFields(LedgerSubmitFields):
    admin_model = LedgerReport


class LedgerActionFields(ReviewFields):
    """The level above reviews; the unit itself resubmits a returned report."""

    admin_model = LedgerReport
    decision = forms.ChoiceField(
        label="操作",
        choices=[("accept", "审核通过"), ("return", "退回"), ("resubmit", "重新报告")],
        widget=forms.RadioSelect,
    )
    text = forms.CharField(label="完成情况（重新报告）", widget=forms.Textarea, required=False)
    files = MultipleFileField(label="佐证材料（重新报告）")
    field_order = ["decision", "reason", "text", "files"]

    def setup_instance(self, report):
        self.fields["text"].initial = report.text


LedgerCreateForm = _user_form(LedgerCreateFields)
LedgerActionForm = _user_form(LedgerActionFields)


class LedgerCreateView(ServiceSaveMixin, CreateView):
    log_action = "wagtail.create"

    def call_service(self, form):
        return form.submit(self.request.user)


class LedgerEditView(ServiceSaveMixin, EditView):
    success_message = "已保存"

    def call_service(self, form):
        report, d = self.object, form.cleaned_data
        if d["decision"] == "resubmit":
            return submit_report(
                form, self.request.user, unit=report.unit, item=report.item, period=report.period
            )
        return form.review(self.request.user, report)


# --- rectifications --------------------------------------------------------------------------
class RectificationCreateFields(RectificationIssueFields):
    admin_model = Rectification


class RectificationActionFields(ReplyFields, VerifyFields):
    admin_model = Rectification
    action = forms.ChoiceField(
        label="操作",
        choices=[
            ("reply", "反馈整改情况（整改单位）"),
            ("close", "核验销号（移交单位）"),
            ("return", "退回重新整改（移交单位）"),
        ],
        widget=forms.RadioSelect,
    )
    field_order = ["action", "measures", "evidence_text", "files", "reason"]

    def setup_instance(self, rect):
        self.fields["measures"].initial = rect.measures
        self.fields["evidence_text"].initial = rect.evidence_text


RectificationCreateForm = _user_form(RectificationCreateFields)
RectificationActionForm = _user_form(RectificationActionFields)


class RectificationCreateView(ServiceSaveMixin, CreateView):
    log_action = "wagtail.create"

    def call_service(self, form):
        return form.issue(self.request.user)


class RectificationEditView(ServiceSaveMixin, EditView):
    success_message = "已保存"

    def call_service(self, form):
        if form.cleaned_data["action"] == "reply":
            return form.reply(self.request.user, self.object)
        return form.verify(self.request.user, self.object)
