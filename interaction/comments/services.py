"""Writes of comments: post (with the word filter and the moderation mode), edit within
the window, delete one's own, report, moderate in bulk — each atomic, each taking its
object through `access_*` so a refusal of scope is the same not-found as a missing id."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.errors import ObjectNotFound
from interaction.comments import selectors
from interaction.comments.models import Board, Comment, Mode, ModerationRule, TargetType
from interaction.comments.selectors import APP, Target
from interaction.comments.words import sensitive_hits
from interaction.errors import InteractionError
from interaction.ratelimit import rate_check
from interaction.text import plain_text
from notifications.services import notification_send
from organizations.models import OrgUnit
from organizations.scope import member_for_user

MAX_LENGTH = 1000
REASON_MAX = 200
REJECTED_KIND = "comment_rejected"


def edit_window() -> dt.timedelta:
    return dt.timedelta(minutes=getattr(settings, "EHOME_COMMENT_EDIT_MINUTES", 15))


def board_ensure(*, unit: OrgUnit) -> Board:
    board, _ = Board.objects.get_or_create(unit=unit)
    return board


def moderation_mode(*, target: Target) -> str:
    """The board's own setting, else the rule of the nearest unit up from the target's
    moderating unit (a channel's rule before the one for all news); default post."""
    if target.board is not None and target.board.moderation != Board.Moderation.INHERIT:
        return target.board.moderation
    rules = ModerationRule.objects.filter(
        unit__path__in=target.unit.ancestor_paths(), target=target.type
    ).values_list("unit__path", "channel_code", "mode")
    best = None
    for path, channel, mode in rules:
        if channel and channel != target.channel_code:
            continue
        rank = (len(path), bool(channel))
        if best is None or rank > best[0]:
            best = (rank, mode)
    return best[1] if best else Mode.POST


def _member_required(user):
    member = member_for_user(user)
    if member is None:
        raise InteractionError("当前账号不是党员，不能评论", code="not_member", status=403)
    return member


def _hold(comment: Comment, *, mode: str) -> None:
    """Status of a new or edited comment: held with the matched words, held for
    pre-moderation, or published."""
    hits = sensitive_hits(comment.body, unit_path=comment.unit.path)
    comment.matched_words = hits
    if hits:
        comment.status, comment.held_reason = Comment.Status.PENDING, Comment.Held.SENSITIVE
    elif mode == Mode.PRE and not comment.is_official:
        comment.status, comment.held_reason = Comment.Status.PENDING, Comment.Held.PRE
    else:
        comment.status, comment.held_reason = Comment.Status.PUBLISHED, Comment.Held.NONE


@transaction.atomic
def comment_post(
    *,
    user,
    target_type: str,
    target_id,
    body,
    parent_id=None,
    official: bool = False,
    through: str = APP,
) -> Comment:
    """A new comment (or a reply) on an item or board the user may read."""
    member = _member_required(user)
    target = selectors.access_target(user, target_type, target_id, through=through)
    text = plain_text(body, label="评论内容", max_length=MAX_LENGTH)
    parent = None
    if parent_id not in (None, ""):
        try:
            parent = selectors.access_comment_by_id(user, parent_id)
        except ObjectNotFound:
            raise InteractionError("要回复的评论不存在", code="invalid_parent") from None
        if parent.target_type != target.type or parent.target_id != target.id:
            raise InteractionError("要回复的评论不在这条内容下", code="invalid_parent")
        if parent.parent_id is not None:
            raise InteractionError("只能回复一级评论，不能回复回复", code="reply_to_reply")
        if parent.status != Comment.Status.PUBLISHED:
            raise InteractionError("要回复的评论尚未发布", code="invalid_parent")
    if target.board is not None and not target.board.is_open:
        raise InteractionError("该留言板已关闭留言", code="closed", status=409)
    official_unit = None
    if official:
        official_unit = selectors.official_unit_for(user, target.unit)
        if official_unit is None:
            raise InteractionError(
                "只有本单位或上级的编辑、审核员、书记、组织管理员可以发表官方回复",
                code="not_official",
                status=403,
            )
    rate_check(action="comment", member_id=member.pk)
    comment = Comment(
        target_type=target.type,
        target_id=target.id,
        unit=target.unit,
        audience_unit=target.audience_unit,
        author=member,
        parent=parent,
        body=text,
        is_official=official_unit is not None,
        official_unit=official_unit,
    )
    _hold(comment, mode=moderation_mode(target=target))
    comment.save()
    return comment


@transaction.atomic
def comment_edit(*, user, comment_id, body) -> Comment:
    """The author changes their comment within the edit window; it is checked (and held)
    again as if new."""
    comment = selectors.access_comment_by_id(user, comment_id, action="change")
    text = plain_text(body, label="评论内容", max_length=MAX_LENGTH)
    if timezone.now() - comment.created_at > edit_window():
        minutes = int(edit_window().total_seconds() // 60)
        raise InteractionError(f"发表 {minutes} 分钟后不能再修改", code="edit_window", status=409)
    if comment.status == Comment.Status.REJECTED:
        raise InteractionError("未通过审核的评论不能修改", code="rejected", status=409)
    comment = Comment.objects.select_for_update().select_related("unit").get(pk=comment.pk)
    comment.body = text
    comment.edited_at = timezone.now()
    if comment.target_type == TargetType.BOARD:
        board = Board.objects.filter(pk=comment.target_id).select_related("unit").first()
    else:
        board = None
    target = Target(
        comment.target_type, comment.target_id, "", comment.unit, comment.unit, "", board
    )
    mode = moderation_mode(target=target)
    _hold(comment, mode=mode)
    comment.save()
    return comment


@transaction.atomic
def comment_delete(*, user, comment_id) -> None:
    """The author removes their comment (its replies go with it from the thread)."""
    comment = selectors.access_comment_by_id(user, comment_id, action="delete")
    Comment.objects.filter(pk=comment.pk).update(
        status=Comment.Status.REMOVED, updated_at=timezone.now()
    )
    Comment.objects.filter(parent_id=comment.pk).update(updated_at=timezone.now())


@transaction.atomic
def comment_report(*, user, comment_id, reason="") -> Comment:
    """A member reports a published comment they can see: it goes to the moderators'
    queue (once per member)."""
    from interaction.comments.models import CommentReport

    member = _member_required(user)
    comment = selectors.access_comment_by_id(user, comment_id)
    if comment.status != Comment.Status.PUBLISHED:
        raise InteractionError("只能举报已发布的评论", code="not_published", status=409)
    if comment.author_id == member.pk:
        raise InteractionError("不能举报自己的评论", code="own_comment")
    text = ""
    if reason not in (None, ""):
        text = plain_text(reason, label="举报理由", max_length=REASON_MAX, field="reason")
    rate_check(action="report", member_id=member.pk)
    _, created = CommentReport.objects.get_or_create(
        comment=comment, reporter=member, defaults={"reason": text}
    )
    if created:
        Comment.objects.filter(pk=comment.pk).update(
            report_count=F("report_count") + 1,
            held_reason=Comment.Held.REPORTED,
            updated_at=timezone.now(),
        )
    comment.refresh_from_db()
    return comment


@transaction.atomic
def comments_moderate(*, user, ids: Iterable, action: str, reason: str = "") -> int:
    """Approve or reject comments in bulk. Every id must lie in the moderator's subtree —
    one that does not (or does not exist) refuses the whole batch with not-found and
    nothing is written. A rejection needs a reason; its author is notified."""
    if action not in ("approve", "reject"):
        raise InteractionError("操作须为 approve（通过）或 reject（驳回）", code="invalid_action")
    try:
        wanted = {int(i) for i in ids}
    except (TypeError, ValueError):
        raise InteractionError("评论编号须为整数", code="invalid_ids") from None
    if not wanted:
        raise InteractionError("请选择要处理的评论", code="empty")
    if len(wanted) > 200:
        raise InteractionError("一次最多处理 200 条评论", code="too_many")
    text = ""
    if action == "reject":
        text = plain_text(reason, label="驳回理由", max_length=REASON_MAX, field="reason")
    rows = list(
        Comment.objects.select_for_update()
        .filter(selectors.moderation_scope_q(user), pk__in=wanted)
        .exclude(status=Comment.Status.REMOVED)
    )
    if len(rows) != len(wanted):
        raise ObjectNotFound
    now = timezone.now()
    status = Comment.Status.PUBLISHED if action == "approve" else Comment.Status.REJECTED
    Comment.objects.filter(pk__in=wanted).update(
        status=status,
        held_reason=Comment.Held.NONE,
        reject_reason=text,
        moderated_by=user,
        moderated_at=now,
        updated_at=now,
    )
    if action == "reject":  # same transaction: a rolled-back batch notifies nobody
        for c in rows:
            excerpt = c.body if len(c.body) <= 40 else c.body[:40] + "…"
            notification_send(
                kind=REJECTED_KIND,
                recipients=[c.author_id],
                context={"reason": text, "excerpt": excerpt},
                link=("", ""),
                idempotency_key=f"comment-rejected:{c.pk}:{int(now.timestamp())}",
            )
    return len(rows)
