"""Content that reaches members' inboxes (and phones, through the channels module):

- the mobile newspaper: `digest_propose_weekly` (a weekly periodic job, core.schedule)
  drafts last week's issue with `cms.services.digest_propose`; editors adjust it and send
  it through the normal review workflow; publishing it (`content_published`) broadcasts
  it to its audience unit's subtree with the issue's cover and headlines, once per issue
  (a republished correction does not send again);
- any content page a reviewer approved with "发布后推送" (cms.models.ReviewPush on the
  approved revision) is broadcast to its audience when that revision is published.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

HEADLINES = 5


def digest_propose_weekly(today: dt.date | None = None) -> dict:
    """Draft the issue for last week (Monday to Sunday) unless one exists for it."""
    from cms.models import DigestIndexPage, DigestIssue
    from cms.services import digest_propose

    today = today or timezone.localdate()
    week_start = today - dt.timedelta(days=today.weekday() + 7)
    issue_date = week_start + dt.timedelta(days=6)
    if DigestIssue.objects.filter(issue_date=issue_date).exists():
        return {"skipped": f"{issue_date} 已有手机报"}
    index = DigestIndexPage.objects.first()
    if index is None:
        return {"skipped": "没有手机报栏目"}
    issue = digest_propose(week_start=week_start, index=index)
    return {"proposed": issue.pk, "items": len(issue.items.all())}


def _cover_url(image) -> str:
    from cms.rendering import image_urls

    if image is None:
        return ""
    found = image_urls([image.pk], "fill-640x360")
    return (found.get(image.pk) or {}).get("url", "")


def _link(page) -> tuple[str, str]:
    routes = {
        "digestissue": ("api:digest-detail", "portal:digest_detail"),
        "newspage": ("api:news-detail", "portal:news_detail"),
        "exemplarpage": ("api:story-detail", "portal:story_detail"),
    }
    api_name, portal_name = routes.get(page._meta.model_name, ("", ""))
    try:
        return reverse(api_name, args=[page.pk]), reverse(portal_name, args=[page.pk])
    except NoReverseMatch:
        return "", page.get_url() or ""


def digest_deliver(issue) -> object:
    from notifications.broadcasts import broadcast_create

    items = list(issue.items.select_related("news", "news__cover_image").order_by("sort_order"))
    headlines = [item.news.title for item in items[:HEADLINES]]
    cover = next((item.news.cover_image for item in items if item.news.cover_image_id), None)
    return broadcast_create(
        kind="digest_published",
        audience_unit=issue.audience_unit,
        source=f"digest:{issue.pk}",
        context={
            "title": issue.title,
            "headlines": "\n".join(f"· {h}" for h in headlines),
            "note": issue.editor_note,
        },
        link=_link(issue),
        image_url=_cover_url(cover),
        idempotency_key=f"digest-{issue.pk}",
    )


def content_push(page, revision_id: int) -> object:
    from notifications.broadcasts import broadcast_create

    cover = getattr(page, "cover_image", None)
    return broadcast_create(
        kind="content_push",
        audience_unit=page.audience_unit,
        source=f"page:{page.pk}",
        context={"title": page.title, "summary": getattr(page, "summary", "") or ""},
        link=_link(page),
        image_url=_cover_url(cover),
        idempotency_key=f"page-push-{page.pk}-{revision_id}",
    )


def content_published(sender, instance, revision=None, **kwargs) -> None:
    """wagtail's page_published: deliver a digest issue; push an item approved with
    "发布后推送". Runs after the publishing transaction commits."""
    from cms.models import DigestIssue, ReviewPush

    page = instance.specific if hasattr(instance, "specific") else instance
    if getattr(page, "audience_unit_id", None) is None:
        return
    if isinstance(page, DigestIssue):
        transaction.on_commit(lambda: digest_deliver(DigestIssue.objects.get(pk=page.pk)))
        return
    if revision is not None and ReviewPush.objects.filter(revision=revision).exists():
        revision_id = revision.pk
        transaction.on_commit(lambda: content_push(page, revision_id))
