"""Admin for member records (组织管理 › 党员档案, 档案访问日志) and the reveal page.

- 党员档案: organizers, secretaries and unit admins of the member's subtree. The listing and
  its Excel/CSV export show sensitive fields masked; an export is written to the access
  log and carries a watermark line (who, when). The edit form never shows a sensitive
  value: its inputs are empty with the mask as a hint, and an empty input keeps the
  stored value. Every save goes through `records.services.record_update` (logged).
- 查看敏感信息 (`member_reveal`): a purpose is required; each reveal writes one entry.
- 档案访问日志: unit admins search and export it; nobody adds, changes or deletes.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db import transaction
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import CreateView, EditView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets import Button

from core.client_ip import client_ip
from core.errors import ObjectNotFound
from organizations import privacy as F
from organizations.models import AccessLog, Member, MemberRecord
from organizations.permissions import UnitScopedPermissionPolicy, UnitScopedViewSetMixin
from organizations.privacy import validate_id_number, validate_phone, validate_phones
from organizations.records import services
from organizations.records.selectors import LOG_ROLES, RECORD_ROLES, record_members

RECORD_POLICY = UnitScopedPermissionPolicy(
    MemberRecord, scope_field="member__unit__path", roles=RECORD_ROLES, model_perms=False
)


class AccessLogPolicy(UnitScopedPermissionPolicy):
    """Unit admins may view (list, search, export); no one may add, change or delete."""

    def user_has_permission(self, user, action):
        return action == "view" and self._holds_role(user)


ACCESS_LOG_POLICY = AccessLogPolicy(
    AccessLog, scope_field="unit__path", roles=LOG_ROLES, model_perms=False
)


# --- exports: logged and watermarked ------------------------------------------------------
class WatermarkedExportMixin:
    """Every Excel/CSV export starts with a line naming the exporter and the time."""

    export_logged = True  # a record export is an access: one log entry per export

    def as_spreadsheet(self, queryset, spreadsheet_format):
        if self.export_logged:
            services.export_logged(
                user=self.request.user,
                count=queryset.count(),
                fields=list(getattr(self, "export_sensitive_fields", ())),
                purpose="后台导出",
                ip=client_ip(self.request),
            )
        return super().as_spreadsheet(queryset, spreadsheet_format)

    def stream_csv(self, queryset):
        import csv

        from wagtail.admin.views.mixins import Echo

        yield csv.writer(Echo()).writerow([services.watermark(self.request.user)])
        yield from super().stream_csv(queryset)

    def write_xlsx(self, queryset, output):
        from openpyxl import Workbook
        from wagtail.admin.views.mixins import ExcelDateFormatter

        workbook = Workbook(write_only=True, iso_dates=True)
        worksheet = workbook.create_sheet(title="Sheet1")
        worksheet.append([services.watermark(self.request.user)])
        worksheet.append([self.get_heading(queryset, f) for f in self.list_export])
        date_format = ExcelDateFormatter().get()
        for item in queryset:
            worksheet.append(
                self.generate_xlsx_row(worksheet, self.to_row_dict(item), date_format=date_format)
            )
        workbook.save(output)


# --- records -----------------------------------------------------------------------------
class RecordForm(WagtailAdminModelForm):
    """Non-sensitive fields as usual; sensitive ones as empty inputs (mask as hint)."""

    member = forms.ModelChoiceField(label="党员", queryset=Member.objects.none())
    purpose = forms.CharField(
        label="修改原因", required=False, max_length=300, help_text="记入访问日志，如“年度信息核对”"
    )

    class Meta:
        model = MemberRecord
        fields = [
            "member",
            "education",
            "occupation",
            "post",
            "probation_start",
            "conversion_due",
            "converted_on",
            "interests",
            "photo",
        ]

    SENSITIVE_VALIDATORS = {
        "id_number": [validate_id_number],
        "phones": [validate_phones],
        "emergency_phone": [validate_phone],
    }

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.for_user = for_user
        if self.instance.pk:
            self.fields.pop("member")
        else:
            self.fields["member"].queryset = record_members(for_user).filter(record__isnull=True)
        masked = F.masked_record(self.instance.member) if self.instance.pk else {}
        for name in F.RECORD_SENSITIVE_FIELDS:
            spec = F.BY_NAME[name]
            widget = (
                forms.Textarea(attrs={"rows": 2})
                if name in ("address", "family_situation")
                else None
            )
            field = forms.CharField(
                label=f"{spec.label}（敏感）",
                required=False,
                validators=self.SENSITIVE_VALIDATORS.get(name, []),
                help_text=(
                    f"当前：{masked.get(name) or '未填写'}。留空则保持不变；"
                    "默认掩码显示，组织委员、书记、组织管理员可在“查看敏感信息”中说明用途后查看"
                ),
                **({"widget": widget} if widget else {}),
            )
            field.widget.attrs["autocomplete"] = "off"
            self.fields[name] = field

    def sensitive_changes(self) -> dict:
        return {
            n: self.cleaned_data[n] for n in F.RECORD_SENSITIVE_FIELDS if self.cleaned_data.get(n)
        }

    def plain_changes(self) -> dict:
        return {
            n: self.cleaned_data.get(n)
            for n in services.RECORD_EDITABLE
            if n not in F.RECORD_SENSITIVE_FIELDS and n in self.cleaned_data
        }


class _RecordSaveMixin:
    def save_instance(self):
        form = self.form
        member = form.instance.member if form.instance.pk else form.cleaned_data["member"]
        data = {**form.plain_changes(), **form.sensitive_changes()}
        with transaction.atomic():
            record = services.record_update(
                user=self.request.user,
                member_id=member.pk,
                data=data,
                ip=client_ip(self.request),
                purpose=form.cleaned_data.get("purpose", ""),
            )
            if "photo" in form.changed_data:
                if record.pk is None:
                    record.save()
                record.photo = form.cleaned_data.get("photo") or ""
                record.save(update_fields=["photo", "updated_at"])
                services.access_log_write(
                    user=self.request.user,
                    action=AccessLog.Action.EDIT,
                    fields=["photo"],
                    purpose=form.cleaned_data.get("purpose") or "修改照片",
                    ip=client_ip(self.request),
                    member=member,
                )
            if record.pk is None:
                record.save()
        return record

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except services.RecordError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)


class RecordCreateView(_RecordSaveMixin, CreateView):
    pass


class RecordEditView(_RecordSaveMixin, EditView):
    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons
        url = reverse("member_reveal", args=[self.object.member_id])
        buttons.append(Button("查看敏感信息", url=url, icon_name="view", priority=30))
        return buttons


class MaskedColumn(Column):
    def get_value(self, instance):
        return F.masked_record(instance.member)[self.name]


class RecordFilterSet(WagtailFilterSet):
    conversion_due_before = django_filters.DateFilter(
        label="预计转正日期不晚于", field_name="conversion_due", lookup_expr="lte"
    )

    class Meta:
        model = MemberRecord
        fields = ["education", "conversion_due_before"]


class RecordIndexView(WatermarkedExportMixin, IndexView):
    export_sensitive_fields = ("phone", "id_number")

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("member", "member__unit")

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        q = self.search_query.strip()
        return queryset.filter(member__name__icontains=q) | queryset.filter(member__member_no=q)

    @cached_property
    def columns(self):
        return [
            TitleColumn("member", label="党员", accessor="member.name", get_url=self.get_edit_url),
            Column("member_no", label="党员编号", accessor="member.member_no"),
            Column("unit", label="所在党组织", accessor="member.unit.name"),
            MaskedColumn("phone", label="手机号（掩码）"),
            MaskedColumn("id_number", label="身份证号（掩码）"),
            Column("education", label="学历", accessor="get_education_display"),
            Column("conversion_due", label="预计转正日期", sort_key="conversion_due"),
        ]


class MemberRecordViewSet(UnitScopedViewSetMixin, ModelViewSet):
    model = MemberRecord
    icon = "doc-full"
    menu_label = "党员档案"
    menu_order = 100
    add_to_admin_menu = False
    scope_policy = RECORD_POLICY
    index_view_class = RecordIndexView
    add_view_class = RecordCreateView
    edit_view_class = RecordEditView
    copy_view_enabled = False
    inspect_view_enabled = False
    filterset_class = RecordFilterSet
    search_fields = ["member__name"]
    list_export = [
        "member.member_no",
        "member.name",
        "member.unit.name",
        "masked_phone",
        "masked_id",
        "get_education_display",
        "occupation",
        "conversion_due",
    ]
    export_headings = {
        "member.member_no": "党员编号",
        "member.name": "姓名",
        "member.unit.name": "所在党组织",
        "masked_phone": "手机号（掩码）",
        "masked_id": "身份证号（掩码）",
        "get_education_display": "学历",
        "occupation": "职业",
        "conversion_due": "预计转正日期",
    }
    export_filename = "member-records"
    ordering = ["member__unit__path", "member__member_no"]
    list_per_page = 50
    add_to_reference_index = False

    def get_form_class(self, for_update=False):
        return RecordForm


# --- the access log ----------------------------------------------------------------------
class AccessLogFilterSet(WagtailFilterSet):
    action = django_filters.ChoiceFilter(label="操作", choices=AccessLog.Action.choices)
    actor_name = django_filters.CharFilter(label="操作人", lookup_expr="icontains")
    member_name = django_filters.CharFilter(label="党员", lookup_expr="icontains")
    since = django_filters.DateFilter(label="起始日期", field_name="at", lookup_expr="date__gte")
    until = django_filters.DateFilter(label="截止日期", field_name="at", lookup_expr="date__lte")

    class Meta:
        model = AccessLog
        fields = ["action", "actor_name", "member_name", "since", "until"]


class AccessLogIndexView(WatermarkedExportMixin, IndexView):
    export_logged = False

    @cached_property
    def columns(self):
        return [
            Column("at", label="时间", sort_key="at"),
            Column("actor_name", label="操作人"),
            Column("action", label="操作", accessor="get_action_display"),
            Column("member_name", label="党员"),
            Column("fields", label="字段", accessor="field_labels"),
            Column("count", label="记录数"),
            Column("purpose", label="用途"),
            Column("ip", label="来源地址"),
        ]


class AccessLogViewSet(UnitScopedViewSetMixin, ModelViewSet):
    model = AccessLog
    icon = "history"
    menu_label = "档案访问日志"
    menu_order = 200
    add_to_admin_menu = False
    scope_policy = ACCESS_LOG_POLICY
    index_view_class = AccessLogIndexView
    copy_view_enabled = False
    inspect_view_enabled = False
    filterset_class = AccessLogFilterSet
    search_fields = ["member_name", "actor_name", "purpose"]
    list_export = [
        "at",
        "actor_name",
        "get_action_display",
        "member_name",
        "member_no",
        "field_labels",
        "count",
        "purpose",
        "ip",
    ]
    export_headings = {
        "at": "时间",
        "actor_name": "操作人",
        "get_action_display": "操作",
        "member_name": "党员",
        "member_no": "党员编号",
        "field_labels": "字段",
        "count": "记录数",
        "purpose": "用途",
        "ip": "来源地址",
    }
    export_filename = "access-log"
    ordering = ["-at"]
    list_per_page = 50
    add_to_reference_index = False
    form_fields = ["purpose"]

    def get_urlpatterns(self):
        """Only the listing (and its exports): the log has no add, edit, delete, copy,
        history or usage page at all."""
        return [p for p in super().get_urlpatterns() if p.name in ("index", "index_results")]


class RecordsViewSetGroup(ModelViewSetGroup):
    items = (MemberRecordViewSet("member_records"), AccessLogViewSet("record_access_log"))
    menu_label = "党员档案"
    menu_icon = "doc-full"
    menu_order = 152


# --- reveal ------------------------------------------------------------------------------
class RevealForm(forms.Form):
    fields_ = forms.MultipleChoiceField(
        label="要查看的字段",
        choices=[(n, F.label_of(n)) for n in F.SENSITIVE_FIELDS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="不选则查看全部敏感字段",
    )
    purpose = forms.CharField(
        label="查看用途（必填）",
        max_length=300,
        required=False,
        help_text="如“办理组织关系转接，核对身份证号”；记入访问日志，本人可见",
    )


def member_reveal_view(request, pk: int):
    """GET: the purpose form; POST: the revealed values (one access-log entry)."""
    try:
        member = services.access_member_record_by_id(request.user, pk, action="reveal")
    except ObjectNotFound:
        raise Http404 from None
    form = RevealForm(request.POST or None)
    revealed = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            _, revealed = services.record_reveal(
                user=request.user,
                member_id=member.pk,
                fields=form.cleaned_data["fields_"],
                purpose=form.cleaned_data["purpose"],
                ip=client_ip(request),
            )
        except services.RecordError as exc:
            form.add_error("purpose", exc.message)
            status = 400
    elif request.method == "POST":
        status = 400
    rows = [(F.label_of(n), v) for n, v in (revealed or {}).items()]
    back = (
        reverse("member_records:edit", args=[member.record.pk])
        if MemberRecord.objects.filter(member=member).exists()
        else reverse("member_records:index")
    )
    response = TemplateResponse(
        request,
        "organizations/admin/reveal.html",
        {
            "member": member,
            "form": form,
            "rows": rows,
            "back_url": back,
            "masked": F.masked_record(member),
        },
        status=status,
    )
    response["Cache-Control"] = "private, no-store"
    return response


__all__ = ["RecordsViewSetGroup", "member_reveal_view"]
