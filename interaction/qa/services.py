"""Writes of questions: ask, answer, escalate the overdue, publish to the FAQ."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import ObjectNotFound
from interaction.errors import InteractionError
from interaction.qa import selectors
from interaction.qa.models import FaqEntry, Question
from interaction.ratelimit import rate_check
from interaction.text import plain_text
from notifications.services import notification_send
from organizations.models import Member, OrgUnit, UnitRole
from organizations.scope import member_for_user

TITLE_MAX, BODY_MAX, ANSWER_MAX = 100, 2000, 5000
ASSIGNED_KIND, ANSWERED_KIND = "question_assigned", "question_answered"


def answer_period() -> dt.timedelta:
    return dt.timedelta(hours=getattr(settings, "EHOME_QA_ANSWER_HOURS", 72))


def _links(q: Question, *, answerer: bool) -> dict:
    portal = f"/qa/inbox/{q.pk}/" if answerer else f"/qa/{q.pk}/"
    return {"api": f"/api/v1/questions/{q.pk}/", "portal": portal}


def _notify_answerers(q: Question, *, key: str) -> None:
    """The answerers who hold the role on the question's current unit itself."""
    recipients = Member.objects.filter(
        user__unit_roles__unit=q.unit, user__unit_roles__role=UnitRole.Role.ANSWERER
    ).values_list("pk", flat=True)
    recipients = list(recipients)
    if recipients:
        notification_send(
            kind=ASSIGNED_KIND,
            recipients=recipients,
            context={"title": q.title, "due": timezone.localtime(q.due_at).strftime("%m-%d %H:%M")},
            link=_links(q, answerer=True),
            idempotency_key=key,
        )


@transaction.atomic
def question_ask(*, user, title, body, unit_id=None, anonymous: bool = False) -> Question:
    """A member asks their own unit (default) or a unit above it — never a sibling or a
    unit below (400)."""
    member = member_for_user(user)
    if member is None:
        raise InteractionError("当前账号不是党员，不能提问", code="not_member", status=403)
    title_text = plain_text(title, label="标题", max_length=TITLE_MAX, field="title")
    body_text = plain_text(body, label="问题内容", max_length=BODY_MAX)
    if unit_id in (None, ""):
        unit = member.unit
    else:
        unit = selectors.addressable_units(member).filter(pk=_int(unit_id)).first()
        if unit is None:
            raise InteractionError("只能向本党组织或上级党组织提问", code="invalid_unit")
    rate_check(action="question", member_id=member.pk)
    q = Question.objects.create(
        asker=member,
        asker_unit=member.unit,
        addressed_unit=unit,
        unit=unit,
        title=title_text,
        body=body_text,
        anonymous=bool(anonymous),
        due_at=timezone.now() + answer_period(),
    )
    _notify_answerers(q, key=f"qa-assigned:{q.pk}:0")
    return q


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


@transaction.atomic
def question_answer(*, user, question_id, answer) -> Question:
    """An answerer (of the question's unit subtree) answers; answering again corrects the
    answer. The asker is notified."""
    q = selectors.access_question_by_id(user, question_id, action="answer")
    text = plain_text(answer, label="答复内容", max_length=ANSWER_MAX, field="answer")
    q = Question.objects.select_for_update().get(pk=q.pk)
    first = q.status == Question.Status.OPEN
    q.answer = text
    q.answered_by = user
    q.answered_unit = selectors.answering_unit(user, q.unit)
    q.answered_at = timezone.now()
    q.status = Question.Status.ANSWERED
    q.save()
    notification_send(
        kind=ANSWERED_KIND,
        recipients=[q.asker_id],
        context={"title": q.title},
        link=_links(q, answerer=False),
        idempotency_key=f"qa-answered:{q.pk}:{int(q.answered_at.timestamp())}"
        if not first
        else f"qa-answered:{q.pk}",
    )
    return q


def questions_escalate(*, now: dt.datetime | None = None) -> int:
    """Every open question past its due time moves to the next unit up with a new due
    time, and that unit's answerers are told. Idempotent: a question is moved by one
    conditional UPDATE on (its unit, its due time), so a second run — or two at once —
    finds nothing left to move. A question at the top unit stays there."""
    now = now or timezone.now()
    moved = 0
    overdue = (
        Question.objects.filter(status=Question.Status.OPEN, due_at__lte=now)
        .select_related("unit")
        .order_by("id")
    )
    for q in overdue.iterator(chunk_size=500):
        if q.unit.depth <= 1:
            continue
        parent_path = q.unit.path[: -OrgUnit.steplen]
        parent = OrgUnit.objects.filter(path=parent_path).first()
        if parent is None:
            continue
        with transaction.atomic():
            level = q.escalations + 1
            done = Question.objects.filter(
                pk=q.pk, unit_id=q.unit_id, due_at=q.due_at, status=Question.Status.OPEN
            ).update(unit=parent, due_at=now + answer_period(), escalations=level, updated_at=now)
            if done:
                q.unit, q.due_at, q.escalations = parent, now + answer_period(), level
                _notify_answerers(q, key=f"qa-assigned:{q.pk}:{level}")
                moved += 1
    return moved


@transaction.atomic
def faq_publish(*, user, question_id, question_text=None, answer_text=None) -> FaqEntry:
    """An answerer publishes an answered question (the texts may be tidied) to the FAQ of
    the question's unit subtree; the asker is shown only when not anonymous."""
    q = selectors.access_question_by_id(user, question_id, action="publish")
    if q.status != Question.Status.ANSWERED:
        raise InteractionError(
            "只有已答复的问题可以发布到常见问题", code="not_answered", status=409
        )
    qt = plain_text(
        question_text if question_text not in (None, "") else q.body,
        label="问题",
        max_length=BODY_MAX,
        field="question_text",
    )
    at = plain_text(
        answer_text if answer_text not in (None, "") else q.answer,
        label="答复",
        max_length=ANSWER_MAX,
        field="answer_text",
    )
    entry, _ = FaqEntry.objects.update_or_create(
        question=q,
        defaults={
            "unit_id": q.unit_id,
            "audience_unit_id": q.addressed_unit_id,
            "question_text": qt,
            "answer_text": at,
            "asker_display": q.asker_display,
            "is_published": True,
            "published_by": user,
        },
    )
    return entry


__all__ = ["ObjectNotFound", "faq_publish", "question_answer", "question_ask", "questions_escalate"]
