from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "搜索"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from core.content import content_changed
        from search import signals

        # what to index comes from the declared content types (search.registry)
        content_changed.connect(signals.content_changed, dispatch_uid="search.content_changed")
