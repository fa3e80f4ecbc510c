"""Admin screens of the audit log: the report 审核发布记录 (one row per action, filterable by
unit subtree, person, outlet, date and action, Excel/CSV export) and the trace screen of
one content item (内容追溯). Both read `cms.trace`; the entries are written by
`cms.audit_log` and `cms.outlets` and never changed — the report has no edit or delete.

Open to auditors (监督员, 书记) and to the editors and reviewers who answer for the content,
each for their own subtree (`cms.trace.AUDIT_ADMIN_ROLES`); out of scope is 404."""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.html import format_html
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView
from wagtail.admin.widgets import Button

from cms.models import AuditEntry, Outlet
from cms.outlets import outlets_visible_to_auditor
from cms.trace import (
    AUDIT_ADMIN_ROLES,
    TraceNotFound,
    audit_entries,
    audit_entries_filter,
    can_audit,
    page_trace,
)
from organizations.models import OrgUnit
from organizations.selectors import scope_for

# kept for callers of the old module: the report's actions are the audit log's actions
AUDITED_ACTIONS = dict(AuditEntry.Action.choices)


def audit_report_visible(user) -> bool:
    return can_audit(user, AUDIT_ADMIN_ROLES)


def _outlets_for_filter(request):
    if request is None:
        return Outlet.objects.none()
    return outlets_visible_to_auditor(request.user, AUDIT_ADMIN_ROLES).order_by(
        "owner_unit__path", "name"
    )


class AuditFilterSet(WagtailFilterSet):
    unit = django_filters.CharFilter(
        label="单位代码（含下级）", method="filter_unit", help_text="如 G02，包含全部下级组织"
    )
    person = django_filters.CharFilter(
        label="操作人", method="filter_person", help_text="姓名、党员编号或登录名"
    )
    outlet = django_filters.ModelChoiceFilter(
        label="阵地", queryset=_outlets_for_filter, method="filter_outlet"
    )
    action = django_filters.ChoiceFilter(label="操作", choices=AuditEntry.Action.choices)
    timestamp = django_filters.DateFromToRangeFilter(
        label="日期", widget=DateRangePickerWidget, method="filter_dates"
    )

    class Meta:
        model = AuditEntry
        fields = ["unit", "person", "outlet", "action", "timestamp"]

    # the same narrowing the auditor API applies (cms.trace.audit_entries_filter)
    def filter_unit(self, queryset, name, value):
        unit = OrgUnit.objects.filter(code=value.strip()).first()
        return queryset.none() if unit is None else audit_entries_filter(queryset, unit=unit)

    def filter_person(self, queryset, name, value):
        return audit_entries_filter(queryset, person=value)

    def filter_outlet(self, queryset, name, value):
        return audit_entries_filter(queryset, outlet=value)

    def filter_dates(self, queryset, name, value):
        if not value:
            return queryset
        return audit_entries_filter(
            queryset, date_from=_as_date(value.start), date_to=_as_date(value.stop)
        )


def _as_date(value):
    return value.date() if hasattr(value, "date") else value


class ContentAuditReportView(ReportView):
    page_title = "审核发布记录"
    header_icon = "list-ul"
    index_url_name = "cms_content_audit"
    index_results_url_name = "cms_content_audit_results"
    filterset_class = AuditFilterSet
    paginate_by = 50
    export_filename = "audit-log"
    list_export = [
        "timestamp",
        "action_label",
        "object_type",
        "label",
        "unit_name",
        "operator_name",
        "comment",
        "outlet_names",
        "outlet_owners",
    ]
    export_headings = {
        "timestamp": "时间",
        "action_label": "操作",
        "object_type": "类型",
        "label": "内容",
        "unit_name": "单位",
        "operator_name": "操作人",
        "comment": "意见",
        "outlet_names": "阵地",
        "outlet_owners": "阵地责任人",
    }

    @property
    def columns(self):
        return [
            DateColumn("timestamp", label="时间"),
            Column("action_label", label="操作"),
            Column("object_type", label="类型"),
            Column("label_link", label="内容"),
            Column("unit_name", label="单位"),
            Column("operator_name", label="操作人"),
            Column("comment", label="意见"),
            Column("outlet_names", label="阵地"),
        ]

    def dispatch(self, request, *args, **kwargs):
        if not audit_report_visible(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return audit_entries(self.request.user, roles=AUDIT_ADMIN_ROLES)

    def decorate_paginated_queryset(self, object_list):
        entries = list(object_list)
        for e in entries:
            rows = list(e.outlet_rows.all())
            e.action_label = e.get_action_display()
            e.label = e.object_label
            e.outlet_names = "、".join(r.outlet_name for r in rows)
            e.outlet_owners = "、".join(r.owner_name or "未指定" for r in rows)
            e.label_link = (
                format_html(
                    '<a href="{}">{}</a>', reverse("cms_content_trace", args=[e.page_id]), e.label
                )
                if e.page_id
                else e.label
            )
        return entries


class ContentTraceView(WagtailAdminTemplateMixin, TemplateView):
    """One screen: outlets, accountable owners, author, reviewers, later changes, history."""

    template_name = "cms/admin/content_trace.html"
    page_title = "内容追溯"
    header_icon = "history"

    def get_context_data(self, **kwargs):
        if not audit_report_visible(self.request.user):
            raise Http404
        try:
            trace = page_trace(self.request.user, self.kwargs["pk"], roles=AUDIT_ADMIN_ROLES)
        except TraceNotFound:
            raise Http404 from None
        context = super().get_context_data(**kwargs)
        context["trace"] = trace
        context["page_subtitle"] = trace["item"]["title"]
        return context


@hooks.register("register_page_header_buttons")
@hooks.register("register_page_listing_more_buttons")
def trace_button(page, user, next_url=None, view_name=None):
    """内容追溯 in the page editor's header menu and the explorer's "more" menu, for the
    content items the user may audit."""
    page = page.specific_deferred
    if not hasattr(page, "publishing_unit_id") or not audit_report_visible(user):
        return
    if scope_for(user, roles=AUDIT_ADMIN_ROLES).covers(page.publishing_unit.path):
        url = reverse("cms_content_trace", args=[page.pk])
        yield Button("内容追溯", url=url, icon_name="history", priority=66)
