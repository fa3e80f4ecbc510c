"""What an engagement item is: a (kind, id) pair the member may see.

The API and the portal speak of an item by kind and id; `access_item` returns it or
ObjectNotFound (missing and out of scope alike: 404), through the content apps' own
selectors, so an event on an item the member cannot see is never buffered. The fold asks
`channels_for` for the channel of each item it meets (one query per kind).
"""

from __future__ import annotations

from dataclasses import dataclass

from cms import selectors as cms_selectors
from cms.models import DigestIssue, ExemplarPage, NewsIndexPage, NewsPage
from elearning.courses import selectors as course_selectors
from elearning.courses.models import Lesson
from organizations.selectors import ObjectNotFound

KINDS = ("news", "story", "digest", "lesson")
#: the channel of every item that is not news (news has its NewsIndexPage's code)
FIXED_CHANNELS = {"story": "exemplar", "digest": "digest", "lesson": "lesson"}
PORTAL_ROUTES = {
    "news": "portal:news_detail",
    "story": "portal:story_detail",
    "digest": "portal:digest_detail",
    "lesson": "portal:lesson",
}


@dataclass(frozen=True)
class Item:
    kind: str
    id: int
    title: str
    publishing_unit_id: int | None

    @property
    def portal_route(self) -> str:
        return PORTAL_ROUTES[self.kind]


def access_item(user, kind: str, item_id, *, through: str = cms_selectors.APP) -> Item:
    """The item if `user` may read it (through the app or the portal), else ObjectNotFound."""
    try:
        item_id = int(item_id)
    except (TypeError, ValueError):
        raise ObjectNotFound from None
    if kind == "news":
        page = cms_selectors.access_news_by_id(user, item_id, through=through)
    elif kind == "story":
        page = cms_selectors.access_exemplar_by_id(user, item_id, through=through)
    elif kind == "digest":
        page = cms_selectors.access_digest_by_id(user, item_id, through=through)
    elif kind == "lesson":
        lesson = course_selectors.access_lesson_by_id(user, item_id)
        return Item("lesson", lesson.pk, lesson.title, lesson.course.audience_unit_id)
    else:
        raise ObjectNotFound
    return Item(kind, page.pk, page.title, page.publishing_unit_id)


def item_of_page(page) -> Item | None:
    """The item a served Wagtail page is (None for pages that are not items)."""
    page = getattr(page, "specific", page)
    for model, kind in ((NewsPage, "news"), (ExemplarPage, "story"), (DigestIssue, "digest")):
        if isinstance(page, model):
            return Item(kind, page.pk, page.title, page.publishing_unit_id)
    return None


def item_exists(kind: str, item_id: int) -> bool:
    model = {"news": NewsPage, "story": ExemplarPage, "digest": DigestIssue, "lesson": Lesson}
    return kind in model and model[kind].objects.filter(pk=item_id).exists()


def channels_for(news_ids: set[int]) -> dict[int, str]:
    """The channel code of each news page (its NewsIndexPage parent): two queries."""
    if not news_ids:
        return {}
    steplen = NewsPage.steplen
    paths = dict(NewsPage.objects.filter(pk__in=news_ids).values_list("pk", "path"))
    index = dict(NewsIndexPage.objects.values_list("path", "channel_code"))
    return {pk: index.get(path[:-steplen], "news") or "news" for pk, path in paths.items()}


def visible_ids(user, kind: str, ids: set[int]) -> set[int]:
    """Which of `ids` (items of one kind) the user may read through the app: one query."""
    if kind == "news":
        qs = cms_selectors.news_visible_to(user)
    elif kind == "story":
        qs = cms_selectors.exemplars_visible_to(user)
    elif kind == "digest":
        qs = cms_selectors.digests_visible_to(user)
    elif kind == "lesson":
        qs = Lesson.objects.filter(
            course_id__in=course_selectors.courses_visible(user).values("pk")
        )
    else:
        return set()
    return set(qs.filter(pk__in=ids).values_list("pk", flat=True))
