from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care"
    verbose_name = "关怀服务"
    default_auto_field = "django.db.models.BigAutoField"
