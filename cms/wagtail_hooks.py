"""Admin for content: bookshelf snippets, unit-scoped page access, the app-preview token
view and the review audit report."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.module_loading import import_string
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.models import Page
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from cms import admin_outlets  # noqa: F401 - registers the outlet registry's admin hooks
from cms.audit import ContentAuditReportView, ContentTraceView, audit_report_visible
from cms.models import Book, Periodical, PeriodicalIssue
from cms.permissions import EDIT_ROLES, REVIEW_ROLES, pages_choosable_q, pages_in_scope_q
from organizations.permissions import (
    UnitScopedPermissionPolicy,
    UnitScopedViewSetMixin,
    scope_unit_fields,
)
from organizations.selectors import scope_for


def scoped_page_models() -> tuple[type, ...]:
    """Every concrete page type owned by a unit (a `UnitScopedPage`): the cms's news,
    stories and digests and those of the apps above (the bulletin issue) — found from the
    model registry, so a new unit-owned page type is scoped in the explorer, the page
    chooser and the create gate without being listed here."""
    from django.apps import apps

    from cms.models.pages import UnitScopedPage

    return tuple(
        m for m in apps.get_models() if issubclass(m, UnitScopedPage) and not m._meta.proxy
    )


# --- bookshelf snippets ------------------------------------------------------------------
# Model permissions (内容编辑: add/change/delete; 内容审核: change, to publish or withdraw)
# say what; the managing unit says where: editors and reviewers list, change and see the
# history of items whose managing unit is in their subtree (the admin's one unit-scoped
# policy, organizations.permissions). Who may tick 已发布 is a review rule (cms.review,
# enforced by cms.forms.CatalogueItemForm). Chooser (e.g. the book of a reading lesson):
# also items published to the chooser's own audience (a group-wide book may be used by
# any unit).
BOOKSHELF_ROLES = EDIT_ROLES + REVIEW_ROLES
BOOK_POLICY = UnitScopedPermissionPolicy(
    Book,
    scope_field="owner_unit__path",
    roles=BOOKSHELF_ROLES,
    choose_field="audience_unit__path",
)
PERIODICAL_POLICY = UnitScopedPermissionPolicy(
    Periodical,
    scope_field="owner_unit__path",
    roles=BOOKSHELF_ROLES,
    choose_field="audience_unit__path",
)
PERIODICAL_ISSUE_POLICY = UnitScopedPermissionPolicy(
    PeriodicalIssue,
    scope_field="periodical__owner_unit__path",
    roles=BOOKSHELF_ROLES,
    choose_field="periodical__audience_unit__path",
)


class _ScopedFormMixin:
    """Owner choices limited to the editor's subtree (superusers: all units); the
    periodical of an issue only among the editor's periodicals."""

    def get_form(self, *args, **kwargs):
        form = super().get_form(*args, **kwargs)
        user = self.request.user
        scope_unit_fields(form, user, roles=BOOKSHELF_ROLES, names=["owner_unit"], required=True)
        if "periodical" in form.fields:
            form.fields["periodical"].queryset = PERIODICAL_POLICY.scoped(
                user, form.fields["periodical"].queryset
            )
        return form


class ScopedSnippetViewSet(UnitScopedViewSetMixin, SnippetViewSet):
    # Admin search: the function named by settings.EHOME_CATALOGUE_ADMIN_SEARCH (the search
    # app's index: Chinese words inside sentences, Traditional ↔ Simplified, ISBN/ISSN),
    # not a Wagtail search backend, whose index the bulk importer does not feed. Unset:
    # Wagtail's substring match on `search_fields`.
    search_backend_name = None
    copy_view_enabled = False

    @property
    def edit_view_class(self):
        return type("ScopedEditView", (_ScopedFormMixin, super().edit_view_class), {})

    @property
    def add_view_class(self):
        return type("ScopedCreateView", (_ScopedFormMixin, super().add_view_class), {})

    @property
    def index_view_class(self):
        base = super().index_view_class

        class CatalogueIndexView(base):
            def search_queryset(self, queryset):
                path = getattr(settings, "EHOME_CATALOGUE_ADMIN_SEARCH", "")
                if not self.is_searching or not path:
                    return super().search_queryset(queryset)
                return import_string(path)(queryset, self.search_query)

        return CatalogueIndexView


class BookViewSet(ScopedSnippetViewSet):
    model = Book
    scope_policy = BOOK_POLICY
    icon = "doc-full"
    menu_label = "图书"
    list_display = [
        "title",
        "authors",
        "isbn",
        "category",
        "language",
        "is_published",
        "updated_at",
    ]
    list_filter = ["is_published", "language", "file_format"]
    list_per_page = 50
    search_fields = ["title", "authors"]
    ordering = ["-id"]

    def get_queryset(self, request):
        return Book.objects.select_related(None).defer("description")


class PeriodicalViewSet(ScopedSnippetViewSet):
    model = Periodical
    scope_policy = PERIODICAL_POLICY
    icon = "doc-full-inverse"
    menu_label = "期刊"
    list_display = ["title", "issn", "frequency", "category", "is_published", "updated_at"]
    list_filter = ["is_published", "frequency", "language"]
    search_fields = ["title"]


class PeriodicalIssueViewSet(ScopedSnippetViewSet):
    model = PeriodicalIssue
    scope_policy = PERIODICAL_ISSUE_POLICY
    icon = "doc-empty"
    menu_label = "期刊期次"
    list_display = ["__str__", "issue_date", "is_published"]
    list_filter = ["is_published", "periodical"]
    search_fields = ["label", "periodical__title"]


