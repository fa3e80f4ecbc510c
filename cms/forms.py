"""Admin forms: the publishing-unit choice is limited to units where the editor holds the
editor role (or its subtree), so an editor cannot file content under another unit; a
page may embed (in its body or as its video) only media its editor may use; and a page's
slug is ASCII (pinyin of its title, cms.slugs) whatever the browser prefilled."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm, WagtailAdminPageForm
from wagtail.models import Page

from cms.outlet_forms import OutletChoiceFormMixin
from cms.slugs import is_ascii_slug, page_kind, page_slug
from media_pipeline.blocks import assets_in_stream, media_use_errors
from media_pipeline.models import MediaAsset
from organizations.permissions import scope_form_choices, scope_unit_fields
from organizations.selectors import scope_for

PUBLISHING_ROLES = ("editor", "reviewer")


def _unit_scoped_page(model) -> bool:
    """A content page (cms.models.pages.UnitScopedPage, which uses this module's form and
    so is not imported here): a page with a publishing and an audience unit."""
    return (
        issubclass(model, Page)
        and hasattr(model, "publishing_unit_id")
        and hasattr(model, "audience_unit_id")
    )


def _scope_page_choices(form, user) -> None:
    """Page choice fields (a digest's news items) offer only pages the editor may pick."""
    from cms.permissions import pages_choosable_q

    for field in form.fields.values():
        model = getattr(getattr(field, "queryset", None), "model", None)
        if model is not None and _unit_scoped_page(model):
            field.queryset = field.queryset.filter(pages_choosable_q(user))
            field.error_messages = {
                **field.error_messages,
                "invalid_choice": f"所选{field.label or ''}不存在或不在您可以使用的范围内",
            }
    for formset in getattr(form, "formsets", {}).values():
        for child in formset.forms:
            _scope_page_choices(child, user)


class AsciiSlugFormMixin:
    """The slug may be left empty; an empty slug, or a Chinese one on a new page (or one
    the editor just typed), becomes the pinyin of the title (or of what was typed),
    unique among the page's siblings. A page that already has a Chinese slug keeps it
    until someone changes it: its URL may be linked from elsewhere."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("slug")
        if field is not None:
            field.required = False
            field.help_text = _(
                "网址中的页面名称，只用英文字母、数字和连字符；留空则按标题拼音生成"
            )

    def clean(self):
        if "slug" in self.fields and "slug" not in self.errors:
            slug = (self.cleaned_data.get("slug") or "").strip()
            typed = self.instance.pk is None or "slug" in self.changed_data
            if not slug or (not is_ascii_slug(slug) and typed):
                parent = self.parent_page or (
                    self.instance.get_parent() if self.instance.pk else None
                )
                self.cleaned_data["slug"] = page_slug(
                    text=slug or self.cleaned_data.get("title") or "",
                    parent=parent,
                    page=self.instance if self.instance.pk else None,
                    kind=page_kind(type(self.instance)),
                )
        return super().clean()


class CmsPageForm(AsciiSlugFormMixin, WagtailAdminPageForm):
    """The admin form of the site's own pages (home, channels, sections)."""


class UnitScopedPageForm(AsciiSlugFormMixin, OutletChoiceFormMixin, WagtailAdminPageForm):
    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        scope_unit_fields(self, for_user, roles=PUBLISHING_ROLES, names=["publishing_unit"])
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
        if unit is not None and user is not None:
            if not scope_for(user, roles=PUBLISHING_ROLES).covers(unit.path):
                raise forms.ValidationError("你只能以本单位或下级单位的名义发布内容")
        return unit


def _norm(value):
    if isinstance(value, str):  # browsers post CRLF; imported text may hold LF
        return value.replace("\r\n", "\n").strip()
    return getattr(value, "pk", value)


class CatalogueItemForm(WagtailAdminModelForm):
    """Books, periodicals and periodical issues: ticking 已发布 is a review decision
    (cms.review.catalogue_publication_refusal) — a reviewer of the owner unit who did not
    write the change publishes; a published item is withdrawn before it is changed. The
    form records who last changed the content and who reviewed the publication."""

    def _stored(self):
        if self.instance.pk is None:
            return None
        return type(self.instance).objects.filter(pk=self.instance.pk).first()

    def _content_changed(self, stored, cleaned) -> bool:
        if stored is None:
            return True
        for name, field in self.fields.items():
            if name == "is_published" or name not in cleaned:
                continue
            if isinstance(field, forms.FileField):
                if name in self.changed_data:
                    return True
            elif _norm(cleaned[name]) != _norm(getattr(stored, name, None)):
                return True
        return False

    def _units(self, cleaned, stored):
        periodical = cleaned.get("periodical") or getattr(stored, "periodical", None)
        if periodical is not None:  # an issue: its periodical's units
            return periodical.owner_unit, periodical.audience_unit
        return (
            cleaned.get("owner_unit", getattr(stored, "owner_unit", None)),
            cleaned.get("audience_unit", getattr(stored, "audience_unit", None)),
        )

    def clean(self):
        from cms.review import catalogue_publication_refusal

        cleaned = super().clean()
        if "is_published" not in self.fields:
            return cleaned
        stored = self._stored()
        was = bool(stored is not None and stored.is_published)
        now = bool(cleaned.get("is_published"))
        changed = self._content_changed(stored, cleaned)
        owner, audience = self._units(cleaned, stored)
        user = self.for_user
        refusal = (
            "发布须经审核：请登录后由审核员发布"
            if user is None and now and (changed or not was)
            else catalogue_publication_refusal(
                user=user,
                owner_unit=owner,
                audience_unit=audience,
                was_published=was,
                now_published=now,
                content_changed=changed,
                last_editor_id=getattr(stored, "edited_by_id", None),
            )
        )
        if refusal:
            self.add_error("is_published", refusal)
        self._review = (was, now, changed)
        return cleaned

    def save(self, commit=True):
        from django.utils import timezone

        instance = self.instance
        was, now, changed = getattr(self, "_review", (False, instance.is_published, True))
        user = self.for_user if getattr(self.for_user, "pk", None) else None
        if changed:
            instance.edited_by = user
        if now and not was:
            instance.reviewed_by, instance.reviewed_at = user, timezone.now()
        elif not now:
            instance.reviewed_by, instance.reviewed_at = None, None
        return super().save(commit=commit)
