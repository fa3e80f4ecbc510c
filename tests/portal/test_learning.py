"""Course pages, exams (answers never in the page before review allows), the dashboard."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from elearning.models import Assignment, Attempt, CourseProgress, LessonProgress
from organizations.models import UnitRole
from tests.factories import member_in, user_with_role
from tests.portal import factories as f

pytestmark = pytest.mark.django_db


def test_course_page_lists_lessons_and_opening_a_lesson_starts_the_server_clock(
    org, member_b1, web_client
):
    course, exam = f.course_with_exam(org.root, lessons=2)
    client = web_client(member_b1.user)
    html = client.get(f"/learn/courses/{course.pk}/").content.decode()
    lessons = list(course.lessons.order_by("sort_order"))
    assert lessons[0].title in html and lessons[1].title in html
    assert f"/learn/exams/{exam.pk}/" in html
    lesson_html = client.get(f"/learn/lessons/{lessons[0].pk}/").content.decode()
    assert "课时正文1" in lesson_html and 'data-reading="1"' in lesson_html
    row = LessonProgress.objects.get(member=member_b1, lesson=lessons[0])
    assert row.opened_at is not None and row.last_report_at is not None


def test_out_of_scope_course_is_404(org, member_b1, web_client):
    course, exam = f.course_with_exam(org.a1)
    client = web_client(member_b1.user)
    assert client.get(f"/learn/courses/{course.pk}/").status_code == 404
    assert client.get(f"/learn/exams/{exam.pk}/").status_code == 404


def _take(client, exam, *, correct: bool):
    response = client.post(f"/learn/exams/{exam.pk}/start/")
    attempt_url = response["Location"]
    page = client.get(attempt_url).content.decode()
    attempt = Attempt.objects.get(pk=int(re.search(r"/attempts/(\d+)/", attempt_url).group(1)))
    data = {"idempotency_key": "k-" + str(attempt.pk)}
    for item in attempt.questions:
        data[f"q{item['id']}"] = "A" if correct else "B"
    result = client.post(attempt_url, data)
    return attempt, page, result


def test_exam_page_never_contains_answers_and_review_shows_them_after(org, member_b1, web_client):
    course, exam = f.course_with_exam(org.root, review_show="answers")
    client = web_client(member_b1.user)
    attempt, page, result = _take(client, exam, correct=True)
    assert "题干" in page
    assert "解析秘密" not in page and "正确答案" not in page
    assert 'name="idempotency_key"' in page
    assert result.status_code == 302
    review = client.get(result["Location"]).content.decode()
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.passed
    assert "100.0 / 100.0" in review and "解析秘密" in review and "正确答案" in review
    assert CourseProgress.objects.get(member=member_b1, course=course).exam_passed_at is not None


def test_review_policy_score_only_hides_correctness_and_answers(org, member_b1, web_client):
    _, exam = f.course_with_exam(org.root, review_show="score")
    client = web_client(member_b1.user)
    _, _, result = _take(client, exam, correct=False)
    review = client.get(result["Location"]).content.decode()
    assert 'data-testid="score"' in review
    assert "解析秘密" not in review and "正确答案" not in review and "✗" not in review


def test_a_repeated_submit_returns_the_first_result(org, member_b1, web_client):
    _, exam = f.course_with_exam(org.root)
    client = web_client(member_b1.user)
    attempt, _, _ = _take(client, exam, correct=True)
    data = {"idempotency_key": "k-" + str(attempt.pk)}
    for item in attempt.questions:
        data[f"q{item['id']}"] = "B"
    again = client.post(f"/learn/attempts/{attempt.pk}/", data)
    assert again.status_code == 302
    attempt.refresh_from_db()
    assert attempt.percent == 100.0 and attempt.grade_count == 1


def test_another_members_attempt_is_404(org, member_b1, web_client):
    _, exam = f.course_with_exam(org.root)
    attempt, _, _ = _take(web_client(member_b1.user), exam, correct=True)
    other = member_in(org.b1, username="other_b1")
    assert web_client(other.user).get(f"/learn/attempts/{attempt.pk}/result/").status_code == 404


def test_dashboard_completion_by_child_unit_drill_down_and_export(org, member_b1, web_client):
    course, exam = f.course_with_exam(org.root, lessons=1, min_seconds=0)
    a = f.assignment(course, org.root)
    member_in(org.b1, username="lazy_b1")
    client = web_client(member_b1.user)
    lesson = course.lessons.get()
    client.get(f"/learn/lessons/{lesson.pk}/")  # opens the lesson: the server clock starts
    beat = client.post(
        f"/api/v1/lessons/{lesson.pk}/progress/",
        {"event": "heartbeat"},
        content_type="application/json",
    )
    assert beat.status_code == 200 and beat.json()["completed"]
    _take(client, exam, correct=True)
    assert CourseProgress.objects.get(member=member_b1, course=course).completed_at is not None
    secretary = user_with_role(org.b, UnitRole.Role.SECRETARY, username="sec_b")
    client = web_client(secretary)
    html = client.get(f"/dashboard/?assignment={a.pk}").content.decode()
    assert org.b1.name in html and org.a1.name not in html
    assert 'data-testid="completion-chart"' in html and 'class="bars-fill"' in html
    members = client.get(f"/dashboard/members/?assignment={a.pk}&unit={org.b1.pk}").content.decode()
    assert re.search(rf'data-member="{member_b1.name}" data-status="completed"', members)
    assert 'data-member="' in members and 'data-status="not_started"' in members
    export = client.get(f"/dashboard/export.xlsx?assignment={a.pk}&unit={org.b.pk}")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    assert client.get(f"/dashboard/?assignment={a.pk}&unit={org.a.pk}").status_code == 404


def test_dashboard_is_for_secretaries_only(org, member_b1, web_client):
    assert web_client(member_b1.user).get("/dashboard/").status_code == 403


@pytest.mark.parametrize("count", [2, 8])
def test_course_list_and_home_query_counts_do_not_grow(
    org, member_b1, web_client, count, django_assert_max_num_queries
):
    for _ in range(count):
        course, _ = f.course_with_exam(org.root, questions=1)
        f.assignment(course, org.root)
        f.news(org.root)
    client = web_client(member_b1.user)
    client.get("/")
    with django_assert_max_num_queries(12):
        html = client.get("/learn/").content.decode()
    assert html.count('class="item-title"') == count
    with django_assert_max_num_queries(16):
        home = client.get("/").content.decode()
    assert home.count("/learn/courses/") == count


def test_dashboard_overdue_list_filter_and_excel(org, member_b1, web_client):
    course, _exam = f.course_with_exam(org.root, lessons=1, min_seconds=0)
    a = f.assignment(course, org.root)
    Assignment.objects.filter(pk=a.pk).update(due_date=dt.date(2020, 1, 1))
    lazy = member_in(org.b1, username="lazy_b1")
    CourseProgress.objects.create(
        member=member_b1, course=course, started_at=timezone.now(), completed_at=timezone.now()
    )
    client = web_client(user_with_role(org.b, UnitRole.Role.SECRETARY, username="sec_b"))
    html = client.get(f"/dashboard/?assignment={a.pk}").content.decode()
    overdue = html.split('data-testid="overdue-list"')[1].split("</ul>")[0]
    assert lazy.name in overdue and member_b1.name not in overdue
    listing = client.get(
        f"/dashboard/members/?assignment={a.pk}&unit={org.b.pk}&status=overdue"
    ).content.decode()
    assert f'data-member="{lazy.name}" data-status="overdue"' in listing
    assert f'data-member="{member_b1.name}"' not in listing
    export = client.get(f"/dashboard/members.xlsx?assignment={a.pk}&unit={org.b.pk}&status=overdue")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    assert 'filename="members-' in export["Content-Disposition"]
    bad = client.get(f"/dashboard/members/?assignment={a.pk}&unit={org.b.pk}&status=lazy")
    assert bad.status_code == 404
    other_scope = client.get(f"/dashboard/members.xlsx?assignment={a.pk}&unit={org.a.pk}")
    assert other_scope.status_code == 404


def test_the_result_page_withholds_answers_until_the_attempts_are_used_up(
    org, member_b1, web_client
):
    """The safe review mode: the first of two attempts shows the score and that the
    answers come later; the last one shows the answers."""
    _, exam = f.course_with_exam(org.root, review_show="answers", review_when="after_last")
    exam.attempts_allowed = 2
    exam.save(update_fields=["attempts_allowed"])
    client = web_client(member_b1.user)
    pages = []
    for _ in range(2):
        _, _, result = _take(client, exam, correct=False)
        assert result.status_code == 302
        pages.append(client.get(result["Location"]).content.decode())
    assert 'data-testid="score"' in pages[0] and 'data-testid="review-later"' in pages[0]
    assert "解析秘密" not in pages[0] and "正确答案：" not in pages[0] and "✗" not in pages[0]
    assert "解析秘密" in pages[1] and "正确答案：" in pages[1]
    assert 'data-testid="review-later"' not in pages[1]


def test_course_list_shows_my_status_as_the_api_does(org, member_b1, web_client, client_for):
    """Not started: no badge; started: 学习中; completed: 已完成 — the same status the
    API's my_status gives (one rule, elearning.courses.representations.course_status)."""
    course, _exam = f.course_with_exam(org.root)
    client, api = web_client(member_b1.user), client_for(member_b1.user)

    def seen() -> tuple[str, str]:
        html = client.get("/learn/").content.decode()
        item = html[html.index(course.title) :].split("</li>")[0]
        badge = "已完成" if "已完成" in item else "学习中" if "学习中" in item else ""
        mine = [c for c in api.get("/api/v1/courses/").json()["results"] if c["id"] == course.pk]
        return badge, mine[0]["my_status"]

    assert seen() == ("", "not_started")
    client.get(f"/learn/lessons/{course.lessons.first().pk}/")  # opening starts the course
    assert seen() == ("学习中", "in_progress")
    CourseProgress.objects.filter(member=member_b1, course=course).update(
        completed_at=timezone.now()
    )
    assert seen() == ("已完成", "completed")
