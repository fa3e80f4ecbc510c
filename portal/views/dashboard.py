"""Supervisor dashboard: completion of an assignment by child unit, drill-down to members,
the overdue list and the Excel export. The numbers and the scope check come from
elearning.reports.selectors (one SQL query per level); an out-of-scope unit or assignment is 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from elearning.courses import selectors
from elearning.models import Assignment
from elearning.reports import exports as report_exports
from elearning.reports import selectors as reports
from organizations.models import OrgUnit
from organizations.selectors import (
    access_unit_by_id,
    top_unit_in_scope,
    unit_ancestors_in_scope,
)
from portal.access import SUPERVISOR_ROLES, is_supervisor, portal_view

MEMBERS_PAGE = 50
OVERDUE_LIMIT = 500


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _status(request) -> str | None:
    """?status= of the member list: one of reports.MEMBER_STATUSES, or none (everyone)."""
    status = request.GET.get("status") or None
    if status is not None and status not in reports.MEMBER_STATUSES:
        raise Http404
    return status


def _selection(request) -> tuple[list[Assignment], Assignment | None, OrgUnit | None]:
    if not is_supervisor(request.user):
        raise PermissionDenied
    assignments = list(
        selectors.assignments_visible_to_manager(request.user).order_by("-due_date", "-id")[:200]
    )
    wanted = _int(request.GET.get("assignment"))
    assignment = next((a for a in assignments if a.pk == wanted), None)
    if wanted is not None and assignment is None:
        raise Http404
    assignment = assignment or (assignments[0] if assignments else None)
    unit_id = _int(request.GET.get("unit"))
    if unit_id is not None:  # missing or outside the secretary's subtree: 404
        unit = access_unit_by_id(request.user, unit_id, roles=SUPERVISOR_ROLES)
    else:
        unit = top_unit_in_scope(request.user, roles=SUPERVISOR_ROLES)
    return assignments, assignment, unit


def _breadcrumbs(request, unit: OrgUnit) -> list[OrgUnit]:
    """The unit's ancestors the user may open (inside their own scope)."""
    return unit_ancestors_in_scope(request.user, unit, roles=SUPERVISOR_ROLES)


@portal_view
def dashboard(request):
    assignments, assignment, unit = _selection(request)
    context = {"nav": "dashboard", "assignments": assignments, "assignment": assignment}
    if assignment is not None and unit is not None:
        report = reports.completion_report(user=request.user, assignment=assignment, unit=unit)
        overdue = reports.completion_members(
            user=request.user,
            assignment=assignment,
            unit=unit,
            limit=OVERDUE_LIMIT,
            status="overdue",
        )
        context.update(
            unit=unit,
            report=report,
            overdue=overdue["results"],
            overdue_count=overdue["count"],
            overdue_truncated=overdue["count"] > OVERDUE_LIMIT,
            breadcrumbs=_breadcrumbs(request, unit),
            now=timezone.now(),
        )
    return render(request, "portal/dashboard/dashboard.html", context)


@portal_view
def dashboard_members(request):
    assignments, assignment, unit = _selection(request)
    if assignment is None or unit is None:
        raise Http404
    page = max(1, _int(request.GET.get("page")) or 1)
    status = _status(request)
    data = reports.completion_members(
        user=request.user,
        assignment=assignment,
        unit=unit,
        limit=MEMBERS_PAGE,
        offset=(page - 1) * MEMBERS_PAGE,
        status=status,
    )
    pages = max(1, -(-data["count"] // MEMBERS_PAGE))
    context = {
        "nav": "dashboard",
        "assignment": assignment,
        "unit": unit,
        "members": data["results"],
        "count": data["count"],
        "page": page,
        "pages": pages,
        "status": status or "",
        "statuses": list(report_exports.STATUS_LABELS.items()),
        "breadcrumbs": _breadcrumbs(request, unit),
    }
    return render(request, "portal/dashboard/members.html", context)


@portal_view
def dashboard_members_export(request):
    _, assignment, unit = _selection(request)
    if assignment is None or unit is None:
        raise Http404
    status = _status(request)
    body = report_exports.members_xlsx(
        user=request.user, assignment=assignment, unit=unit, status=status
    )
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"members-{assignment.pk}-{unit.code}{'-' + status if status else ''}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@portal_view
def dashboard_export(request):
    _, assignment, unit = _selection(request)
    if assignment is None or unit is None:
        raise Http404
    report = reports.completion_report(user=request.user, assignment=assignment, unit=unit)
    body = report_exports.report_xlsx(report)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"completion-{assignment.pk}-{unit.code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
