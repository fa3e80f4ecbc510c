"""Exam attempts: answers never leak before the review policy allows, submits are
idempotent and graded once, deadlines and attempt limits are the server's."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from elearning.exams import grading
from elearning.exams import services as exams
from elearning.models import Attempt, CourseProgress, Exam, PointLedger, Question
from tests.factories import member_in


def start(client, exam):
    return client.post(f"/api/v1/exams/{exam.pk}/attempts/")


def submit(client, attempt_id, answers=None, key="k1"):
    body = {"answers": answers} if answers is not None else {}
    return client.post(
        f"/api/v1/attempts/{attempt_id}/submit/", body, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def correct_answers(attempt_json) -> dict:
    out = {}
    for q in attempt_json["questions"]:
        obj = Question.objects.get(pk=q["id"])
        out[str(q["id"])] = obj.answer if q["type"] != "single" else obj.answer[0]
    return out


def leaks_answers(payload) -> bool:
    text = json.dumps(payload, ensure_ascii=False)
    return '"answer"' in text or '"explanation"' in text or '"correct"' in text


@pytest.fixture
def learner(org):
    return member_in(org.a1)


def test_start_stores_questions_and_returns_them_without_answers(academy, learner, client_for):
    c = client_for(learner.user)
    r = start(c, academy.exam)
    assert r.status_code == 201
    data = r.json()
    assert len(data["questions"]) == 5
    assert not leaks_answers(data)
    attempt = Attempt.objects.get(pk=data["id"])
    # the served option order is the stored one
    assert [q["options"] and [o["key"] for o in q["options"]] for q in data["questions"]] == [
        item["options"] for item in attempt.questions
    ]
    # starting again resumes the same attempt
    assert start(c, academy.exam).json()["id"] == data["id"]
    assert not leaks_answers(c.get(f"/api/v1/attempts/{data['id']}/").json())


def test_autosave_and_submit_grade_once_and_repeat_returns_first_result(
    academy, learner, client_for
):
    c = client_for(learner.user)
    data = start(c, academy.exam).json()
    answers = correct_answers(data)
    first_q = next(iter(answers))
    r = c.patch(
        f"/api/v1/attempts/{data['id']}/", {"answers": {first_q: answers[first_q]}}, format="json"
    )
    assert r.status_code == 200 and r.json()["questions"]
    assert not leaks_answers(r.json())
    r1 = submit(c, data["id"], answers, key="sub-1")
    assert r1.status_code == 200
    assert r1.json()["percent"] == 100.0 and r1.json()["passed"] is True
    r2 = submit(c, data["id"], {first_q: "B"}, key="sub-1")
    assert r2.status_code == 200 and r2.json() == r1.json()
    r3 = submit(c, data["id"], answers, key="other-key")
    assert r3.status_code == 409 and r3.json()["error"]["code"] == "already_submitted"
    attempt = Attempt.objects.get(pk=data["id"])
    assert attempt.grade_count == 1
    assert PointLedger.objects.filter(member=learner, rule="quiz_pass").count() == 1
    assert CourseProgress.objects.get(member=learner, course=academy.course).best_score == 100.0


def test_answers_to_questions_not_in_the_attempt_are_refused(academy, learner, client_for):
    c = client_for(learner.user)
    data = start(c, academy.exam).json()
    in_attempt = {q["id"] for q in data["questions"]}
    foreign = Question.objects.exclude(pk__in=in_attempt).first()
    r = c.patch(
        f"/api/v1/attempts/{data['id']}/", {"answers": {str(foreign.pk): "A"}}, format="json"
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "question_not_in_attempt"
    r = submit(c, data["id"], {str(foreign.pk): "A"})
    assert r.status_code == 400
    assert Attempt.objects.get(pk=data["id"]).status == "in_progress"


def test_malformed_answer_is_refused(academy, learner, client_for):
    c = client_for(learner.user)
    data = start(c, academy.exam).json()
    q = data["questions"][0]
    r = c.patch(f"/api/v1/attempts/{data['id']}/", {"answers": {str(q["id"]): "Z"}}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "answer_invalid"


def test_submit_after_the_deadline_is_refused_and_records_nothing(academy, learner, client_for):
    c = client_for(learner.user)
    data = start(c, academy.exam).json()
    Attempt.objects.filter(pk=data["id"]).update(deadline=timezone.now() - dt.timedelta(minutes=5))
    r = submit(c, data["id"], correct_answers(data))
    assert r.status_code == 409 and r.json()["error"]["code"] == "deadline_passed"
    attempt = Attempt.objects.get(pk=data["id"])
    assert attempt.status == "in_progress" and attempt.answers == {}
    # the periodic task closes it with what was autosaved (nothing): 0 points
    assert exams.attempts_close_overdue() == 1
    attempt.refresh_from_db()
    assert attempt.status == "expired" and attempt.score == 0 and attempt.grade_count == 1


def test_second_attempt_past_the_limit_is_refused(academy, learner, client_for):
    c = client_for(learner.user)
    for i in range(2):
        data = start(c, academy.exam).json()
        assert submit(c, data["id"], {}, key=f"k{i}").status_code == 200
    r = start(c, academy.exam)
    assert r.status_code == 409 and r.json()["error"]["code"] == "attempts_exhausted"


def test_another_members_attempt_is_404(academy, learner, org, client_for):
    data = start(client_for(learner.user), academy.exam).json()
    other = client_for(member_in(org.a1).user)
    assert other.get(f"/api/v1/attempts/{data['id']}/").status_code == 404
    assert submit(other, data["id"], {}).status_code == 404
    assert Attempt.objects.get(pk=data["id"]).status == "in_progress"


def test_submit_requires_idempotency_key(academy, learner, client_for):
    c = client_for(learner.user)
    data = start(c, academy.exam).json()
    r = c.post(f"/api/v1/attempts/{data['id']}/submit/", {}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "idempotency_key_required"


@pytest.mark.parametrize(
    "show,when,expect_answers,expect_score",
    [
        ("answers", "after_submit", True, True),
        ("score", "after_submit", False, True),
        ("answers", "never", False, False),
        ("answers", "after_close", False, False),
    ],
)
def test_review_policy(academy, learner, client_for, show, when, expect_answers, expect_score):
    Exam.objects.filter(pk=academy.exam.pk).update(
        review_show=show,
        review_when=when,
        closes_at=timezone.now() + dt.timedelta(days=1) if when == "after_close" else None,
    )
    c = client_for(learner.user)
    data = start(c, academy.exam).json()
    out = submit(c, data["id"], correct_answers(data)).json()
    assert leaks_answers(out) is expect_answers
    assert (out["score"] is not None) is expect_score
    got = c.get(f"/api/v1/attempts/{data['id']}/").json()
    assert leaks_answers(got) is expect_answers


def test_after_close_reveals_once_the_exam_closed(academy, learner, client_for):
    Exam.objects.filter(pk=academy.exam.pk).update(
        review_when="after_close", closes_at=timezone.now() + dt.timedelta(hours=1)
    )
    c = client_for(learner.user)
    data = start(c, academy.exam).json()
    submit(c, data["id"], correct_answers(data))
    Exam.objects.filter(pk=academy.exam.pk).update(closes_at=timezone.now())
    assert leaks_answers(c.get(f"/api/v1/attempts/{data['id']}/").json())


def test_multiple_choice_partial_credit(org):
    q = Question(
        type="multiple",
        stem="s",
        options=[{"key": k, "text": k} for k in "ABCD"],
        answer=["A", "B", "C"],
        owner_unit=org.root,
    )
    assert grading.grade_question(q, ["A", "B", "C"], 6) == 6
    assert grading.grade_question(q, ["A", "B"], 6) == 4
    assert grading.grade_question(q, ["A", "D"], 6) == 0  # any wrong option → 0
    weighted = Question(
        type="multiple",
        stem="s",
        options=[
            {"key": "A", "text": "a", "weight": 70},
            {"key": "B", "text": "b", "weight": 30},
            {"key": "C", "text": "c"},
        ],
        answer=["A", "B"],
        owner_unit=org.root,
    )
    assert grading.grade_question(weighted, ["A"], 10) == 7
    fill = Question(type="fill", stem="s", answer=["共产主义"], owner_unit=org.root)
    assert grading.grade_question(fill, " 共产主义 ", 5) == 5


def test_course_completes_after_lessons_and_exam(academy, learner, client_for):
    from elearning.courses.services import course_progress_refresh
    from elearning.models import LessonProgress

    for lesson in (academy.video, academy.audio, academy.article):
        LessonProgress.objects.create(
            member=learner, lesson=lesson, course=academy.course, completed_at=timezone.now()
        )
    cp = course_progress_refresh(member=learner, course_id=academy.course.pk)
    assert cp.lessons_completed == 3 and cp.completed_at is None  # exam not passed yet
    c = client_for(learner.user)
    data = start(c, academy.exam).json()
    submit(c, data["id"], correct_answers(data))
    cp.refresh_from_db()
    assert cp.completed_at is not None
    listed = c.get("/api/v1/assignments/").json()["results"]
    assert listed[0]["status"] == "completed"


@pytest.mark.pg_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_submits_grade_once(org):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises all writers)")
    from tests.elearning.conftest import make_questions

    make_questions(org.root)
    exam = Exam.objects.create(title="e", audience_unit=org.root, is_published=True)
    exam.rules.create(category="党章", count=4, points=25)
    m = member_in(org.a1)
    attempt = exams.attempt_start(exam=exam, member=m)
    barrier = threading.Barrier(6)
    results, errors = [], []

    def device():
        try:
            barrier.wait()
            a = Attempt.objects.select_related("exam", "member").get(pk=attempt.pk)
            results.append(exams.attempt_submit(attempt=a, answers={}, idempotency_key="same").pk)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=device) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 6
    assert Attempt.objects.get(pk=attempt.pk).grade_count == 1


# --- one open attempt per member and exam ------------------------------------------------


def test_one_open_attempt_per_member_and_exam_is_a_database_constraint(academy, learner):
    from django.db import IntegrityError, transaction

    first = exams.attempt_start(exam=academy.exam, member=learner)
    now = timezone.now()
    second = {"exam": academy.exam, "member": learner, "number": 2}
    with pytest.raises(IntegrityError), transaction.atomic():
        Attempt.objects.create(**second, started_at=now, deadline=now)
    # closed attempts do not count: a new one may open once the first is submitted
    Attempt.objects.filter(pk=first.pk).update(status="submitted")
    Attempt.objects.create(**second, started_at=now, deadline=now)
    # another member, or another exam, has its own open attempt
    exams.attempt_start(exam=academy.exam, member=member_in(academy.exam.audience_unit))


@pytest.mark.pg_only
@pytest.mark.django_db(transaction=True)
def test_thirty_concurrent_starts_open_one_attempt(academy, client_for):
    """30 "start attempt" requests of one member at once (a double-tapping phone, a
    script): one attempt opens, every request answers it. Each query waits a random few
    milliseconds first, as on a busy database server, so the requests interleave between
    "is one open?" and the insert the way real parallel workers do."""
    import random

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises all writers)")
    m = member_in(academy.exam.audience_unit)
    clients = [client_for(m.user) for _ in range(30)]
    barrier = threading.Barrier(30)
    answers, errors = [], []

    def busy_server(execute, sql, params, many, context):
        time.sleep(random.uniform(0, 0.02))
        return execute(sql, params, many, context)

    def device(c):
        try:
            barrier.wait()
            with connection.execute_wrapper(busy_server):
                r = start(c, academy.exam)
            answers.append((r.status_code, r.json().get("id")))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=device, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Attempt.objects.filter(exam=academy.exam, member=m, status="in_progress").count() == 1
    assert Attempt.objects.filter(exam=academy.exam, member=m).count() == 1
    only = Attempt.objects.get(exam=academy.exam, member=m)
    assert sorted(set(answers)) == [(201, only.pk)]


def test_a_later_attempt_gets_questions_not_seen_before_where_the_bank_allows(org):
    """A bank of 10 questions, 4 per attempt: the second attempt repeats none of the
    first; the third (2 unseen left) repeats as few as it must."""
    from tests.elearning.conftest import make_questions

    make_questions(org.root, category="题库10", n=8)  # 8 single + 1 multiple + 1 true/false
    exam = Exam.objects.create(
        title="e", audience_unit=org.root, is_published=True, attempts_allowed=0
    )
    exam.rules.create(category="题库10", count=4, points=25)
    m = member_in(org.a1)
    seen: set[int] = set()
    for expected_new in (4, 4, 2):
        attempt = exams.attempt_start(exam=exam, member=m)
        ids = {item["id"] for item in attempt.questions}
        assert len(ids) == 4 and len(ids - seen) == expected_new
        seen |= ids
        exams.attempt_submit(attempt=attempt, answers={}, idempotency_key=f"k{attempt.number}")


# --- review modes: no answers while another attempt is possible ---------------------------


def test_blank_submit_reveals_no_answers_while_another_attempt_is_allowed(
    academy, learner, client_for
):
    """The default review mode (after_last) with answers and 2 attempts: submitting blank
    shows the score, not which answers were right; the second attempt gets no help. Once
    the attempts are used up, the answers are shown."""
    exam = academy.exam
    assert (exam.review_show, exam.review_when, exam.attempts_allowed) == (
        "answers",
        "after_last",
        2,
    )
    c = client_for(learner.user)
    first = start(c, exam).json()
    out = submit(c, first["id"], {}, key="blank").json()
    assert out["score"] == 0 and out["review"] == "score" and out["review_later"] is True
    assert not leaks_answers(out)
    assert not leaks_answers(c.get(f"/api/v1/attempts/{first['id']}/").json())
    second = start(c, exam).json()
    assert not leaks_answers(second)
    assert not leaks_answers(c.get(f"/api/v1/attempts/{first['id']}/").json())  # still open
    out = submit(c, second["id"], {}, key="blank2").json()
    assert out["review"] == "answers" and leaks_answers(out) and out["review_later"] is False
    assert leaks_answers(c.get(f"/api/v1/attempts/{first['id']}/").json())


def test_answers_are_shown_once_the_exam_closed(academy, learner, client_for):
    Exam.objects.filter(pk=academy.exam.pk).update(
        attempts_allowed=0, closes_at=timezone.now() + dt.timedelta(hours=1)
    )
    c = client_for(learner.user)
    data = start(c, academy.exam).json()
    out = submit(c, data["id"], {}).json()
    assert not leaks_answers(out) and out["score"] == 0
    Exam.objects.filter(pk=academy.exam.pk).update(closes_at=timezone.now())
    got = c.get(f"/api/v1/attempts/{data['id']}/").json()
    assert got["review"] == "answers" and leaks_answers(got)


EXAM_FORM = {
    "title": "多次作答的考试",
    "time_limit_minutes": "30",
    "pass_mark": "60",
    "attempts_allowed": "3",
    "review_show": "answers",
    "review_when": "after_submit",
    "rules-TOTAL_FORMS": "0",
    "rules-INITIAL_FORMS": "0",
    "rules-MIN_NUM_FORMS": "0",
    "rules-MAX_NUM_FORMS": "1000",
}


def test_the_admin_warns_about_answers_after_submit_with_several_attempts(org, client):
    from django.contrib.auth.models import Group, Permission
    from django.urls import reverse

    from tests.factories import user_with_role

    user = user_with_role(org.a, "instructor")
    group, _ = Group.objects.get_or_create(name="academy-exams")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="elearning"),
        Permission.objects.get(codename="access_admin"),
    )
    user.groups.add(group)
    client.force_login(user)
    add = reverse("elearning_exams:add")
    form = client.get(add).content.decode()
    assert "先交白卷看答案" in form  # the policy is explained next to the field
    r = client.post(add, {**EXAM_FORM, "audience_unit": str(org.a1.pk)})
    assert r.status_code == 200
    page = r.content.decode()
    assert "允许多次作答" in page and "照抄" in page and "允许作答次数设为 1" in page
    assert not Exam.objects.filter(title="多次作答的考试").exists()
    # a single attempt, or the safe mode, saves
    for over in ({"attempts_allowed": "1"}, {"review_when": "after_last"}):
        data = {**EXAM_FORM, "audience_unit": str(org.a1.pk), **over}
        data["title"] = f"考试 {over}"
        assert client.post(add, data).status_code == 302, over
    assert Exam.objects.filter(title__startswith="考试 ").count() == 2
