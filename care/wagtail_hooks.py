"""Admin: 关怀服务 → 祝福模板 / 结对帮扶 / 帮扶人 / 帮扶记录, and the assistance report
(one query, Excel). Every viewset is scoped by one UnitScopedPermissionPolicy; writes go
through care.assistance.services so the same rules (no future dates, closed cases stay
closed) hold in the admin as in the API."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path, reverse_lazy
from django.utils.functional import cached_property
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import CreateView, EditView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from care.assistance import services as assistance
from care.assistance.models import AssistanceCase, AssistanceHelper, AssistanceVisit
from care.greetings.models import GreetingTemplate
from care.greetings.services import TEMPLATE_ROLES
from care.liaison import wagtail_hooks as liaison_hooks  # noqa: F401 - its hooks register on import
from core.errors import DomainError
from organizations.permissions import (
    UnitScopedPermissionPolicy,
    UnitScopedViewSetMixin,
    scope_form_choices,
    scope_unit_fields,
)
from organizations.scope import scope_for
from organizations.selectors import members_in_scope, units_in_scope

GREETING_POLICY = UnitScopedPermissionPolicy(
    GreetingTemplate, scope_field="unit__path", roles=TEMPLATE_ROLES, model_perms=False
)
CASE_POLICY = UnitScopedPermissionPolicy(
    AssistanceCase, scope_field="unit__path", roles=assistance.CASE_ROLES, model_perms=False
)
HELPER_POLICY = UnitScopedPermissionPolicy(
    AssistanceHelper, scope_field="case__unit__path", roles=assistance.CASE_ROLES, model_perms=False
)
VISIT_POLICY = UnitScopedPermissionPolicy(
    AssistanceVisit, scope_field="case__unit__path", roles=assistance.CASE_ROLES, model_perms=False
)


class ServiceErrors:
    """A refusal of a service is shown on the form, never a server error."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except DomainError as exc:
            form.add_error(None, exc.message)
            self.produced_error_code, self.produced_error_message = "validation_error", exc.message
            return self.form_invalid(form)


def _member_by_no(user, no: str, label: str, form):
    member = (
        members_in_scope(user, roles=assistance.CASE_ROLES)
        .filter(member_no=(no or "").strip())
        .select_related("unit")
        .first()
    )
    if member is None:
        form.add_error(f"{label}", f"党员编号“{no}”不存在或不在您的管理范围内")
    return member


# --- greeting templates -------------------------------------------------------------------
class GreetingTemplateForm(WagtailAdminModelForm):
    class Meta:
        model = GreetingTemplate
        fields = ["unit", "kind", "title", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope_unit_fields(
            self, getattr(self, "for_user", None), roles=TEMPLATE_ROLES, names=["unit"]
        )


class GreetingTemplateViewSet(UnitScopedViewSetMixin, ModelViewSet):
    model = GreetingTemplate
    icon = "mail"
    menu_label = "祝福模板"
    add_to_admin_menu = False
    scope_policy = GREETING_POLICY
    form_fields = ["unit", "kind", "title", "body"]
    list_display = ["unit", "kind", "title"]
    copy_view_enabled = False
    add_to_reference_index = False

    def get_form_class(self, for_update=False):
        return GreetingTemplateForm


# --- assistance cases ---------------------------------------------------------------------
class CaseForm(WagtailAdminModelForm):
    member_no = forms.CharField(label="帮扶对象党员编号", max_length=32)

    class Meta:
        model = AssistanceCase
        fields = ["category", "situation", "plan", "opened_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["member_no"]
            for name in ("category", "situation", "opened_on"):
                self.fields[name].disabled = True
        self.order_fields(["member_no", "category", "situation", "plan", "opened_on"])

    def clean(self):
        cleaned = super().clean()
        if "member_no" in self.fields:
            cleaned["member"] = _member_by_no(
                self.for_user, cleaned.get("member_no"), "member_no", self
            )
        return cleaned


class CaseCreateView(ServiceErrors, CreateView):
    def save_instance(self):
        d = self.form.cleaned_data
        return assistance.case_open(
            member=d["member"],
            category=d["category"],
            situation=d["situation"],
            plan=d.get("plan", ""),
            opened_on=d["opened_on"],
            created_by=self.request.user,
        )


class CaseEditView(ServiceErrors, EditView):
    def save_instance(self):
        return assistance.case_update_plan(case=self.object, plan=self.form.cleaned_data["plan"])


class CaseFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label="状态", choices=AssistanceCase.Status.choices)
    category = django_filters.ChoiceFilter(
        label="困难类别", choices=AssistanceCase.Category.choices
    )

    class Meta:
        model = AssistanceCase
        fields = ["status", "category"]


class CaseIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("member", "unit")

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "member", label="帮扶对象", accessor="member.name", get_url=self.get_edit_url
            ),
            Column("unit", label="党组织", accessor="unit.name"),
            Column("category", label="困难类别", accessor="get_category_display"),
            Column("status", label="状态", accessor="get_status_display", sort_key="status"),
            Column("opened_on", label="立项日期", sort_key="opened_on"),
            Column("closed_on", label="结案日期"),
        ]


