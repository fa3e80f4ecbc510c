from django.apps import AppConfig


class PublicationsConfig(AppConfig):
    name = "publications"
    verbose_name = "文件与简报"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from core import assessment
        from notifications.kinds import Kind, register
        from publications import content
        from publications.manuscripts import notify, reports

        content.register()
        notify.register_kinds()
        # the content-team assessment (interaction.analytics) shows each team's manuscripts
        assessment.register(
            assessment.TeamFigures(
                code="manuscripts",
                label=str(_("稿件采用")),
                columns=tuple((k, str(v)) for k, v in reports.TEAM_COLUMNS),
                compute=reports.team_figures,
            )
        )

        register(
            Kind(
                code="document_unread",
                label=_("文件阅读提醒"),
                title_template=_("请阅读文件：{title}"),
                body_template=_("{number}《{title}》尚未阅读，请及时查阅。"),
            )
        )
        register(
            Kind(
                code="bulletin_published",
                label=_("政工情况"),
                title_template=_("《{masthead}》{number}"),
                body_template=_("{title}"),
            )
        )
        from wagtail.signals import page_published

        from publications.bulletins.services import page_published as bulletin_page_published

        page_published.connect(
            bulletin_page_published, dispatch_uid="publications.bulletin_published", weak=False
        )
