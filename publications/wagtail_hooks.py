"""Wagtail admin for documents: the issuing unit's editors, secretaries and unit admins
manage the documents their subtree issued (role-scoped policy: list, export, edit, copy,
history, usage, delete answer 404 outside the subtree)."""

from __future__ import annotations

from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from organizations.permissions import UnitScopedPermissionPolicy, UnitScopedViewSetMixin
from publications.documents.forms import DocumentAdminForm
from publications.documents.models import Document
from publications.documents.selectors import ISSUER_ROLES
from publications.manuscripts.admin import ManuscriptScoreRuleViewSet, ManuscriptViewSet

DOCUMENT_POLICY = UnitScopedPermissionPolicy(
    Document, scope_field="issuing_unit__path", roles=ISSUER_ROLES, model_perms=False
)


class DocumentViewSet(UnitScopedViewSetMixin, ModelViewSet):
    scope_policy = DOCUMENT_POLICY
    model = Document
    icon = "doc-full"
    menu_label = "文件"
    list_display = [
        "number",
        "title",
        "issuing_unit",
        "issued_on",
        "confidentiality",
        "is_published",
    ]
    list_filter = ["confidentiality", "is_published", "issued_on"]
    search_fields = ["title", "number"]
    list_export = [
        "number",
        "title",
        "issuing_unit",
        "issued_on",
        "confidentiality",
        "audience_unit",
    ]
    export_filename = "文件"
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("number"), FieldPanel("issued_on")]),
            FieldPanel("title"),
            FieldPanel("issuing_unit"),
            FieldPanel("audience_unit"),
            FieldPanel("confidentiality"),
            FieldPanel("restricted_units"),
            FieldPanel("body"),
            FieldPanel("superseded_by"),
            FieldPanel("is_published"),
        ],
        base_form_class=DocumentAdminForm,
    )


class PublicationsGroup(ViewSetGroup):
    menu_label = "文件与简报"
    menu_icon = "doc-full"
    menu_order = 320
    items = (
        DocumentViewSet("publications_documents"),
        ManuscriptViewSet("publications_manuscripts"),
        ManuscriptScoreRuleViewSet("publications_manuscript_rules"),
    )


@hooks.register("register_admin_viewset")
def register_publications():
    return PublicationsGroup()


@hooks.register("register_admin_viewset")
def register_bulletin_manuscript_chooser():
    from publications.bulletins.manuscript_items import manuscript_chooser_viewset

    return manuscript_chooser_viewset
