from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = "组织"
    default_auto_field = "django.db.models.BigAutoField"
