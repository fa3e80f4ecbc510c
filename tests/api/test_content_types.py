"""Content types are declared once (core.content) and reach every consumer from there.

For every declared type, a published object is indexed by search, changes the API's
cache version of its resource (so ETags change) and, when deleted, is dropped from the
index and — for types an app keeps offline — leaves a tombstone that
/api/v1/sync/changes/ reports. A type declared only in its one declaration (here a
test-only one over quiz contests) gets all three as well; and `content_changed` is sent
only once the transaction commits, never for a rolled-back write.
"""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from api import caching
from api.models import ContentTombstone
from cms.models import Book, DigestIssue, DigestItem, ExemplarPage, Periodical, PeriodicalIssue
from core import content
from core.content import ContentType, SearchSpec, content_changed
from elearning.models import Contest, Course, Lesson
from organizations.selectors import audience_q
from search.models import SearchDocument
from tests.cms.conftest import publish_news, site  # noqa: F401 - fixtures
from tests.factories import member_in

pytestmark = pytest.mark.django_db


def _news(site, org):  # noqa: F811
    return publish_news(
        site.channel, title="类型新闻", publishing_unit=org.root, audience_unit=org.root
    )


def _publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    return type(page).objects.get(pk=page.pk)


def _exemplar(site, org):  # noqa: F811
    return _publish(
        site.stories,
        ExemplarPage(
            title="类型典型",
            slug="type-exemplar",
            publishing_unit=org.root,
            audience_unit=org.root,
            subject_name="张三",
            subject_unit=org.a1,
            date=dt.date(2026, 11, 20),
        ),
    )


def _digest(site, org):  # noqa: F811
    issue = DigestIssue(
        title="类型手机报",
        slug="type-digest",
        publishing_unit=org.root,
        audience_unit=org.root,
        issue_number=1,
        issue_date=dt.date(2026, 11, 20),
    )
    issue.items = [DigestItem(news=_news(site, org))]
    return _publish(site.digests, issue)


def _book(site, org):  # noqa: F811
    return Book.objects.create(title="类型图书", audience_unit=org.root, is_published=True)


def _periodical(site, org):  # noqa: F811
    return Periodical.objects.create(title="类型期刊", audience_unit=org.root, is_published=True)


def _issue(site, org):  # noqa: F811
    return PeriodicalIssue.objects.create(
        periodical=_periodical(site, org),
        label="2026年第1期",
        issue_date=dt.date(2026, 1, 1),
        is_published=True,
    )


def _course(site, org):  # noqa: F811
    return Course.objects.create(title="类型课程", audience_unit=org.root, is_published=True)


def _lesson(site, org):  # noqa: F811
    return Lesson.objects.create(
        course=_course(site, org), title="类型课时", kind="article", body="<p>正文</p>"
    )


def _document(site, org):  # noqa: F811
    from publications.documents.models import Document

    return Document.objects.create(
        title="类型文件",
        number="类型〔2026〕1号",
        issuing_unit=org.root,
        audience_unit=org.root,
        issued_on=dt.date(2026, 11, 20),
        is_published=True,
    )


def _bulletin(site, org):  # noqa: F811
    from publications.models import BulletinIndexPage, BulletinIssuePage

    index = _publish(site.home, BulletinIndexPage(title="政工情况", slug="type-bulletin"))
    item = {"title": "类型条目", "author": "", "body": "<p>正文</p>", "images": []}
    return _publish(
        index,
        BulletinIssuePage(
            title="类型简报",
            slug="type-bulletin-1",
            issue_number=1,
            issue_date=dt.date(2026, 11, 20),
            publishing_unit=org.root,
            audience_unit=org.root,
            sections=[
                {
                    "type": "section",
                    "value": {
                        "heading": "工作动态",
                        "items": [{"type": "editorial", "value": item}],
                    },
                }
            ],
        ),
    )


#: a published object of each declared type; a new type gets its maker here
MAKERS = {
    "bulletin": _bulletin,
    "news": _news,
    "exemplar": _exemplar,
    "digest": _digest,
    "book": _book,
    "periodical": _periodical,
    "periodical_issue": _issue,
    "course": _course,
    "lesson": _lesson,
    "document": _document,
}


def test_every_declared_type_is_exercised_here():
    assert {ct.name for ct in content.all_types()} == set(MAKERS)


def _versions(resources):
    return {r: v.counter for r, v in caching.versions(resources).items()}


