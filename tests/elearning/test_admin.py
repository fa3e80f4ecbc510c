"""Instructors manage the academy in the Wagtail admin only within their unit subtree."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from elearning import tasks
from elearning.models import Course
from tests.factories import user_with_role


@pytest.fixture
def instructor_a(org):
    user = user_with_role(org.a, "instructor")
    group, _ = Group.objects.get_or_create(name="academy-test")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="elearning"),
        Permission.objects.get(codename="access_admin"),
    )
    user.groups.add(group)
    return user


def test_instructor_sees_and_edits_only_own_subtree(org, instructor_a, client):
    mine = Course.objects.create(title="第一工程局课程", audience_unit=org.a1)
    theirs = Course.objects.create(title="海外课程", audience_unit=org.b)
    client.force_login(instructor_a)
    index = client.get("/admin/elearning_courses/")
    assert index.status_code == 200
    body = index.content.decode()
    assert mine.title in body and theirs.title not in body
    assert client.get(f"/admin/elearning_courses/edit/{mine.pk}/").status_code == 200
    assert client.get(f"/admin/elearning_courses/edit/{theirs.pk}/").status_code == 404
    assert client.get(f"/admin/elearning_courses/delete/{theirs.pk}/").status_code == 404
    form = client.get(reverse("elearning_courses:add")).content.decode()
    assert org.a1.name in form and org.b1.name not in form


def test_periodic_task_closes_overdue_attempts(academy, org, settings):
    import datetime as dt

    from django.utils import timezone

    from elearning.exams import services as exams
    from elearning.models import Attempt
    from tests.factories import member_in

    attempt = exams.attempt_start(exam=academy.exam, member=member_in(org.a1))
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - dt.timedelta(hours=1))
    from core import schedule

    job = schedule.get("elearning.attempts_close_overdue")
    assert job.task == "elearning.tasks.attempts_close_overdue" and job.every.total_seconds() == 60
    assert tasks.attempts_close_overdue.call() == 1  # what the worker runs each minute
    assert Attempt.objects.get(pk=attempt.pk).status == "expired"


def _question_form(org, **over):
    data = {
        "type": "multiple",
        "difficulty": "2",
        "category": "党章",
        "title": "",
        "stem": "下列属于党员义务的有（ ）",
        "options_text": "A. 认真学习\nB、密切联系群众 [50%]\nC．自由散漫\nD 遵守纪律 [50%]",
        "answer_text": "ABD",
        "explanation": "",
        "tags": "",
        "owner_unit": str(org.a.pk),
    }
    data.update(over)
    return data


def test_question_options_and_answer_are_edited_as_text(org, instructor_a, client):
    from elearning.models import Question

    client.force_login(instructor_a)
    form = client.get(reverse("elearning_questions:add")).content.decode()
    assert "每行一个选项" in form and "JSON" not in form
    r = client.post(
        reverse("elearning_questions:add"),
        _question_form(org, options_text="A. 认真学习\nB、密切联系群众\nC．自由散漫\nD 遵守纪律"),
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    q = Question.objects.get(stem__startswith="下列属于党员义务")
    assert [o["key"] for o in q.options] == ["A", "B", "C", "D"]
    assert q.options[1]["text"] == "密切联系群众" and q.answer == ["A", "B", "D"]
    # the edit form shows the same text back, weights included once set
    Question.objects.filter(pk=q.pk).update(
        options=[{**o, "weight": 50} if o["key"] in "BD" else o for o in q.options]
    )
    edit = client.get(reverse("elearning_questions:edit", args=[q.pk])).content.decode()
    assert "B. 密切联系群众 [50%]" in edit and 'value="ABD"' in edit
    r = client.post(reverse("elearning_questions:edit", args=[q.pk]), _question_form(org))
    assert r.status_code == 302
    q.refresh_from_db()
    assert {o["key"]: o.get("weight") for o in q.options} == {
        "A": None,
        "B": 50,
        "C": None,
        "D": 50,
    }


@pytest.mark.parametrize(
    ("over", "field", "words"),
    [
        ({"answer_text": "AE"}, "answer_text", "须为已填写选项的字母"),
        (
            {"type": "single", "answer_text": "AB", "options_text": "A. 是\nB. 否"},
            "answer_text",
            "只能有一个",
        ),
        ({"options_text": "A. 只有一个"}, "options_text", "至少需要两个选项"),
        ({"options_text": "A. 甲\n乙丙丁"}, "options_text", "应写成“A. 选项内容”"),
        ({"options_text": "A. 甲\nC. 丙"}, "options_text", "连续填写"),
        (
            # the weight is written on the options: the message goes there, though it
            # mentions the answer
            {"options_text": "A. 甲 [50%]\nB. 乙\nC. 丙", "answer_text": "B"},
            "options_text",
            "不是正确答案",
        ),
        (
            {"type": "true_false", "options_text": "", "answer_text": "也许"},
            "answer_text",
            "正确 或 错误",
        ),
    ],
)
def test_bad_question_text_names_the_problem_and_saves_nothing(
    org, instructor_a, client, over, field, words
):
    from elearning.models import Question

    client.force_login(instructor_a)
    r = client.post(reverse("elearning_questions:add"), _question_form(org, **over))
    assert r.status_code == 200
    assert words in r.content.decode()
    assert field in r.context["form"].errors
    assert not Question.objects.exists()


def test_true_false_and_fill_in_questions(org, instructor_a, client):
    from elearning.models import Question

    client.force_login(instructor_a)
    for qtype, answer, stem in (
        ("true_false", "正确", "判断题一"),
        ("fill", "两学一做|两学一做学习教育", "填空题一"),
    ):
        r = client.post(
            reverse("elearning_questions:add"),
            _question_form(org, type=qtype, options_text="", answer_text=answer, stem=stem),
        )
        assert r.status_code == 302, r.content.decode()[:1500]
    assert Question.objects.get(stem="判断题一").answer is True
    assert Question.objects.get(stem="填空题一").answer == ["两学一做", "两学一做学习教育"]
