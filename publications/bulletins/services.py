"""Writes of the bulletin: composing an issue (with its rules), printing it and
delivering it when it is published.

The rules an issue obeys live in publications.bulletins.rules (the page's `clean` asks
them on every route); printing in publications.bulletins.printing.

Publication is the review workflow's (cms.review); when it happens
(`bulletin_published`), the PDF is queued and the audience is notified once per issue.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from publications.bulletins.models import (
    MASTHEAD,
    BulletinIndexPage,
    BulletinIssuePage,
    BulletinPdf,
)
from publications.bulletins.printing import bulletin_pdf_make  # noqa: F401 - a service too
from publications.bulletins.rules import issue_problems
from publications.errors import PublicationError

EDITOR_ROLES = ("editor",)


def bulletin_problems(issue: BulletinIssuePage) -> dict[str, list[str]]:
    """What forbids saving `issue` as it is (publications.bulletins.rules)."""
    return issue_problems(issue)


@transaction.atomic
def bulletin_compose(
    *,
    user,
    index: BulletinIndexPage,
    title: str,
    issue_number: int,
    issue_date,
    publishing_unit,
    audience_unit,
    sections: list,
) -> BulletinIssuePage:
    """A new draft issue under `index`, written by `user` (an editor of the issuing unit
    or above). Raises PublicationError (nothing written) when a rule is broken."""
    from django.core.exceptions import ValidationError

    from organizations.selectors import scope_for

    if not scope_for(user, roles=EDITOR_ROLES).covers(publishing_unit.path):
        raise PublicationError("你只能以本单位或下级单位的名义编辑简报", code="not_editor")
    issue = BulletinIssuePage(
        title=title,
        issue_number=issue_number,
        issue_date=issue_date,
        publishing_unit=publishing_unit,
        audience_unit=audience_unit,
        sections=sections,
        owner=user,
        live=False,
    )
    problems = bulletin_problems(issue)
    if problems:
        raise PublicationError(_joined(problems), code="invalid")
    try:
        index.add_child(instance=issue)
        issue.save_revision(user=user)
    except ValidationError as exc:
        raise PublicationError(_joined(exc.message_dict), code="invalid") from None
    return issue


def _joined(errors: dict[str, list[str]]) -> str:
    return "；".join(m for ms in errors.values() for m in ms)


# --- publication: the PDF and the delivery -------------------------------------------------
def bulletin_published(issue: BulletinIssuePage, revision_id: int | None) -> None:
    """A revision of `issue` went live: queue its PDF, tell its audience (once)."""
    from publications.bulletins.tasks import bulletin_pdf_render

    pdf, _ = BulletinPdf.objects.get_or_create(issue=issue)
    pdf.status = BulletinPdf.Status.PENDING
    pdf.requested_revision_id = revision_id
    pdf.save(update_fields=["status", "requested_revision_id", "updated_at"])
    issue_id = issue.pk
    transaction.on_commit(lambda: bulletin_pdf_render.enqueue(issue_id))
    transaction.on_commit(lambda: bulletin_deliver(issue_id))


def bulletin_deliver(issue_id: int):
    """Broadcast the issue to its audience's inboxes (and phones), once per issue: a
    corrected issue published again does not send again."""
    from notifications.broadcasts import broadcast_create

    issue = BulletinIssuePage.objects.select_related("audience_unit").get(pk=issue_id)
    return broadcast_create(
        kind="bulletin_published",
        audience_unit=issue.audience_unit,
        source=f"bulletin:{issue.pk}",
        context={"title": issue.title, "number": issue.number_label, "masthead": MASTHEAD},
        link=(
            reverse("api:bulletin-detail", args=[issue.pk]),
            reverse("portal:bulletin_detail", args=[issue.pk]),
        ),
        idempotency_key=f"bulletin-{issue.pk}",
    )


def page_published(sender, instance, revision=None, **kwargs) -> None:
    """wagtail's page_published, for bulletin issues."""
    page = instance.specific if hasattr(instance, "specific") else instance
    if isinstance(page, BulletinIssuePage):
        bulletin_published(page, getattr(revision, "pk", None))
