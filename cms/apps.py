from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "内容"
    default_auto_field = "django.db.models.BigAutoField"

    #: (page, user) -> the app's JSON for a draft (the "App 视图" preview mode); set in
    #: ready() from cms.representations, which imports the models (not the other way)
    preview_payload = None
    #: the outlet registry's rules (cms.outlets), which import the models: set in ready()
    #: so that the page models and the page form ask them without importing them back
    outlet_rules = None

    def ready(self):
        from cms import content

        content.register()  # news, stories, digests, the bookshelf (cms/content.py)

        from cms.representations import preview_payload

        self.preview_payload = preview_payload
        from cms import outlets

        self.outlet_rules = outlets

        # The audit log: one entry per audited action Wagtail logs on a content page.
        from django.db.models.signals import post_save
        from wagtail.models import PageLogEntry

        from cms.audit_log import page_log_entry_saved

        post_save.connect(
            page_log_entry_saved, sender=PageLogEntry, dispatch_uid="cms.audit_log", weak=False
        )

        _notifications()

        # Wagtail group membership follows unit roles (editor → 内容编辑, reviewer → 内容审核).
        try:
            from organizations.signals import unit_roles_changed
        except ImportError:  # the foundation may not ship the signal
            return

        def _sync(sender, user=None, **kwargs):
            if user is not None:
                from cms.services import user_content_groups_sync

                user_content_groups_sync(user=user)

        unit_roles_changed.connect(_sync, dispatch_uid="cms.user_content_groups_sync", weak=False)


def _notifications() -> None:
    """Kinds and triggers of content: the mobile newspaper delivered on publish, items
    pushed on a reviewer's request, the weekly digest proposal."""
    import datetime as dt

    from django.utils.translation import gettext_lazy as _
    from wagtail.signals import page_published

    from cms.notify import content_published
    from core.schedule import Periodic
    from core.schedule import register as schedule
    from notifications.kinds import Kind, register

    register(
        Kind(
            code="digest_published",
            label=_("手机报"),
            title_template=_("{title}"),
            body_template=_("{headlines}"),
        )
    )
    register(
        Kind(
            code="content_push",
            label=_("内容推送"),
            title_template=_("{title}"),
            body_template=_("{summary}"),
        )
    )
    page_published.connect(content_published, dispatch_uid="cms.notify_published", weak=False)
    schedule(
        Periodic(
            name="cms.digest_propose",
            task="cms.tasks.digest_propose_weekly",
            every=dt.timedelta(days=7),
            offset=dt.timedelta(hours=1),  # Mondays 01:00 UTC (09:00 Beijing)
            description=_("每周一生成上周手机报草稿，供编辑审核发布"),
        )
    )
    schedule(
        Periodic(
            name="cms.publish_scheduled",
            task="cms.tasks.publish_scheduled_run",
            every=dt.timedelta(minutes=1),
            description=_("发布到了定时发布时间的内容、下线到期内容"),
        )
    )
