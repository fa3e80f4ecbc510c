"""党费管理 in the Wagtail admin, for treasurers (a role on a unit covers its subtree):
bases, the ledger, orders and refunds as read-only listings with Excel export (the
ledger is never edited: corrections are adjustments), plus the pages that write through
dues.services (set/import bases, adjustments, refunds) and the collection report."""

from __future__ import annotations

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import TitleColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from dues import admin_views
from dues.ledger import LedgerEntry
from dues.orders import PaymentOrder, Refund
from dues.rules import DuesBase, DuesRate
from organizations.models import UnitRole
from organizations.permissions import UnitScopedPermissionPolicy, UnitScopedViewSetMixin

ROLES = (UnitRole.Role.TREASURER,)


class ReadOnlyPolicy(UnitScopedPermissionPolicy):
    """Treasurers list, inspect and export; nothing is added, edited or deleted here."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, a) for a in actions)


BASE_POLICY = ReadOnlyPolicy(DuesBase, scope_field="unit__path", roles=ROLES, model_perms=False)
ENTRY_POLICY = ReadOnlyPolicy(LedgerEntry, scope_field="unit__path", roles=ROLES, model_perms=False)
ORDER_POLICY = ReadOnlyPolicy(
    PaymentOrder, scope_field="unit__path", roles=ROLES, model_perms=False
)
REFUND_POLICY = ReadOnlyPolicy(
    Refund, scope_field="order__unit__path", roles=ROLES, model_perms=False
)


class _ReadOnly(UnitScopedViewSetMixin, ModelViewSet):
    """Listing (with filters and Excel/CSV export) and inspect only: no add, edit, copy,
    delete or history URL exists for these rows."""

    add_to_admin_menu = False
    inspect_view_enabled = True
    copy_view_enabled = False
    READ_ONLY_VIEWS = ("index", "index_results", "inspect")

    def get_urlpatterns(self):
        return [p for p in super().get_urlpatterns() if p.name in self.READ_ONLY_VIEWS]


class BaseViewSet(_ReadOnly):
    scope_policy = BASE_POLICY
    model = DuesBase
    icon = "user"
    menu_label = "党费基数"
    list_display = ["member", "year", "category", "base_fen", "unit", "updated_at"]
    list_filter = ["year", "category"]
    search_fields = ["member__name", "member__member_no"]
    list_export = ["member", "year", "category", "base_fen", "unit"]
    export_filename = "党费基数"
    form_fields = ["member", "year", "category", "base_fen"]


class EntryViewSet(_ReadOnly):
    scope_policy = ENTRY_POLICY
    model = LedgerEntry
    icon = "list-ul"
    menu_label = "党费账目"
    list_display = ["member", "month", "kind", "amount_fen", "unit", "reason", "created_at"]
    list_filter = ["kind", "month"]
    search_fields = ["member__name", "member__member_no", "reason"]
    list_export = [
        "member",
        "month",
        "kind",
        "amount_fen",
        "unit",
        "reason",
        "approved_by",
        "created_at",
    ]
    export_filename = "党费账目"
    form_fields = ["member", "month", "kind", "amount_fen", "reason"]


class OrderViewSet(_ReadOnly):
    scope_policy = ORDER_POLICY
    model = PaymentOrder
    icon = "form"
    menu_label = "支付订单"
    list_display = [
        TitleColumn(
            "out_trade_no",
            label="商户订单号（已支付的可点击退款）",
            get_url=lambda o: (
                reverse("dues_order_refund", args=[o.pk]) if o.status == "paid" else None
            ),
        ),
        "member",
        "provider",
        "amount_fen",
        "status",
        "refunded_fen",
        "paid_at",
    ]
    list_filter = ["status", "provider"]
    search_fields = ["out_trade_no", "provider_txn_id", "member__name", "member__member_no"]
    list_export = [
        "out_trade_no",
        "member",
        "provider",
        "amount_fen",
        "status",
        "refunded_fen",
        "provider_txn_id",
        "paid_at",
    ]
    export_filename = "党费支付订单"
    form_fields = ["provider", "amount_fen", "status"]


class RefundViewSet(_ReadOnly):
    scope_policy = REFUND_POLICY
    model = Refund
    icon = "undo"
    menu_label = "退款记录"
    list_display = [
        "out_refund_no",
        "order",
        "amount_fen",
        "reason",
        "status",
        "requested_by",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["out_refund_no", "order__out_trade_no", "reason"]
    list_export = [
        "out_refund_no",
        "order",
        "amount_fen",
        "reason",
        "status",
        "requested_by",
        "created_at",
    ]
    export_filename = "党费退款"
    form_fields = ["amount_fen", "reason"]


class RateViewSet(ModelViewSet):
    """The regulation's tiers (one rule for the whole organisation): Django model
    permissions, i.e. superusers, change them when the regulation changes."""

    model = DuesRate
    icon = "cog"
    menu_label = "党费标准"
    add_to_admin_menu = False
    list_display = ["__str__", "category", "lower_fen", "upper_fen", "rate_bp", "fixed_fen"]
    list_filter = ["category"]
    form_fields = ["category", "lower_fen", "upper_fen", "rate_bp", "fixed_fen"]


class DuesGroup(ViewSetGroup):
    menu_label = "党费管理"
    menu_icon = "tag"
    menu_order = 420
    items = (
        BaseViewSet("dues_bases"),
        EntryViewSet("dues_entries"),
        OrderViewSet("dues_orders"),
        RefundViewSet("dues_refunds"),
        RateViewSet("dues_rates"),
    )


@hooks.register("register_admin_viewset")
def register_dues():
    return DuesGroup()


@hooks.register("register_admin_urls")
def register_dues_urls():
    return [
        path("dues/bases/set/", admin_views.base_set_view, name="dues_base_set"),
        path("dues/bases/import/", admin_views.bases_import_view, name="dues_bases_import"),
        path("dues/adjustments/new/", admin_views.adjustment_view, name="dues_adjustment"),
        path(
            "dues/orders/<int:pk>/refund/", admin_views.order_refund_view, name="dues_order_refund"
        ),
        path("dues/report/", admin_views.report_view, name="dues_report"),
    ]


class TreasurerMenuItem(MenuItem):
    def is_shown(self, request):
        from dues.selectors import treasurer_scope

        return treasurer_scope(request.user).has_role


@hooks.register("register_admin_menu_item")
def register_dues_pages_menu():
    return TreasurerMenuItem("党费收缴报表", reverse("dues_report"), icon_name="table", order=421)


@hooks.register("register_admin_menu_item")
def register_dues_set_menu():
    return TreasurerMenuItem(
        "设置/导入党费基数", reverse("dues_bases_import"), icon_name="upload", order=422
    )


@hooks.register("register_admin_menu_item")
def register_dues_adjust_menu():
    return TreasurerMenuItem("党费调整", reverse("dues_adjustment"), icon_name="edit", order=423)
