"""Writes for documents: publish, attach, the read receipt, reminders to unread members."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from organizations.scope import member_for_user
from publications.documents import selectors
from publications.documents.attachments import check_attachment
from publications.documents.models import Document, DocumentAttachment, DocumentReceipt
from publications.errors import PublicationError


def document_publish(*, user, document_id) -> Document:
    document = selectors.access_document_by_id(user, document_id, action="change")
    from publications.documents.forms import audience_errors

    errors = audience_errors(
        issuing_unit=document.issuing_unit,
        audience_unit=document.audience_unit,
        confidentiality=document.confidentiality,
        restricted_units=document.restricted_units.all(),
    )
    if errors:
        raise PublicationError("；".join(errors.values()), code="bad_audience")
    if not document.is_published:
        document.is_published = True
        document.published_at = timezone.now()
        document.save(update_fields=["is_published", "published_at", "updated_at"])
    return document


@transaction.atomic
def document_attach(*, user, document_id, name: str, data: bytes) -> DocumentAttachment:
    document = selectors.access_document_by_id(user, document_id, action="change")
    name = (name or "").strip().replace("/", "_").replace("\\", "_")[:200]
    if not name:
        raise PublicationError("附件须有文件名", code="no_name")
    kind = check_attachment(name, data)
    attachment = DocumentAttachment(document=document, name=name, kind=kind, size=len(data))
    attachment.file.save(name, ContentFile(data), save=False)
    attachment.save()
    return attachment


def receipt_record(*, user, document: Document) -> bool:
    """The first opening by a member writes their receipt; answers whether it was new.
    Staff without a member record leave none."""
    member = member_for_user(user)
    if member is None or not document.is_published:
        return False
    if DocumentReceipt.objects.filter(document=document, member=member).exists():
        return False
    try:
        with transaction.atomic():
            DocumentReceipt.objects.create(document=document, member=member)
    except IntegrityError:  # the same member opened it twice at once
        return False
    return True


def document_remind_unread(*, user, document_id, unit_id=None) -> int:
    """Remind the members of the caller's subtree who have not read it (once a day)."""
    from notifications.services import notification_send

    document = selectors.access_document_by_id(user, document_id, action="report")
    if not document.is_published:
        raise PublicationError("文件尚未发布", code="not_published")
    unit = selectors.report_root(user, document, unit_id)
    ids = list(selectors.unread_members(document, unit).values_list("pk", flat=True))
    today = timezone.localdate()
    return notification_send(
        kind="document_unread",
        recipients=ids,
        context={"title": document.title, "number": document.number},
        link=(
            reverse("api:doc-detail", args=[document.pk]),
            reverse("portal:doc", args=[document.pk]),
        ),
        idempotency_key=f"document-unread:{document.pk}:{unit.pk}:{today.isoformat()}",
    )
