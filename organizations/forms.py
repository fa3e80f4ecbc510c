"""Admin forms for units and members. Choices for unit fields only offer units inside the
editing user's scope, so a secretary cannot even name a unit outside their subtree."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from wagtail.admin.forms import WagtailAdminModelForm

from organizations.models import Member, OrgUnit
from organizations.permissions import managed_units
from organizations.selectors import user_has_global_scope


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        indent = "　" * max(obj.depth - 1, 0)
        return f"{indent}{obj.name}（{obj.code}）"


class OrgUnitForm(WagtailAdminModelForm):
    parent = UnitChoiceField(
        label="上级党组织",
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text="只能选择您管理范围内的党组织；超级管理员留空表示新建顶级党组织",
    )

    class Meta:
        model = OrgUnit
        fields = ["parent", "code", "name", "kind", "country", "timezone", "is_active"]

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.for_user = for_user
        choices = managed_units(for_user).order_by("path") if for_user else OrgUnit.objects.none()
        unit = self.instance if self.instance.pk else None
        if unit is not None:
            # A unit cannot move below itself: its own subtree is not offered.
            choices = choices.exclude(path__startswith=unit.path)
        self.fields["parent"].queryset = choices
        self.is_global = bool(for_user) and user_has_global_scope(for_user)
        if unit is not None:
            parent = unit.get_parent()
            if parent is not None and not choices.filter(pk=parent.pk).exists():
                # The top of the user's scope: its parent is outside, so it stays put.
                del self.fields["parent"]
            else:
                self.fields["parent"].initial = parent.pk if parent else None
        self.fields["country"].help_text = "ISO 3166-1 两位字母代码，如 CN、TZ"

    def clean_country(self):
        value = (self.cleaned_data.get("country") or "").strip().upper()
        if len(value) != 2 or not value.isalpha():
            raise forms.ValidationError("请填写两位字母的国家/地区代码，如 CN、TZ")
        return value

    def clean(self):
        cleaned = super().clean()
        if "parent" in self.fields and not cleaned.get("parent"):
            is_root = self.instance.pk and self.instance.depth == 1
            if not (self.is_global and (is_root or not self.instance.pk)):
                self.add_error("parent", "请选择上级党组织")
        return cleaned


class MemberForm(WagtailAdminModelForm):
    unit = UnitChoiceField(
        label="所在党组织",
        queryset=OrgUnit.objects.none(),
        help_text="只能选择您管理范围内的党组织",
    )

    class Meta:
        model = Member
        fields = [
            "name",
            "member_no",
            "unit",
            "gender",
            "category",
            "join_date",
            "birthday",
            "phone",
            "is_overseas",
            "status",
        ]

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.for_user = for_user
        qs = managed_units(for_user) if for_user else OrgUnit.objects.none()
        current = Q(pk=self.instance.unit_id) if self.instance.pk else Q(pk__in=[])
        self.fields["unit"].queryset = qs.filter(Q(is_active=True) | current).order_by("path")
        if self.instance.pk:  # a move is a transfer (organizations.transfers), not an edit
            self.fields["unit"].disabled = True
            self.fields[
                "unit"
            ].help_text = "变更所在党组织请在“组织关系转接”中发起转接，由转入方接收后生效"
        help_texts = {
            "name": "党员姓名",
            "member_no": "全局唯一，导入时用于匹配；新党员的登录名默认为此编号",
            "gender": "男或女",
            "category": "正式党员或预备党员",
            "join_date": "格式：2020-07-01",
            "birthday": "格式：1990-05-20；用于生日祝福",
            "phone": "【敏感·加密】掩码显示；留空则保持不变。如需查看请到“党员档案 › 查看敏感信息”说明用途",
            "is_overseas": "在境外项目工作的党员",
            "status": "转出、停止党籍等状态的党员不计入统计",
        }
        for name, text in help_texts.items():
            if name in self.fields:
                self.fields[name].help_text = text
        if "phone" in self.fields:
            from organizations.privacy import mask_phone, validate_phone

            self.fields["phone"].validators = [validate_phone]
            if self.instance.pk and self.instance.phone and not self.is_bound:
                # never put the stored number into the page: the mask is the hint
                self.initial["phone"] = ""
                self.fields["phone"].widget.attrs["placeholder"] = mask_phone(self.instance.phone)

    def clean_phone(self):
        value = (self.cleaned_data.get("phone") or "").strip()
        if not value and self.instance.pk:
            return self.instance.phone  # empty input: keep the stored number
        return value
