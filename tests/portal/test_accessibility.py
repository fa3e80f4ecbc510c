"""Key pages pass the static accessibility check (labels, alt text, headings, landmarks)."""

from __future__ import annotations

import pytest

from organizations.models import UnitRole
from tests.factories import user_with_role
from tests.portal import factories as f
from tests.portal.a11y import problems

pytestmark = pytest.mark.django_db


def test_member_pages_have_labels_alt_text_and_structure(org, member_b1, web_client):
    course, exam = f.course_with_exam(org.root)
    f.assignment(course, org.root)
    news = f.news(org.root, title="无障碍检查新闻")
    f.book(org.root, title="无障碍检查图书")
    contest = f.contest(org.root)
    client = web_client(member_b1.user)
    attempt_url = client.post(f"/learn/exams/{exam.pk}/start/")["Location"]
    lesson = course.lessons.first()
    pages = [
        "/",
        "/news/",
        news.url,
        "/books/",
        "/search/?q=检查",
        f"/learn/courses/{course.pk}/",
        f"/learn/lessons/{lesson.pk}/",
        f"/learn/exams/{exam.pk}/",
        attempt_url,
        f"/contests/{contest.pk}/",
        f"/contests/{contest.pk}/play/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert problems(response.content.decode()) == [], url


def test_login_and_dashboard_pages_are_accessible(org, client, web_client):
    assert problems(client.get("/accounts/login/").content.decode()) == []
    course, _ = f.course_with_exam(org.root)
    a = f.assignment(course, org.root)
    secretary = user_with_role(org.b, UnitRole.Role.SECRETARY, username="sec_a11y")
    c = web_client(secretary)
    for url in (
        f"/dashboard/?assignment={a.pk}",
        f"/dashboard/members/?assignment={a.pk}&unit={org.b.pk}",
    ):
        assert problems(c.get(url).content.decode()) == [], url
