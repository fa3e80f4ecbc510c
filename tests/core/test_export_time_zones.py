"""Excel/CSV exports write times as the page shows them — in the viewer's time zone —
and every time column or stamp names that zone. One test per export family: Wagtail's
listing exports (our reports and Wagtail's own), the portal's member list and the
completion report (portal and API)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry
from wagtail.users.models import UserProfile

from elearning.models import CourseProgress
from tests.elearning.conftest import academy  # noqa: F401  (fixture)
from tests.factories import UserFactory, member_in, user_with_role

# 00:30 UTC is 08:30 in Beijing and 03:30 in Dar es Salaam (and yesterday in neither)
WHEN = dt.datetime(2026, 3, 1, 0, 30, tzinfo=dt.UTC)


def _body(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content) if response.streaming else response.content


def _xlsx_rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_zone_label_names_the_zone_and_its_offset():
    from core.spreadsheet import zone_label

    assert zone_label(ZoneInfo("Asia/Shanghai")) == "Asia/Shanghai，UTC+8"
    assert zone_label(ZoneInfo("Africa/Dar_es_Salaam")) == "Africa/Dar_es_Salaam，UTC+3"
    assert zone_label(ZoneInfo("Asia/Kathmandu")) == "Asia/Kathmandu，UTC+5:45"
    assert zone_label(ZoneInfo("America/Lima")) == "America/Lima，UTC-5"


@pytest.mark.parametrize(("zone", "wall_clock"), [("", "08:30"), ("Africa/Dar_es_Salaam", "03:30")])
def test_admin_listing_export_in_the_viewers_zone(org, zone, wall_clock):
    """Wagtail's exports (site history here; every `list_export` shares the code) wrote
    UTC; now the admin user's zone (Wagtail profile, else the site's Asia/Shanghai)."""
    admin = UserFactory(username="root_admin", is_staff=True, is_superuser=True)
    profile = UserProfile.get_for_user(admin)
    profile.current_time_zone = zone
    profile.save()
    log(instance=org.a1, action="wagtail.edit", user=admin)
    ModelLogEntry.objects.update(timestamp=WHEN)
    name = zone or "Asia/Shanghai"
    client = Client()
    client.force_login(admin)
    url = reverse("wagtailadmin_reports:site_history")

    rows = list(csv.reader(io.StringIO(_body(client.get(url, {"export": "csv"})).decode())))
    [time_col] = [i for i, h in enumerate(rows[0]) if name in h]
    assert re.search(rf"（{re.escape(name)}，UTC\+\d）$", rows[0][time_col])
    assert rows[1][time_col].startswith(f"2026-03-01 {wall_clock}")

    sheet = _xlsx_rows(_body(client.get(url, {"export": "xlsx"})))
    [time_col] = [i for i, h in enumerate(sheet[0]) if name in h]
    assert sheet[1][time_col] == dt.datetime(2026, 3, 1, *map(int, wall_clock.split(":")))


@pytest.mark.parametrize(
    ("where", "zone", "wall_clock"),
    [("a", "Asia/Shanghai", "08:30"), ("b1", "Africa/Dar_es_Salaam", "03:30")],
)
def test_portal_member_list_export_in_the_secretarys_zone(org, academy, where, zone, wall_clock):  # noqa: F811
    """The portal shows a secretary's dashboard in their unit's zone; so does its Excel."""
    unit = getattr(org, where)
    done = member_in(unit, name="完成者")
    CourseProgress.objects.create(
        member=done, course=academy.course, started_at=WHEN, completed_at=WHEN
    )
    client = Client()
    client.force_login(user_with_role(unit, "secretary"))
    rows = _xlsx_rows(
        _body(
            client.get(
                "/dashboard/members.xlsx", {"assignment": academy.assignment.pk, "unit": unit.pk}
            )
        )
    )
    header = rows[1]
    assert header[-1] == f"完成时间（{zone}，UTC+{3 if 'Dar' in zone else 8}）"
    [row] = [r for r in rows if r[0] == "完成者"]
    assert row[-1] == dt.datetime(2026, 3, 1, *map(int, wall_clock.split(":")))
    assert f"导出时间（{zone}，" in rows[-1][0]


def _stamp(rows) -> dt.datetime:
    text = next(r[0] for r in rows if r[0] and str(r[0]).startswith("导出时间"))
    return dt.datetime.strptime(text.rsplit("：", 1)[1], "%Y-%m-%d %H:%M")


def test_completion_report_stamp_in_the_viewers_zone(org, academy, client_for):  # noqa: F811
    """The report's export time was UTC with no zone; now local, with the zone named."""
    sec = user_with_role(org.b1, "secretary")
    a = academy.assignment.pk
    client = Client()
    client.force_login(sec)
    portal = _xlsx_rows(
        _body(client.get("/dashboard/export.xlsx", {"assignment": a, "unit": org.b1.pk}))
    )
    api = _xlsx_rows(
        _body(
            client_for(sec).get(
                f"/api/v1/reports/completion/?assignment={a}&unit={org.b1.pk}&export=xlsx"
            )
        )
    )
    now = timezone.now()
    for rows, zone in (
        (portal, "Africa/Dar_es_Salaam"),
        (api, timezone.get_default_timezone_name()),
    ):
        stamp = next(r[0] for r in rows if r[0] and str(r[0]).startswith("导出时间"))
        assert stamp.startswith(f"导出时间（{zone}，UTC+")
        local_now = timezone.localtime(now, timezone=ZoneInfo(zone))
        assert abs(_stamp(rows) - local_now.replace(tzinfo=None)) < dt.timedelta(minutes=2)
