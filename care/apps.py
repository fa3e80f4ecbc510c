import datetime as dt

from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care"
    verbose_name = "关怀服务"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # family liaison files: the overdue reminder job and its notification kind
        from care.liaison.jobs import register_jobs as register_liaison_jobs

        register_liaison_jobs()

        # probationary members: conversion reminders to their secretary
        from care.probation.jobs import register_jobs as register_probation_jobs

        register_probation_jobs()
        _transfers_ready()
        _greetings_ready()


def _transfers_ready() -> None:
    """Transfer notifications and the expiry job (care/transfer_notices.py)."""
    from django.utils.translation import gettext_lazy as _

    from care import transfer_notices
    from core.schedule import Periodic, register
    from organizations.transfers import transfer_changed

    transfer_notices.register_kinds()
    transfer_changed.connect(
        transfer_notices.on_transfer_changed, dispatch_uid="care.transfer_notify", weak=False
    )
    register(
        Periodic(
            name="care.transfers_expire",
            task="care.transfer_notices.transfers_expire_job",
            every=dt.timedelta(hours=1),
            offset=dt.timedelta(minutes=7),
            description=_("超过有效期未接收的组织关系转接标记为已过期"),
        )
    )


def _greetings_ready() -> None:
    """Birthday and political-birthday greetings at 09:00 local time (care/greetings)."""
    from django.utils.translation import gettext_lazy as _

    from care.greetings import services as greetings
    from core.schedule import Periodic, register

    greetings.register_kinds()
    register(
        Periodic(
            name="care.greetings_send",
            task="care.greetings.tasks.greetings_send_job",
            every=dt.timedelta(minutes=15),
            offset=dt.timedelta(minutes=1),
            description=_("每天当地 9 点发送生日和政治生日祝福，并给书记发当日名单"),
        )
    )
