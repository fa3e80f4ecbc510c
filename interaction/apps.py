"""Interaction platform (互动平台): comments and unit message boards with moderation,
reads/likes/shares (buffered events folded into daily roll-ups), Q&A, and the preference
and content-team assessment reports. Sub-packages by domain: `comments/`, `qa/`,
`engagement/`, `analytics/`; `models.py` gathers their models."""

import datetime as dt

from django.apps import AppConfig


class InteractionConfig(AppConfig):
    name = "interaction"
    verbose_name = "互动平台"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from core.schedule import Periodic, register

        register(
            Periodic(
                name="interaction.engagement_fold",
                task="interaction.engagement.tasks.engagement_fold",
                every=dt.timedelta(minutes=1),
                description="汇总阅读、点赞、分享事件",
            )
        )
