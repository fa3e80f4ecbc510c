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


# --- broadcasts (群发通知): create for a unit subtree in scope, watch the progress ----------
import uuid  # noqa: E402

from django import forms  # noqa: E402
from django.http import Http404, JsonResponse  # noqa: E402
from django.template.response import TemplateResponse  # noqa: E402
from django.urls import reverse  # noqa: E402
from wagtail.admin.forms import WagtailAdminModelForm  # noqa: E402
from wagtail.admin.menu import MenuItem  # noqa: E402
from wagtail.admin.panels import FieldPanel, ObjectList  # noqa: E402
from wagtail.admin.ui.tables import Column  # noqa: E402
from wagtail.admin.views.generic import CreateView  # noqa: E402

from core.errors import DomainError  # noqa: E402
from notifications.models import Broadcast  # noqa: E402
from organizations.permissions import scope_unit_fields  # noqa: E402
from organizations.scope import scope_for  # noqa: E402

BROADCAST_ROLES = ("unit_admin", "secretary")


class BroadcastPolicy(UnitScopedPermissionPolicy):
    """unit_admin / secretary of the audience unit or above; sent broadcasts are a record:
    never edited or deleted."""

    def user_has_permission(self, user, action):
        return action not in {"change", "delete"} and super().user_has_permission(user, action)


BROADCAST_POLICY = BroadcastPolicy(
    Broadcast, scope_field="audience_unit__path", roles=BROADCAST_ROLES, model_perms=False
)


class BroadcastForm(WagtailAdminModelForm):
    """Title, text, the unit subtree (in the sender's scope) and an optional link; a
    hidden key drawn when the form is shown makes a double submit one broadcast."""

    send_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].label = "标题"
        self.fields["body"].required = True
        self.fields["body"].label = "内容"
        self.fields["audience_unit"].label = "发送给（该组织及全部下级组织的党员）"
        self.fields["audience_unit"].error_messages["invalid_choice"] = (
            "所选发送范围不存在或不在您管理的组织范围内"
        )
        self.fields["portal_url"].label = "链接（可选，站内地址，如 /news/12/）"
        if not self.is_bound:
            self.initial["send_key"] = uuid.uuid4().hex
        user = getattr(self, "for_user", None)
        scope_unit_fields(
            self, user, roles=BROADCAST_ROLES, names=("audience_unit",), required=True
        )

    def clean_portal_url(self):
        url = (self.cleaned_data.get("portal_url") or "").strip()
        if url and not url.startswith("/"):
            raise forms.ValidationError("链接须为站内地址，以 / 开头")
        return url


class BroadcastCreateView(CreateView):
    def save_instance(self):
        from notifications.broadcasts import broadcast_create

        data = self.form.cleaned_data
        return broadcast_create(
            kind="announcement",
            audience_unit=data["audience_unit"],
            context={"title": data["title"], "body": data["body"]},
            link=("", data.get("portal_url") or ""),
            idempotency_key=f"admin-{data.get('send_key') or uuid.uuid4().hex}",
            sent_by=self.request.user,
        )

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except DomainError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)

    def get_success_url(self):
        return reverse("notifications_broadcasts:progress", args=[self.object.pk])

    def get_edit_url(self):  # a broadcast is not edited: its page is the progress
        return self.get_success_url()


class ProgressColumn(Column):
    def get_value(self, instance):
        return f"{instance.written}/{instance.total}（{instance.progress}%）"


def _broadcast_in_scope(request, pk) -> Broadcast:
    found = (
        BROADCAST_POLICY.instances_user_has_permission_for(request.user, "view")
        .select_related("audience_unit", "sent_by")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _progress_json(b: Broadcast) -> dict:
    return {
        "id": b.pk,
        "status": b.status,
        "status_label": str(b.get_status_display()),
        "total": b.total,
        "written": b.written,
        "progress": b.progress,
        "done": b.status in (Broadcast.Status.DONE, Broadcast.Status.FAILED),
    }


def broadcast_progress(request, pk):
    broadcast = _broadcast_in_scope(request, pk)
    return TemplateResponse(
        request,
        "notifications/admin/broadcast_progress.html",
        {"broadcast": broadcast, "progress": _progress_json(broadcast)},
    )


def broadcast_progress_json(request, pk):
    return JsonResponse(_progress_json(_broadcast_in_scope(request, pk)))


class BroadcastViewSet(UnitScopedViewSetMixin, ModelViewSet):
    model = Broadcast
    scope_policy = BROADCAST_POLICY
    icon = "mail"
    menu_label = _("发送通知")
    menu_order = 901
    add_to_admin_menu = True
    add_view_class = BroadcastCreateView
    inspect_view_enabled = True
    list_display = [
        "title",
        "audience_unit",
        "status",
        ProgressColumn("progress", label="进度"),
        "sent_by",
        "created_at",
    ]
    list_filter = ["status", "audience"]
    search_fields = None
    inspect_view_fields = [
        "title",
        "body",
        "kind",
        "audience",
        "audience_unit",
        "portal_url",
        "status",
        "total",
        "written",
        "sent_by",
        "created_at",
        "started_at",
        "finished_at",
        "error",
    ]
    edit_handler = ObjectList(
        [
            FieldPanel("title"),
            FieldPanel("body"),
            FieldPanel("audience_unit"),
            FieldPanel("portal_url"),
        ],
        base_form_class=BroadcastForm,
    )

    def get_queryset(self, request):
        return Broadcast.objects.select_related("audience_unit", "sent_by").order_by(
            "-created_at", "-id"
        )

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        for name in ("edit", "delete", "history", "usage", "copy"):
            view_kwargs[f"{name}_url_name"] = None
        return view_kwargs

    def get_urlpatterns(self):
        conv = self.pk_path_converter
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("new/", self.add_view, name="add"),
            path(f"inspect/<{conv}:pk>/", self.inspect_view, name="inspect"),
            path("progress/<int:pk>/", broadcast_progress, name="progress"),
            path("progress/<int:pk>/json/", broadcast_progress_json, name="progress_json"),
        ]


@hooks.register("register_admin_viewset")
def register_broadcast_viewset():
    return BroadcastViewSet("notifications_broadcasts")


# --- 定时任务: every registered periodic job with its last and next run (read-only) ------
def _may_see_jobs(user) -> bool:
    return scope_for(user, roles=["unit_admin"]).has_role


def periodic_jobs(request):
    from notifications.periodic import jobs_overview

    if not _may_see_jobs(request.user):
        raise Http404
    return TemplateResponse(
        request, "notifications/admin/periodic_jobs.html", {"rows": jobs_overview()}
    )


@hooks.register("register_admin_urls")
def register_periodic_urls():
    return [path("periodic-jobs/", periodic_jobs, name="notifications_periodic_jobs")]


class PeriodicMenuItem(MenuItem):
    def is_shown(self, request):
        return _may_see_jobs(request.user)


@hooks.register("register_settings_menu_item")
def register_periodic_menu_item():
    return PeriodicMenuItem(
        "定时任务", reverse("notifications_periodic_jobs"), icon_name="time", order=900
    )
