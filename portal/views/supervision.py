"""Organisation life in the portal: a member's meetings (check in during the window, ask
for leave), the secretaries' forms (supervision_forms), and for secretaries the supervision dashboard (learning, meetings, ledger,
rectification — and the dues slot), the ledger grid and the problem transfer lists, each
with a drill-down to child units and an Excel export. Rules and numbers come from
supervision's selectors/services; an out-of-scope id is a 404 (portal_view)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.files import protected_file_response
from dues import selectors as dues_selectors
from organizations.selectors import (
    access_unit_by_id,
    top_unit_in_scope,
    unit_ancestors_in_scope,
)
from portal.access import portal_view
from portal.views.supervision_forms import meeting_page, rectification_page
from supervision import dashboard
from supervision.common import DASHBOARD_ROLES, MANAGE_ROLES, default_period, period_parse
from supervision.ledger import selectors as ledger
from supervision.ledger.exports import STATE_LABELS, grid_xlsx
from supervision.meetings import selectors as meetings
from supervision.meetings import services as meeting_services
from supervision.rectification import selectors as rect

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: The dues collection panel: `dues` provides the report (`dues.selectors.dashboard_report`,
#: one query by child unit) and the panel is assembled here (supervision may not import
#: dues). Were it None, the dashboard would show it as "not yet available".
DUES_PANEL: dashboard.Panel | None = dashboard.Panel(
    "dues", "党费收缴情况", dues_selectors.DASHBOARD_COLUMNS, dues_selectors.dashboard_report
)


def _panels() -> list[dashboard.Panel]:
    return [*dashboard.PANELS, *([DUES_PANEL] if DUES_PANEL is not None else [])]


# --- a member's meetings ------------------------------------------------------------------
@portal_view
def meeting_list(request):
    qs = meetings.meetings_visible(request.user).order_by("-starts_at", "-id")[:100]
    return render(
        request,
        "portal/supervision/meetings.html",
        {
            "nav": "meetings",
            "meetings": list(qs),
            "can_schedule": top_unit_in_scope(request.user, roles=MANAGE_ROLES) is not None,
        },
    )


@portal_view
def meeting_detail(request, pk: int):
    return meeting_page(request, meetings.access_meeting_by_id(request.user, pk))


@require_POST
@portal_view
def meeting_checkin(request, pk: int):
    meetings.access_meeting_by_id(request.user, pk)
    try:
        meeting_services.meeting_check_in(user=request.user, meeting_id=pk)
        messages.success(request, _("签到成功"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("portal:meeting_detail", pk=pk)


@require_POST
@portal_view
def meeting_leave(request, pk: int):
    meetings.access_meeting_by_id(request.user, pk)
    try:
        meeting_services.meeting_leave_request(
            user=request.user, meeting_id=pk, reason=request.POST.get("reason", "")
        )
        messages.success(request, _("已提交请假"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("portal:meeting_detail", pk=pk)


@portal_view
def meeting_file(request, pk: int):
    f = meetings.access_meeting_file_by_id(request.user, pk)
    return protected_file_response(f.file, filename=f.name)


# --- supervisors ----------------------------------------------------------------------------
def _selection(request, roles=DASHBOARD_ROLES):
    if not (top := top_unit_in_scope(request.user, roles=roles)):
        raise PermissionDenied
    raw = request.GET.get("unit")
    if raw:
        try:
            unit = access_unit_by_id(request.user, int(raw), roles=roles)
        except ValueError:
            raise Http404 from None
    else:
        unit = top
    try:
        period = period_parse(request.GET["period"]) if request.GET.get("period") else None
    except DomainError:
        period = None
        messages.error(request, _("周期格式应为 2026、2026-Q2 或 2026-05，已显示本季度"))
    period = period or default_period(unit)
    crumbs = unit_ancestors_in_scope(request.user, unit, roles=roles)
    return unit, period, crumbs


@portal_view
def supervision_dashboard(request):
    unit, period, crumbs = _selection(request)
    panels = []
    for panel in _panels():
        report = panel.build(user=request.user, unit=unit, period=period)
        panels.append({"panel": panel, "report": report})
    context = {
        "nav": "supervision",
        "unit": unit,
        "period": period,
        "breadcrumbs": crumbs,
        "panels": panels,
        "dues_pending": DUES_PANEL is None,
    }
    return render(request, "portal/supervision/dashboard.html", context)


@portal_view
def supervision_export(request):
    unit, period, _ = _selection(request)
    panel = next((p for p in _panels() if p.key == request.GET.get("panel")), None)
    if panel is None:
        raise Http404
    report = panel.build(user=request.user, unit=unit, period=period)
    data = dashboard.panel_xlsx(title=panel.title, columns=panel.columns, report=report)
    resp = HttpResponse(data, content_type=XLSX)
    resp["Content-Disposition"] = (
        f'attachment; filename="{panel.key}-{unit.code}-{period.key}.xlsx"'
    )
    return resp


@portal_view
def ledger_grid(request):
    unit, period, crumbs = _selection(request, roles=MANAGE_ROLES)
    grid = ledger.ledger_grid(unit=unit, period=period)
    if request.GET.get("export") == "xlsx":
        resp = HttpResponse(grid_xlsx(grid), content_type=XLSX)
        resp["Content-Disposition"] = f'attachment; filename="ledger-{unit.code}-{period.key}.xlsx"'
        return resp
    items = grid["items"]
    rows = [{**r, "cell_list": [r["cells"].get(i["item_id"]) for i in items]} for r in grid["rows"]]
    context = {
        "nav": "supervision",
        "unit": unit,
        "period": period,
        "breadcrumbs": crumbs,
        "grid": grid,
        "items": items,
        "rows": rows,
        "states": STATE_LABELS,
    }
    return render(request, "portal/supervision/ledger.html", context)


@portal_view
def rectification_list(request):
    unit, period, crumbs = _selection(request, roles=MANAGE_ROLES)
    qs = rect.with_overdue(
        rect.rectifications_in_scope(request.user).filter(unit__path__startswith=unit.path)
    ).order_by("status", "deadline", "id")
    if request.GET.get("overdue") == "1":
        qs = qs.filter(overdue=True)
    context = {
        "nav": "supervision",
        "unit": unit,
        "period": period,
        "breadcrumbs": crumbs,
        "items": list(qs[:200]),
        "report": rect.rectification_report(unit=unit, period=period),
    }
    return render(request, "portal/supervision/rectifications.html", context)


@portal_view
def rectification_detail(request, pk: int):
    return rectification_page(request, rect.access_rectification_by_id(request.user, pk))
