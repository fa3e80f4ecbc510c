import datetime as dt

from django.apps import AppConfig


class DuesConfig(AppConfig):
    name = "dues"
    verbose_name = "党费"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.schedule import Periodic, register

        register(
            Periodic(
                name="dues.obligations",
                task="dues.tasks.obligations_generate_current",
                every=dt.timedelta(days=1),
                offset=dt.timedelta(hours=17),  # 01:00 Beijing time
                description="生成本月党费应缴记录",
            )
        )
        register(
            Periodic(
                name="dues.orders_expire",
                task="dues.tasks.orders_expire",
                every=dt.timedelta(minutes=5),
                description="关闭过期未支付的党费订单",
            )
        )
        register(
            Periodic(
                name="dues.reconcile",
                task="dues.tasks.reconcile_yesterday",
                every=dt.timedelta(days=1),
                offset=dt.timedelta(
                    hours=3
                ),  # 11:00 Beijing: providers publish the bill after 10:00
                description="党费对账（下载前一日支付平台账单）",
            )
        )
