"""Where the review rules live (严格审核把关).

Nothing reaches members without the review its audience requires. This module decides:

- **the chain** (`review_chain`): every item needs 本单位审核 by a reviewer of its
  publishing unit (or an ancestor); an item addressed beyond the publishing unit's
  subtree also needs 上级单位审核 by a reviewer of the level that owns the audience — a
  reviewer whose role unit is the audience unit or an ancestor of it. The chain is read
  from the revision under review (`revision_units`), never from the live row, so widening
  the audience of a live item is a new change that goes through every step it requires.
- **who may approve a step** (`approval_refusal`): a reviewer the step's unit answers to;
  with separation of duties (per task, on by default) never an author of the change — its
  owner, the person who submitted it, anyone who wrote a revision since it was last
  published — and never the person who approved another step of the same revision.
- **publication**: no role holds direct publish. The last approval of the workflow
  publishes (`publish_approved_workflow_state`, Wagtail's WAGTAIL_FINISH_WORKFLOW_ACTION)
  and only the revision every step approved (a change after approval restarts review:
  WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT). Superusers are bound by the same rules.
- **the bookshelf** (`catalogue_publication_refusal`): books, periodicals and issues are
  published by ticking 已发布, which only a reviewer of the owner unit (and of the
  audience, when it is wider) who is not the last editor may do.

The admin routes are closed in `cms.middleware.ReviewGateMiddleware` (messages naming the
required step), `cms.permissions` (Wagtail's own checks) and `cms.forms` (the bookshelf).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

from core.errors import DomainError

if TYPE_CHECKING:  # imported lazily: Wagtail imports this module while models load
    from organizations.models import OrgUnit

REVIEWER = "reviewer"
UNIT_STEP = "本单位审核"
UPPER_STEP = "上级单位审核"


class ReviewRefused(DomainError, PermissionDenied):
    """An attempt to get round review; the message names the step that is required.
    A PermissionDenied too, so Django's and Wagtail's views refuse it as forbidden."""

    code = "review_required"
    status = 403


@dataclass(frozen=True)
class ReviewStep:
    label: str
    unit: OrgUnit  # reviewers of this unit or an ancestor of it approve the step

    def describe(self) -> str:
        return f"{self.label}（{self.unit.name}或其上级党组织的审核员）"


def audience_wider(publishing_unit: OrgUnit, audience_unit: OrgUnit) -> bool:
    """True when members outside the publishing unit's subtree would see the item."""
    return not audience_unit.path.startswith(publishing_unit.path)


def review_chain(publishing_unit: OrgUnit, audience_unit: OrgUnit) -> list[ReviewStep]:
    steps = [ReviewStep(UNIT_STEP, publishing_unit)]
    if audience_wider(publishing_unit, audience_unit):
        steps.append(ReviewStep(UPPER_STEP, audience_unit))
    return steps


def chain_text(steps: list[ReviewStep]) -> str:
    return "和".join(step.describe() for step in steps)


def reviewer_covers(user, unit: OrgUnit | None) -> bool:
    """Is `user` a reviewer of `unit` or of an ancestor of it (superusers: everywhere)?"""
    from organizations.selectors import scope_for

    if user is None or not user.is_active or unit is None:
        return False
    return scope_for(user, roles=[REVIEWER]).covers(unit.path)


# --- pages ---------------------------------------------------------------------------------
def page_units(obj) -> tuple[OrgUnit | None, OrgUnit | None]:
    obj = getattr(obj, "specific_deferred", obj)
    return getattr(obj, "publishing_unit", None), getattr(obj, "audience_unit", None)


def revision_units(revision, fallback=None) -> tuple[OrgUnit | None, OrgUnit | None]:
    """(publishing unit, audience unit) of the content in `revision` — what reviewers are
    asked to approve, which may differ from the live row."""
    from organizations.models import OrgUnit

    content = getattr(revision, "content", None) or {}
    ids = (content.get("publishing_unit"), content.get("audience_unit"))
    if None in ids:
        return page_units(fallback) if fallback is not None else (None, None)
    units = OrgUnit.objects.in_bulk([i for i in ids])
    return units.get(ids[0]), units.get(ids[1])


def page_chain(page) -> list[ReviewStep]:
    """The chain the page's latest revision needs (its draft, or the live content)."""
    revision = page.get_latest_revision() if hasattr(page, "get_latest_revision") else None
    pub, aud = revision_units(revision, fallback=page) if revision else page_units(page)
    if pub is None or aud is None:
        return []
    return review_chain(pub, aud)


def is_reviewed_content(page) -> bool:
    """Pages a unit owns (news, exemplar stories, digests) reach members only through
    review; structural pages (home, channels) have no publishing unit."""
    return hasattr(getattr(page, "specific_deferred", page), "publishing_unit_id")


def direct_publish_refusal(page, *, what: str = "不能直接发布") -> str:
    chain = page_chain(page)
    steps = chain_text(chain) if chain else f"{UNIT_STEP}（发布单位的审核员）"
    return f"{what}：须经{steps}。请点击“提交审核”，审核通过后自动发布。"


