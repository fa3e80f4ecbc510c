from django.apps import AppConfig


class DuesConfig(AppConfig):
    name = "dues"
    verbose_name = "党费"
    default_auto_field = "django.db.models.BigAutoField"
