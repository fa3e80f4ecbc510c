"""Wagtail admin for the organisation: the unit tree and the member register, scoped.

Both viewsets use the admin's one unit-scoped permission policy (organizations.permissions,
which asks organizations.selectors), so listings, exports, every URL that takes an id and
the form choices stop at the edge of the user's subtree: an out-of-scope id answers 404
like a missing one.
Writes go through organizations.services."""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Length, Substr
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import BooleanColumn, Column, TitleColumn
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets import Button

from organizations import services
from organizations.forms import MemberForm, OrgUnitForm
from organizations.models import Member, OrgUnit
from organizations.permissions import (
    ORG_ADMIN_ROLES,
    UnitScopedPermissionPolicy,
    UnitScopedViewSetMixin,
)
from organizations.records.admin_views import WatermarkedExportMixin
from organizations.selectors import member_search_q
from organizations.services import OrganizationError


class ServiceErrorMixin:
    """A service refusing a valid-looking form (duplicate login, a move below itself) is
    shown as a form error, not a server error."""

    service_error_field: str | None = None

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except OrganizationError as exc:
            form.add_error(self.service_error_field, str(exc))
            self.produced_error_code = "validation_error"
            self.produced_error_message = str(exc)
            return self.form_invalid(form)


class ServiceDeleteView(DeleteView):
    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except OrganizationError as exc:
            messages.error(self.request, str(exc))
            return HttpResponseRedirect(reverse(self.edit_url_name, args=[self.object.pk]))


def _with_parent_name(qs):
    parent = OrgUnit.objects.filter(
        path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - OrgUnit.steplen)
    ).values("name")[:1]
    return qs.annotate(parent_name=Subquery(parent))


# --- units --------------------------------------------------------------------------------
class OrgUnitFilterSet(WagtailFilterSet):
    parent = django_filters.NumberFilter(
        label="上级党组织 ID", method="filter_parent", help_text="只显示该党组织的直接下级"
    )
    kind = django_filters.ChoiceFilter(label="类型", choices=OrgUnit.Kind.choices)
    country = django_filters.CharFilter(
        label="国家/地区", method="filter_country", help_text="两位字母代码，如 TZ"
    )
    is_active = django_filters.BooleanFilter(label="启用")

    class Meta:
        model = OrgUnit
        fields = ["parent", "kind", "country", "is_active"]

    def filter_parent(self, queryset, name, value):
        parent = OrgUnit.objects.filter(pk=value).first()
        if parent is None:
            return queryset.none()
        return queryset.filter(path__startswith=parent.path, depth=parent.depth + 1)

    def filter_country(self, queryset, name, value):
        return queryset.filter(country=value.strip().upper())


class OrgUnitIndexView(IndexView):
    def get_base_queryset(self):
        return _with_parent_name(super().get_base_queryset())

    @cached_property
    def columns(self):
        children_url = reverse(self.index_url_name)
        return [
            TitleColumn(
                "name",
                label="名称",
                sort_key="name",
                get_url=lambda u: self.get_edit_url(u),
            ),
            Column("code", label="组织代码", sort_key="code"),
            Column("kind", label="类型", accessor="get_kind_display", sort_key="kind"),
            Column("parent_name", label="上级党组织"),
            Column("depth", label="层级", sort_key="depth"),
            Column(
                "numchild",
                label="下级组织",
                accessor=lambda u: (
                    format_html(
                        '<a href="{}?parent={}">{} 个 →</a>', children_url, u.pk, u.numchild
                    )
                    if u.numchild
                    else "—"
                ),
            ),
            Column("country", label="国家/地区", sort_key="country"),
            Column("timezone", label="时区"),
            BooleanColumn("is_active", label="启用"),
        ]


class OrgUnitCreateView(ServiceErrorMixin, CreateView):
    def save_instance(self):
        data = {k: self.form.cleaned_data[k] for k in services.UNIT_FIELDS}
        return services.unit_create(parent=self.form.cleaned_data.get("parent"), **data)

    service_error_field = None


class OrgUnitEditView(ServiceErrorMixin, EditView):
    def save_instance(self):
        data = {k: self.form.cleaned_data[k] for k in services.UNIT_FIELDS}
        return services.unit_update(
            unit=self.object, parent=self.form.cleaned_data.get("parent"), **data
        )

    service_error_field = None


class OrgUnitDeleteView(ServiceDeleteView):
    def delete_action(self):
        services.unit_delete(unit=self.object)


ORG_UNIT_POLICY = UnitScopedPermissionPolicy(
    OrgUnit, scope_field="path", roles=ORG_ADMIN_ROLES, model_perms=False
)
MEMBER_POLICY = UnitScopedPermissionPolicy(
    Member, scope_field="unit__path", roles=ORG_ADMIN_ROLES, model_perms=False
)


class OrgUnitViewSet(UnitScopedViewSetMixin, ModelViewSet):
    model = OrgUnit
    icon = "folder-inverse"
    menu_label = "党组织"
    menu_order = 100
    add_to_admin_menu = False
    scope_policy = ORG_UNIT_POLICY
    index_view_class = OrgUnitIndexView
    add_view_class = OrgUnitCreateView
    edit_view_class = OrgUnitEditView
    delete_view_class = OrgUnitDeleteView
    copy_view_enabled = False
    filterset_class = OrgUnitFilterSet
    search_fields = ["name", "code"]
    list_export = [
        "code",
        "name",
        "get_kind_display",
        "parent_name",
        "depth",
        "country",
        "timezone",
        "is_active",
    ]
    export_headings = {
        "code": "组织代码",
        "name": "名称",
        "get_kind_display": "类型",
        "parent_name": "上级党组织",
        "depth": "层级",
        "country": "国家/地区",
        "timezone": "时区",
        "is_active": "启用",
    }
    export_filename = "units"
    ordering = ["path"]
    list_per_page = 50
    add_to_reference_index = False

    def get_form_class(self, for_update=False):
        return OrgUnitForm


