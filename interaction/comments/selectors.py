"""Reads of comments and boards, scoped by the one access decision
(organizations.scope.scope_for).

Who reads what:
- a comment on an item: whoever may read the item (its audience, through the cms /
  elearning `access_<entity>_by_id`); its thread lists published comments and the
  reader's own held or rejected ones;
- a board: the members of the board unit's subtree, members of the units above it, and
  role holders whose subtree covers it;
- the moderation queue: editors and reviewers, for comments whose moderating unit lies in
  their subtree (`MODERATOR_ROLES`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from cms import selectors as cms_selectors
from elearning.courses.selectors import access_lesson_by_id
from interaction.comments.models import Board, Comment, TargetType
from organizations.models import OrgUnit, UnitRole, ancestor_paths_of
from organizations.scope import NOTHING, member_for_user, scope_for
from organizations.selectors import object_or_not_found

MODERATOR_ROLES = (UnitRole.Role.EDITOR, UnitRole.Role.REVIEWER)
#: roles whose holders may reply on behalf of their unit (官方回复)
OFFICIAL_ROLES = (
    UnitRole.Role.EDITOR,
    UnitRole.Role.REVIEWER,
    UnitRole.Role.SECRETARY,
    UnitRole.Role.UNIT_ADMIN,
)
APP, PORTAL = cms_selectors.APP, cms_selectors.PORTAL


# --- boards ---------------------------------------------------------------------------
def boards_q(user, field: str = "unit__path") -> Q:
    """Boards (or rows with a board unit at `field`) the user may read and post to."""
    scope = scope_for(user)
    if scope.is_global:
        return Q()
    q = NOTHING
    member = member_for_user(user)
    if member is not None:
        path = member.unit.path
        q = Q(**{f"{field}__in": ancestor_paths_of(path)}) | Q(**{f"{field}__startswith": path})
    if scope.paths:
        q |= scope.units_q(field)
    return q


def boards_visible_to(user) -> QuerySet[Board]:
    return Board.objects.filter(boards_q(user)).select_related("unit")


def access_board_by_id(user, board_id, *, action: str = "view") -> Board:
    return object_or_not_found(boards_visible_to(user), board_id)


# --- targets --------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    type: str
    id: int
    title: str
    unit: OrgUnit  # moderating unit
    audience_unit: OrgUnit
    channel_code: str = ""
    board: Board | None = None


def access_target(user, target_type: str, target_id, *, through: str = APP) -> Target:
    """The item (or board) a comment is on, if the user may read it — else
    ObjectNotFound, the same for a missing one and one out of the user's scope."""
    from core.errors import ObjectNotFound

    try:
        tid = int(target_id)
    except (TypeError, ValueError):
        raise ObjectNotFound from None
    if target_type == TargetType.NEWS:
        page = cms_selectors.access_news_by_id(user, tid, through=through)
        parent = page.get_parent()
        code = getattr(parent.specific, "channel_code", "") if parent else ""
        return Target(
            target_type, tid, page.title, page.publishing_unit, page.audience_unit, code or ""
        )
    if target_type == TargetType.EXEMPLAR:
        page = cms_selectors.access_exemplar_by_id(user, tid, through=through)
        return Target(target_type, tid, page.title, page.publishing_unit, page.audience_unit)
    if target_type == TargetType.DIGEST:
        page = cms_selectors.access_digest_by_id(user, tid, through=through)
        return Target(target_type, tid, page.title, page.publishing_unit, page.audience_unit)
    if target_type == TargetType.LESSON:
        lesson = access_lesson_by_id(user, tid)
        unit = OrgUnit.objects.get(pk=lesson.course.audience_unit_id)
        return Target(target_type, tid, lesson.title, unit, unit)
    if target_type == TargetType.BOARD:
        board = access_board_by_id(user, tid)
        return Target(target_type, tid, str(board), board.unit, board.unit, board=board)
    raise ObjectNotFound


# --- comments -------------------------------------------------------------------------
def _comments() -> QuerySet[Comment]:
    return Comment.objects.select_related("author", "author__unit", "official_unit")


def comments_readable_q(user) -> Q:
    """Comments whose item audience (or board) the user reads."""
    scope = scope_for(user)
    if scope.is_global:
        return Q()
    on_items = ~Q(target_type=TargetType.BOARD) & scope.audience_q("audience_unit__path")
    return on_items | (Q(target_type=TargetType.BOARD) & boards_q(user, "unit__path"))


def comments_visible_to(user) -> QuerySet[Comment]:
    """Published comments the user reads, their own (held, rejected) ones, and what they
    moderate."""
    member = member_for_user(user)
    shown = Q(status=Comment.Status.PUBLISHED) & comments_readable_q(user)
    if member is not None:
        shown |= Q(author=member) & ~Q(status=Comment.Status.REMOVED)
    shown |= moderation_scope_q(user)
    return _comments().filter(shown)


def access_comment_by_id(user, comment_id, *, action: str = "view") -> Comment:
    """view: a comment the user may see; change / delete: their own; moderate: one in
    their moderation subtree — or ObjectNotFound."""
    if action in ("change", "delete"):
        member = member_for_user(user)
        qs = _comments().filter(author=member) if member else Comment.objects.none()
        qs = qs.exclude(status=Comment.Status.REMOVED)
    elif action == "moderate":
        qs = _comments().filter(moderation_scope_q(user))
    else:
        qs = comments_visible_to(user)
    return object_or_not_found(qs.select_related("unit", "audience_unit"), comment_id)


def thread(user, target: Target, *, updated_since=None) -> QuerySet[Comment]:
    """The target's comments as a flat list in posting order (replies carry their
    parent's id): published ones and the reader's own. With `updated_since` (delta sync):
    every row changed since, removed and rejected ones included, so the client can drop
    them (the representation empties what the reader may not see)."""
    qs = _comments().filter(target_type=target.type, target_id=target.id)
    member = member_for_user(user)
    own = Q(author=member) if member is not None else NOTHING
    if updated_since is not None:
        return qs.filter(updated_at__gt=updated_since).exclude(
            Q(status=Comment.Status.PENDING) & ~own
        )
    return qs.filter(Q(status=Comment.Status.PUBLISHED) | (own & ~Q(status="removed")))


# --- moderation -----------------------------------------------------------------------
def moderation_scope_q(user) -> Q:
    scope = scope_for(user, roles=MODERATOR_ROLES)
    if scope.is_global:
        return Q()
    return scope.units_q("unit__path") if scope.paths else NOTHING


def is_moderator(user) -> bool:
    return scope_for(user, roles=MODERATOR_ROLES).has_role


def moderation_queue(user) -> QuerySet[Comment]:
    """Held comments (pre-moderation, sensitive words) and reported ones in the user's
    subtree, oldest first."""
    return (
        _comments()
        .select_related("unit")
        .filter(moderation_scope_q(user))
        .filter(
            Q(status=Comment.Status.PENDING)
            | Q(status=Comment.Status.PUBLISHED, held_reason=Comment.Held.REPORTED)
        )
        .order_by("created_at", "id")
    )


def official_unit_for(user, unit: OrgUnit) -> OrgUnit | None:
    """The unit the user replies for on an item of `unit`: the nearest unit at or above
    it where they hold an official role; None if they hold none there."""
    scope = scope_for(user, roles=OFFICIAL_ROLES)
    if scope.is_global:
        return unit
    paths = [p for p in scope.paths if unit.path.startswith(p)]
    if not paths:
        return None
    return OrgUnit.objects.get(path=max(paths, key=len))
