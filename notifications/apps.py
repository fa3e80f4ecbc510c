from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "消息通知"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from notifications.kinds import Kind, register

        # the general kind: an organisation's announcement, its text given by the sender
        register(
            Kind(
                code="announcement",
                label=_("通知公告"),
                title_template=_("{title}"),
                body_template=_("{body}"),
            )
        )

        import datetime as dt

        from core.schedule import Periodic
        from core.schedule import register as schedule

        schedule(
            Periodic(
                name="notifications.broadcasts_resume",
                task="notifications.tasks.broadcasts_resume",
                every=dt.timedelta(minutes=1),
                description=_("继续发送中断的群发通知（发送进程意外退出后）"),
            )
        )
        # push, e-mail and SMS deferred by quiet hours or waiting for a retry come due here
        schedule(
            Periodic(
                name="notifications.deferred",
                task="notifications.delivery.deliveries_due_send",
                every=dt.timedelta(minutes=1),
                description=_("发送到期的推迟消息（免打扰结束、重试）"),
            )
        )
