from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The member web portal: server-rendered pages over the other apps' services."""

    name = "portal"
    verbose_name = "门户网站"
    default_auto_field = "django.db.models.BigAutoField"
