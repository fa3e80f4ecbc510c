from django.apps import AppConfig


class InteractionConfig(AppConfig):
    name = "interaction"
    verbose_name = "互动平台"
    default_auto_field = "django.db.models.BigAutoField"
