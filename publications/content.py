"""Documents as readers' content (registered by `PublicationsConfig.ready()`).

Search indexes the documents every member of their audience may read (confidentiality
"internal"): the index filters by audience only, so a document restricted to named units
or to secretaries is never put in it. Those are found through the documents list's own
`q` (publications.documents.selectors.search_documents), which applies the full reading
rule and the same Chinese normalisation."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

from core import content
from core.content import ContentType, SearchSpec
from publications.bulletins.models import BulletinIssuePage, BulletinPdf
from publications.bulletins.representations import bulletin_detail_as_dict
from publications.documents.models import Document
from publications.documents.representations import document_detail_as_dict

INTERNAL = Document.Confidentiality.INTERNAL


def _indexable(d) -> bool:
    return bool(d.is_published and d.confidentiality == INTERNAL)


DOCUMENT = ContentType(
    name="document",
    model=Document,
    label="文件",
    resource="documents",
    published=Q(is_published=True, confidentiality=INTERNAL),
    is_published=_indexable,
    audience_field="audience_unit",
    search=SearchSpec(
        title="title",
        body=("number", "body"),
        date=lambda d: d.issued_on,
        url=lambda d: reverse("portal:doc", args=[d.pk]),
    ),
    representation=document_detail_as_dict,
    synced=False,
)


def _bulletin_text(issue) -> str:
    from publications.bulletins.contents import issue_contents

    parts = []
    for section in issue_contents(issue):
        parts.append(section.heading)
        parts += [item.title for item in section.items]
    return " ".join(p for p in parts if p)


def _bulletin_served(issue) -> bool:
    from cms.outlets import page_served

    return page_served(issue)


BULLETIN = ContentType(
    name="bulletin",
    model=BulletinIssuePage,
    label="政工情况",
    resource="bulletins",
    published=Q(live=True),
    is_published=lambda issue: bool(issue.live),
    audience_field="audience_unit",
    search=SearchSpec(
        body=(_bulletin_text,),
        date=lambda issue: issue.issue_date,
        published=_bulletin_served,
        url=lambda issue: reverse("portal:bulletin_detail", args=[issue.pk]),
    ),
    representation=bulletin_detail_as_dict,
    synced=False,
    parts=(BulletinPdf,),
)


def register() -> None:
    content.register(DOCUMENT, BULLETIN)
