"""Admin registration: 组织管理 → 党组织 / 党员, and the 导入 page (all scoped)."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from organizations.admin_import import import_view
from organizations.admin_views import OrganizationViewSetGroup
from organizations.permissions import can_manage_org


@hooks.register("register_admin_viewset")
def register_organization_viewsets():
    return OrganizationViewSetGroup()


@hooks.register("register_admin_urls")
def register_import_url():
    return [path("org-import/", import_view, name="org_import")]


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return can_manage_org(request.user)


@hooks.register("register_admin_menu_item")
def register_import_menu_item():
    return ImportMenuItem("导入组织和党员", reverse("org_import"), icon_name="upload", order=151)
