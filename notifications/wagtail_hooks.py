"""Admin: a read-only list of sent notifications (who was sent what), filterable by kind
and read state, scoped to the viewer's unit subtree through the recipient's unit — the
one policy, organizations.permissions.UnitScopedPermissionPolicy. Nothing is added,
edited or deleted here: a notification is the record of what was sent."""

from __future__ import annotations

import django_filters
from django.db.models import Count, Q
from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet

from notifications import kinds
from notifications.models import Delivery, Notification
from organizations.permissions import UnitScopedPermissionPolicy, UnitScopedViewSetMixin

READ_ONLY = frozenset({"add", "change", "delete"})


class ReadOnlyUnitScopedPolicy(UnitScopedPermissionPolicy):
    def user_has_permission(self, user, action):
        return action not in READ_ONLY and super().user_has_permission(user, action)


NOTIFICATION_POLICY = ReadOnlyUnitScopedPolicy(
    Notification, scope_field="recipient__unit__path", model_perms=False
)


class NotificationFilterSet(WagtailFilterSet):
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=kinds.choices)
    unread = django_filters.BooleanFilter(
        label=_("未读"), field_name="read_at", lookup_expr="isnull"
    )

    class Meta:
        model = Notification
        fields = ["kind"]


class NotificationViewSet(UnitScopedViewSetMixin, ModelViewSet):
    model = Notification
    scope_policy = NOTIFICATION_POLICY
    icon = "mail"
    menu_label = _("已发消息")
    menu_order = 900
    add_to_admin_menu = True
    inspect_view_enabled = True
    list_display = [
        "title",
        "kind",
        "recipient",
        "created_at",
        "read_at",
        Column("delivered_count", label=_("已送达")),
        Column("failed_count", label=_("发送失败")),
    ]
    filterset_class = NotificationFilterSet
    search_fields = None
    inspect_view_fields = [
        "kind",
        "recipient",
        "title",
        "body",
        "api_path",
        "portal_url",
        "created_at",
        "read_at",
    ]

    def get_queryset(self, request):
        sent, failed = Delivery.Status.SENT, Delivery.Status.FAILED
        return (
            Notification.objects.select_related("recipient")
            .annotate(  # push / e-mail / SMS deliveries (notifications.delivery)
                delivered_count=Count("deliveries", filter=Q(deliveries__status=sent)),
                failed_count=Count("deliveries", filter=Q(deliveries__status=failed)),
            )
            .order_by("-created_at", "-id")
        )

    def get_index_view_kwargs(self, **kwargs):
        # the list reads get_queryset (with the delivery counts), scoped by the mixin
        return super().get_index_view_kwargs(queryset=self.get_queryset(None), **kwargs)

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("add", "edit", "delete", "history", "usage", "copy"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self):
        conv = self.pk_path_converter
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path(f"inspect/<{conv}:pk>/", self.inspect_view, name="inspect"),
        ]


@hooks.register("register_admin_viewset")
def register_notification_viewset():
    return NotificationViewSet("notifications")
