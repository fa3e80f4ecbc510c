"""Admin registration of the family liaison files (亲情档案), imported by care.wagtail_hooks."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from care.liaison.admin_views import LiaisonViewSetGroup, family_reveal_view, liaison_report_view
from organizations.records.selectors import can_see_records


@hooks.register("register_admin_viewset")
def register_liaison_viewsets():
    return LiaisonViewSetGroup()


@hooks.register("register_admin_urls")
def register_liaison_urls():
    return [
        path("liaison/family/reveal/<int:pk>/", family_reveal_view, name="liaison_family_reveal"),
        path("liaison/report/", liaison_report_view, name="liaison_report"),
    ]


class RecordsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_see_records(request.user)


@hooks.register("register_admin_menu_item")
def register_liaison_report_menu_item():
    return RecordsMenuItem(
        "海外党员联络情况", reverse("liaison_report"), icon_name="group", order=161
    )
