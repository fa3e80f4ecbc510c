"""Admin report: every publish, approval and rejection of content, with who and when,
per publishing unit (Wagtail's audit log is the source; nothing is stored twice)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from wagtail.admin.ui.tables import Column, DateColumn, UserColumn
from wagtail.admin.views.reports import ReportView
from wagtail.models import PageLogEntry

from cms.models import DigestIssue, ExemplarPage, NewsPage
from organizations.models import OrgUnit
from organizations.selectors import path_prefix_q, role_paths

# One row per action. Wagtail logs a scheduled publication twice — when it is scheduled
# ("wagtail.publish.schedule", by the person) and when it goes live
# ("wagtail.publish.scheduled", by nobody) — the first is the scheduling, the second the
# publication, whose operator is the person who scheduled it.
AUDITED_ACTIONS = {
    "wagtail.workflow.start": "提交审核",
    "wagtail.workflow.approve": "审核通过",
    "wagtail.workflow.reject": "退回修改",
    "wagtail.publish.schedule": "定时发布",
    "wagtail.schedule.cancel": "取消定时发布",
    "wagtail.publish": "发布",
    "wagtail.publish.scheduled": "发布",
    "wagtail.unpublish": "撤下",
    "wagtail.unpublish.scheduled": "到期撤下",
}
SYSTEM_OPERATOR = "系统（自动执行）"
AUDIT_ROLES = ("editor", "reviewer", "secretary")
MODELS = (NewsPage, ExemplarPage, DigestIssue)


def audit_report_visible(user) -> bool:
    return user.is_superuser or bool(role_paths(user, AUDIT_ROLES))


def audit_entries(user, *, unit: OrgUnit | None = None):
    """Audit log entries on content whose publishing unit is in the user's role subtree
    (and in `unit`'s subtree when given)."""
    q = (
        Q()
        if user.is_superuser
        else path_prefix_q(role_paths(user, AUDIT_ROLES), "publishing_unit__path")
    )
    if unit is not None:
        q &= Q(publishing_unit__path__startswith=unit.path)
    page_filter = Q(pk__in=[])
    for model in MODELS:
        page_filter |= Q(page_id__in=model.objects.filter(q).values("pk"))
    return (
        PageLogEntry.objects.filter(action__in=AUDITED_ACTIONS)
        .filter(page_filter)
        .select_related("user")
        .order_by("-timestamp", "-id")
    )


class ContentAuditReportView(ReportView):
    page_title = "审核发布记录"
    header_icon = "list-ul"
    index_url_name = "cms_content_audit"
    index_results_url_name = "cms_content_audit_results"
    paginate_by = 50
    list_export = [
        "timestamp",
        "label",
        "action_label",
        "unit_name",
        "operator_name",
        "comment",
    ]
    export_headings = {
        "timestamp": "时间",
        "label": "内容",
        "action_label": "操作",
        "unit_name": "发布单位",
        "operator_name": "操作人",
        "comment": "意见",
    }

    @property
    def columns(self):
        return [
            DateColumn("timestamp", label="时间"),
            Column("label", label="内容"),
            Column("action_label", label="操作"),
            Column("unit_name", label="发布单位"),
            UserColumn("operator", label="操作人"),
            Column("comment", label="意见"),
        ]

    def dispatch(self, request, *args, **kwargs):
        if not audit_report_visible(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        code = self.request.GET.get("unit")
        unit = OrgUnit.objects.filter(code=code).first() if code else None
        return audit_entries(self.request.user, unit=unit)

    def decorate_paginated_queryset(self, object_list):
        entries = list(object_list)
        ids = {e.page_id for e in entries}
        units: dict[int, str] = {}
        for model in MODELS:
            units.update(
                model.objects.filter(pk__in=ids).values_list("pk", "publishing_unit__name")
            )
        for e in entries:
            e.action_label = AUDITED_ACTIONS.get(e.action, e.action)
            e.unit_name = units.get(e.page_id, "")
            e.comment = e.data.get("comment", "") if isinstance(e.data, dict) else ""
            e.operator = e.user if e.user_id else _scheduler_of(e)
            e.operator_name = (
                e.operator.get_full_name() or e.operator.get_username()
                if e.operator is not None
                else SYSTEM_OPERATOR
            )
        return entries


def _scheduler_of(entry):
    """The person behind an automatic entry: who scheduled the revision that went live
    (or, for an expiry, who last published or scheduled the page)."""
    earlier = PageLogEntry.objects.filter(
        page_id=entry.page_id, id__lt=entry.id, user__isnull=False
    ).select_related("user")
    if entry.action == "wagtail.publish.scheduled":
        earlier = earlier.filter(action="wagtail.publish.schedule", revision_id=entry.revision_id)
    elif entry.action == "wagtail.unpublish.scheduled":
        earlier = earlier.filter(action__in=["wagtail.publish", "wagtail.publish.schedule"])
    else:
        return None
    found = earlier.order_by("-id").first()
    return found.user if found else None
