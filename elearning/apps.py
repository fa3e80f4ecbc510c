from django.apps import AppConfig


class ElearningConfig(AppConfig):
    name = "elearning"
    verbose_name = "网络学院"
    default_auto_field = "django.db.models.BigAutoField"
