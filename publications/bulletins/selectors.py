"""Reads of the bulletin, already scoped (cms.selectors' rule for content pages).

A reader sees an issue once it is live, its audience unit's subtree holds them (or they
manage a unit whose subtree holds the audience) and it is served through an outlet of
the kind asking (the API is the app, the portal the portal). Out of scope answers
`ObjectNotFound`, the same as a missing id; the PDF follows its issue.
"""

from __future__ import annotations

from django.db.models import QuerySet

from cms.outlets import served_q
from cms.selectors import APP
from organizations.selectors import audience_q, object_or_not_found
from publications.bulletins.models import BulletinIssuePage, BulletinPdf


def bulletins_visible_to(user, *, through: str = APP) -> QuerySet[BulletinIssuePage]:
    return (
        BulletinIssuePage.objects.live()
        .filter(audience_q(user))
        .filter(served_q(through))
        .select_related("publishing_unit", "audience_unit")
    )


def access_bulletin_by_id(user, issue_id, *, through: str = APP) -> BulletinIssuePage:
    return object_or_not_found(bulletins_visible_to(user, through=through), issue_id)


def pdf_of(issue: BulletinIssuePage) -> BulletinPdf | None:
    return BulletinPdf.objects.filter(issue=issue).first()


def access_bulletin_pdf_by_id(user, issue_id, *, through: str = APP) -> BulletinPdf:
    """The printed issue a reader may download: a made file, else not found."""
    issue = access_bulletin_by_id(user, issue_id, through=through)
    pdf = pdf_of(issue)
    if pdf is None or not pdf.file:
        from core.errors import ObjectNotFound

        raise ObjectNotFound
    return pdf


def number_taken(
    *, publishing_unit_id, year: int, number: int, exclude_id=None
) -> BulletinIssuePage | None:
    """Another issue of this unit with this number in this year (drafts included)."""
    qs = BulletinIssuePage.objects.filter(
        publishing_unit_id=publishing_unit_id, issue_year=year, issue_number=number
    )
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return qs.first()


def access_bulletin_image(user, issue_id, position, *, through: str = APP):
    """The `position`-th manuscript image of an issue the user may read (1-based, in
    printed order): a manuscript's attachment, served to the issue's readers."""
    from core.errors import ObjectNotFound
    from publications.bulletins.contents import attachments_of, issue_contents

    issue = access_bulletin_by_id(user, issue_id, through=through)
    images = attachments_of(issue_contents(issue))
    if not isinstance(position, int) or not 1 <= position <= len(images):
        raise ObjectNotFound
    return images[position - 1]
