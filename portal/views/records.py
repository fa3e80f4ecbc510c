"""我的档案: the member's own record (in full), their consents (withdraw an optional one),
who looked at or changed their record (the access log about them), and their data as a
JSON download. Only the caller's own record: there is no id in these URLs."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.client_ip import client_ip
from organizations import privacy as F
from organizations.models import REQUIRED_PURPOSES, AccessLog, Member, Purpose
from organizations.records import selectors, services
from portal.access import portal_view


def _member(request) -> Member:
    if request.member is None:
        raise Http404
    return Member.objects.select_related("unit", "record").get(pk=request.member.pk)


@portal_view
def my_record(request):
    member = _member(request)
    full = F.full_record(member)
    state = selectors.consent_state(member)
    consents = [
        {
            "purpose": p.value,
            "label": p.label,
            "required": p in REQUIRED_PURPOSES,
            "row": state.get(p.value),
        }
        for p in Purpose
    ]
    page = Paginator(selectors.my_access_log(member), 20).get_page(request.GET.get("page"))
    context = {
        "nav": "my_record",
        "member": member,
        "rows": [(f.label, full[f.name], f.sensitive) for f in F.FIELDS],
        "consents": consents,
        "policy_version": services.policy_version(),
        "page_obj": page,
        "log": page.object_list,
    }
    response = render(request, "portal/my_record.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@portal_view
def my_record_consent(request):
    member = _member(request)
    try:
        services.consent_set(
            member=member,
            purpose=request.POST.get("purpose", ""),
            granted=request.POST.get("granted") == "1",
            ip=client_ip(request),
        )
    except services.RecordError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已更新您的授权"))
    return redirect("portal:my_record")


@portal_view
def my_record_download(request):
    member = _member(request)
    services.access_log_write(
        user=request.user,
        action=AccessLog.Action.DOWNLOAD,
        fields=["*"],
        purpose="本人下载个人数据",
        ip=client_ip(request),
        member=member,
    )
    body = json.dumps(services.my_data(member), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="my-record-{timezone.now():%Y%m%d}.json"'
    )
    response["Cache-Control"] = "private, no-store"
    return response
