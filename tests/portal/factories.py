"""Content and academy data for portal tests, made through the owning apps' models and
services (the same objects their own tests create)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone
from wagtail.models import Page, Site

_seq = itertools.count(1)


def site_home():
    """A cms HomePage as the default site's root, so pages have URLs."""
    from cms.models import HomePage

    home = HomePage.objects.first()
    if home is not None:
        return home
    root = Page.get_first_root_node()
    if root is None:  # a transactional test flushed the tree the migrations made
        from wagtail.models import Locale

        Locale.objects.get_or_create(language_code="zh-hans")
        root = Page.add_root(instance=Page(title="Root", slug="root"))
    home = HomePage(title="党建e家", slug=f"home{next(_seq)}")
    root.add_child(instance=home)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
    else:
        site.root_page = home
        site.save()
    return home


def channel(code: str = "headline", title: str = "要闻"):
    from cms.models import NewsIndexPage

    existing = NewsIndexPage.objects.filter(channel_code=code).first()
    if existing:
        return existing
    index = NewsIndexPage(title=title, slug=code, channel_code=code)
    site_home().add_child(instance=index)
    return index


def news(unit, *, title: str | None = None, pinned: bool = False, body=None, chan=None, days=0):
    from cms.models import NewsPage

    n = next(_seq)
    page = NewsPage(
        title=title or f"新闻标题{n}",
        slug=f"news-{n}",
        date=timezone.localdate() - dt.timedelta(days=days),
        publishing_unit=unit,
        audience_unit=unit,
        summary=f"摘要{n}",
        pinned=pinned,
        body=body or [("rich_text", f"<p>正文{n}</p>")],
    )
    (chan or channel()).add_child(instance=page)
    return page


def book(unit, *, title: str | None = None, category: str = "D26", file=None, fmt: str = ""):
    from cms.models import Book

    n = next(_seq)
    return Book.objects.create(
        title=title or f"图书{n}",
        authors="作者甲",
        category=category,
        audience_unit=unit,
        owner_unit=unit,
        is_published=True,
        file=file or "",
        file_format=fmt,
    )


def course_with_exam(
    unit,
    *,
    questions: int = 4,
    review_show: str = "answers",
    review_when: str = "after_submit",
    lessons=1,
    min_seconds=60,
):
    """A published compulsory course with article lessons and an exam drawing every
    question of a fresh category (single choice, answer "A" with explanation)."""
    from elearning.models import Course, Exam, ExamRule, Lesson, Question

    n = next(_seq)
    course = Course.objects.create(
        title=f"必修课{n}", audience_unit=unit, is_published=True, kind="compulsory"
    )
    for i in range(lessons):
        Lesson.objects.create(
            course=course,
            title=f"课时{i + 1}",
            kind="article",
            body=f"<p>课时正文{i + 1}</p>",
            min_seconds=min_seconds,
            sort_order=i,
        )
    category = f"cat{n}"
    for i in range(questions):
        Question.objects.create(
            type="single",
            stem=f"第{i + 1}题题干{n}",
            options=[{"key": "A", "text": f"正确选项{n}-{i}"}, {"key": "B", "text": "错误选项"}],
            answer=["A"],
            explanation=f"解析秘密{n}-{i}",
            category=category,
            owner_unit=unit,
        )
    exam = Exam.objects.create(
        title=f"考试{n}",
        course=course,
        audience_unit=unit,
        time_limit_minutes=30,
        pass_mark=60,
        attempts_allowed=3,
        review_show=review_show,
        review_when=review_when,
        is_published=True,
    )
    ExamRule.objects.create(exam=exam, category=category, count=questions, points=25)
    return course, exam


def assignment(course, unit, *, due_in_days: int = 7):
    from elearning.courses.services import assignment_create

    return assignment_create(
        course=course,
        audience_unit=unit,
        due_date=timezone.localdate() + dt.timedelta(days=due_in_days),
    )


def contest(unit, *, questions: int = 3, mode: str = "fixed"):
    """An open contest over fresh single-choice questions (answer "A")."""
    from elearning.models import Contest, Question

    n = next(_seq)
    now = timezone.now()
    c = Contest.objects.create(
        title=f"知识竞答{n}",
        audience_unit=unit,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=1),
        mode=mode,
        seconds_per_question=30,
        entries_allowed=3,
        is_published=True,
    )
    qs = [
        Question.objects.create(
            type="single",
            stem=f"竞答题{n}-{i}",
            options=[{"key": "A", "text": "对的"}, {"key": "B", "text": "错的"}],
            answer=["A"],
            category=f"contest{n}",
            owner_unit=unit,
        )
        for i in range(questions)
    ]
    c.questions.set(qs)
    return c
