"""Every list endpoint runs a constant number of SQL queries whatever the page size:
the same request is counted with 3 objects and with 25 (page_size=25), both counts must
equal the pinned number. Objects carry what a list shows (covers with renditions, tags,
units), so N+1 look-ups would show up as a growing count."""

from __future__ import annotations

import datetime as dt
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from cms.models import Book, DigestIssue, ExemplarPage, NewsPage, Periodical, PeriodicalIssue
from elearning.models import Assignment, Contest, ContestBest, Course, Lesson
from tests.cms.conftest import site  # noqa: F401 - fixtures
from tests.factories import member_in

pytestmark = pytest.mark.django_db

SEQ = count(1)


@pytest.fixture(autouse=True)
def _full_answers(settings):
    """The pins are for answers the view builds: a news page repeated on a warm cache is
    sent from its kept body with no SQL at all (tests/api/test_kept_bodies.py)."""
    settings.EHOME_API_BODY_CACHE = False


def _queries(client, url) -> tuple[int, dict]:
    client.get(url)  # warm: renditions are generated once, caches filled
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200, r.content[:300]
    return len(ctx.captured_queries), r.json()


def _results(body) -> list:
    if isinstance(body, list):
        return body
    for key in ("results", "items", "removed", "rows"):
        if key in body:
            return body[key]
    raise AssertionError(f"no list in {list(body)}")


@pytest.fixture
def images(db):
    Image = get_image_model()
    return [
        Image.objects.create(title=f"图{i}", file=get_test_image_file(f"q{i}.png"))
        for i in range(2)
    ]


@pytest.fixture
def reader(org, client_for):
    m = member_in(org.a1)
    return m, client_for(m.user)


def _live_child(parent, page):
    """A live page without the revision/publish round (what the list reads is the same;
    publishing 25 pages through workflows would only make the suite slow)."""
    now = timezone.now()
    page.live = True
    page.first_published_at = page.last_published_at = now
    parent.add_child(instance=page)
    return page


def _news(site, org, images, n):  # noqa: F811
    for _ in range(n):
        i = next(SEQ)
        page = _live_child(
            site.channel,
            NewsPage(
                title=f"新闻{i}",
                slug=f"q-news-{i}",
                date=dt.date(2026, 11, 1),
                publishing_unit=org.a,
                audience_unit=org.root,
                summary="摘要",
                cover_image=images[i % 2],
            ),
        )
        page.tags.add(f"标签{i % 3}", "党建")


def _stories(site, org, images, n):  # noqa: F811
    for _ in range(n):
        i = next(SEQ)
        page = ExemplarPage(
            title=f"典型{i}",
            slug=f"q-story-{i}",
            subject_name=f"张{i}",
            subject_unit=org.a1,
            date=dt.date(2026, 11, 1),
            publishing_unit=org.a,
            audience_unit=org.root,
            portrait=images[i % 2],
        )
        _live_child(site.stories, page)


def _digests(site, org, images, n):  # noqa: F811
    for _ in range(n):
        i = next(SEQ)
        page = DigestIssue(
            title=f"手机报{i}",
            slug=f"q-digest-{i}",
            issue_number=i,
            issue_date=dt.date(2026, 11, 1),
            publishing_unit=org.root,
            audience_unit=org.root,
        )
        _live_child(site.digests, page)


def _books(site, org, images, n):  # noqa: F811
    for _ in range(n):
        i = next(SEQ)
        Book.objects.create(
            title=f"图书{i}", audience_unit=org.root, is_published=True, cover=images[i % 2]
        )


def _periodicals(site, org, images, n):  # noqa: F811
    for _ in range(n):
        i = next(SEQ)
        p = Periodical.objects.create(
            title=f"期刊{i}", audience_unit=org.root, is_published=True, cover=images[i % 2]
        )
        PeriodicalIssue.objects.create(
            periodical=p, label="第1期", issue_date=dt.date(2026, 11, 1), is_published=True
        )


def _courses(site, org, images, n):  # noqa: F811
    for _ in range(n):
        i = next(SEQ)
        c = Course.objects.create(
            title=f"课程{i}", audience_unit=org.root, is_published=True, cover=images[i % 2]
        )
        Lesson.objects.create(course=c, title="图文", kind="article", body="<p>x</p>")


