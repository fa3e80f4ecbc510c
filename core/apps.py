from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "core"

    def ready(self):
        from core.spreadsheet import guard_wagtail_exports
        from core.wagtail_i18n import translate_wagtail_labels

        guard_wagtail_exports()
        translate_wagtail_labels()
