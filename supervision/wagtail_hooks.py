"""The supervision admin (组织生活与督导): meetings, ledger reports and problem transfer
lists, scoped by one UnitScopedPermissionPolicy per model (list, filters, Excel export,
edit, copy, history, usage, delete, inspect answer only inside the user's subtree and 404
outside); the compliance rules and the ledger items (group-wide data) for whoever holds
their model permissions. The forms apply the services' rules, so what the API refuses
the admin refuses with the same message."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils import timezone
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from organizations.models import Member, OrgUnit
from organizations.permissions import (
    UnitScopedPermissionPolicy,
    UnitScopedViewSetMixin,
    scope_form_choices,
    scope_unit_fields,
)
from supervision.common import MANAGE_ROLES, SupervisionError, period_parse, unit_today
from supervision.models import (
    Attendance,
    ComplianceRule,
    LedgerItem,
    LedgerReport,
    Meeting,
    MeetingKind,
    Rectification,
)

MEETING_POLICY = UnitScopedPermissionPolicy(
    Meeting, scope_field="unit__path", roles=MANAGE_ROLES, model_perms=False
)
LEDGER_REPORT_POLICY = UnitScopedPermissionPolicy(
    LedgerReport, scope_field="unit__path", roles=MANAGE_ROLES, model_perms=False
)
RECTIFICATION_POLICY = UnitScopedPermissionPolicy(
    Rectification, scope_field="unit__path", roles=MANAGE_ROLES, model_perms=False
)


class ScopedForm(WagtailAdminModelForm):
    unit_fields = ("unit",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self, "for_user", None)
        if user is not None:
            scope_unit_fields(self, user, roles=MANAGE_ROLES, names=self.unit_fields, required=True)
            scope_form_choices(self, user)


class MeetingForm(ScopedForm):
    def clean(self):
        data = super().clean()
        unit, starts, ends = data.get("unit"), data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "结束时间须晚于开始时间")
        if not data.get("place") and not data.get("online_link"):
            self.add_error("place", "请填写会议地点或线上会议链接")
        if data.get("kind") == MeetingKind.CENTRAL_STUDY and unit and unit.kind != "committee":
            self.add_error("kind", "中心组学习只能由党委安排")
        if data.get("kind") == MeetingKind.LESSON and not (
            data.get("lecturer") and data.get("topic")
        ):
            self.add_error("lecturer", "党课须填写授课人和党课题目")
        return data

    @transaction.atomic
    def save(self, commit=True):
        new = self.instance.pk is None
        meeting = super().save(commit=commit)
        if commit and new:  # who must attend: the unit's active members
            ids = list(
                Member.objects.filter(unit=meeting.unit, status=Member.Status.ACTIVE).values_list(
                    "pk", flat=True
                )
            )
            Attendance.objects.bulk_create([Attendance(meeting=meeting, member_id=i) for i in ids])
            Meeting.objects.filter(pk=meeting.pk).update(invited_count=len(ids))
        return meeting


class LedgerReportForm(ScopedForm):
    def clean(self):
        data = super().clean()
        unit, item, period = data.get("unit"), data.get("item"), data.get("period")
        if unit and item and not item.applies_to(unit.kind):
            self.add_error(
                "item", f"事项“{item.title}”不适用于{unit.get_kind_display()}“{unit.name}”"
            )
        if unit and item and period:
            try:
                p = period_parse(period)
            except SupervisionError as exc:
                self.add_error("period", exc.message)
                return data
            if p.kind != item.period:
                self.add_error("period", "周期与事项的报告周期不符")
            elif p.start > unit_today(unit):
                self.add_error("period", f"周期 {p.label()} 尚未开始，不能报告")
            else:
                data["period"] = p.key
        if data.get("status") == LedgerReport.Status.RETURNED and not data.get("return_reason"):
            self.add_error("return_reason", "退回须填写原因")
        return data

    def save(self, commit=True):
        if self.instance.submitted_at is None:
            self.instance.submitted_at = timezone.now()
            self.instance.submitted_by = getattr(self, "for_user", None)
        return super().save(commit=commit)


class RectificationForm(ScopedForm):
    unit_fields = ("unit", "issued_by_unit")

    def clean(self):
        data = super().clean()
        unit, issuer, deadline = data.get("unit"), data.get("issued_by_unit"), data.get("deadline")
        if unit and issuer and not unit.path.startswith(issuer.path):
            self.add_error("unit", "问题只能移交给移交单位本级或下级组织")
        changed = self.instance.pk is None or "deadline" in self.changed_data
        if unit and deadline and changed and deadline < unit_today(unit):
            self.add_error("deadline", f"整改期限 {deadline.isoformat()} 已过")
        if data.get("status") == Rectification.Status.CLOSED and self.instance.status != "closed":
            has_files = self.instance.pk is not None and self.instance.files.exists()
            if not data.get("evidence_text") and not has_files:
                self.add_error("status", "没有整改佐证材料，不能销号")
        if data.get("status") == Rectification.Status.RETURNED and not data.get("return_reason"):
            self.add_error("return_reason", "退回须填写原因")
        return data

    def save(self, commit=True):
        rect = self.instance
        if rect.status == Rectification.Status.CLOSED and rect.closed_at is None:
            from supervision.common import zone

            now = timezone.now()
            rect.closed_at = now
            rect.closed_on = now.astimezone(zone(rect.unit.timezone)).date()
            rect.closed_on_time = rect.closed_on <= rect.deadline
            rect.close_seconds = int((now - (rect.created_at or now)).total_seconds())
        if rect.created_by_id is None and getattr(self, "for_user", None) is not None:
            rect.created_by = self.for_user
        return super().save(commit=commit)


class MeetingViewSet(UnitScopedViewSetMixin, ModelViewSet):
    scope_policy = MEETING_POLICY
    model = Meeting
    icon = "date"
    menu_label = "会议与党课"
    list_display = [
        "title",
        "unit",
        "kind",
        "starts_at",
        "status",
        "invited_count",
        "present_count",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["title", "topic"]
    list_export = [
        "unit",
        "kind",
        "title",
        "starts_at",
        "place",
        "lecturer",
        "topic",
        "status",
        "invited_count",
        "present_count",
        "minutes_late",
    ]
    export_filename = "会议与党课"
    edit_handler = ObjectList(
        [
            FieldPanel("unit"),
            FieldPanel("kind"),
            FieldPanel("title"),
            FieldPanel("starts_at"),
            FieldPanel("ends_at"),
            FieldPanel("place"),
            FieldPanel("online_link"),
            FieldPanel("agenda"),
            FieldPanel("lecturer"),
            FieldPanel("topic"),
            FieldPanel("status"),
            FieldPanel("minutes"),
        ],
        base_form_class=MeetingForm,
    )


class LedgerReportViewSet(UnitScopedViewSetMixin, ModelViewSet):
    scope_policy = LEDGER_REPORT_POLICY
    model = LedgerReport
    icon = "list-ul"
    menu_label = "台账报告"
    list_display = ["item", "unit", "period", "summary", "status", "submitted_at"]
    list_filter = ["status", "period"]
    search_fields = ["item__title", "period"]
    list_export = ["unit", "item", "period", "status", "text", "submitted_at", "return_reason"]
    export_filename = "台账报告"
    edit_handler = ObjectList(
        [
            FieldPanel("unit"),
            FieldPanel("item"),
            FieldPanel("period"),
            FieldPanel("text"),
            FieldPanel("status"),
            FieldPanel("return_reason"),
        ],
        base_form_class=LedgerReportForm,
    )


class RectificationViewSet(UnitScopedViewSetMixin, ModelViewSet):
    scope_policy = RECTIFICATION_POLICY
    model = Rectification
    icon = "warning"
    menu_label = "问题移交单"
    list_display = ["title", "unit", "issued_by_unit", "deadline", "status", "escalation_level"]
    list_filter = ["status", "source", "category"]
    search_fields = ["title", "description"]
    list_export = [
        "unit",
        "issued_by_unit",
        "title",
        "category",
        "source",
        "deadline",
        "responsible_person",
        "status",
        "closed_at",
        "closed_on_time",
    ]
    export_filename = "问题移交单"
    edit_handler = ObjectList(
        [
            FieldPanel("issued_by_unit"),
            FieldPanel("unit"),
            FieldPanel("title"),
            FieldPanel("description"),
            FieldPanel("category"),
            FieldPanel("source"),
            FieldPanel("deadline"),
            FieldPanel("responsible_person"),
            FieldPanel("status"),
            FieldPanel("measures"),
            FieldPanel("evidence_text"),
            FieldPanel("return_reason"),
        ],
        base_form_class=RectificationForm,
    )


class ComplianceRuleViewSet(ModelViewSet):
    model = ComplianceRule
    icon = "tasks"
    menu_label = "组织生活规则"
    list_display = ["unit_kind", "kind", "period_months", "min_count", "is_active"]
    form_fields = ["kind", "unit_kind", "period_months", "min_count", "is_active"]


class LedgerItemViewSet(ModelViewSet):
    model = LedgerItem
    icon = "list-ol"
    menu_label = "台账事项"
    list_display = ["code", "title", "category", "period", "is_active"]
    list_filter = ["period", "category", "is_active"]
    search_fields = ["title", "code"]
    form_fields = [
        "code",
        "title",
        "category",
        "description",
        "period",
        "for_committee",
        "for_general_branch",
        "for_branch",
        "remind_days",
        "order",
        "is_active",
    ]


class SupervisionGroup(ViewSetGroup):
    menu_label = "组织生活与督导"
    menu_icon = "group"
    menu_order = 320
    items = (
        MeetingViewSet("supervision_meetings"),
        LedgerReportViewSet("supervision_ledger_reports"),
        RectificationViewSet("supervision_rectifications"),
        ComplianceRuleViewSet("supervision_rules"),
        LedgerItemViewSet("supervision_ledger_items"),
    )


@hooks.register("register_admin_viewset")
def register_supervision():
    return SupervisionGroup()


__all__ = ["OrgUnit", "forms"]