class CaseViewSet(UnitScopedViewSetMixin, ModelViewSet):
    model = AssistanceCase
    icon = "user"
    menu_label = "结对帮扶"
    add_to_admin_menu = False
    scope_policy = CASE_POLICY
    index_view_class = CaseIndexView
    add_view_class = CaseCreateView
    edit_view_class = CaseEditView
    copy_view_enabled = False
    filterset_class = CaseFilterSet
    search_fields = ["member__name", "member__member_no"]
    inspect_view_enabled = True
    list_export = [
        "member.member_no",
        "member.name",
        "unit.name",
        "get_category_display",
        "get_status_display",
        "opened_on",
        "closed_on",
        "plan",
    ]
    export_headings = {
        "member.member_no": "党员编号",
        "member.name": "帮扶对象",
        "unit.name": "党组织",
        "get_category_display": "困难类别",
        "get_status_display": "状态",
        "opened_on": "立项日期",
        "closed_on": "结案日期",
        "plan": "帮扶计划",
    }
    export_filename = "assistance-cases"
    add_to_reference_index = False

    def get_form_class(self, for_update=False):
        return CaseForm


# --- helpers and visits (added to a case; never edited into another case) -----------------
class HelperForm(WagtailAdminModelForm):
    helper_no = forms.CharField(label="帮扶人党员编号", max_length=32)

    class Meta:
        model = AssistanceHelper
        fields = ["case", "paired_on", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope_form_choices(self, getattr(self, "for_user", None))
        self.fields["case"].queryset = self.fields["case"].queryset.filter(status="open")

    def clean(self):
        cleaned = super().clean()
        cleaned["helper"] = _member_by_no(
            self.for_user, cleaned.get("helper_no"), "helper_no", self
        )
        return cleaned


class HelperCreateView(ServiceErrors, CreateView):
    def save_instance(self):
        d = self.form.cleaned_data
        return assistance.helper_pair(
            case=d["case"], helper=d["helper"], paired_on=d["paired_on"], note=d.get("note", "")
        )


class VisitForm(WagtailAdminModelForm):
    amount_yuan = forms.DecimalField(
        label="金额（元）", required=False, min_value=0, decimal_places=2, max_digits=12
    )

    class Meta:
        model = AssistanceVisit
        fields = ["case", "kind", "visited_on", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope_form_choices(self, getattr(self, "for_user", None))
        self.fields["case"].queryset = self.fields["case"].queryset.filter(status="open")


class VisitCreateView(ServiceErrors, CreateView):
    def save_instance(self):
        d = self.form.cleaned_data
        fen = int((d.get("amount_yuan") or 0) * 100)
        return assistance.visit_record(
            case=d["case"],
            kind=d["kind"],
            visited_on=d["visited_on"],
            amount_fen=fen,
            notes=d.get("notes", ""),
            recorded_by=self.request.user,
        )


class _ReadOnlyEdit(EditView):
    """Helpers and visits are records: shown, not rewritten."""

    def post(self, request, *args, **kwargs):
        return self.get(request, *args, **kwargs)


class HelperViewSet(UnitScopedViewSetMixin, ModelViewSet):
    model = AssistanceHelper
    icon = "group"
    menu_label = "帮扶人"
    add_to_admin_menu = False
    scope_policy = HELPER_POLICY
    add_view_class = HelperCreateView
    edit_view_class = _ReadOnlyEdit
    copy_view_enabled = False
    list_display = ["helper", "case", "paired_on", "note"]
    add_to_reference_index = False

    def get_form_class(self, for_update=False):
        return HelperForm


class VisitViewSet(UnitScopedViewSetMixin, ModelViewSet):
    model = AssistanceVisit
    icon = "date"
    menu_label = "帮扶记录"
    add_to_admin_menu = False
    scope_policy = VISIT_POLICY
    add_view_class = VisitCreateView
    edit_view_class = _ReadOnlyEdit
    copy_view_enabled = False
    list_display = ["case", "kind", "visited_on", "amount_fen", "notes"]
    add_to_reference_index = False

    def get_form_class(self, for_update=False):
        return VisitForm


class CareViewSetGroup(ModelViewSetGroup):
    items = (
        CaseViewSet("care_cases"),
        HelperViewSet("care_helpers"),
        VisitViewSet("care_visits"),
        GreetingTemplateViewSet("care_greetings"),
    )
    menu_label = "关怀服务"
    menu_icon = "group"
    menu_order = 170


@hooks.register("register_admin_viewset")
def register_care_viewsets():
    return CareViewSetGroup()


# --- the report -----------------------------------------------------------------------------
class ReportForm(forms.Form):
    unit = forms.ModelChoiceField(label="党组织", queryset=None)
    since = forms.DateField(label="开始日期")
    until = forms.DateField(label="结束日期")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_in_scope(user, roles=assistance.CASE_ROLES).order_by(
            "path"
        )


def assistance_report_view(request):
    from django.core.exceptions import PermissionDenied

    if not scope_for(request.user, roles=assistance.CASE_ROLES).has_role:
        raise PermissionDenied
    today = dt.date.today()
    form = ReportForm(
        request.GET or {"since": today.replace(month=1, day=1), "until": today}, user=request.user
    )
    rows, error = None, None
    if request.GET and form.is_valid():
        d = form.cleaned_data
        try:
            rows = assistance.assistance_report(d["unit"], since=d["since"], until=d["until"])
        except DomainError as exc:
            error = exc.message
        if rows is not None and request.GET.get("export") == "xlsx":
            data = assistance.report_xlsx(d["unit"], rows, since=d["since"], until=d["until"])
            resp = HttpResponse(
                data,
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            resp["Content-Disposition"] = 'attachment; filename="assistance-report.xlsx"'
            return resp
    for r in rows or []:
        r["amount_yuan"] = f"{r['amount_fen'] / 100:.2f}"
    return render(
        request,
        "care/admin/assistance_report.html",
        {"form": form, "rows": rows, "error": error, "query": request.GET.urlencode()},
    )


@hooks.register("register_admin_urls")
def register_care_urls():
    return [path("care/assistance-report/", assistance_report_view, name="care_assistance_report")]


class ReportMenuItem(MenuItem):
    def is_shown(self, request):
        return scope_for(request.user, roles=assistance.CASE_ROLES).has_role


@hooks.register("register_admin_menu_item")
def register_report_menu_item():
    return ReportMenuItem(
        "结对帮扶统计", reverse_lazy("care_assistance_report"), icon_name="table", order=175
    )
