"""The supervision admin (组织生活与督导): meetings, ledger reports and problem transfer
lists, scoped by one UnitScopedPermissionPolicy per model (list, filters, Excel export,
edit, copy, history, usage, delete, inspect answer only inside the user's subtree and 404
outside); the compliance rules and the ledger items (group-wide data) for whoever holds
their model permissions. Creating and editing go through the services the API calls
(supervision.admin_views), so what the API refuses the admin refuses with the same
message, and a meeting scheduled here invites its members."""

from __future__ import annotations

from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from organizations.permissions import UnitScopedPermissionPolicy, UnitScopedViewSetMixin
from supervision.admin_views import (
    LedgerActionForm,
    LedgerCreateForm,
    LedgerCreateView,
    LedgerEditView,
    MeetingActionForm,
    MeetingCreateForm,
    MeetingCreateView,
    MeetingEditView,
    RectificationActionForm,
    RectificationCreateForm,
    RectificationCreateView,
    RectificationEditView,
)
from supervision.common import MANAGE_ROLES
from supervision.models import ComplianceRule, LedgerItem, LedgerReport, Meeting, Rectification

MEETING_POLICY = UnitScopedPermissionPolicy(
    Meeting, scope_field="unit__path", roles=MANAGE_ROLES, model_perms=False
)
LEDGER_REPORT_POLICY = UnitScopedPermissionPolicy(
    LedgerReport, scope_field="unit__path", roles=MANAGE_ROLES, model_perms=False
)
RECTIFICATION_POLICY = UnitScopedPermissionPolicy(
    Rectification, scope_field="unit__path", roles=MANAGE_ROLES, model_perms=False
)


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
    add_view_class = MeetingCreateView
    edit_view_class = MeetingEditView
    inspect_view_enabled = True
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return MeetingActionForm if for_update else MeetingCreateForm


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
    add_view_class = LedgerCreateView
    edit_view_class = LedgerEditView
    inspect_view_enabled = True
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return LedgerActionForm if for_update else LedgerCreateForm


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
    add_view_class = RectificationCreateView
    edit_view_class = RectificationEditView
    inspect_view_enabled = True
    copy_view_enabled = False

    def get_form_class(self, for_update=False):
        return RectificationActionForm if for_update else RectificationCreateForm


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
