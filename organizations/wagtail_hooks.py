"""Admin registration: 组织管理 → 党组织 / 党员 / 导入 (scoped to the user's subtree)."""

from wagtail import hooks

from organizations.admin_views import OrganizationViewSetGroup


@hooks.register("register_admin_viewset")
def register_organization_viewsets():
    return OrganizationViewSetGroup()