def _removed(client, resource):
    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    r = client.get("/api/v1/sync/changes/", {"since": since, "resource": resource})
    assert r.status_code == 200, r.content
    return {(c["resource"], c["id"], c["reason"]) for c in r.json()["removed"]}


def _reaches_every_consumer(ct, make, committed, reader_client):
    """Create, then delete, a published object of `ct` and check search, the cache
    versions and the tombstones each saw it."""
    before = _versions(ct.resources)
    with committed():
        obj = make()
    assert ct.model is type(obj)
    doc = SearchDocument.objects.filter(doc_type=ct.name, object_id=obj.pk).first()
    assert doc is not None and doc.is_published, f"{ct.name}: not indexed"
    after = _versions(ct.resources)
    assert all(after[r] > before[r] for r in ct.resources), f"{ct.name}: cache not bumped"

    pk = obj.pk
    with committed():
        obj.delete()
    assert not SearchDocument.objects.filter(doc_type=ct.name, object_id=pk).exists()
    assert all(_versions(ct.resources)[r] > after[r] for r in ct.resources)
    tombstones = set(
        ContentTombstone.objects.filter(resource=ct.resource, object_id=pk).values_list(
            "reason", flat=True
        )
    )
    if ct.synced:
        assert tombstones == {"deleted"}, f"{ct.name}: no tombstone"
        assert (ct.resource, pk, "deleted") in _removed(reader_client, ct.resource)
    else:  # part of a bigger object: its parent's JSON changes instead
        assert tombstones == set()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def reader_client(org, client_for):
    return client_for(member_in(org.a1).user)


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_each_declared_type_reaches_search_cache_and_sync(
    name,
    site,  # noqa: F811
    org,
    committed,
    reader_client,
):
    ct = content.get(name)
    _reaches_every_consumer(ct, lambda: MAKERS[name](site, org), committed, reader_client)


@pytest.fixture
def contest_type():
    """A content type that exists only in this one declaration."""
    ct = ContentType(
        name="contest_test",
        model=Contest,
        label="知识竞答",
        resource="contests",
        published=Q(is_published=True),
        is_published=lambda contest: contest.is_published,
        search=SearchSpec(body=("description",), date=lambda contest: contest.starts_at),
        visible_to=lambda user: Contest.objects.filter(is_published=True).filter(audience_q(user)),
    )
    content.register(ct)
    yield content.get("contest_test")
    content.unregister("contest_test")


def test_a_type_declared_once_reaches_every_consumer(org, contest_type, committed, reader_client):
    now = timezone.now()

    def make():
        return Contest.objects.create(
            title="党史知识竞答",
            description="学党史",
            audience_unit=org.root,
            starts_at=now,
            ends_at=now + timedelta(days=1),
            is_published=True,
        )

    _reaches_every_consumer(contest_type, make, committed, reader_client)


def test_narrowing_a_declared_types_audience_leaves_a_tombstone_for_those_left_out(
    org, contest_type, committed, client_for
):
    now = timezone.now()
    contest = Contest.objects.create(
        title="竞答",
        audience_unit=org.root,
        starts_at=now,
        ends_at=now + timedelta(days=1),
        is_published=True,
    )
    with committed():
        contest.audience_unit = org.a
        contest.save()
    gone = ("contests", contest.pk, "scope_changed")
    assert gone in _removed(client_for(member_in(org.b1).user), "contests")
    assert gone not in _removed(client_for(member_in(org.a1).user), "contests")


def test_content_changed_is_sent_after_commit_only(org, django_capture_on_commit_callbacks):
    seen = []

    def receiver(sender, change, **kwargs):
        seen.append((change.content_type.name, change.action, change.object_ids))

    content_changed.connect(receiver, dispatch_uid="test.content_changed")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            book = Book.objects.create(title="提交", audience_unit=org.root, is_published=True)
            assert seen == []  # not before the commit
        assert seen == [("book", "saved", (book.pk,))]

        seen.clear()
        book_id = book.pk
        with django_capture_on_commit_callbacks(execute=True):
            try:
                with transaction.atomic():
                    Book.objects.create(title="回滚", audience_unit=org.root, is_published=True)
                    book.delete()
                    raise RuntimeError
            except RuntimeError:
                pass
        assert seen == []
        assert Book.objects.filter(pk=book_id).exists()  # the delete rolled back
        assert not ContentTombstone.objects.filter(object_id=book_id).exists()
        assert not SearchDocument.objects.filter(title="回滚").exists()
    finally:
        content_changed.disconnect(dispatch_uid="test.content_changed")
