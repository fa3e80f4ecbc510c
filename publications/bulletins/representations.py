"""The JSON shapes of the bulletin (API, shared with the portal and the content
registry). Image URLs are rendition URLs fetched in bulk (cms.rendering)."""

from __future__ import annotations

from typing import TypedDict

from django.urls import reverse

from publications.bulletins.constants import MASTHEAD
from publications.bulletins.contents import attachments_of, image_ids_of, issue_contents

IMAGE_SPEC = "max-1080x1080"


class BulletinUnitJSON(TypedDict):
    id: int
    name: str


class BulletinImageJSON(TypedDict):
    url: str
    width: int
    height: int
    alt: str


class BulletinItemJSON(TypedDict):
    kind: str
    title: str
    byline: str
    body: str
    images: list[BulletinImageJSON]
    manuscript_id: int | None


class BulletinSectionJSON(TypedDict):
    heading: str
    items: list[BulletinItemJSON]


class BulletinPdfJSON(TypedDict):
    status: str
    status_label: str
    url: str | None
    pages: int
    size: int
    rendered_at: str | None


class BulletinJSON(TypedDict):
    id: int
    title: str
    masthead: str
    number: str
    issue_number: int
    issue_year: int
    issue_date: str
    publishing_unit: BulletinUnitJSON
    audience_unit: BulletinUnitJSON
    last_published_at: str | None
    pdf_url: str | None


class BulletinDetailJSON(BulletinJSON):
    sections: list[BulletinSectionJSON]
    pdf: BulletinPdfJSON | None


def _unit(u) -> BulletinUnitJSON:
    return {"id": u.pk, "name": u.name}


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def bulletin_as_dict(issue, *, pdf_ready: bool) -> BulletinJSON:
    return {
        "id": issue.pk,
        "title": issue.title,
        "masthead": MASTHEAD,
        "number": issue.number_label,
        "issue_number": issue.issue_number,
        "issue_year": issue.issue_year,
        "issue_date": issue.issue_date.isoformat(),
        "publishing_unit": _unit(issue.publishing_unit),
        "audience_unit": _unit(issue.audience_unit),
        "last_published_at": _iso(issue.last_published_at),
        "pdf_url": reverse("api:bulletin-pdf", args=[issue.pk]) if pdf_ready else None,
    }


ROW_FIELDS = (
    "id",
    "title",
    "issue_number",
    "issue_year",
    "issue_date",
    "last_published_at",
    "publishing_unit_id",
    "publishing_unit__name",
    "audience_unit_id",
    "audience_unit__name",
    "pdf_ready",
)


def bulletin_row_as_dict(row: dict) -> BulletinJSON:
    """A list row (`ROW_FIELDS` of a queryset annotated with `pdf_ready`)."""
    return {
        "id": row["id"],
        "title": row["title"],
        "masthead": MASTHEAD,
        "number": f"{row['issue_year']}年第{row['issue_number']}期",
        "issue_number": row["issue_number"],
        "issue_year": row["issue_year"],
        "issue_date": row["issue_date"].isoformat(),
        "publishing_unit": {"id": row["publishing_unit_id"], "name": row["publishing_unit__name"]},
        "audience_unit": {"id": row["audience_unit_id"], "name": row["audience_unit__name"]},
        "last_published_at": _iso(row["last_published_at"]),
        "pdf_url": reverse("api:bulletin-pdf", args=[row["id"]]) if row["pdf_ready"] else None,
    }


def pdf_as_dict(pdf) -> BulletinPdfJSON | None:
    if pdf is None:
        return None
    return {
        "status": pdf.status,
        "status_label": str(pdf.get_status_display()),
        "url": reverse("api:bulletin-pdf", args=[pdf.issue_id]) if pdf.file else None,
        "pages": pdf.pages,
        "size": pdf.size,
        "rendered_at": _iso(pdf.rendered_at),
    }


def _api_image_url(issue_id: int, position: int) -> str:
    from core.absolute_urls import absolute_url

    return absolute_url(reverse("api:bulletin-image", args=[issue_id, position]))


def bulletin_detail_as_dict(issue, user=None, *, image_url=_api_image_url) -> BulletinDetailJSON:
    """The issue's JSON. A manuscript's images are served through the issue
    (`image_url(issue id, position)`: the API's or the portal's route), to whoever may
    read the issue."""
    from cms.rendering import image_urls

    sections = issue_contents(issue)
    images = image_urls(image_ids_of(sections), IMAGE_SPEC)
    positions = {}
    for n, a in enumerate(attachments_of(sections), start=1):
        positions.setdefault(a.pk, n)
    pdf_model = type(issue)._meta.get_field("pdf").related_model  # BulletinPdf
    pdf = pdf_model.objects.filter(issue_id=issue.pk).first()
    data = bulletin_as_dict(issue, pdf_ready=bool(pdf and pdf.file))
    data["sections"] = [
        {
            "heading": s.heading,
            "items": [
                {
                    "kind": item.kind,
                    "title": item.title,
                    "byline": item.byline,
                    "body": item.body_html,
                    "images": [images[i] for i in item.image_ids if i in images]
                    + [
                        {
                            "url": image_url(issue.pk, positions[a.pk]),
                            "width": 0,
                            "height": 0,
                            "alt": a.name,
                        }
                        for a in item.attachments
                    ],
                    "manuscript_id": item.manuscript_id,
                }
                for item in s.items
            ],
        }
        for s in sections
    ]
    data["pdf"] = pdf_as_dict(pdf)
    return data
