"""Dues background jobs (declared in core.schedule from DuesConfig.ready); each is
idempotent."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django_tasks import task

log = logging.getLogger("dues")


@task()
def obligations_generate_current() -> int:
    """This month's obligations (daily: members and bases added during the month get
    theirs; a member who already has it is skipped)."""
    from dues.services import current_month, obligations_generate

    return obligations_generate(month=current_month())


@task()
def orders_expire() -> dict:
    from dues.services import orders_expire as run

    return run()


@task()
def reconcile_yesterday() -> list[int]:
    from dues.gateways.base import GatewayError
    from dues.gateways.registry import enabled
    from dues.services import reconcile

    day = timezone.localdate() - dt.timedelta(days=1)
    runs = []
    for provider in enabled():
        try:
            runs.append(reconcile(provider=provider, day=day).pk)
        except GatewayError as exc:
            log.warning("dues reconciliation %s %s failed: %s", provider, day, exc)
    return runs


@task()
def sandbox_notify(out_trade_no: str) -> str:
    """The sandbox provider's asynchronous notification of a paid trade."""
    from dues.gateways.sandbox import notification_for
    from dues.gateways.sandbox_models import SandboxTrade
    from dues.services import payment_callback

    trade = SandboxTrade.objects.get(out_trade_no=out_trade_no)
    headers, body = notification_for(trade)
    status, _, _ = payment_callback(
        provider="sandbox", headers=headers, body=body, remote_addr="sandbox"
    )
    return str(status)
