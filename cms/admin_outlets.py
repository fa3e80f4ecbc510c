"""Wagtail admin for the outlet registry (阵地备案): list, filter, Excel export, register,
change, approve — scoped to the user's subtree by the admin's one unit-scoped policy
(`cms.outlets.OUTLET_POLICY`, secretaries and unit admins), so an outlet of another unit
answers 404 on every URL. Writes go through cms.outlet_services; there is no delete (an outlet
no longer used is closed)."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, IndexView
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import Button

from cms import outlet_services as services
from cms import outlets as rules
from cms.models import Outlet
from organizations.forms import UnitChoiceField
from organizations.models import Member, OrgUnit
from organizations.permissions import UnitScopedViewSetMixin
from organizations.selectors import members_in_scope, units_in_scope, user_has_global_scope


# --- form ---------------------------------------------------------------------------------
class OutletForm(WagtailAdminModelForm):
    owner_unit = UnitChoiceField(
        label="主办单位",
        queryset=OrgUnit.objects.none(),
        help_text="开办并管理该阵地的党组织（您管理范围内）；由其上级党组织批准备案",
    )
    owner_ref = forms.CharField(
        label="责任人",
        max_length=64,
        help_text="责任人的党员编号或登录名；对通过该阵地发布的内容负责",
    )
    deputy_ref = forms.CharField(
        label="副责任人", max_length=64, required=False, help_text="党员编号或登录名，可留空"
    )

    class Meta:
        model = Outlet
        fields = ["name", "kind", "owner_unit", "address", "status", "status_reason"]

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.for_user = for_user
        units = units_in_scope(for_user, roles=rules.OUTLET_ROLES) if for_user else None
        self.fields["owner_unit"].queryset = (
            units.order_by("path") if units is not None else OrgUnit.objects.none()
        )
        reserved = set(Outlet.SERVED_KINDS)
        if self.instance.pk and self.instance.kind in reserved:
            self.fields["kind"].disabled = True
        elif not (for_user and for_user.is_superuser):
            self.fields["kind"].choices = [c for c in Outlet.Kind.choices if c[0] not in reserved]
        for name, user in (
            ("owner_ref", self.instance.owner),
            ("deputy_ref", self.instance.deputy),
        ):
            if user is not None:
                member = Member.objects.filter(user=user).first()
                self.fields[name].initial = member.member_no if member else user.get_username()

    def _person(self, field: str):
        value = (self.cleaned_data.get(field) or "").strip()
        if not value:
            return None
        people = members_in_scope(self.for_user) if self.for_user else Member.objects.none()
        member = people.filter(Q(member_no=value) | Q(user__username=value)).first()
        if member is not None:
            return member.user
        if self.for_user is not None and user_has_global_scope(self.for_user):
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.filter(username=value, is_active=True).first()
            if user is not None:
                return user
        raise forms.ValidationError(
            f"找不到党员编号或登录名为“{value}”的人员，或其不在您的管理范围内"
        )

    def clean_owner_ref(self):
        return self._person("owner_ref")

    def clean_deputy_ref(self):
        return self._person("deputy_ref")

    def clean(self):
        cleaned = super().clean()
        owner, deputy = cleaned.get("owner_ref"), cleaned.get("deputy_ref")
        if owner is not None and deputy is not None and owner.pk == deputy.pk:
            self.add_error("deputy_ref", "副责任人不能与责任人是同一人")
        return cleaned

    def service_fields(self) -> dict:
        data = {k: self.cleaned_data[k] for k in self._meta.fields if k in self.cleaned_data}
        data["owner"] = self.cleaned_data.get("owner_ref")
        data["deputy"] = self.cleaned_data.get("deputy_ref")
        return data


# --- views --------------------------------------------------------------------------------
class _ServiceErrorMixin:
    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except services.OutletError as exc:
            form.add_error(None, str(exc))
            self.produced_error_code = "validation_error"
            self.produced_error_message = str(exc)
            return self.form_invalid(form)


class OutletCreateView(_ServiceErrorMixin, CreateView):
    def save_instance(self):
        return services.outlet_register(user=self.request.user, **self.form.service_fields())


class OutletEditView(_ServiceErrorMixin, EditView):
    def save_instance(self):
        fields = self.form.service_fields()
        if self.form.fields["kind"].disabled:
            fields.pop("kind", None)
        return services.outlet_update(outlet=self.object, user=self.request.user, **fields)

    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons
        if not self.object.is_approved and rules.outlet_can_approve(self.request.user, self.object):
            url = reverse("cms_outlets:approve", args=[self.object.pk])
            buttons.append(Button("批准备案", url=url, icon_name="tick", priority=10))
        return buttons


class OutletDeleteView(DeleteView):
    """Registry entries are kept: an outlet no longer used is closed (关停)."""

    def dispatch(self, request, *args, **kwargs):
        messages.error(request, "阵地备案不能删除；不再使用的阵地请把状态改为“关停”")
        return HttpResponseRedirect(reverse("cms_outlets:edit", args=[self.object.pk]))


class OutletApproveView(BaseObjectMixin, WagtailAdminTemplateMixin, TemplateView):
    """The upper level approves a registration (GET: confirm with a note; POST: approve)."""

    model = Outlet
    template_name = "cms/admin/outlet_approve.html"
    page_title = "批准阵地备案"
    header_icon = "tick"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        outlet = self.object
        context.update(
            outlet=outlet,
            can_approve=rules.outlet_can_approve(self.request.user, outlet),
            edit_url=reverse("cms_outlets:edit", args=[outlet.pk]),
        )
        return context

    def post(self, request, *args, **kwargs):
        try:
            services.outlet_approve(
                outlet=self.object, user=request.user, note=request.POST.get("note", "")
            )
        except services.OutletError as exc:
            messages.error(request, str(exc))
            return redirect("cms_outlets:approve", self.object.pk)
        messages.success(request, f"已批准阵地“{self.object.name}”备案")
        return redirect("cms_outlets:index")


class OutletFilterSet(WagtailFilterSet):
    unit_code = django_filters.CharFilter(
        label="主办单位代码（含下级）", method="filter_unit_code", help_text="如 G02"
    )
    kind = django_filters.ChoiceFilter(label="类型", choices=Outlet.Kind.choices)
    status = django_filters.ChoiceFilter(label="状态", choices=Outlet.Status.choices)
    approval = django_filters.ChoiceFilter(
        label="备案",
        choices=[("approved", "已批准"), ("pending", "待批准")],
        method="filter_approval",
    )

    class Meta:
        model = Outlet
        fields = ["unit_code", "kind", "status", "approval"]

    def filter_unit_code(self, queryset, name, value):
        unit = OrgUnit.objects.filter(code=value.strip()).first()
        if unit is None:
            return queryset.none()
        return queryset.filter(owner_unit__path__startswith=unit.path)

    def filter_approval(self, queryset, name, value):
        return queryset.filter(approved_at__isnull=(value == "pending"))


class OutletIndexView(IndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("owner_unit", "owner__member", "deputy__member", "approved_by__member")
        )

    @cached_property
    def columns(self):
        def approval(o):
            if o.is_approved:
                return o.approval_display
            if rules.outlet_can_approve(self.request.user, o):
                from django.utils.html import format_html

                url = reverse("cms_outlets:approve", args=[o.pk])
                return format_html('<a href="{}">待批准 → 批准</a>', url)
            return "待上级批准"

        return [
            TitleColumn("name", label="阵地名称", sort_key="name", get_url=self.get_edit_url),
            Column("kind", label="类型", accessor="get_kind_display", sort_key="kind"),
            Column("owner_unit", label="主办单位", accessor="owner_unit.name"),
            Column("owner_name", label="责任人"),
            Column("deputy_name", label="副责任人"),
            Column("address", label="网址/账号"),
            Column("status", label="状态", accessor="get_status_display", sort_key="status"),
            Column("approval", label="备案", accessor=approval),
            DateColumn("approved_at", label="批准时间", sort_key="approved_at"),
        ]


class OutletViewSet(UnitScopedViewSetMixin, ModelViewSet):
    model = Outlet
    icon = "globe"
    menu_label = "阵地备案"
    menu_order = 290
    add_to_admin_menu = True
    scope_policy = rules.OUTLET_POLICY
    index_view_class = OutletIndexView
    add_view_class = OutletCreateView
    edit_view_class = OutletEditView
    delete_view_class = OutletDeleteView
    copy_view_enabled = False
    filterset_class = OutletFilterSet
    search_fields = ["name", "address"]
    form_fields = OutletForm._meta.fields
    list_export = [
        "name",
        "get_kind_display",
        "owner_unit.code",
        "owner_unit.name",
        "owner_name",
        "deputy_name",
        "address",
        "get_status_display",
        "status_reason",
        "approval_display",
        "approved_at",
        "created_at",
    ]
    export_headings = {
        "name": "阵地名称",
        "get_kind_display": "类型",
        "owner_unit.code": "主办单位代码",
        "owner_unit.name": "主办单位",
        "owner_name": "责任人",
        "deputy_name": "副责任人",
        "address": "网址/账号",
        "get_status_display": "状态",
        "status_reason": "状态说明",
        "approval_display": "批准人",
        "approved_at": "批准时间",
        "created_at": "登记时间",
    }
    export_filename = "outlets"
    ordering = ["owner_unit__path", "name"]
    list_per_page = 50
    add_to_reference_index = False

    def get_form_class(self, for_update=False):
        return OutletForm

    @property
    def approve_view(self):
        return self.construct_view(OutletApproveView)

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("approve/<str:pk>/", self.approve_view, name="approve"),
        ]


# --- registration and the publish routes that bypass the page form -----------------------
@hooks.register("register_admin_viewset")
def register_outlet_viewset():
    return OutletViewSet("cms_outlets")


def _refused(request, pages) -> str | None:
    """The message naming every outlet problem of `pages`' latest revisions, or None."""
    from cms.models import UnitScopedPage

    problems = []
    for page in pages:
        page = page.specific_deferred
        if not isinstance(page, UnitScopedPage):
            continue
        try:
            rules.publication_refuse_unavailable(page=page.get_latest_revision_as_object())
        except rules.OutletUnavailable as exc:
            problems.append(f"“{page.title}”：{exc}")
    return "；".join(problems) or None


@hooks.register("before_bulk_action")
def refuse_bulk_publish_through_unavailable_outlets(request, action_type, objects, view):
    """Bulk publish publishes page after page without a transaction: check them all
    first, so either every page may go out or none is published."""
    if action_type != "publish" or request.method != "POST":
        return None
    from wagtail.models import Page

    pages = [o for o in objects if isinstance(o, Page)]
    if request.POST.get("include_descendants"):
        for page in list(pages):
            pages += list(page.get_descendants().not_live())
    message = _refused(request, pages)
    if message is None:
        return None
    messages.error(request, f"未发布：{message}")
    return redirect(view.next_url or reverse("wagtailadmin_home"))


@hooks.register("before_copy_page")
def refuse_live_copy_through_unavailable_outlets(request, page):
    """A copy kept live is published without `publish()`: check its outlets here."""
    if request.method != "POST" or not request.POST.get("publish_copies"):
        return None
    message = _refused(request, [page])
    if message is None:
        return None
    messages.error(request, f"未复制：{message}")
    return redirect(reverse("wagtailadmin_pages:edit", args=[page.pk]))
