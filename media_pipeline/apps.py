from django.apps import AppConfig


class MediaPipelineConfig(AppConfig):
    name = "media_pipeline"
    verbose_name = "音视频"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        import datetime as dt

        from core.schedule import Periodic, register

        register(
            Periodic(
                name="media_pipeline.assets_recover_stale",
                task="media_pipeline.tasks.assets_recover_stale",
                every=dt.timedelta(minutes=1),
                description="重新排队处理进程意外退出的音视频（租约过期）",
            )
        )
