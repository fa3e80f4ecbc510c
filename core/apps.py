from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "core"

    def ready(self):
        from core.spreadsheet import guard_wagtail_exports

        guard_wagtail_exports()
