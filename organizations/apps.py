from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = "组织"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from organizations.logins import connect_signals

        connect_signals()  # password change / deactivation end the user's logins
