"""Local time of units: jobs that act at a local hour (a 09:00 reminder, a birthday
greeting) ask which unit time zones have passed that hour today, and for which local date.

A job runs every 15 minutes or hourly; for each zone returned it selects members of units
in that zone and sends with an idempotency key naming the local date, so a late or
repeated run sends once, and a run that was missed entirely still sends later that day.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone

from organizations.models import OrgUnit


def unit_zones() -> list[str]:
    """The IANA zones active units use (a few dozen at most)."""
    return sorted(
        set(OrgUnit.objects.filter(is_active=True).values_list("timezone", flat=True).distinct())
    )


def zones_past_local_hour(
    *, hour: int, now: dt.datetime | None = None, until_hour: int = 24
) -> dict[str, dt.date]:
    """{zone: local date} for each unit zone whose local clock reads at least `hour`:00 (and
    before `until_hour`:00) at `now`."""
    now = now or timezone.now()
    result = {}
    for name in unit_zones():
        local = now.astimezone(zoneinfo.ZoneInfo(name))
        if hour <= local.hour < until_hour:
            result[name] = local.date()
    return result


def local_date(zone: str, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(zone)).date()
