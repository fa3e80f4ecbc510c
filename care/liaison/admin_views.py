"""Admin: 关怀服务 › 亲情档案 / 家属联系人 / 联系记录 / 家属诉求, and the report of members
abroad without a recent contact (with its Excel export). One scoped policy per model
(organizers, secretaries, unit admins of the member's subtree); family contacts' sensitive
fields are never put into a page (masked; reveal with a purpose, logged)."""

from __future__ import annotations

import datetime as dt
import io

from django import forms
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import CreateView, EditView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets import Button

from care.liaison import services
from care.liaison.models import FamilyContact, LiaisonContact, LiaisonFile, LiaisonNeed
from care.liaison.selectors import access_family_contact_by_id, members_abroad_report
from core.client_ip import client_ip
from core.errors import ObjectNotFound
from core.spreadsheet import export_stamp, safe_row
from organizations.models import OrgUnit
from organizations.permissions import UnitScopedPermissionPolicy, UnitScopedViewSetMixin
from organizations.privacy import validate_phone
from organizations.records.selectors import RECORD_ROLES, record_members
from organizations.records.services import watermark
from organizations.scope import scope_for
from organizations.selectors import top_unit_in_scope

FILE_POLICY = UnitScopedPermissionPolicy(
    LiaisonFile, scope_field="member__unit__path", roles=RECORD_ROLES, model_perms=False
)
FAMILY_POLICY = UnitScopedPermissionPolicy(
    FamilyContact, scope_field="file__member__unit__path", roles=RECORD_ROLES, model_perms=False
)
CONTACT_POLICY = UnitScopedPermissionPolicy(
    LiaisonContact, scope_field="file__member__unit__path", roles=RECORD_ROLES, model_perms=False
)
NEED_POLICY = UnitScopedPermissionPolicy(
    LiaisonNeed, scope_field="file__member__unit__path", roles=RECORD_ROLES, model_perms=False
)


def _files_choices(form, user):
    if "file" in form.fields:
        form.fields["file"].queryset = FILE_POLICY.scoped(user).select_related("member")


class FileForm(WagtailAdminModelForm):
    class Meta:
        model = LiaisonFile
        fields = ["member", "liaison", "cadence_days", "notes", "is_active"]

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.fields["member"].queryset = record_members(for_user).filter(is_overseas=True)
        self.fields["member"].help_text = "只能选择您管理范围内的海外党员"
        from django.contrib.auth import get_user_model

        self.fields["liaison"].queryset = get_user_model().objects.filter(
            member__in=record_members(for_user)
        )


class ScopedFileForm(WagtailAdminModelForm):
    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        _files_choices(self, for_user)


class ContactForm(ScopedFileForm):
    class Meta:
        model = LiaisonContact
        fields = ["file", "kind", "on", "notes"]


class NeedForm(ScopedFileForm):
    class Meta:
        model = LiaisonNeed
        fields = ["file", "raised_on", "description", "status", "follow_up", "resolved_on"]


class FamilyForm(ScopedFileForm):
    """Sensitive inputs start empty (the mask is the hint); empty keeps the stored value."""

    class Meta:
        model = FamilyContact
        fields = ["file", "relation", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        masked = services.family_masked(self.instance) if self.instance.pk else {}
        for name, label in (("name", "姓名"), ("phone", "电话"), ("address", "住址")):
            current = masked.get(name) or "未填写"
            self.fields[name] = forms.CharField(
                label=f"{label}（敏感）",
                required=not self.instance.pk and name == "name",
                validators=[validate_phone] if name == "phone" else [],
                widget=forms.Textarea(attrs={"rows": 2}) if name == "address" else forms.TextInput,
                help_text=f"当前：{current}。留空则保持不变；查看需说明用途并记入访问日志",
            )

    def save(self, commit=True):
        instance = super().save(commit=False)
        self.sensitive_changed = []
        for name in ("name", "phone", "address"):
            value = (self.cleaned_data.get(name) or "").strip()
            if value:
                setattr(instance, name, value)
                self.sensitive_changed.append(name)
        return instance


class FamilySaveMixin:
    def save_instance(self):
        instance = self.form.save(commit=False)
        return services.family_save(
            user=self.request.user,
            contact=instance,
            changed=self.form.sensitive_changed,
            ip=client_ip(self.request),
        )

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except services.LiaisonError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)


class FamilyCreateView(FamilySaveMixin, CreateView):
    pass


class FamilyEditView(FamilySaveMixin, EditView):
    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons
        url = reverse("liaison_family_reveal", args=[self.object.pk])
        buttons.append(Button("查看敏感信息", url=url, icon_name="view", priority=30))
        return buttons


class FamilyIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("file__member")

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "member", label="海外党员", accessor="file.member.name", get_url=self.get_edit_url
            ),
            Column("relation", label="关系"),
            Column(
                "masked_phone",
                label="电话（掩码）",
                accessor=lambda c: services.family_masked(c)["phone"],
            ),
        ]


class FileIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("member", "member__unit", "liaison")

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "member", label="海外党员", accessor="member.name", get_url=self.get_edit_url
            ),
            Column("unit", label="所在党组织", accessor="member.unit.name"),
            Column("liaison", label="国内联络人", accessor="liaison"),
            Column("cadence_days", label="联系频率", accessor="get_cadence_days_display"),
            Column("last_contact_on", label="最近联系", sort_key="last_contact_on"),
        ]


def _vs(model, policy, form, name, label, order, **extra):
    attrs = {
        "model": model,
        "scope_policy": policy,
        "menu_label": label,
        "menu_order": order,
        "add_to_admin_menu": False,
        "copy_view_enabled": False,
        "inspect_view_enabled": False,
        "add_to_reference_index": False,
        "icon": extra.pop("icon", "doc-empty"),
        "get_form_class": lambda self, for_update=False: form,
        **extra,
    }
    return type(f"{model.__name__}ViewSet", (UnitScopedViewSetMixin, ModelViewSet), attrs)(name)


class LiaisonViewSetGroup(ModelViewSetGroup):
    menu_label = "亲情档案"
    menu_icon = "group"
    menu_order = 160

    def __init__(self):
        self.items = (
            _vs(
                LiaisonFile,
                FILE_POLICY,
                FileForm,
                "liaison_files",
                "亲情档案",
                100,
                index_view_class=FileIndexView,
                list_filter=["cadence_days", "is_active"],
            ),
            _vs(
                FamilyContact,
                FAMILY_POLICY,
                FamilyForm,
                "liaison_family",
                "家属联系人",
                110,
                index_view_class=FamilyIndexView,
                add_view_class=FamilyCreateView,
                edit_view_class=FamilyEditView,
            ),
            _vs(
                LiaisonContact,
                CONTACT_POLICY,
                ContactForm,
                "liaison_contacts",
                "联系记录",
                120,
                list_display=["file", "kind", "on", "by"],
                list_filter=["kind"],
            ),
            _vs(
                LiaisonNeed,
                NEED_POLICY,
                NeedForm,
                "liaison_needs",
                "家属诉求",
                130,
                list_display=["file", "raised_on", "status", "resolved_on"],
                list_filter=["status"],
            ),
        )
        super().__init__()


# --- reveal a family contact -----------------------------------------------------------
class PurposeForm(forms.Form):
    purpose = forms.CharField(label="查看用途（必填）", max_length=300, required=False)


def family_reveal_view(request, pk: int):
    try:
        contact = access_family_contact_by_id(request.user, pk, action="reveal")
    except ObjectNotFound:
        raise Http404 from None
    if not scope_for(request.user, roles=RECORD_ROLES).has_role:
        raise Http404
    form = PurposeForm(request.POST or None)
    rows, status = [], 200
    if request.method == "POST":
        try:
            _, values = services.family_reveal(
                user=request.user,
                contact_id=pk,
                purpose=request.POST.get("purpose", ""),
                ip=client_ip(request),
            )
            rows = [
                ("关系", values["relation"]),
                ("姓名", values["name"]),
                ("电话", values["phone"]),
                ("住址", values["address"]),
            ]
        except services.DomainError as exc:
            form.add_error("purpose", exc.message)
            status = 400
    response = TemplateResponse(
        request,
        "organizations/admin/reveal.html",
        {
            "member": contact.file.member,
            "form": form,
            "rows": rows,
            "back_url": reverse("liaison_family:edit", args=[contact.pk]),
            "masked": {"phone": services.family_masked(contact)["phone"], "id_number": "—"},
        },
        status=status,
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- the report ------------------------------------------------------------------------
def _report_args(request):
    unit = top_unit_in_scope(request.user, roles=RECORD_ROLES)
    if unit is None:
        raise Http404
    code = request.GET.get("unit")
    if code:
        picked = OrgUnit.objects.filter(code=code).first()
        if picked is None or not scope_for(request.user, roles=RECORD_ROLES).covers(picked.path):
            raise Http404
        unit = picked
    try:
        days = int(request.GET.get("days", "91"))
    except ValueError:
        days = 91
    days = min(max(days, 1), 3650)
    return unit, days, timezone.localdate() - dt.timedelta(days=days)


def liaison_report_view(request):
    unit, days, since = _report_args(request)
    rows = members_abroad_report(unit, since=since)
    if request.GET.get("export") == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "海外党员联络"
        ws.append([watermark(request.user)])
        ws.append(safe_row([f"{unit.name}：海外党员近 {days} 天（{since:%Y-%m-%d} 起）联络情况"]))
        ws.append(["组织代码", "党组织", "海外党员", "未建亲情档案", f"{days} 天内未联系"])
        for r in rows:
            ws.append(safe_row([r.code, r.name, r.overseas, r.without_file, r.not_contacted]))
        ws.append([export_stamp()])
        out = io.BytesIO()
        wb.save(out)
        response = HttpResponse(
            out.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="liaison-report.xlsx"'
        return response
    return TemplateResponse(
        request,
        "care/admin/liaison_report.html",
        {"unit": unit, "days": days, "since": since, "rows": rows},
    )
