"""Instructors save every academy model through the real admin views: the form the page
renders is read back, filled in as an instructor would, and POSTed. Each model is created,
then edited, and the change is stored (and, for courses and lessons, reaches search)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from elearning.models import Assignment, Contest, Course, Exam, Lesson, Question
from media_pipeline.models import MediaAsset
from search.query import search
from tests.admin_forms import add_row, admin_form, fill, rich_text, submit
from tests.elearning.conftest import make_questions
from tests.factories import member_in, user_with_role

ACADEMY_MODELS = ["course", "lesson", "assignment", "question", "exam", "examrule", "contest"]


def instructor_on(unit, username):
    """An instructor as the demo sets one up: the role plus the academy permissions."""
    user = user_with_role(unit, "instructor", username)
    group, _ = Group.objects.get_or_create(name="教员-test")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="elearning", content_type__model__in=ACADEMY_MODELS
        ),
        Permission.objects.get(codename="access_admin"),
    )
    user.groups.add(group)
    return user


@pytest.fixture
def instructor(org, client):
    user = instructor_on(org.a, "instructor_a")
    client.force_login(user)
    return user


def found(query, user, doc_type):
    return {h.id for h in search(query, user=user, types=[doc_type]).hits}


def test_course_with_lessons_is_created_and_edited_and_reaches_search(
    org, instructor, client, django_capture_on_commit_callbacks
):
    video = MediaAsset.objects.create(
        kind="video", title="微党课", owner_unit=org.a, status="ready", duration=90.0
    )
    data = admin_form(client, reverse("elearning_courses:add"))
    fill(
        data,
        {
            "title": "基层党建实务",
            "description": "面向支部书记的实务课程",
            "category": "业务技能",
            "credit_hours": "2",
            "audience_unit": str(org.a1.pk),
            "is_published": "on",
        },
    )
    add_row(data, "lessons", title="支部工作条例解读", kind="video", media=str(video.pk))
    add_row(
        data,
        "lessons",
        title="三会一课怎么开",
        kind="article",
        body=rich_text("<p>支部党员大会、支委会、党小组会和党课。</p>"),
        min_seconds="60",
    )
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, reverse("elearning_courses:add"), data)
    course = Course.objects.get(title="基层党建实务")
    assert course.audience_unit == org.a1 and course.is_published
    lessons = list(course.lessons.order_by("sort_order"))
    assert [(x.title, x.kind) for x in lessons] == [
        ("支部工作条例解读", "video"),
        ("三会一课怎么开", "article"),
    ]
    assert lessons[0].media == video and "党小组会" in lessons[1].body

    reader = member_in(org.a1).user
    assert course.pk in found("党建实务", reader, "course")
    assert lessons[1].pk in found("党小组会", reader, "lesson")

    edit_url = reverse("elearning_courses:edit", args=[course.pk])
    data = admin_form(client, edit_url)
    data["title"] = "基层党建实务（修订本）"
    data["lessons-1-title"] = "三会一课规范流程"
    add_row(
        data,
        "lessons",
        title="主题党日",
        kind="article",
        body=rich_text("<p>每月固定一天开展主题党日活动。</p>"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, edit_url, data)
    course.refresh_from_db()
    assert course.title == "基层党建实务（修订本）" and course.is_published
    assert list(course.lessons.order_by("sort_order").values_list("title", flat=True)) == [
        "支部工作条例解读",
        "三会一课规范流程",
        "主题党日",
    ]
    assert course.pk in found("修订本", reader, "course")
    assert Lesson.objects.get(title="主题党日").pk in found("主题党日", reader, "lesson")


@pytest.mark.django_db
def test_the_demo_course_saves_in_the_admin(client, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    from elearning import demo
    from organizations import demo as org_demo

    call_command("ehome_setup", stdout=io.StringIO())  # as seed_demo does first
    with django_capture_on_commit_callbacks(execute=True):  # role grants sync on commit
        org_demo.seed()
    from organizations.models import OrgUnit

    MediaAsset.objects.create(  # as media_pipeline.demo uploads it: for the whole group
        title=demo.VIDEO_TITLE,
        kind="video",
        status="ready",
        duration=180,
        owner_unit=OrgUnit.objects.get(code="G"),
    )
    demo.seed()
    course = Course.objects.get(title=demo.COURSE_TITLE)
    client.force_login(course.created_by or _demo_instructor())
    url = reverse("elearning_courses:edit", args=[course.pk])
    data = admin_form(client, url)
    data["description"] = "学习党章党规（修订）"
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, url, data)
    course.refresh_from_db()
    assert course.description == "学习党章党规（修订）"
    assert course.lessons.count() >= 2


def _demo_instructor():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="instructor")


def test_assignment_is_created_and_edited(org, instructor, client):
    course = Course.objects.create(title="入党积极分子培训", audience_unit=org.a)
    data = admin_form(client, reverse("elearning_assignments:add"))
    due = dt.date.today() + dt.timedelta(days=14)
    fill(
        data,
        {
            "course": str(course.pk),
            "audience_unit": str(org.a1.pk),
            "due_date": due.isoformat(),
            "note": "月底前完成",
        },
    )
    submit(client, reverse("elearning_assignments:add"), data)
    assignment = Assignment.objects.get(course=course)
    assert assignment.audience_unit == org.a1 and assignment.due_date == due

    url = reverse("elearning_assignments:edit", args=[assignment.pk])
    data = admin_form(client, url)
    data["note"] = "延期一周"
    data["due_date"] = (due + dt.timedelta(days=7)).isoformat()
    submit(client, url, data)
    assignment.refresh_from_db()
    assert assignment.note == "延期一周" and assignment.due_date == due + dt.timedelta(days=7)


def test_question_is_created_and_edited(org, instructor, client):
    data = admin_form(client, reverse("elearning_questions:add"))
    fill(
        data,
        {
            "type": "single",
            "difficulty": "2",
            "category": "党章",
            "stem": "党的最高理想是什么？",
            "options_text": "A. 实现共产主义\nB. 发家致富",
            "answer_text": "A",
            "owner_unit": str(org.a.pk),
        },
    )
    submit(client, reverse("elearning_questions:add"), data)
    question = Question.objects.get(stem="党的最高理想是什么？")
    assert question.answer == ["A"] and question.owner_unit == org.a

    url = reverse("elearning_questions:edit", args=[question.pk])
    data = admin_form(client, url)
    data["explanation"] = "见党章总纲"
    submit(client, url, data)
    question.refresh_from_db()
    assert question.explanation == "见党章总纲" and question.answer == ["A"]


def test_exam_with_rules_is_created_and_edited(org, instructor, client):
    course = Course.objects.create(title="党章学习", audience_unit=org.a)
    make_questions(org.a)
    data = admin_form(client, reverse("elearning_exams:add"))
    fill(
        data,
        {
            "title": "党章知识测试",
            "course": str(course.pk),
            "audience_unit": str(org.a.pk),
            "time_limit_minutes": "20",
            "pass_mark": "60",
            "attempts_allowed": "1",
            "is_published": "on",
        },
    )
    add_row(data, "rules", category="党章", count="5", points="20")
    submit(client, reverse("elearning_exams:add"), data)
    exam = Exam.objects.get(title="党章知识测试")
    assert exam.course == course and exam.is_published
    assert list(exam.rules.values_list("category", "count", "points")) == [("党章", 5, 20)]

    url = reverse("elearning_exams:edit", args=[exam.pk])
    data = admin_form(client, url)
    data["pass_mark"] = "80"
    data["rules-0-count"] = "4"
    submit(client, url, data)
    exam.refresh_from_db()
    assert exam.pass_mark == 80 and exam.rules.get().count == 4


def test_contest_is_created_and_edited(org, instructor, client):
    questions = make_questions(org.a, n=3)
    data = admin_form(client, reverse("elearning_contests:add"))
    now = dt.datetime(2026, 7, 1, 9, 0)
    fill(
        data,
        {
            "title": "七一知识竞答",
            "audience_unit": str(org.a.pk),
            "starts_at": now.strftime("%Y-%m-%d %H:%M"),
            "ends_at": (now + dt.timedelta(days=7)).strftime("%Y-%m-%d %H:%M"),
            "mode": "fixed",
            "seconds_per_question": "20",
            "entries_allowed": "3",
        },
    )
    data.setlist("questions", [str(q.pk) for q in questions[:2]])
    submit(client, reverse("elearning_contests:add"), data)
    contest = Contest.objects.get(title="七一知识竞答")
    assert set(contest.questions.all()) == set(questions[:2])

    url = reverse("elearning_contests:edit", args=[contest.pk])
    data = admin_form(client, url)
    data.setlist("questions", [str(q.pk) for q in questions[:3]])
    data["entries_allowed"] = "5"
    submit(client, url, data)
    contest.refresh_from_db()
    assert contest.entries_allowed == 5 and contest.questions.count() == 3


def test_a_lesson_cannot_play_another_units_video(org, instructor, client):
    theirs = MediaAsset.objects.create(
        kind="video", title="海外内部视频", owner_unit=org.b, status="ready", duration=60.0
    )
    data = admin_form(client, reverse("elearning_courses:add"))
    fill(data, {"title": "借用视频的课程", "audience_unit": str(org.a.pk)})
    add_row(data, "lessons", title="第一课", kind="video", media=str(theirs.pk))
    resp = submit(client, reverse("elearning_courses:add"), data, expect=200)
    errors = resp.context["form"].formsets["lessons"].errors
    assert errors[0]["media"] == ["所选音视频不存在或不在您可以使用的范围内"]
    assert not Course.objects.filter(title="借用视频的课程").exists()


def test_a_contest_cannot_use_another_units_questions(org, instructor, client):
    theirs = make_questions(org.b, n=1)[0]
    data = admin_form(client, reverse("elearning_contests:add"))
    assert theirs.stem not in client.get(reverse("elearning_contests:add")).content.decode()
    fill(
        data,
        {
            "title": "借题竞答",
            "audience_unit": str(org.a.pk),
            "starts_at": "2026-07-01 09:00",
            "ends_at": "2026-07-02 09:00",
        },
    )
    data.setlist("questions", [str(theirs.pk)])
    resp = submit(client, reverse("elearning_contests:add"), data, expect=200)
    assert "questions" in resp.context["form"].errors
    assert not Contest.objects.filter(title="借题竞答").exists()
