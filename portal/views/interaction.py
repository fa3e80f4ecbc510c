"""The member's side of the interaction platform: comment threads under items (the box and
the thread are `{% comment_thread %}`, portal/templatetags/interaction.py), the unit
message board, questions (my questions, the ask form, the answerers' inbox) and the FAQ.
Access comes from interaction's selectors and services; a refusal shows its Chinese
message with its 4xx status, and nothing is written."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from interaction.comments import selectors as comment_selectors
from interaction.comments import services as comment_services
from interaction.comments.models import Comment
from interaction.errors import InteractionError, RateLimited
from interaction.qa import selectors as qa_selectors
from interaction.qa import services as qa_services
from organizations.models import OrgUnit
from portal.access import portal_view

PORTAL = comment_selectors.PORTAL


def _next(request, default="/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def refused(request, exc: InteractionError, *, back: str):
    """The refusal's message on a page of its own, with its status (400, 403, 409, 429)."""
    response = render(
        request,
        "portal/interaction/refused.html",
        {"message": exc.message, "back": back},
        status=exc.status,
    )
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


# --- comments -------------------------------------------------------------------------
@require_POST
@portal_view
def comment_post(request):
    back = _next(request)
    try:
        comment = comment_services.comment_post(
            user=request.user,
            target_type=request.POST.get("target_type", ""),
            target_id=request.POST.get("target_id", ""),
            body=request.POST.get("body", ""),
            parent_id=request.POST.get("parent") or None,
            official=request.POST.get("official") == "1",
            through=PORTAL,
        )
    except InteractionError as exc:
        return refused(request, exc, back=back)
    if comment.status == Comment.Status.PENDING:
        messages.info(request, _("评论已提交，审核通过后对其他人显示"))
    else:
        messages.success(request, _("评论已发表"))
    return redirect(f"{back}#comment-{comment.pk}")


@portal_view
def comment_edit(request, pk: int):
    comment = comment_selectors.access_comment_by_id(request.user, pk, action="change")
    back = _next(request)
    if request.method == "POST":
        try:
            comment_services.comment_edit(
                user=request.user, comment_id=pk, body=request.POST.get("body", "")
            )
        except InteractionError as exc:
            return refused(request, exc, back=back)
        messages.success(request, _("评论已修改"))
        return redirect(f"{back}#comment-{pk}")
    return render(
        request, "portal/interaction/comment_edit.html", {"comment": comment, "next": back}
    )


@require_POST
@portal_view
def comment_delete(request, pk: int):
    comment_services.comment_delete(user=request.user, comment_id=pk)
    messages.success(request, _("评论已删除"))
    return redirect(_next(request))


@require_POST
@portal_view
def comment_report(request, pk: int):
    back = _next(request)
    try:
        comment_services.comment_report(
            user=request.user, comment_id=pk, reason=request.POST.get("reason", "")
        )
    except InteractionError as exc:
        return refused(request, exc, back=back)
    messages.success(request, _("已举报，管理员会尽快处理"))
    return redirect(back)


# --- boards ---------------------------------------------------------------------------
@portal_view
def board(request):
    """The member's own unit's board, or (?unit=) the board of a unit above it."""
    member = request.member
    if member is None:
        raise Http404
    unit = member.unit
    if request.GET.get("unit"):
        unit = (
            OrgUnit.objects.filter(path__in=member.unit.ancestor_paths())
            .filter(pk=_int(request.GET["unit"]))
            .first()
        )
        if unit is None:
            raise Http404
    b = comment_services.board_ensure(unit=unit)
    return redirect("portal:board_detail", pk=b.pk)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


@portal_view
def board_detail(request, pk: int):
    b = comment_selectors.access_board_by_id(request.user, pk)
    member = request.member
    uppers = []
    if member is not None:
        uppers = list(
            OrgUnit.objects.filter(path__in=member.unit.ancestor_paths()).order_by("depth")
        )
    context = {"nav": "board", "board": b, "uppers": uppers}
    return render(request, "portal/interaction/board.html", context)


# --- questions ------------------------------------------------------------------------
@portal_view
def question_list(request):
    page = Paginator(qa_selectors.my_questions(request.user), 20).get_page(request.GET.get("page"))
    context = {
        "nav": "qa",
        "page_obj": page,
        "questions": page.object_list,
        "is_answerer": qa_selectors.is_answerer(request.user),
    }
    return render(request, "portal/interaction/questions.html", context)


@portal_view
def question_ask(request):
    member = request.member
    if member is None:
        raise Http404
    units = list(qa_selectors.addressable_units(member))
    form = {"title": "", "body": "", "unit": str(member.unit_id), "anonymous": False}
    if request.method == "POST":
        form = {
            "title": request.POST.get("title", ""),
            "body": request.POST.get("body", ""),
            "unit": request.POST.get("unit", ""),
            "anonymous": request.POST.get("anonymous") == "1",
        }
        try:
            q = qa_services.question_ask(
                user=request.user,
                title=form["title"],
                body=form["body"],
                unit_id=form["unit"] or None,
                anonymous=form["anonymous"],
            )
        except InteractionError as exc:
            context = {"nav": "qa", "units": units, "form": form, "error": exc.message}
            return render(
                request, "portal/interaction/question_ask.html", context, status=exc.status
            )
        messages.success(request, _("问题已提交，答复后会通知您"))
        return redirect("portal:question_detail", pk=q.pk)
    context = {"nav": "qa", "units": units, "form": form}
    return render(request, "portal/interaction/question_ask.html", context)


@portal_view
def question_detail(request, pk: int):
    q = qa_selectors.access_question_by_id(request.user, pk)
    return render(request, "portal/interaction/question_detail.html", {"nav": "qa", "q": q})


@portal_view
def question_inbox(request):
    if not qa_selectors.is_answerer(request.user):
        raise Http404
    qs = qa_selectors.answerer_questions(request.user)
    status = request.GET.get("status", "open")
    if status in ("open", "answered"):
        qs = qs.filter(status=status)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    context = {"nav": "qa", "page_obj": page, "questions": page.object_list, "status": status}
    return render(request, "portal/interaction/question_inbox.html", context)


@portal_view
def question_answer(request, pk: int):
    q = qa_selectors.access_question_by_id(request.user, pk, action="answer")
    error = ""
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "faq":
                qa_services.faq_publish(user=request.user, question_id=pk)
                messages.success(request, _("已发布到常见问题"))
            else:
                qa_services.question_answer(
                    user=request.user, question_id=pk, answer=request.POST.get("answer", "")
                )
                messages.success(request, _("已答复，提问人会收到通知"))
            return redirect("portal:question_answer", pk=pk)
        except InteractionError as exc:
            error, status = exc.message, exc.status
    context = {"nav": "qa", "q": q, "error": error, "has_faq": hasattr(q, "faq")}
    return render(request, "portal/interaction/question_answer.html", context, status=status)


@portal_view
def faq(request):
    page = Paginator(qa_selectors.faq_visible_to(request.user), 20).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "portal/interaction/faq.html",
        {"nav": "qa", "page_obj": page, "entries": page.object_list},
    )
