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
        _comments_and_qa()


def _comments_and_qa() -> None:
    from django.db.models.signals import post_delete, post_save

    from core.schedule import Periodic, register
    from interaction.comments.models import SensitiveWord
    from notifications.kinds import Kind
    from notifications.kinds import register as kind

    kind(
        Kind(
            code="comment_rejected",
            label="评论未通过审核",
            title_template="您的评论未通过审核",
            body_template="理由：{reason}。原评论：{excerpt}",
        )
    )
    kind(
        Kind(
            code="question_assigned",
            label="待答复的问题",
            title_template="新的待答问题：{title}",
            body_template="请在 {due} 前答复。",
        )
    )
    kind(
        Kind(
            code="question_answered",
            label="问题已答复",
            title_template="您的问题已答复：{title}",
        )
    )
    register(
        Periodic(
            name="interaction.questions_escalate",
            task="interaction.qa.tasks.questions_escalate_overdue",
            every=dt.timedelta(minutes=15),
            description="逾期未答复的问题升级到上一级党组织",
        )
    )
    post_save.connect(_words_changed, sender=SensitiveWord, dispatch_uid="ia_words_saved")
    post_delete.connect(_words_changed, sender=SensitiveWord, dispatch_uid="ia_words_deleted")


def _words_changed(**kwargs) -> None:
    from interaction.comments.words import words_changed

    words_changed()
