"""Admin registration: 组织管理 → 党组织 / 党员, and the 导入 page (all scoped)."""

from django.urls import path, reverse
from django.utils.functional import classproperty
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction
from wagtail.snippets.models import get_snippet_models

from organizations.admin_import import import_view
from organizations.admin_logins import member_logout_everywhere_view, user_logout_everywhere_view
from organizations.admin_views import OrganizationViewSetGroup
from organizations.permissions import ScopedBulkActionMixin, can_manage_org, policy_for


@hooks.register("register_admin_viewset")
def register_organization_viewsets():
    return OrganizationViewSetGroup()


@hooks.register("register_admin_viewset")
def register_transfer_viewset():
    from organizations.admin_transfers import TransferViewSet

    return TransferViewSet("org_transfers")


@hooks.register("register_admin_urls")
def register_transfer_letter_url():
    from organizations.admin_transfers import transfer_letter_view

    return [path("org-transfers/<int:pk>/letter/", transfer_letter_view, name="transfer_letter")]


@hooks.register("register_admin_urls")
def register_import_url():
    return [path("org-import/", import_view, name="org_import")]


@hooks.register("register_admin_urls")
def register_logout_everywhere_urls():
    return [
        path(
            "logins/user/<int:pk>/end-all/",
            user_logout_everywhere_view,
            name="user_logout_everywhere",
        ),
        path(
            "logins/member/<int:pk>/end-all/",
            member_logout_everywhere_view,
            name="member_logout_everywhere",
        ),
    ]


@hooks.register("register_user_listing_buttons")
def user_logout_everywhere_button(user, request_user):
    from django.contrib.auth import get_user_model
    from wagtail.admin.widgets import Button

    meta = get_user_model()._meta
    if not request_user.has_perm(f"{meta.app_label}.change_{meta.model_name}"):
        return []
    if user.is_superuser and not request_user.is_superuser:
        return []
    url = reverse("user_logout_everywhere", args=[user.pk])
    return [Button("退出所有登录", url=url, icon_name="logout", priority=50)]


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return can_manage_org(request.user)


@hooks.register("register_admin_menu_item")
def register_import_menu_item():
    return ImportMenuItem("导入组织和党员", reverse("org_import"), icon_name="upload", order=151)


# Registered after Wagtail's own (order=100), so for unit-scoped snippets this replaces
# the stock bulk delete, which checks only the model permission.
@hooks.register("register_bulk_action", order=100)
class UnitScopedSnippetDeleteBulkAction(ScopedBulkActionMixin, DeleteBulkAction):
    @classproperty
    def models(cls):
        return [m for m in get_snippet_models() if policy_for(m) is not None]


# 党员档案 and 档案访问日志 (organizations/records/admin_hooks.py)
from organizations.records import admin_hooks  # noqa: E402, F401
