from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "搜索"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from core.content import content_changed
        from search import adapters, signals

        adapters.register_all()
        content_changed.connect(signals.content_changed, dispatch_uid="search.content_changed")
