"""Admin forms: the publishing-unit choice is limited to units where the editor holds the
editor role (or its subtree), so an editor cannot file content under another unit; and a
page may embed (in its body or as its video) only media its editor may use."""

from __future__ import annotations

from django import forms
from wagtail.admin.forms import WagtailAdminPageForm

from cms.outlet_forms import OutletChoiceFormMixin
from media_pipeline.blocks import assets_in_stream, media_use_errors
from media_pipeline.models import MediaAsset
from organizations.permissions import scope_form_choices
from organizations.selectors import units_in_scope


def _scope_page_choices(form, user) -> None:
    """Page choice fields (a digest's news items) offer only pages the editor may pick."""
    from cms.models.pages import UnitScopedPage
    from cms.permissions import pages_choosable_q

    for field in form.fields.values():
        model = getattr(getattr(field, "queryset", None), "model", None)
        if model is not None and issubclass(model, UnitScopedPage):
            field.queryset = field.queryset.filter(pages_choosable_q(user))
            field.error_messages = {
                **field.error_messages,
                "invalid_choice": f"所选{field.label or ''}不存在或不在您可以使用的范围内",
            }
    for formset in getattr(form, "formsets", {}).values():
        for child in formset.forms:
            _scope_page_choices(child, user)


class UnitScopedPageForm(OutletChoiceFormMixin, WagtailAdminPageForm):
    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        field = self.fields.get("publishing_unit")
        if field is not None and for_user is not None and not for_user.is_superuser:
            field.queryset = units_in_scope(for_user, roles=["editor", "reviewer"]).order_by("path")
        scope_form_choices(self, for_user)
        if for_user is not None:
            _scope_page_choices(self, for_user)

    def clean(self):
        cleaned = super().clean()
        if self.for_user is None:
            return cleaned
        for name in list(cleaned):
            value = cleaned.get(name)
            assets = [value] if isinstance(value, MediaAsset) else assets_in_stream(value)
            for message in media_use_errors(self.for_user, assets):
                self.add_error(name, message)
        return cleaned

    def clean_publishing_unit(self):
        unit = self.cleaned_data.get("publishing_unit")
        user = self.for_user
        if unit is not None and user is not None and not user.is_superuser:
            if not units_in_scope(user, roles=["editor", "reviewer"]).filter(pk=unit.pk).exists():
                raise forms.ValidationError("你只能以本单位或下级单位的名义发布内容")
        return unit
