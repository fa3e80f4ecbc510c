"""Publishing, unpublishing, saving and deleting indexed objects keeps search in step."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from cms.models import Book
from cms.signals import books_imported
from search.models import SearchDocument
from search.query import search
from tests.factories import member_in
from tests.search.conftest import publish_news


def found(query, user, doc_type=None):
    return {
        (h.type, h.id)
        for h in search(query, user=user, types=[doc_type] if doc_type else None).hits
    }


@pytest.fixture
def reader(org):
    return member_in(org.a1).user


def test_publishing_a_news_page_indexes_it_for_its_audience(
    org, site, reader, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        page = publish_news(
            site.channel,
            title="关于做好党费收缴工作的通知",
            publishing_unit=org.root,
            audience_unit=org.a,
            body=[("rich_text", "<p>全体党员要按时足额交纳党费。</p>")],
        )
    assert ("news", page.pk) in found("党费", reader)
    assert ("news", page.pk) in found("黨費收繳", reader)
    outsider = member_in(org.b1).user
    assert ("news", page.pk) not in found("党费", outsider)
    hit = search("交纳", user=reader).hits[0]
    assert "<mark>交纳</mark>" in hit.snippet


def test_unpublishing_and_deleting_remove_the_page(
    org, site, reader, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        page = publish_news(
            site.channel, title="党费使用情况公示", publishing_unit=org.root, audience_unit=org.root
        )
    assert ("news", page.pk) in found("公示", reader)
    with django_capture_on_commit_callbacks(execute=True):
        page.unpublish()
    assert ("news", page.pk) not in found("公示", reader)
    assert SearchDocument.objects.get(doc_type="news", object_id=page.pk).is_published is False
    with django_capture_on_commit_callbacks(execute=True):
        page.delete()
    assert not SearchDocument.objects.filter(doc_type="news", object_id=page.pk).exists()


def test_rolled_back_edit_indexes_nothing(org, site, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                Book.objects.create(
                    title="回滚的党费图书", audience_unit=org.root, is_published=True
                )
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks == []
    assert not SearchDocument.objects.filter(title="回滚的党费图书").exists()


def test_book_save_and_bulk_import_signal(org, reader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        book = Book.objects.create(
            title="党费工作手册",
            authors="组织部",
            isbn="978-7-01-012345-6",
            audience_unit=org.root,
            is_published=True,
        )
    assert ("book", book.pk) in found("党费", reader)
    assert ("book", book.pk) in found("9787010123456", reader)
    # bulk_create sends no post_save: the importer's books_imported signal indexes them
    bulk = Book.objects.bulk_create(
        [
            Book(title=f"党史学习读本第{i}册", audience_unit=org.root, is_published=True)
            for i in range(3)
        ]
    )
    assert not found("党史", reader)
    with django_capture_on_commit_callbacks(execute=True):
        books_imported.send(sender=Book, ids=[b.pk for b in bulk])
    assert {("book", b.pk) for b in bulk} <= found("党史", reader)
    with django_capture_on_commit_callbacks(execute=True):
        book.is_published = False
        book.save()
    assert ("book", book.pk) not in found("党费", reader)


def test_course_and_lessons_follow_the_course(org, reader, django_capture_on_commit_callbacks):
    from elearning.models import Course, Lesson

    with django_capture_on_commit_callbacks(execute=True):
        course = Course.objects.create(
            title="新时代党员教育必修课",
            description="学习党章党规",
            audience_unit=org.a,
            is_published=True,
        )
        lesson = Lesson.objects.create(
            course=course,
            title="第一讲 党费的意义",
            kind="article",
            body="<p>党费是党员对党组织的义务</p>",
        )
    assert ("course", course.pk) in found("党章", reader)
    assert ("lesson", lesson.pk) in found("党费", reader)
    with django_capture_on_commit_callbacks(execute=True):
        course.is_published = False
        course.save()
    assert ("lesson", lesson.pk) not in found("党费", reader)
    assert ("course", course.pk) not in found("党章", reader)


def test_rebuild_command_reindexes_from_the_models_and_drops_stale_rows(
    org, site, reader, superuser
):
    publish_news(
        site.channel, title="党建工作要点", publishing_unit=org.root, audience_unit=org.root
    )
    Book.objects.bulk_create([Book(title="党建读本", audience_unit=org.root, is_published=True)])
    SearchDocument.objects.create(
        doc_type="news", object_id=999999, title="stale", audience_path=org.root.path
    )
    SearchDocument.objects.filter(title="党建工作要点").delete()
    from io import StringIO

    out = StringIO()
    call_command("search_index", "--rebuild", "--no-progress", stdout=out)
    assert "索引重建完成" in out.getvalue()
    assert {h.title for h in search("党建", user=reader).hits} >= {"党建工作要点", "党建读本"}
    assert not SearchDocument.objects.filter(object_id=999999).exists()

    out = StringIO()
    call_command("search_index", "--rebuild", "--type", "book", "--no-progress", stdout=out)
    assert "book:" in out.getvalue() and "news:" not in out.getvalue()


def test_rebuild_command_rejects_an_unknown_type(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="未知的类型"):
        call_command("search_index", "--rebuild", "--type", "nope")


def test_demo_step_indexes_existing_content(org, reader):
    from search.demo import seed

    Book.objects.bulk_create(
        [Book(title="党建知识问答", audience_unit=org.root, is_published=True)]
    )
    assert seed()["search_documents"] >= 1
    assert {h.title for h in search("党建知识", user=reader).hits} == {"党建知识问答"}


def test_periodical_issue_follows_its_periodical(org, reader, django_capture_on_commit_callbacks):
    from cms.models import Periodical, PeriodicalIssue

    with django_capture_on_commit_callbacks(execute=True):
        periodical = Periodical.objects.create(
            title="支部生活", audience_unit=org.root, is_published=True
        )
        issue = PeriodicalIssue.objects.create(
            periodical=periodical, label="2026年第11期", issue_date="2026-11-01", is_published=True
        )
    assert ("periodical_issue", issue.pk) in found("支部生活", reader)
    with django_capture_on_commit_callbacks(execute=True):
        periodical.is_published = False
        periodical.save()
    assert ("periodical_issue", issue.pk) not in found("支部生活", reader)
