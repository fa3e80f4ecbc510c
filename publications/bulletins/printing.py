"""Printing a live issue to PDF and keeping the file (run by
publications.bulletins.tasks.bulletin_pdf_render)."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from publications.bulletins.models import MASTHEAD, BulletinIssuePage, BulletinPdf

log = logging.getLogger(__name__)


def bulletin_pdf_make(*, issue_id: int) -> BulletinPdf:
    """Print the live issue and keep the file. A failure keeps the previous file and
    records why (the admin shows it)."""
    from publications.bulletins.pdf import issue_pdf

    issue = (
        BulletinIssuePage.objects.live()
        .select_related("publishing_unit", "audience_unit")
        .get(pk=issue_id)
    )
    pdf, _ = BulletinPdf.objects.get_or_create(issue=issue)
    BulletinPdf.objects.filter(pk=pdf.pk).update(
        status=BulletinPdf.Status.RENDERING, updated_at=timezone.now()
    )
    revision_id = issue.live_revision_id
    try:
        printed = issue_pdf(issue)
    except Exception as exc:  # noqa: BLE001 - any failure is reported, the old file stays
        log.exception("bulletin %s: PDF failed", issue_id)
        pdf.refresh_from_db()
        pdf.status = BulletinPdf.Status.FAILED
        pdf.error = f"{type(exc).__name__}: {exc}"[:2000]
        pdf.save(update_fields=["status", "error", "updated_at"])
        return pdf
    old = pdf.file.name if pdf.file else None
    name = f"{MASTHEAD}-{issue.issue_date.year}-{issue.issue_number}-r{revision_id}.pdf"
    with transaction.atomic():
        pdf = BulletinPdf.objects.select_for_update().get(pk=pdf.pk)
        pdf.file.save(name, ContentFile(printed.data), save=False)
        pdf.status = BulletinPdf.Status.READY
        pdf.error = ""
        pdf.pages = printed.pages
        pdf.size = len(printed.data)
        pdf.seconds = round(printed.seconds, 3)
        pdf.revision_id = revision_id
        pdf.rendered_at = timezone.now()
        pdf.save()
    if old and old != pdf.file.name:
        pdf.file.storage.delete(old)
    return pdf
