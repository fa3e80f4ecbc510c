"""Documents (文件) in the portal: the reader's list, a document (opening it writes the
read receipt), its attachments; for secretaries, the receipt report of their subtree and
a reminder to those who have not read it. Out of scope is a 404 like a missing id."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.files import protected_file_response
from portal.access import portal_view
from publications.documents import selectors, services


@portal_view
def document_list(request):
    qs = selectors.documents_for_reader(request.user)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    read = set(
        request.member.document_receipts.filter(document__in=page.object_list).values_list(
            "document_id", flat=True
        )
        if request.member
        else ()
    )
    return render(
        request,
        "portal/documents.html",
        {"nav": "documents", "page_obj": page, "documents": page.object_list, "read": read},
    )


def _report(request, document):
    try:
        selectors.access_document_by_id(request.user, document.pk, action="report")
        unit = selectors.report_root(request.user, document)
    except DomainError:
        return None
    return {"unit": unit, "rows": selectors.receipt_report(document, unit)}


@portal_view
def document_detail(request, pk: int):
    document = selectors.access_document_by_id(request.user, pk, action="view")
    services.receipt_record(user=request.user, document=document)
    context = {
        "nav": "documents",
        "document": document,
        "attachments": document.attachments.all(),
        "supersedes": document.supersedes.all(),
        "report": _report(request, document),
    }
    return render(request, "portal/document.html", context)


@portal_view
def document_attachment(request, pk: int):
    attachment = selectors.access_document_attachment_by_id(request.user, pk)
    return protected_file_response(attachment.file, filename=attachment.name, inline=False)


@require_POST
@portal_view
def document_remind(request, pk: int):
    try:
        count = services.document_remind_unread(user=request.user, document_id=pk)
    except DomainError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已提醒 %(count)d 名未读党员") % {"count": count})
    return redirect("portal:doc", pk)
