"""Wagtail hooks of the member records (imported from organizations/wagtail_hooks.py)."""

from django.urls import path
from wagtail import hooks

from organizations.records.admin_views import RecordsViewSetGroup, member_reveal_view


@hooks.register("register_admin_viewset")
def register_record_viewsets():
    return RecordsViewSetGroup()


@hooks.register("register_admin_urls")
def register_reveal_url():
    return [path("member-records/reveal/<int:pk>/", member_reveal_view, name="member_reveal")]