# --- members ------------------------------------------------------------------------------
class MemberFilterSet(WagtailFilterSet):
    unit_code = django_filters.CharFilter(
        label="组织代码（含下级）", method="filter_unit_code", help_text="如 G02，包含全部下级组织"
    )
    category = django_filters.ChoiceFilter(label="党员类别", choices=Member.Category.choices)
    status = django_filters.ChoiceFilter(label="状态", choices=Member.Status.choices)
    gender = django_filters.ChoiceFilter(label="性别", choices=Member.Gender.choices)
    is_overseas = django_filters.BooleanFilter(label="海外党员")

    class Meta:
        model = Member
        fields = ["unit_code", "category", "status", "gender", "is_overseas"]

    def filter_unit_code(self, queryset, name, value):
        unit = OrgUnit.objects.filter(code=value.strip()).first()
        if unit is None:
            return queryset.none()
        return queryset.filter(unit__path__startswith=unit.path)


class MemberIndexView(WatermarkedExportMixin, IndexView):
    export_sensitive_fields = ("phone",)  # masked, but an export of members is logged

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("unit", "user")

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        return queryset.filter(member_search_q(self.search_query))

    @cached_property
    def columns(self):
        return [
            TitleColumn("name", label="姓名", sort_key="name", get_url=self.get_edit_url),
            Column("member_no", label="党员编号", sort_key="member_no"),
            Column("unit", label="所在党组织", accessor="unit.name", sort_key="unit__path"),
            Column("category", label="党员类别", accessor="get_category_display"),
            Column("status", label="状态", accessor="get_status_display"),
            Column("join_date", label="入党日期", sort_key="join_date"),
            Column("phone", label="手机号", accessor="masked_phone"),
            BooleanColumn("is_overseas", label="海外"),
        ]


def _member_data(form) -> dict:
    return {k: form.cleaned_data[k] for k in services.MEMBER_FIELDS if k in form.cleaned_data}


class MemberCreateView(ServiceErrorMixin, CreateView):
    service_error_field = "member_no"

    def save_instance(self):
        data = _member_data(self.form)
        return services.member_create(
            unit=self.form.cleaned_data["unit"],
            name=data.pop("name"),
            member_no=data.pop("member_no"),
            **data,
        )


class MemberEditView(ServiceErrorMixin, EditView):
    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons
        if not self.object.user.is_superuser or self.request.user.is_superuser:
            url = reverse("member_logout_everywhere", args=[self.object.pk])
            buttons.append(Button("退出所有登录", url=url, icon_name="logout", priority=40))
        return buttons

    def save_instance(self):
        old_phone = Member.objects.filter(pk=self.object.pk).values_list("phone", flat=True).first()
        member = services.member_update(
            member=self.object,
            unit=self.form.cleaned_data["unit"],
            changed_by=self.request.user,
            **_member_data(self.form),
        )
        if (old_phone or "") != (member.phone or ""):  # a sensitive field: the edit is logged
            from core.client_ip import client_ip
            from organizations.records.services import access_log_write

            access_log_write(
                user=self.request.user,
                action="edit",
                fields=["phone"],
                purpose="修改党员信息",
                ip=client_ip(self.request),
                member=member,
            )
        return member

    service_error_field = None


class MemberDeleteView(ServiceDeleteView):
    def delete_action(self):
        services.member_delete(member=self.object)


class MemberViewSet(UnitScopedViewSetMixin, ModelViewSet):
    model = Member
    icon = "user"
    menu_label = "党员"
    menu_order = 200
    add_to_admin_menu = False
    scope_policy = MEMBER_POLICY
    index_view_class = MemberIndexView
    add_view_class = MemberCreateView
    edit_view_class = MemberEditView
    delete_view_class = MemberDeleteView
    copy_view_enabled = False
    filterset_class = MemberFilterSet
    search_fields = ["name", "member_no", "unit__name"]
    # Excel/CSV export of the current (scoped, filtered, searched) listing.
    list_export = [
        "member_no",
        "name",
        "unit.code",
        "unit.name",
        "get_gender_display",
        "get_category_display",
        "join_date",
        "birthday",
        "masked_phone",
        "get_status_display",
    ]
    export_headings = {
        "member_no": "党员编号",
        "name": "姓名",
        "unit.code": "组织代码",
        "unit.name": "所在党组织",
        "get_gender_display": "性别",
        "get_category_display": "党员类别",
        "join_date": "入党日期",
        "birthday": "出生日期",
        "masked_phone": "手机号（掩码）",
        "get_status_display": "状态",
    }
    export_filename = "members"
    ordering = ["unit__path", "member_no"]
    list_per_page = 50
    add_to_reference_index = False

    def get_form_class(self, for_update=False):
        return MemberForm


class OrganizationViewSetGroup(ModelViewSetGroup):
    items = (OrgUnitViewSet("org_units"), MemberViewSet("org_members"))
    menu_label = "组织管理"
    menu_icon = "group"
    menu_order = 150