def _assignments(site, org, images, n):  # noqa: F811
    _courses(site, org, images, n)
    assigned = set(Assignment.objects.values_list("course_id", flat=True))
    for c in Course.objects.exclude(pk__in=assigned):
        Assignment.objects.create(
            course=c, audience_unit=org.root, due_date=dt.date.today() + dt.timedelta(days=9)
        )


def _contests(site, org, images, n):  # noqa: F811
    now = timezone.now()
    for _ in range(n):
        i = next(SEQ)
        Contest.objects.create(
            title=f"竞赛{i}",
            audience_unit=org.root,
            starts_at=now - dt.timedelta(days=1),
            ends_at=now + dt.timedelta(days=1),
            is_published=True,
        )


def _tombstones(site, org, images, n):  # noqa: F811
    from django.test import TestCase

    for _ in range(n):
        book = Book.objects.create(title="将删除", audience_unit=org.root, is_published=True)
        with TestCase.captureOnCommitCallbacks(execute=True):  # tombstones follow the commit
            book.delete()


def _searchable_books(site, org, images, n):  # noqa: F811
    from search.services import objects_index

    ids = []
    for _ in range(n):
        i = next(SEQ)
        ids.append(
            Book.objects.create(
                title=f"党建读本{i}", audience_unit=org.root, is_published=True, cover=images[i % 2]
            ).pk
        )
    objects_index(doc_type="book", object_ids=ids)


SINCE = (timezone.now() - dt.timedelta(hours=1)).isoformat()

#: endpoint → (object maker, url with page_size=25, pinned query count). The user, their
#: member record and unit come in ONE query (api.authentication.MemberJWTAuthentication).
LISTS = {
    "news": (_news, "/api/v1/news/?page_size=25", 6),  # cursor: no COUNT(*)
    "stories": (_stories, "/api/v1/stories/?page_size=25", 5),
    "digests": (_digests, "/api/v1/digests/?page_size=25", 4),
    "books": (_books, "/api/v1/books/?page_size=25", 5),
    "periodicals": (_periodicals, "/api/v1/periodicals/?page_size=25", 5),
    "courses": (_courses, "/api/v1/courses/?page_size=25", 5),
    "assignments": (_assignments, "/api/v1/assignments/?page_size=25", 3),
    "contests": (_contests, "/api/v1/contests/?page_size=25", 4),
    "search": (_searchable_books, "/api/v1/search/?q=%E5%85%9A%E5%BB%BA&page_size=25", 4),
    "sync-changes": (_tombstones, f"/api/v1/sync/changes/?since={SINCE}", 4),
}


@pytest.mark.parametrize("name", list(LISTS))
def test_list_query_count_is_constant(name, site, org, images, reader):  # noqa: F811
    make, url, pinned = LISTS[name]
    _member, client = reader
    url = url.replace("+", "%2B")
    make(site, org, images, 3)
    few, body = _queries(client, url)
    assert len(_results(body)) == 3
    make(site, org, images, 22)
    many, body = _queries(client, url)
    assert len(_results(body)) == 25
    assert (few, many) == (pinned, pinned), f"{name}: {few} queries for 3, {many} for 25"


def test_contest_leaderboard_query_count_is_constant(org, reader):
    member, client = reader
    now = timezone.now()
    contest = Contest.objects.create(
        title="竞赛",
        audience_unit=org.root,
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=1),
        is_published=True,
    )
    url = f"/api/v1/contests/{contest.pk}/leaderboard/?page_size=25"

    def add(n):
        from django.contrib.auth import get_user_model

        from organizations.models import Member

        for _ in range(n):  # no password hashing: 25 members stay cheap
            i = next(SEQ)
            user = get_user_model().objects.create(username=f"lb{i}")
            m = Member.objects.create(
                user=user, unit=org.a1, name=f"党员{i}", member_no=f"L{i:07d}"
            )
            ContestBest.objects.create(
                contest=contest, member=m, unit=org.a1, score=next(SEQ), elapsed_ms=1000
            )

    add(3)
    few, _ = _queries(client, url)
    add(22)
    many, _ = _queries(client, url)
    assert few == many, f"leaderboard: {few} queries for 3 entries, {many} for 25"
