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
