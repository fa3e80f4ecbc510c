"""The admin form of a document: units limited to the editor's subtree, the audience
inside the issuing unit's subtree, restricted units inside the audience."""

from __future__ import annotations

from django.utils import timezone
from wagtail.admin.forms import WagtailAdminModelForm

from organizations.permissions import scope_form_choices, scope_unit_fields
from publications.documents.models import Document
from publications.documents.selectors import ISSUER_ROLES


def audience_errors(*, issuing_unit, audience_unit, confidentiality, restricted_units) -> dict:
    """{field: message} of what is wrong with a document's addressing (empty: fine)."""
    errors = {}
    if issuing_unit and audience_unit and not audience_unit.path.startswith(issuing_unit.path):
        errors["audience_unit"] = "发送范围须是发文单位本级或其下级组织"
    if confidentiality == Document.Confidentiality.RESTRICTED:
        units = list(restricted_units or [])
        if not units:
            errors["restricted_units"] = "密级为“限定单位”时须选择至少一个限定单位"
        elif audience_unit and any(not u.path.startswith(audience_unit.path) for u in units):
            errors["restricted_units"] = "限定单位须在发送范围之内"
    return errors


class DocumentAdminForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self, "for_user", None)
        if user is None:
            return
        scope_unit_fields(self, user, roles=ISSUER_ROLES, names=("issuing_unit",), required=True)
        scope_form_choices(self, user)

    def clean(self):
        data = super().clean()
        for field, message in audience_errors(
            issuing_unit=data.get("issuing_unit"),
            audience_unit=data.get("audience_unit"),
            confidentiality=data.get("confidentiality"),
            restricted_units=data.get("restricted_units"),
        ).items():
            if field in self.fields:
                self.add_error(field, message)
        superseded = data.get("superseded_by")
        if superseded is not None and self.instance.pk and superseded.pk == self.instance.pk:
            self.add_error("superseded_by", "文件不能替代自己")
        return data

    def save(self, commit=True):
        document = super().save(commit=False)
        if document.is_published and document.published_at is None:
            document.published_at = timezone.now()
        if commit:
            document.save()
            self.save_m2m()
        return document
