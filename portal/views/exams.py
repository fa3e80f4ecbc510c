"""Exams and quiz contests. Drawing, deadlines, grading and what may be reviewed are
decided by elearning (exams/contests services); these views render and relay."""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from elearning.contests import selectors as contest_selectors
from elearning.contests import services as contests
from elearning.contests.representations import contest_is_open
from elearning.errors import AcademyError
from elearning.exams import services as exams
from elearning.exams.representations import attempt_as_dict
from elearning.exams.selectors import access_attempt_by_id, access_exam_by_id
from elearning.models import Attempt, Question
from portal.access import portal_view


def _member_or_404(request):
    if request.member is None:
        raise Http404("not a member")
    return request.member


def answers_from_post(post, questions: list[dict]) -> dict:
    """Form fields q<id> → the answer shapes the exam service validates."""
    answers: dict = {}
    for q in questions:
        name = f"q{q['id']}"
        if q["type"] == Question.Type.MULTIPLE:
            values = post.getlist(name)
            if values:
                answers[str(q["id"])] = values
        elif q["type"] == Question.Type.TRUE_FALSE:
            value = post.get(name)
            if value in ("true", "false"):
                answers[str(q["id"])] = value == "true"
        else:
            value = post.get(name)
            if value not in (None, ""):
                answers[str(q["id"])] = value
    return answers


@portal_view
def exam_detail(request, pk: int):
    member = _member_or_404(request)
    exam = access_exam_by_id(request.user, pk)
    attempts = list(Attempt.objects.filter(exam=exam, member=member).order_by("-number"))
    current = next((a for a in attempts if a.status == Attempt.Status.IN_PROGRESS), None)
    left = None
    if exam.attempts_allowed:
        left = max(0, exam.attempts_allowed - len(attempts))
    context = {
        "nav": "learn",
        "exam": exam,
        "attempts": attempts,
        "current": current,
        "attempts_left": left,
        "now": timezone.now(),
    }
    return render(request, "portal/exams/exam_detail.html", context)


@require_POST
@portal_view
def exam_start(request, pk: int):
    member = _member_or_404(request)
    exam = access_exam_by_id(request.user, pk, action="start")
    try:
        attempt = exams.attempt_start(exam=exam, member=member)
    except AcademyError as exc:
        messages.error(request, exc.message)
        return redirect("portal:exam", pk=exam.pk)
    return redirect("portal:attempt", pk=attempt.pk)


def _my_attempt(request, pk: int) -> Attempt:
    _member_or_404(request)
    return access_attempt_by_id(request.user, pk)


@portal_view
def attempt_take(request, pk: int):
    """GET: the paper (stems and options only — the service's member view). POST (no-JS
    fallback and the JS submit both use the same idempotency key): submit."""
    attempt = _my_attempt(request, pk)
    if request.method == "POST":
        data = attempt_as_dict(attempt)
        answers = answers_from_post(request.POST, data["questions"])
        key = (request.POST.get("idempotency_key") or "").strip()[:64] or uuid.uuid4().hex
        try:
            exams.attempt_submit(attempt=attempt, answers=answers, idempotency_key=key)
        except AcademyError as exc:
            messages.error(request, exc.message)
            if attempt.status == Attempt.Status.IN_PROGRESS:
                return redirect("portal:attempt", pk=attempt.pk)
        return redirect("portal:attempt_result", pk=attempt.pk)
    if attempt.status != Attempt.Status.IN_PROGRESS:
        return redirect("portal:attempt_result", pk=attempt.pk)
    data = attempt_as_dict(attempt)
    context = {
        "nav": "learn",
        "attempt": attempt,
        "paper": data,
        "server_now": timezone.now(),
        "idempotency_key": uuid.uuid4().hex,
    }
    return render(request, "portal/exams/attempt.html", context)


@portal_view
def attempt_result(request, pk: int):
    attempt = _my_attempt(request, pk)
    if attempt.status == Attempt.Status.IN_PROGRESS:
        return redirect("portal:attempt", pk=attempt.pk)
    data = attempt_as_dict(attempt)
    return render(
        request,
        "portal/exams/attempt_result.html",
        {"nav": "learn", "attempt": attempt, "paper": data},
    )


# --- contests ---------------------------------------------------------------------------


@portal_view
def contest_list(request):
    now = timezone.now()
    rows = [
        {"contest": c, "is_open": contest_is_open(c, now)}
        for c in contest_selectors.contests_visible(request.user)[:100]
    ]
    return render(request, "portal/contests/list.html", {"nav": "contests", "rows": rows})


def _contest(request, pk: int):
    return contest_selectors.access_contest_by_id(request.user, pk)


@portal_view
def contest_detail(request, pk: int):
    contest = _contest(request, pk)
    board = contest_selectors.contest_leaderboard(contest=contest, member=request.member, top=10)
    is_open = contest_is_open(contest, timezone.now())
    raw = request.session.pop(f"contest-result-{contest.pk}", None)
    request.session.pop(f"contest-last-{contest.pk}", None)
    context = {
        "nav": "contests",
        "contest": contest,
        "board": board,
        "is_open": is_open,
        "result": json.loads(raw) if raw else None,
    }
    return render(request, "portal/contests/detail.html", context)


@portal_view
def contest_play(request, pk: int):
    """One question at a time; the server times each question from when it was asked."""
    member = _member_or_404(request)
    contest = _contest(request, pk)
    if request.method == "POST":
        qid = request.POST.get("question", "")
        q = {"id": int(qid) if qid.isdigit() else 0, "type": request.POST.get("type", "")}
        answer = answers_from_post(request.POST, [q]).get(str(q["id"]))
        try:
            state = contests.contest_answer(
                contest=contest, member=member, question_id=q["id"], answer=answer
            )
        except AcademyError as exc:
            messages.error(request, exc.message)
            return redirect("portal:contest_play", pk=contest.pk)
        last = state.get("last") or {}
        request.session[f"contest-last-{contest.pk}"] = json.dumps(last)
        if state.get("finished"):
            result = {k: state[k] for k in ("correct", "total", "answered", "elapsed_ms")}
            result["last"] = last  # the final answer's outcome (and the right answer)
            request.session[f"contest-result-{contest.pk}"] = json.dumps(result)
            return redirect("portal:contest", pk=contest.pk)
        return redirect("portal:contest_play", pk=contest.pk)
    try:
        state = contests.contest_enter(contest=contest, member=member)
    except AcademyError as exc:
        messages.error(request, exc.message)
        return redirect("portal:contest", pk=contest.pk)
    raw = request.session.pop(f"contest-last-{contest.pk}", None)
    last = json.loads(raw) if raw else None
    return render(
        request,
        "portal/contests/play.html",
        {"nav": "contests", "contest": contest, "state": state, "last": last},
    )


@portal_view
def contest_leaderboard(request, pk: int):
    contest = _contest(request, pk)
    board = contest_selectors.contest_leaderboard(contest=contest, member=request.member, top=50)
    return render(
        request,
        "portal/contests/leaderboard.html",
        {"nav": "contests", "contest": contest, "board": board},
    )
