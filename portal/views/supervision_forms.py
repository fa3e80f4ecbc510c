"""A branch secretary's organisation-life work in the portal: schedule a meeting, mark
attendance, file the minutes with photos; submit a ledger report with evidence, review
the lower units' reports; answer a problem transfer list with measures and evidence,
verify (close) or return it. Every write is the service the API and the admin call
(supervision.forms): a refusal is the service's message on its field, with nothing
written. Ids outside the user's scope are 404 (portal_view)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.files import protected_file_response
from organizations.selectors import scope_for, top_unit_in_scope
from portal.access import portal_view
from supervision.common import MANAGE_ROLES
from supervision.forms import (
    AttendanceMarkFields,
    LedgerSubmitFields,
    MeetingScheduleFields,
    MinutesFields,
    ReplyFields,
    ReviewFields,
    VerifyFields,
)
from supervision.ledger import selectors as ledger
from supervision.ledger.models import LedgerReport
from supervision.meetings import selectors as meetings
from supervision.rectification import selectors as rect
from supervision.rectification.models import Rectification

TEMPLATES = "portal/supervision/"


def _manager(request):
    """Only those who manage a unit's organisation life reach these forms."""
    if top_unit_in_scope(request.user, roles=MANAGE_ROLES) is None:
        raise PermissionDenied


# --- meetings --------------------------------------------------------------------------------
def meeting_page(request, meeting, *, attendance_form=None, minutes_form=None):
    """The meeting's page; for its managers with the attendance and minutes forms (bound
    with their errors when a submission was refused)."""
    manage = meetings.can_manage(request.user, meeting)
    if manage and attendance_form is None:
        attendance_form = AttendanceMarkFields()
    if attendance_form is not None:
        attendance_form.setup_meeting(meeting)
    if manage and minutes_form is None:
        minutes_form = MinutesFields(
            initial={
                "minutes": meeting.minutes,
                "lecturer": meeting.lecturer,
                "topic": meeting.topic,
            }
        )
    context = {
        "nav": "meetings",
        "meeting": meeting,
        "mine": meetings.my_attendance(request.user, meeting),
        "can_manage": manage,
        "attendance": list(meetings.attendance_of(meeting)) if manage else [],
        "files": list(meeting.files.order_by("id")),
        "attendance_form": attendance_form if manage else None,
        "minutes_form": minutes_form if manage else None,
    }
    return render(request, TEMPLATES + "meeting.html", context)


@portal_view
def meeting_new(request):
    _manager(request)
    form = MeetingScheduleFields(request.POST or None)
    form.setup(request.user)
    if request.method == "POST" and form.is_valid():
        meeting = form.schedule(request.user)
        if meeting is not None:
            messages.success(
                request,
                _("已安排“%(title)s”，已通知 %(count)d 人")
                % {"title": meeting.title, "count": meeting.invited_count},
            )
            return redirect("portal:meeting_detail", pk=meeting.pk)
    return render(request, TEMPLATES + "meeting_form.html", {"nav": "meetings", "form": form})


@require_POST
@portal_view
def meeting_attendance(request, pk: int):
    meeting = meetings.access_meeting_by_id(request.user, pk, action="change")
    form = AttendanceMarkFields(request.POST)
    form.setup_meeting(meeting)
    if form.is_valid() and form.mark(request.user, meeting) is not None:
        messages.success(request, _("已登记出勤情况"))
        return redirect("portal:meeting_detail", pk=pk)
    return meeting_page(request, meeting, attendance_form=form)


@require_POST
@portal_view
def meeting_minutes(request, pk: int):
    meeting = meetings.access_meeting_by_id(request.user, pk, action="change")
    form = MinutesFields(request.POST, request.FILES)
    attach_only = request.POST.get("op") == "attach"
    if form.is_valid():
        done = (
            form.attach(request.user, meeting)
            if attach_only
            else form.file_minutes(request.user, meeting)
        )
        if done is not None:
            messages.success(request, _("已上传附件") if attach_only else _("已提交会议记录"))
            return redirect("portal:meeting_detail", pk=pk)
    return meeting_page(request, meeting, minutes_form=form)


# --- ledger ----------------------------------------------------------------------------------
@portal_view
def ledger_report_new(request):
    """Submit (or, after a return, resubmit) a report; the grid links here with the unit,
    item and period filled in."""
    _manager(request)
    initial = {k: request.GET[k] for k in ("unit", "item", "period") if request.GET.get(k)}
    form = LedgerSubmitFields(request.POST or None, request.FILES or None, initial=initial)
    form.setup(request.user)
    if request.method == "POST" and form.is_valid():
        report = form.submit(request.user)
        if report is not None:
            messages.success(request, _("已提交台账报告，等待上级审核"))
            return redirect("portal:ledger_report_detail", pk=report.pk)
    return render(request, TEMPLATES + "ledger_form.html", {"nav": "supervision", "form": form})


