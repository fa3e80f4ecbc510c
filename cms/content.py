"""The CMS's content types, declared once (registered by `CmsConfig.ready()`).

Search, the API's cache versions and the sync tombstones all follow these declarations
through `core.content.content_changed`; a new kind of content is added here and nowhere
else (docs/architecture.md, "Content types and content_changed").
"""

from __future__ import annotations

from django.db.models import Q

from cms import representations as rep
from cms import selectors
from cms.models import (
    Book,
    DigestIndexPage,
    DigestIssue,
    DigestItem,
    ExemplarIndexPage,
    ExemplarPage,
    NewsIndexPage,
    NewsPage,
    NewsPageTag,
    Periodical,
    PeriodicalIssue,
)
from cms.outlets import page_served
from cms.signals import books_imported, outlet_served_changed
from core import content
from core.content import BULK, ContentType, SearchSpec

LIVE = Q(live=True)
PUBLISHED = Q(is_published=True)


def _live(obj) -> bool:
    return bool(obj.live)


def _flag(obj) -> bool:
    return bool(obj.is_published)


def _issue_published(issue) -> bool:
    periodical = issue.periodical
    return bool(issue.is_published and periodical is not None and periodical.is_published)


def _first_of(*attrs):
    """The first of these attributes that is set (the date a result shows)."""

    def get(obj):
        for attr in attrs:
            value = getattr(obj, attr, None)
            if value:
                return value
        return None

    return get


def _book_body(book) -> str:
    parts = (book.subtitle, book.authors, book.publisher, book.isbn, book.description)
    return " ".join(p for p in parts if p)


def _digest_news_titles(issue) -> str:
    """The titles of the news items a digest issue lists."""
    titles = [getattr(item.news, "title", "") for item in issue.items.all()]
    return " ".join(t for t in titles if t)


def _issue_title(issue) -> str:
    return f"{issue.periodical.title} {issue.label}".strip()


def _issue_ids(periodical) -> list[tuple[str, list[int]]]:
    if periodical.pk is None:
        return []
    ids = PeriodicalIssue.objects.filter(periodical_id=periodical.pk).values_list("pk", flat=True)
    return [("periodical_issue", list(ids))]


def _page_type(*, body: tuple, date_field: str, **declared) -> ContentType:
    """A page type: published while live; search lists it while an active app or portal
    outlet carries it (cms.outlets)."""
    return ContentType(
        published=LIVE,
        is_published=_live,
        search=SearchSpec(
            body=body, date=_first_of(date_field, "first_published_at"), published=page_served
        ),
        **declared,
    )


def _catalogue_type(*, body: tuple, dependents=None, **declared) -> ContentType:
    """A bookshelf snippet: published while its reviewer ticked 已发布 (cms.review)."""
    return ContentType(
        published=PUBLISHED,
        is_published=_flag,
        search=SearchSpec(
            body=body,
            date=_first_of("created_at"),
            dependents=dependents,
        ),
        **declared,
    )


NEWS = _page_type(
    name="news",
    model=NewsPage,
    label="新闻",
    resource="news",
    body=("subtitle", "summary", "body", "source", "author"),
    date_field="date",
    representation=rep.news_detail,
    visible_to=selectors.news_visible_to,
    embedded_in=("digests",),
    parts=(NewsIndexPage, NewsPageTag),
)
EXEMPLAR = _page_type(
    name="exemplar",
    model=ExemplarPage,
    label="先进典型",
    resource="stories",
    body=("subject_name", "summary", "honours", "deeds"),
    date_field="date",
    representation=rep.story_detail,
    visible_to=selectors.exemplars_visible_to,
    parts=(ExemplarIndexPage,),
)
DIGEST = _page_type(
    name="digest",
    model=DigestIssue,
    label="手机报",
    resource="digests",
    body=("editor_note", _digest_news_titles),
    date_field="issue_date",
    representation=rep.digest_detail,
    visible_to=selectors.digests_visible_to,
    parts=(DigestItem, DigestIndexPage),
)
BOOK = _catalogue_type(
    name="book",
    model=Book,
    label="图书",
    resource="books",
    body=(_book_body,),
    representation=rep.book_detail,
    visible_to=selectors.books_visible_to,
)
PERIODICAL = _catalogue_type(
    name="periodical",
    model=Periodical,
    label="期刊",
    resource="periodicals",
    body=("publisher", "issn", "cn_number", "description"),
    dependents=_issue_ids,
    representation=rep.periodical_list,
    visible_to=selectors.periodicals_visible_to,
)
PERIODICAL_ISSUE = ContentType(
    name="periodical_issue",
    model=PeriodicalIssue,
    label="期刊期次",
    resource="periodicals",  # listed inside its periodical's JSON
    published=Q(is_published=True, periodical__is_published=True),
    is_published=_issue_published,
    audience_field="periodical__audience_unit",
    search=SearchSpec(title=_issue_title, date=_first_of("issue_date")),
    representation=rep.issue_list,
    visible_to=selectors.periodical_issues_visible_to,
    synced=False,
)

TYPES = (NEWS, EXEMPLAR, DIGEST, BOOK, PERIODICAL, PERIODICAL_ISSUE)
PAGE_TYPES = (NEWS, EXEMPLAR, DIGEST)


def _books_imported(sender=None, ids=None, **kwargs):
    content.changed(BOOK, ids or ())


def _outlet_served_changed(sender=None, ids=None, **kwargs):
    """Where pages are served changed (an outlet suspended, a publication recorded):
    search and the API's cached answers follow, one change per page type."""
    ids = list(ids or ())
    for ct in PAGE_TYPES:
        own = ct.model.objects.filter(pk__in=ids).values_list("pk", flat=True) if ids else []
        content.changed(ct, list(own), action=BULK)


def register() -> None:
    content.register(*TYPES)
    books_imported.connect(_books_imported, dispatch_uid="cms.content.books_imported")
    outlet_served_changed.connect(
        _outlet_served_changed, dispatch_uid="cms.content.outlet_served_changed"
    )
