"""Adopted as news: the manuscript becomes a draft NewsPage of the receiving unit, in the
news channel set by EHOME_MANUSCRIPT_NEWS_CHANNEL (default 基层动态, "grassroots"; the
first channel when that one does not exist). The page then goes through the normal
review workflow like any editor's draft."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.html import escape

from publications.errors import PublicationError


def _body_html(manuscript) -> str:
    from core.richtext import sanitize_html

    if manuscript.body_format == manuscript.BodyFormat.RICH:
        return sanitize_html(manuscript.body)
    paragraphs = [p.strip() for p in (manuscript.body or "").splitlines() if p.strip()]
    return "".join(f"<p>{escape(p)}</p>" for p in paragraphs)


def draft_news_page(manuscript, *, user):
    from cms.models import NewsIndexPage, NewsPage

    code = getattr(settings, "EHOME_MANUSCRIPT_NEWS_CHANNEL", "grassroots")
    index = NewsIndexPage.objects.filter(channel_code=code).first() or NewsIndexPage.objects.first()
    if index is None:
        raise PublicationError("没有新闻频道，不能采用为新闻", code="no_news_channel")
    page = NewsPage(
        title=manuscript.title[:255],
        slug=f"manuscript-{manuscript.pk}",
        date=timezone.localdate(),
        publishing_unit=manuscript.receiver_unit,
        audience_unit=manuscript.receiver_unit,
        source=manuscript.sender_unit.name[:100],
        body=[("rich_text", _body_html(manuscript))],
        live=False,
        owner=user if getattr(user, "pk", None) else None,
    )
    index.add_child(instance=page)
    page.save_revision(user=user if getattr(user, "pk", None) else None)
    return page
