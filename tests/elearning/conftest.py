"""Academy fixtures: a published course (video 100 s, audio 60 s, article 30 s minimum)
for the whole org tree, a question bank and an exam, and a helper that moves the server's
"last report" clock back as if wall time had passed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db.models import F

from elearning.models import (
    Assignment,
    Course,
    Exam,
    ExamRule,
    Lesson,
    LessonProgress,
    Question,
    WatchAllowance,
)
from media_pipeline.models import MediaAsset
from tests.factories import member_in


@dataclass
class Academy:
    course: Course
    video: Lesson
    audio: Lesson
    article: Lesson
    exam: Exam
    assignment: Assignment


def make_questions(unit, category="党章", n=6):
    qs = []
    for i in range(n):
        qs.append(
            Question.objects.create(
                type="single",
                stem=f"单选题{i}：党的最高理想是？",
                options=[
                    {"key": "A", "text": "实现共产主义"},
                    {"key": "B", "text": "发家致富"},
                    {"key": "C", "text": "环游世界"},
                ],
                answer=["A"],
                explanation="党章总纲",
                category=category,
                owner_unit=unit,
            )
        )
    qs.append(
        Question.objects.create(
            type="multiple",
            stem="多选题：党的建设的基本要求包括？",
            options=[
                {"key": "A", "text": "坚持党的基本路线"},
                {"key": "B", "text": "坚持解放思想"},
                {"key": "C", "text": "坚持享乐主义"},
            ],
            answer=["A", "B"],
            category=category,
            owner_unit=unit,
        )
    )
    qs.append(
        Question.objects.create(
            type="true_false",
            stem="判断题：党员必须履行义务。",
            answer=True,
            category=category,
            owner_unit=unit,
        )
    )
    return qs


@pytest.fixture
def academy(org) -> Academy:
    video_asset = MediaAsset.objects.create(
        kind="video", title="微党课", owner_unit=org.root, status="ready", duration=100.0
    )
    audio_asset = MediaAsset.objects.create(
        kind="audio", title="微听党章", owner_unit=org.root, status="ready", duration=60.0
    )
    course = Course.objects.create(
        title="必修课", audience_unit=org.root, is_published=True, category="党章党规"
    )
    video = Lesson.objects.create(course=course, title="视频", kind="video", media=video_asset)
    audio = Lesson.objects.create(course=course, title="音频", kind="audio", media=audio_asset)
    article = Lesson.objects.create(
        course=course, title="图文", kind="article", body="<p>正文</p>", min_seconds=30
    )
    make_questions(org.root)
    exam = Exam.objects.create(
        title="结业考试",
        course=course,
        audience_unit=org.root,
        time_limit_minutes=20,
        pass_mark=60,
        attempts_allowed=2,
        is_published=True,
    )
    ExamRule.objects.create(exam=exam, category="党章", count=5, points=20)
    assignment = Assignment.objects.create(
        course=course, audience_unit=org.root, due_date=dt.date.today() + dt.timedelta(days=10)
    )
    return Academy(course, video, audio, article, exam, assignment)


@pytest.fixture
def rewind():
    """rewind(member, lesson, seconds): pretend `seconds` of wall time passed since the
    last accepted report (the server clock itself cannot be frozen on PostgreSQL)."""

    def go(member, lesson, seconds: float):
        delta = dt.timedelta(seconds=seconds)
        qs = LessonProgress.objects.filter(member=member, lesson=lesson)
        qs.filter(last_report_at__isnull=False).update(last_report_at=F("last_report_at") - delta)
        qs.update(opened_at=F("opened_at") - delta)
        # the member's watch-time allowance (shared by their lessons) sees the same time
        WatchAllowance.objects.filter(member=member).update(refilled_at=F("refilled_at") - delta)

    return go


@pytest.fixture
def member(org):
    return member_in(org.a1, username="learner")
