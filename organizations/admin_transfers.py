"""Wagtail admin for transfers (组织管理 → 组织关系转接): the history of every member's
transfers in scope (list, filters, Excel export), starting one (the out-unit side), deciding
one (the "edit" page: accept, or reject with a reason — the in-unit side) and the
introduction letter PDF. Rules: organizations.transfers; scope: one
UnitScopedPermissionPolicy (member's unit, out-unit or in-unit in the user's subtree)."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import CreateView, EditView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import Button

from core.errors import DomainError, ObjectNotFound
from organizations import transfers
from organizations.models import Member, OrgUnit, Transfer
from organizations.permissions import UnitScopedPermissionPolicy, UnitScopedViewSetMixin
from organizations.scope import scope_for


def _sides_q(user):
    scope = scope_for(user, roles=transfers.TRANSFER_ROLES)
    return scope.units_q("from_unit__path") | scope.units_q("to_unit__path")


class TransferPolicy(UnitScopedPermissionPolicy):
    """Transfers are never deleted: the history is the record."""

    def user_has_permission(self, user, action):
        return action != "delete" and super().user_has_permission(user, action)


TRANSFER_POLICY = TransferPolicy(
    Transfer,
    scope_field="member__unit__path",
    roles=transfers.TRANSFER_ROLES,
    model_perms=False,
    extra_q=_sides_q,
)


class TransferFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label="状态", choices=Transfer.Status.choices)
    direction = django_filters.ChoiceFilter(label="转接类型", choices=Transfer.Direction.choices)
    member_no = django_filters.CharFilter(label="党员编号", field_name="member__member_no")

    class Meta:
        model = Transfer
        fields = ["status", "direction", "member_no"]


class TransferIndexView(IndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("member", "from_unit", "to_unit", "requested_by", "approved_by")
        )

    @cached_property
    def columns(self):
        return [
            TitleColumn("member", label="党员", accessor="member.name", get_url=self.get_edit_url),
            Column("from_side", label="转出组织"),
            Column("to_side", label="转入组织"),
            Column("status", label="状态", accessor="get_status_display", sort_key="status"),
            Column("letter_no", label="介绍信编号"),
            Column("started_at", label="发起时间", sort_key="started_at"),
            Column("transferred_at", label="转接时间", sort_key="transferred_at"),
        ]


class TransferStartForm(WagtailAdminModelForm):
    member_no = forms.CharField(
        label="党员编号", max_length=32, help_text="本组织（或下级组织）党员的编号"
    )
    to_unit = forms.ModelChoiceField(
        label="转入组织",
        queryset=OrgUnit.objects.filter(is_active=True).order_by("path"),
        required=False,
        help_text="本系统内任何党组织；转出本系统时留空并填写对方党组织名称",
    )

    class Meta:
        model = Transfer
        fields = ["direction", "external_name", "reason"]

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.for_user = for_user
        self.order_fields(["member_no", "direction", "to_unit", "external_name", "reason"])

    def clean(self):
        cleaned = super().clean()
        no = (cleaned.get("member_no") or "").strip()
        from organizations.selectors import members_in_scope

        member = members_in_scope(self.for_user, roles=transfers.TRANSFER_ROLES).filter(
            member_no=no
        )
        member = member.select_related("unit").first()
        if member is None:
            self.add_error("member_no", f"党员编号“{no}”不存在或不在您的管理范围内")
        cleaned["member"] = member
        return cleaned


class TransferStartView(CreateView):
    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "for_user": self.request.user}

    def form_valid(self, form):
        d = form.cleaned_data
        try:
            self.object = transfers.transfer_start(
                member=d["member"],
                started_by=self.request.user,
                to_unit=d.get("to_unit"),
                direction=d["direction"],
                external_name=d.get("external_name", ""),
                reason=d.get("reason", ""),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            self.produced_error_code, self.produced_error_message = "validation_error", exc.message
            return self.form_invalid(form)
        messages.success(
            self.request, f"已发起转接，介绍信编号 {self.object.letter_no}，待转入方接收"
        )
        return redirect(self.index_url_name)


class TransferDecideForm(WagtailAdminModelForm):
    decision = forms.ChoiceField(
        label="处理", choices=[("accept", "接收"), ("reject", "退回")], widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="意见/退回原因",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="退回时必须填写原因",
    )

    class Meta:
        model = Transfer
        fields: list[str] = []


class TransferDecideView(EditView):
    """The edit page of a transfer: its details, the letter, and — for the in-unit side —
    accept or reject."""

    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons
        if self.object.letter_no:
            url = reverse("transfer_letter", args=[self.object.pk])
            buttons.append(Button("介绍信 PDF", url=url, icon_name="doc-full", priority=30))
        return buttons

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        t = self.object
        messages_list = [
            f"党员：{t.member.name}（{t.member.member_no}）",
            f"{t.get_direction_display()}：{t.from_side} → {t.to_side}",
            f"状态：{t.get_status_display()}；介绍信：{t.letter_no or '—'}",
            f"原因：{t.reason or '—'}；意见：{t.decision_note or '—'}",
        ]
        ctx["transfer_summary"] = messages_list
        return ctx

    def form_valid(self, form):
        d = form.cleaned_data
        try:
            t = transfers.access_transfer_by_id(self.request.user, self.object.pk, action="decide")
        except ObjectNotFound:
            message = "只有转入组织（或共同上级党组织）的书记可以处理这条转接"
            form.add_error(None, message)
            self.produced_error_code, self.produced_error_message = "validation_error", message
            return self.form_invalid(form)
        try:
            if d["decision"] == "accept":
                transfers.transfer_accept(transfer=t, accepted_by=self.request.user, note=d["note"])
                messages.success(self.request, f"已接收，{t.member.name}已转入{t.to_side}")
            else:
                transfers.transfer_reject(
                    transfer=t, rejected_by=self.request.user, reason=d["note"]
                )
                messages.success(self.request, "已退回")
        except DomainError as exc:
            form.add_error("note" if "原因" in exc.message else None, exc.message)
            self.produced_error_code, self.produced_error_message = "validation_error", exc.message
            return self.form_invalid(form)
        return redirect(self.index_url_name)


class TransferViewSet(UnitScopedViewSetMixin, ModelViewSet):
    model = Transfer
    icon = "arrow-right-full"
    menu_label = "组织关系转接"
    menu_order = 160
    add_to_admin_menu = True
    scope_policy = TRANSFER_POLICY
    index_view_class = TransferIndexView
    add_view_class = TransferStartView
    edit_view_class = TransferDecideView
    copy_view_enabled = False
    filterset_class = TransferFilterSet
    search_fields = ["member__name", "member__member_no", "external_name"]
    edit_template_name = "organizations/admin/transfer_decide.html"
    list_export = [
        "member.member_no",
        "member.name",
        "get_direction_display",
        "from_side",
        "to_side",
        "get_status_display",
        "letter_no",
        "reason",
        "decision_note",
        "started_at",
        "transferred_at",
    ]
    export_headings = {
        "member.member_no": "党员编号",
        "member.name": "姓名",
        "get_direction_display": "转接类型",
        "from_side": "转出组织",
        "to_side": "转入组织",
        "get_status_display": "状态",
        "letter_no": "介绍信编号",
        "reason": "转接原因",
        "decision_note": "意见/退回原因",
        "started_at": "发起时间",
        "transferred_at": "转接时间",
    }
    export_filename = "transfers"
    ordering = ["-started_at", "-pk"]
    list_per_page = 50
    add_to_reference_index = False

    def get_form_class(self, for_update=False):
        return TransferDecideForm if for_update else TransferStartForm


def transfer_letter_view(request, pk: int):
    """The introduction letter of a transfer in scope (404 outside)."""
    try:
        t = transfers.access_transfer_by_id(request.user, pk)
        pdf = transfers.transfer_letter_pdf(t)
    except ObjectNotFound:
        raise Http404 from None
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="transfer-letter-{t.pk}.pdf"'
    return resp


__all__ = ["Member", "TransferViewSet", "transfer_letter_view"]