class BookshelfGroup(SnippetViewSetGroup):
    items = (BookViewSet, PeriodicalViewSet, PeriodicalIssueViewSet)
    menu_icon = "folder-open-inverse"
    menu_label = "电子书屋"
    menu_name = "bookshelf"


register_snippet(BookshelfGroup)


# --- pages: only the user's unit subtree ---------------------------------------------------
@hooks.register("construct_explorer_page_queryset")
def hide_out_of_scope_pages(parent_page, pages, request):
    user = request.user
    if scope_for(user).is_global:
        return pages
    allowed = pages_in_scope_q(user)
    for model in scoped_page_models():
        pages = pages.exclude(pk__in=model.objects.exclude(allowed).values("pk"))
    return pages


@hooks.register("construct_page_chooser_queryset")
def choose_only_visible_pages(pages, request):
    """The page chooser (digest items, related-content blocks) offers only content the
    editor could read or answers for: no titles of other units' internal news."""
    user = request.user
    if scope_for(user).is_global:
        return pages
    visible = pages_choosable_q(user)
    for model in scoped_page_models():
        pages = pages.exclude(pk__in=model.objects.exclude(visible).values("pk"))
    return pages


def _deny_unless(ok: bool):
    if not ok:
        raise PermissionDenied


@hooks.register("before_edit_page")
def edit_only_in_scope(request, page):
    _deny_unless(page.specific_deferred.permissions_for_user(request.user).can_edit())


@hooks.register("before_delete_page")
def delete_only_in_scope(request, page):
    _deny_unless(page.specific_deferred.permissions_for_user(request.user).can_delete())


@hooks.register("before_create_page")
def create_only_with_editor_role(request, parent_page, page_class):
    if not issubclass(page_class, scoped_page_models()):
        return None
    _deny_unless(scope_for(request.user, roles=EDIT_ROLES).has_role)
    return None


@hooks.register("before_copy_page")
def copy_only_in_scope(request, page):
    _deny_unless(page.specific_deferred.permissions_for_user(request.user).can_copy())


# --- ASCII slug prefill (cms.slugs) -----------------------------------------------------
def slug_prefill_view(request):
    """The slug a new page titled `title` would get under `parent` (pinyin, unique among
    the siblings; '' when the title has nothing to spell: the server then falls back at
    save). A parent the editor may not add pages under answers like a missing one."""
    from cms.slugs import pinyin_slug, unique_among_siblings

    try:
        parent_id = int(request.GET.get("parent", ""))
    except ValueError:
        raise Http404 from None
    parent = get_object_or_404(Page, pk=parent_id).specific_deferred
    if not parent.permissions_for_user(request.user).can_add_subpage():
        raise Http404
    base = pinyin_slug(request.GET.get("title", "")[:255])
    return JsonResponse({"slug": unique_among_siblings(base, parent=parent) if base else ""})


@hooks.register("insert_editor_js")
def slug_prefill_js():
    """On "add page", the slug follows the title as pinyin (static/cms/js/slug-prefill.js)
    instead of Wagtail's own prefill, which leaves Chinese out."""
    return format_html(
        '<script src="{}" data-url="{}" defer></script>',
        static("cms/js/slug-prefill.js"),
        reverse("cms_slug_prefill"),
    )


# --- app preview token ----------------------------------------------------------------------
def preview_token_view(request, page_id: int):
    from cms.services import preview_token_make

    page = get_object_or_404(Page, pk=page_id).specific
    perms = page.permissions_for_user(request.user)
    if not (perms.can_edit() or perms.can_view_revisions()):
        raise Http404  # another unit's page answers like a missing one
    token = preview_token_make(page=page)
    url = request.build_absolute_uri(reverse("api:content-preview")) + "?token=" + token
    return JsonResponse({"token": token, "url": url})


@hooks.register("register_admin_urls")
def cms_admin_urls():
    return [
        path("cms/preview-token/<int:page_id>/", preview_token_view, name="cms_preview_token"),
        path("cms/slug/", slug_prefill_view, name="cms_slug_prefill"),
        path("reports/content-audit/", ContentAuditReportView.as_view(), name="cms_content_audit"),
        path(
            "reports/content-audit/results/",
            ContentAuditReportView.as_view(results_only=True),
            name="cms_content_audit_results",
        ),
        path(
            "reports/content-trace/<int:pk>/", ContentTraceView.as_view(), name="cms_content_trace"
        ),
    ]


class AuditMenuItem(MenuItem):
    def is_shown(self, request):
        return audit_report_visible(request.user)


@hooks.register("register_reports_menu_item")
def register_audit_report():
    return AuditMenuItem(
        "审核发布记录", reverse("cms_content_audit"), icon_name="list-ul", order=900
    )


# --- the admin API's page listing (the sidebar's page explorer) --------------------------------
# Found by the BOLA harness (tests/security/test_bola.py): /admin/api/main/pages/ listed every
# unit's pages (titles) unless called with ?for_explorer=1; its base queryset now leaves out
# what the explorer leaves out. Its detail view answers 404 in cms.middleware.
@hooks.register("construct_admin_api")
def scope_admin_api_pages(router):
    from wagtail.admin.api.views import PagesAdminAPIViewSet

    class ScopedPagesAdminAPIViewSet(PagesAdminAPIViewSet):
        def get_base_queryset(self):
            return hide_out_of_scope_pages(None, super().get_base_queryset(), self.request)

    router.register_endpoint("pages", ScopedPagesAdminAPIViewSet)
