"""Organisation life and supervision (管理平台): meetings and lessons (三会一课), the work
ledger (电子台账), problems handed down for rectification (问题移交单) and the selectors the
supervision dashboard is assembled from."""

import datetime as dt

from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "组织生活与督导"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from core.schedule import register_jobs
        from notifications.kinds import Kind
        from notifications.kinds import register as register_kind
        from supervision.tallies import receivers  # noqa: F401 (the roll-ups follow writes)

        for kind in (
            Kind(
                code="meeting_scheduled",
                label=_("会议通知"),
                title_template=_("{kind}通知：{title}"),
                body_template=_("时间：{when}（本组织当地时间）；地点：{place}"),
                mandatory=True,
            ),
            Kind(
                code="ledger_due",
                label=_("台账提醒"),
                title_template=_("台账待报告：{item}"),
                body_template=_("{unit}尚未报告{period}的“{item}”，截止 {due}。"),
                mandatory=True,
            ),
            Kind(
                code="rectification_issued",
                label=_("问题移交"),
                title_template=_("新的问题移交单：{title}"),
                body_template=_("{unit}：请在 {deadline} 前完成整改并反馈。"),
                mandatory=True,
            ),
            Kind(
                code="rectification_overdue",
                label=_("整改逾期提醒"),
                title_template=_("整改已逾期：{title}"),
                body_template=_("{unit}的整改期限 {deadline} 已过 {days} 天，请尽快整改反馈。"),
                mandatory=True,
            ),
            Kind(
                code="rectification_escalated",
                label=_("整改逾期督办"),
                title_template=_("下级整改逾期督办：{title}"),
                body_template=_("{unit}的整改期限 {deadline} 已过 {days} 天仍未销号。"),
                mandatory=True,
            ),
        ):
            register_kind(kind)
        register_jobs(
            "supervision",
            (
                "ledger_reminders",
                "ledger_reminders",
                dt.timedelta(hours=1),
                _("台账到期提醒（各组织当地 09:00）"),
                dt.timedelta(minutes=5),
            ),
            (
                "rectifications_escalate",
                "rectifications_escalate",
                dt.timedelta(hours=1),
                _("问题整改逾期督办（各组织当地 09:00）"),
                dt.timedelta(minutes=10),
            ),
        )