# --- approving a workflow step ---------------------------------------------------------------
def step_for(task, publishing_unit: OrgUnit, audience_unit: OrgUnit) -> ReviewStep:
    """The step `task` stands for: the upper task is owned by the audience's level."""
    if getattr(task, "owns_audience", False):
        return ReviewStep(UPPER_STEP, audience_unit)
    return ReviewStep(UNIT_STEP, publishing_unit)


def _last_published_revision_id(obj) -> int | None:
    if getattr(obj, "live_revision_id", None):
        return obj.live_revision_id
    from wagtail.models import PageLogEntry

    return (
        PageLogEntry.objects.filter(page_id=obj.pk, action="wagtail.publish")
        .exclude(revision_id=None)
        .order_by("-id")
        .values_list("revision_id", flat=True)
        .first()
    )


def review_authors(task_state) -> set[int]:
    """Who wrote the change under review: the item's owner, who submitted it, and who made
    any revision since it was last published (up to the revision under review)."""
    from wagtail.models import Revision

    workflow_state = task_state.workflow_state
    obj = workflow_state.content_object
    revision = task_state.revision
    ids = {getattr(obj, "owner_id", None), workflow_state.requested_by_id}
    if revision is not None:
        revisions = Revision.objects.filter(
            base_content_type_id=revision.base_content_type_id,
            object_id=revision.object_id,
            pk__lte=revision.pk,
        )
        since = _last_published_revision_id(obj)
        if since is not None and since < revision.pk:
            revisions = revisions.filter(pk__gt=since)
        ids |= set(revisions.values_list("user_id", flat=True))
    ids.discard(None)
    return ids


def approval_refusal(task, task_state, user) -> str | None:
    """Why `user` may not approve `task_state` of `task` — None when they may."""
    from wagtail.models import TaskState

    obj = task_state.workflow_state.content_object
    pub, aud = revision_units(task_state.revision, fallback=obj)
    if pub is None or aud is None:
        from organizations.selectors import scope_for

        global_scope = scope_for(user).is_global
        return None if global_scope else "本内容没有发布单位，只能由系统管理员审核"
    step = step_for(task, pub, aud)
    if not reviewer_covers(user, step.unit):
        return f"需经{step.describe()}：你不是该单位或其上级单位的审核员，不能审核此步骤"
    if not getattr(task, "separate_duties", True):
        return None
    if user.pk in review_authors(task_state):
        return f"不能审核自己撰写、修改或提交的内容：{step.describe()}须由另一位审核员完成"
    approved_other_step = (
        TaskState.objects.filter(
            revision_id=task_state.revision_id,
            status=TaskState.STATUS_APPROVED,
            finished_by=user,
        )
        .exclude(pk=task_state.pk)
        .exists()
    )
    if approved_other_step:
        return (
            f"同一版本的两级审核不能由同一人完成：你已审核过此版本，"
            f"{step.describe()}须由另一位审核员完成"
        )
    return None


def publish_approved_workflow_state(workflow_state, user=None) -> None:
    """WAGTAIL_FINISH_WORKFLOW_ACTION: the last approval publishes — only the revision
    that every step of the workflow approved (or skipped) itself."""
    from wagtail.models import TaskState

    obj = workflow_state.content_object
    revision = obj.get_latest_revision()
    done = set(
        TaskState.objects.filter(
            workflow_state=workflow_state,
            revision=revision,
            status__in=[TaskState.STATUS_APPROVED, TaskState.STATUS_SKIPPED],
        ).values_list("task_id", flat=True)
    )
    missing = [
        t.name for t in workflow_state.workflow.tasks.filter(active=True) if t.pk not in done
    ]
    if missing:
        raise ReviewRefused(f"此版本尚未完成审核，不能发布：缺少{'、'.join(missing)}")
    revision.publish(user=user, skip_permission_checks=True)


# --- bookshelf -------------------------------------------------------------------------------
def catalogue_publication_refusal(
    *,
    user,
    owner_unit: OrgUnit | None,
    audience_unit: OrgUnit | None,
    was_published: bool,
    now_published: bool,
    content_changed: bool,
    last_editor_id: int | None,
) -> str | None:
    """May `user` save a book/periodical/issue in this state? Withdrawing (unticking
    已发布) and editing unpublished items are always allowed; a new publication state is
    for a reviewer of the owner unit — of the audience's level when the audience is wider —
    who did not write the change."""
    if not now_published or (was_published and not content_changed):
        return None
    unit = owner_unit
    if owner_unit is not None and audience_unit is not None:
        if audience_wider(owner_unit, audience_unit):
            unit = audience_unit
    who = f"{unit.name}或其上级党组织的审核员" if unit is not None else "系统管理员"
    if was_published:
        return (
            f"已发布的条目不能直接修改：请先取消“已发布”并保存，修改后由{who}（不是修改人）审核发布"
        )
    if content_changed:
        return (
            f"修改内容的同时不能发布：请先保存（不勾选“已发布”），再由{who}（不是修改人）审核发布"
        )
    if unit is None or not (reviewer_covers(user, unit) and reviewer_covers(user, owner_unit)):
        return f"发布须经审核：只有{who}可以勾选“已发布”"
    if last_editor_id is not None and user.pk == last_editor_id:
        return f"不能发布自己修改的条目：须由另一位审核员（{who}）审核发布"
    return None