@portal_view
def ledger_reports(request):
    """The reports of the lower units waiting for review (or by status)."""
    _manager(request)
    status = request.GET.get("status") or LedgerReport.Status.SUBMITTED
    if status not in LedgerReport.Status.values:
        status = LedgerReport.Status.SUBMITTED
    scope = scope_for(request.user, roles=MANAGE_ROLES)
    qs = (
        ledger.reports_in_scope(request.user)
        .filter(status=status)
        .select_related("unit", "item")
        .order_by("submitted_at", "id")
    )
    rows = [{"report": r, "can_review": scope.covers(r.unit.path, strictly=True)} for r in qs[:200]]
    context = {
        "nav": "supervision",
        "rows": rows,
        "status": status,
        "statuses": LedgerReport.Status.choices,
    }
    return render(request, TEMPLATES + "ledger_reports.html", context)


def _ledger_report_page(request, report, *, review_form=None):
    can_review = scope_for(request.user, roles=MANAGE_ROLES).covers(report.unit.path, strictly=True)
    context = {
        "nav": "supervision",
        "report": report,
        "files": list(report.files.order_by("id")),
        # a refused review shows its form with the service's message
        "can_review": review_form is not None
        or (can_review and report.status == LedgerReport.Status.SUBMITTED),
        "review_form": review_form or ReviewFields(),
        "can_resubmit": report.status == LedgerReport.Status.RETURNED
        and scope_for(request.user, roles=MANAGE_ROLES).covers(report.unit.path),
    }
    return render(request, TEMPLATES + "ledger_report.html", context)


@portal_view
def ledger_report_detail(request, pk: int):
    return _ledger_report_page(request, ledger.access_ledger_report_by_id(request.user, pk))


@require_POST
@portal_view
def ledger_report_review(request, pk: int):
    report = ledger.access_ledger_report_by_id(request.user, pk, action="change")
    form = ReviewFields(request.POST)
    if form.is_valid() and form.review(request.user, report) is not None:
        messages.success(
            request, _("已审核通过") if form.cleaned_data["decision"] == "accept" else _("已退回")
        )
        return redirect("portal:ledger_report_detail", pk=pk)
    return _ledger_report_page(request, report, review_form=form)


@portal_view
def ledger_evidence(request, pk: int):
    f = ledger.access_ledger_evidence_by_id(request.user, pk)
    return protected_file_response(f.file, filename=f.name)


# --- rectification ---------------------------------------------------------------------------
def rectification_page(request, item, *, reply_form=None, verify_form=None):
    scope = scope_for(request.user, roles=MANAGE_ROLES)
    status = item.status
    context = {
        "nav": "supervision",
        "item": item,
        "overdue": rect.is_overdue(item),
        "files": list(item.files.order_by("id")),
        "can_reply": status in (Rectification.Status.OPEN, Rectification.Status.RETURNED)
        and scope.covers(item.unit.path),
        "can_verify": status == Rectification.Status.REPLIED
        and scope.covers(item.issued_by_unit.path),
        "reply_form": reply_form
        or ReplyFields(initial={"measures": item.measures, "evidence_text": item.evidence_text}),
        "verify_form": verify_form or VerifyFields(),
    }
    return render(request, TEMPLATES + "rectification.html", context)


@require_POST
@portal_view
def rectification_reply(request, pk: int):
    item = rect.access_rectification_by_id(request.user, pk, action="change")
    form = ReplyFields(request.POST, request.FILES)
    if form.is_valid() and form.reply(request.user, item) is not None:
        messages.success(request, _("已反馈整改情况，等待核验"))
        return redirect("portal:rectification_detail", pk=pk)
    return rectification_page(request, item, reply_form=form)


@require_POST
@portal_view
def rectification_verify(request, pk: int):
    item = rect.access_rectification_by_id(request.user, pk, action="change")
    form = VerifyFields(request.POST)
    if form.is_valid() and form.verify(request.user, item) is not None:
        messages.success(
            request, _("已销号") if form.cleaned_data["action"] == "close" else _("已退回")
        )
        return redirect("portal:rectification_detail", pk=pk)
    return rectification_page(request, item, verify_form=form)


@portal_view
def rectification_evidence(request, pk: int):
    f = rect.access_rectification_evidence_by_id(request.user, pk)
    return protected_file_response(f.file, filename=f.name)
