from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "组织生活与督导"
    default_auto_field = "django.db.models.BigAutoField"
