"""Admin registration of the analytics pages (imported by interaction/wagtail_hooks.py)."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from interaction.analytics import admin_views, reports
from organizations.selectors import scope_for


@hooks.register("register_admin_urls")
def register_engagement_urls():
    return [
        path(
            "interaction/engagement/", admin_views.preferences_view, name="interaction_preferences"
        ),
        path(
            "interaction/engagement/assessment/",
            admin_views.assessment_view,
            name="interaction_assessment",
        ),
    ]


class AnalyticsMenuItem(MenuItem):
    def is_shown(self, request):
        return scope_for(request.user, roles=reports.REPORT_ROLES).has_role


@hooks.register("register_admin_menu_item")
def register_engagement_menu():
    return AnalyticsMenuItem(
        "互动分析", reverse("interaction_preferences"), icon_name="view", order=330
    )


@hooks.register("construct_homepage_panels")
def add_engagement_panel(request, panels):
    panel = admin_views.home_panel_for(request.user)
    if panel is not None:
        panels.append(panel)
