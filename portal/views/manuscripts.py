"""Manuscripts (稿件) in the portal: a sender's “我的投稿” with the submit form, the
receiver's queue, a manuscript with the steps its side may take (register, return with
comments, decide, score; resubmit), and the report per unit with its Excel export. The
rules live in publications.manuscripts.services; an out-of-scope id is a 404."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.errors import DomainError, ObjectNotFound
from core.files import protected_file_response
from organizations.models import OrgUnit
from organizations.selectors import access_unit_by_id, top_unit_in_scope, units_in_scope
from portal.access import portal_view
from publications.manuscripts import reports, selectors, services
from publications.manuscripts.models import Manuscript, TargetKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
S = Manuscript.Status


class ManuscriptForm(forms.Form):
    sender_unit = forms.IntegerField(label=gettext_lazy("投稿单位"), min_value=1)
    receiver_unit = forms.IntegerField(label=gettext_lazy("投往（上级组织）"), min_value=1)
    target_kind = forms.ChoiceField(label=gettext_lazy("投稿去向"), choices=TargetKind.choices)
    column = forms.CharField(label=gettext_lazy("栏目"), max_length=64, required=False)
    title = forms.CharField(label=gettext_lazy("标题"), max_length=200)
    body = forms.CharField(label=gettext_lazy("正文"), widget=forms.Textarea, required=False)
    leader_endorsed = forms.BooleanField(label=gettext_lazy("领导批示"), required=False)
    endorsement_note = forms.CharField(
        label=gettext_lazy("批示内容"), max_length=500, required=False
    )


def _sender_units(user):
    return units_in_scope(user, roles=selectors.MANAGER_ROLES).order_by("path")[:200]


def _upper_units(units) -> list[OrgUnit]:
    paths = {p for u in units for p in u.ancestor_paths() if p != u.path}
    return list(OrgUnit.objects.filter(path__in=paths).order_by("path"))


@portal_view
def manuscript_list(request):
    """我的投稿: the items of the sending units in the user's subtrees."""
    qs = selectors.manuscripts_sent(request.user).order_by("-id")
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/manuscripts/list.html",
        {"nav": "manuscripts", "box": "sent", "page_obj": page, "manuscripts": page.object_list},
    )


@portal_view
def manuscript_queue(request):
    """收稿队列: what was submitted to units of the user's subtrees, open items first."""
    qs = selectors.manuscripts_received(request.user)
    status = request.GET.get("status", "")
    if status in S.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-id"), 20).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/manuscripts/list.html",
        {
            "nav": "manuscripts",
            "box": "received",
            "status": status,
            "statuses": S.choices,
            "page_obj": page,
            "manuscripts": page.object_list,
        },
    )


@portal_view
def manuscript_new(request):
    senders = list(_sender_units(request.user))
    if not senders:
        raise Http404
    form = ManuscriptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        files = request.FILES.getlist("files")
        try:
            with transaction.atomic():  # the item, its files and its submission, or nothing
                m = services.manuscript_create(user=request.user, **_fields(form.cleaned_data))
                for f in files:
                    services.manuscript_attach(
                        user=request.user, manuscript_id=m.pk, name=f.name, data=f.read()
                    )
                services.manuscript_submit(user=request.user, manuscript_id=m.pk)
        except ObjectNotFound:
            form.add_error("sender_unit", _("投稿单位不在你的管理范围内"))
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("稿件已投出"))
            return redirect("portal:manuscript_detail", m.pk)
    context = {
        "nav": "manuscripts",
        "form": form,
        "senders": senders,
        "receivers": _upper_units(senders),
    }
    return render(
        request, "portal/manuscripts/new.html", context, status=400 if form.errors else 200
    )


def _fields(data: dict) -> dict:
    data = dict(data)
    data["sender_unit_id"] = data.pop("sender_unit")
    data["receiver_unit_id"] = data.pop("receiver_unit")
    return data


def _sides(user, m) -> tuple[bool, bool]:
    def can(action):
        try:
            selectors.access_manuscript_by_id(user, m.pk, action=action)
        except ObjectNotFound:
            return False
        return True

    return can("send"), can("receive")


@portal_view
def manuscript_detail(request, pk: int):
    m = selectors.access_manuscript_by_id(request.user, pk, action="view")
    sender, receiver = _sides(request.user, m)
    context = {
        "nav": "manuscripts",
        "m": m,
        "attachments": m.attachments.all(),
        "events": m.events.select_related("actor"),
        "is_sender": sender,
        "is_receiver": receiver,
        "decisions": [(d, S(d).label) for d in services.DECISIONS],
        "can_score": receiver and m.status in Manuscript.ADOPTED and not selectors.is_scored(m),
    }
    return render(request, "portal/manuscripts/detail.html", context)


@portal_view
def manuscript_attachment(request, pk: int):
    attachment = selectors.access_manuscript_attachment_by_id(request.user, pk)
    return protected_file_response(attachment.file, filename=attachment.name, inline=False)


def _step(side: str, call, done: str, fields=()):
    @require_POST
    @portal_view
    def view(request, pk: int):
        selectors.access_manuscript_by_id(request.user, pk, action=side)  # 404 first
        data = {f: request.POST.get(f, "") for f in fields}
        try:
            call(user=request.user, manuscript_id=pk, **data)
        except DomainError as exc:
            if exc.status == 404:
                raise
            messages.error(request, exc.message)
        else:
            messages.success(request, done)
        return redirect("portal:manuscript_detail", pk)

    return view


manuscript_submit = _step("send", services.manuscript_submit, gettext_lazy("稿件已投出"))
manuscript_resubmit = _step(
    "send", services.manuscript_resubmit, gettext_lazy("稿件已重新投出"), ("comment",)
)
manuscript_register = _step("receive", services.manuscript_register, gettext_lazy("已登记"))
manuscript_return = _step(
    "receive", services.manuscript_return, gettext_lazy("已退回修改"), ("comment",)
)
manuscript_decide = _step(
    "receive", services.manuscript_decide, gettext_lazy("已处理"), ("decision", "comment")
)
manuscript_score = _step("receive", services.manuscript_score, gettext_lazy("已计分"))


def _date(raw: str | None, default: dt.date) -> dt.date | None:
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


@portal_view
def manuscript_report(request):
    """The report per sending unit of a subtree and period, ranked; ?format=xlsx."""
    unit_id = request.GET.get("unit")
    if unit_id:
        unit = access_unit_by_id(request.user, unit_id, roles=selectors.MANAGER_ROLES)
    else:
        unit = top_unit_in_scope(request.user, roles=selectors.MANAGER_ROLES)
        if unit is None:
            raise Http404
    today = timezone.localdate()
    date_from = _date(request.GET.get("from"), today.replace(month=1, day=1))
    date_to = _date(request.GET.get("to"), today)
    error = ""
    if date_from is None or date_to is None or date_from > date_to:
        error = _("日期格式应为 YYYY-MM-DD，且开始日期不晚于结束日期")
        date_from, date_to = today.replace(month=1, day=1), today
    report = reports.unit_report(unit=unit, date_from=date_from, date_to=date_to)
    if request.GET.get("format") == "xlsx" and not error:
        response = HttpResponse(reports.report_xlsx(report), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="manuscripts-{unit.code}.xlsx"'
        return response
    context = {
        "nav": "manuscripts",
        "unit": unit,
        "units": _sender_units(request.user),
        "report": report,
        "error": error,
    }
    return render(request, "portal/manuscripts/report.html", context, status=400 if error else 200)
