"""The JSON shapes of documents (API, shared with the portal)."""

from __future__ import annotations

from typing import TypedDict

from django.urls import reverse


class DocumentRefJSON(TypedDict):
    id: int
    number: str
    title: str


class AttachmentJSON(TypedDict):
    id: int
    name: str
    kind: str
    size: int
    url: str


class DocumentJSON(TypedDict):
    id: int
    number: str
    title: str
    issuing_unit: str
    issued_on: str
    confidentiality: str
    confidentiality_label: str
    superseded_by: DocumentRefJSON | None


class DocumentDetailJSON(DocumentJSON):
    body: str
    attachments: list[AttachmentJSON]
    supersedes: list[DocumentRefJSON]


def _ref(d) -> DocumentRefJSON | None:
    if d is None:
        return None
    return {"id": d.pk, "number": d.number, "title": d.title}


def attachment_as_dict(a) -> AttachmentJSON:
    return {
        "id": a.pk,
        "name": a.name,
        "kind": a.kind,
        "size": a.size,
        "url": reverse("api:doc-attachment", args=[a.pk]),
    }


def document_as_dict(d) -> DocumentJSON:
    return {
        "id": d.pk,
        "number": d.number,
        "title": d.title,
        "issuing_unit": d.issuing_unit.name,
        "issued_on": d.issued_on.isoformat(),
        "confidentiality": d.confidentiality,
        "confidentiality_label": str(d.get_confidentiality_display()),
        "superseded_by": _ref(d.superseded_by),
    }


def document_detail_as_dict(d) -> DocumentDetailJSON:
    out = dict(document_as_dict(d))
    out["body"] = d.body
    out["attachments"] = [attachment_as_dict(a) for a in d.attachments.all()]
    out["supersedes"] = [_ref(s) for s in d.supersedes.all()]
    return out


ROW_FIELDS = (
    "id",
    "number",
    "title",
    "issuing_unit__name",
    "issued_on",
    "confidentiality",
    "superseded_by_id",
    "superseded_by__number",
    "superseded_by__title",
)


def document_row_as_dict(r: dict) -> DocumentJSON:
    from publications.documents.models import Document

    sup = r["superseded_by_id"]
    return {
        "id": r["id"],
        "number": r["number"],
        "title": r["title"],
        "issuing_unit": r["issuing_unit__name"],
        "issued_on": r["issued_on"].isoformat(),
        "confidentiality": r["confidentiality"],
        "confidentiality_label": str(Document.Confidentiality(r["confidentiality"]).label),
        "superseded_by": (
            {"id": sup, "number": r["superseded_by__number"], "title": r["superseded_by__title"]}
            if sup
            else None
        ),
    }
