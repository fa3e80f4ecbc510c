"""Exam reads: which exams a member sees, and what they may see of an attempt."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from elearning.exams.models import Attempt, Exam
from organizations.models import Member
from organizations.selectors import (
    ObjectNotFound,
    audience_q,
    is_visible_to_member,
    member_for_user,
    object_or_not_found,
)


def exams_visible(user) -> QuerySet[Exam]:
    return (
        Exam.objects.filter(is_published=True)
        .filter(audience_q(user))
        .select_related("audience_unit")
    )


def access_exam_by_id(user, exam_id, *, action: str = "view") -> Exam:
    """A published exam whose audience reaches the user (to view or start), or
    ObjectNotFound — the same for a missing id and one out of scope."""
    return object_or_not_found(exams_visible(user), exam_id)


def access_attempt_by_id(user, attempt_id, *, action: str = "view") -> Attempt:
    """One of the user's own attempts (to view, autosave or submit), or ObjectNotFound —
    another member's attempt answers like a missing one."""
    member = member_for_user(user)
    if member is None:
        raise ObjectNotFound
    qs = Attempt.objects.select_related("exam", "member").filter(member=member)
    return object_or_not_found(qs, attempt_id)


def exam_is_visible(*, exam: Exam, member: Member) -> bool:
    return exam.is_published and is_visible_to_member(
        audience_path=exam.audience_unit.path, member=member
    )


def _attempts_used_up(attempt: Attempt) -> bool:
    """The member can start no further attempt and has none open (so nothing revealed
    now can be used in an attempt of this exam)."""
    exam = attempt.exam
    if not exam.attempts_allowed:
        return False
    counts = Attempt.objects.filter(exam=exam, member_id=attempt.member_id).aggregate(
        total=Count("pk"), open=Count("pk", filter=Q(status=Attempt.Status.IN_PROGRESS))
    )
    return counts["total"] >= exam.attempts_allowed and counts["open"] == 0


def review_level(attempt: Attempt, *, now: dt.datetime | None = None) -> str:
    """ "nothing" | "score" | "correctness" | "answers" for this attempt right now.

    ``after_last``: the score at once; correctness and answers only once the exam closed
    or the member has used every attempt — never while they can still use them."""
    exam = attempt.exam
    if attempt.status == Attempt.Status.IN_PROGRESS:
        return "nothing"
    if exam.review_when == Exam.ReviewWhen.NEVER:
        return "nothing"
    now = now or timezone.now()
    closed = exam.closes_at is not None and now >= exam.closes_at
    if exam.review_when == Exam.ReviewWhen.AFTER_CLOSE:
        return exam.review_show if closed else "nothing"
    if (
        exam.review_when == Exam.ReviewWhen.AFTER_LAST
        and exam.review_show in (Exam.ReviewShow.CORRECTNESS, Exam.ReviewShow.ANSWERS)
        and not closed
        and not _attempts_used_up(attempt)
    ):
        return "score"
    return exam.review_show
