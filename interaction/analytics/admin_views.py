"""The analytics pages of the admin (互动分析): what members of a subtree read, like and
pass on, each child unit's preference by channel (CSS bars, no script, no CDN), the
content-team assessment with its formula, and their Excel exports; plus the dashboard
panel on the admin home page. Secretaries and editors see their own subtrees only (an
out-of-scope unit id is 404)."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from wagtail.admin.ui.components import Component

from interaction.analytics import exports, reports
from organizations.models import OrgUnit
from organizations.selectors import ObjectNotFound, top_unit_in_scope, units_in_scope


def _unit(request) -> OrgUnit:
    raw = request.GET.get("unit")
    if not raw:
        unit = top_unit_in_scope(request.user, roles=reports.REPORT_ROLES)
        if unit is None:
            raise Http404
        return unit
    try:
        return reports.access_report_unit(request.user, int(raw))
    except (ObjectNotFound, ValueError):
        raise Http404 from None


def _dates(request) -> tuple[dt.date, dt.date, str]:
    today = timezone.localdate()
    try:
        date_to = dt.date.fromisoformat(request.GET.get("date_to") or today.isoformat())
        date_from = dt.date.fromisoformat(
            request.GET.get("date_from") or (date_to - dt.timedelta(days=29)).isoformat()
        )
    except ValueError:
        return today - dt.timedelta(days=29), today, "日期格式应为 YYYY-MM-DD"
    if date_from > date_to:
        return date_to, date_to, "开始日期不能晚于结束日期"
    return date_from, date_to, ""


def _xlsx(data: bytes, name: str) -> HttpResponse:
    resp = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


def _with_bars(rows: list[dict], key: str = "reads") -> list[dict]:
    top = max((r[key] for r in rows), default=0) or 1
    return [{**r, "bar": round(100 * r[key] / top)} for r in rows]


def preferences_view(request):
    unit = _unit(request)
    date_from, date_to, error = _dates(request)
    order = request.GET.get("order") if request.GET.get("order") in reports.ORDERS else "reads"
    args = {"unit": unit, "date_from": date_from, "date_to": date_to}
    top = {
        "items": reports.top_items(**args, order=order),
        "channels": reports.top_channels(**args, order=order),
        "tags": reports.top_tags(**args, order=order),
    }
    prefs = reports.preferences(**args)
    if request.GET.get("format") == "xlsx":
        return _xlsx(exports.preferences_xlsx(prefs, top), f"preferences-{unit.code}.xlsx")
    palette = ["#c8102e", "#f39c12", "#2e86de", "#27ae60", "#8e44ad", "#7f8c8d", "#16a085"]
    colours = {c["channel"]: palette[i % len(palette)] for i, c in enumerate(prefs["channels"])}
    rows = []
    for row in prefs["rows"]:
        x, segments = 0.0, []
        for c in prefs["channels"]:
            pct = round(100 * (row["shares"].get(c["channel"]) or 0), 1)
            if pct:
                segments.append(
                    {"channel": c["label"], "pct": pct, "x": x, "colour": colours[c["channel"]]}
                )
                x += pct
        rows.append({**row, "segments": segments})
    ctx = {
        "title": "互动分析：阅读偏好",
        "unit": unit,
        "units": units_in_scope(request.user, roles=reports.REPORT_ROLES).order_by("path")[:500],
        "date_from": date_from,
        "date_to": date_to,
        "order": order,
        "error": error,
        "items": _with_bars(top["items"]),
        "channels": _with_bars(top["channels"]),
        "tags": _with_bars(top["tags"]),
        "legend": [
            {"label": c["label"], "colour": colours[c["channel"]]} for c in prefs["channels"]
        ],
        "rows": rows,
    }
    return TemplateResponse(
        request, "interaction/admin/preferences.html", ctx, status=400 if error else 200
    )


def assessment_view(request):
    unit = _unit(request)
    raw = request.GET.get("month") or f"{timezone.localdate():%Y-%m}"
    error = ""
    try:
        month = dt.date.fromisoformat(raw + "-01")
    except ValueError:
        month, error = timezone.localdate().replace(day=1), "月份格式应为 YYYY-MM，如 2026-11"
    report = reports.assessment(unit=unit, month=month)
    if request.GET.get("format") == "xlsx" and not error:
        return _xlsx(exports.assessment_xlsx(report), f"assessment-{unit.code}-{month:%Y-%m}.xlsx")
    ctx = {
        "title": "互动分析：内容团队考核",
        "unit": unit,
        "units": units_in_scope(request.user, roles=reports.REPORT_ROLES).order_by("path")[:500],
        "month": f"{month:%Y-%m}",
        "error": error,
        "report": report,
        "rows": _with_bars(report["rows"], "score") if report["rows"] else [],
    }
    return TemplateResponse(
        request, "interaction/admin/assessment.html", ctx, status=400 if error else 200
    )


class EngagementPanel(Component):
    """The admin home page's engagement panel for secretaries and editors: the channels
    their subtree's members read in the last 30 days (CSS bars) and the top items."""

    name = "engagement_panel"
    order = 160
    template_name = "interaction/admin/home_panel.html"

    def __init__(self, unit: OrgUnit):
        self.unit = unit

    def get_context_data(self, parent_context=None):
        today = timezone.localdate()
        args = {"unit": self.unit, "date_from": today - dt.timedelta(days=29), "date_to": today}
        return {
            "unit": self.unit,
            "channels": _with_bars(reports.top_channels(**args)),
            "items": _with_bars(reports.top_items(**args, limit=5)),
        }


def home_panel_for(user) -> EngagementPanel | None:
    unit = top_unit_in_scope(user, roles=reports.REPORT_ROLES)
    return EngagementPanel(unit) if unit is not None else None
