"""The demo seed is idempotent, fills the reports and leaves the login "member" untouched."""

from __future__ import annotations

import pytest

from elearning import demo
from elearning.models import Assignment, CourseProgress, Exam, LessonProgress, Question
from elearning.reports import selectors as reports
from media_pipeline.models import MediaAsset
from organizations import demo as org_demo
from organizations.models import Member, OrgUnit


@pytest.mark.django_db
def test_demo_seed_is_idempotent_and_leaves_member_untouched():
    org_demo.seed()
    MediaAsset.objects.create(title=demo.VIDEO_TITLE, kind="video", status="ready", duration=180)
    MediaAsset.objects.create(title=demo.AUDIO_TITLE, kind="audio", status="ready", duration=120)
    first = demo.seed()
    second = demo.seed()
    assert first["lessons"] == 3 and second["lessons"] == 3
    assert Question.objects.filter(category=demo.CATEGORY).count() >= 20
    exam = Exam.objects.get(course__title=demo.COURSE_TITLE)
    assert exam.pass_mark == 60 and exam.rules.get().count == 20
    member = Member.objects.get(user__username="member")
    assert not CourseProgress.objects.filter(member=member).exists()
    assert not LessonProgress.objects.filter(member=member).exists()
    assignment = Assignment.objects.get(course__title=demo.COURSE_TITLE)
    from django.contrib.auth import get_user_model

    sec = get_user_model().objects.get(username="secretary_g02")
    rep = reports.completion_report(
        user=sec, assignment=assignment, unit=OrgUnit.objects.get(code="G02")
    )
    assert rep["total"]["members"] > 0 and rep["total"]["started"] > 0
    assert CourseProgress.objects.count() == first["members_with_progress"]
    assert second["members_with_progress"] == first["members_with_progress"]
