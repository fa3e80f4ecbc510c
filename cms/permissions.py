"""Page permissions derived from unit roles.

Wagtail's group permissions (内容编辑: add/change; 内容审核: change, as GroupPagePermission
on the site root) say WHAT a user may do; this tester says WHERE: only on content whose
publishing unit lies in the subtree of a unit where the user is an editor (or, for
reviewing, a reviewer). Every admin page view asks `page.permissions_for_user(user)`, so
edit, submit, unpublish, delete, move, copy, revisions, history and preview are all
covered, including guessed URLs.

Publishing is not a permission anyone holds on unit content, superusers included: it
happens when the last review step approves (cms.review). Reviewers may still take content
down (unpublish) in their subtree; a live item is not moved (it would go out through
another channel without review).
"""

from __future__ import annotations

from django.db.models import Q
from wagtail.models import PagePermissionTester

from organizations.selectors import scope_for

EDIT_ROLES = ("editor",)
REVIEW_ROLES = ("reviewer",)


def pages_choosable_q(user) -> Q:
    """Content pages an editor may pick (page chooser, digest items): those they could
    read, or whose publishing unit they answer for."""
    scope = scope_for(user, roles=EDIT_ROLES + REVIEW_ROLES)
    if scope.is_global:
        return Q()
    return scope.audience_q() | scope.units_q("publishing_unit__path")


def pages_in_scope_q(user, roles=EDIT_ROLES + REVIEW_ROLES) -> Q:
    """Unit-owned pages whose publishing unit lies in the user's `roles` subtrees."""
    return scope_for(user, roles=roles).units_q("publishing_unit__path")


def page_in_admin_scope(user, page) -> bool:
    """May `user` see this page in the admin at all? Pages a unit owns (they have a
    publishing unit) only for its editors and reviewers up the tree; other pages (home,
    channels) are left to Wagtail's group permissions."""
    if scope_for(user).is_global or not hasattr(page, "publishing_unit_id"):
        return True
    tester = page.permissions_for_user(user)
    return tester._in_scope(EDIT_ROLES + REVIEW_ROLES) or tester._reviews_current_step()


class UnitScopedPagePermissionTester(PagePermissionTester):
    def _in_scope(self, roles=EDIT_ROLES) -> bool:
        scope = scope_for(self.user, roles=roles)
        if scope.is_global:
            return True
        if getattr(self.page, "publishing_unit_id", None) is None:
            return False
        return scope.covers(self.page.publishing_unit.path)

    def _reviews_current_step(self) -> bool:
        """A reviewer of the step the item is waiting for — e.g. the level that owns a
        wider audience (cms.review) — works on it during that step, whatever unit
        published it."""
        if not scope_for(self.user, roles=REVIEW_ROLES).paths:
            return False
        task_state = self.page.current_workflow_task_state
        if task_state is None:
            return False
        check = getattr(task_state.task.specific, "user_can_review", None)
        return bool(check and check(self.page, self.user, task_state))

    def _in_scope_or_reviewing(self) -> bool:
        return self._in_scope(EDIT_ROLES + REVIEW_ROLES) or self._reviews_current_step()

    def can_edit(self):
        return self._in_scope_or_reviewing() and super().can_edit()

    def can_delete(self, ignore_bulk=False):
        return self._in_scope() and super().can_delete(ignore_bulk=ignore_bulk)

    def can_unpublish(self):
        # taking content down needs no review: reviewers of the unit (or above) may
        if not self.user.is_active or not self.page.live or self.page_is_root:
            return False
        if self.page_locked():
            return False
        return self._in_scope(REVIEW_ROLES)

    def can_publish(self):
        # nobody publishes unit content directly: the workflow's last approval does
        return False

    def can_submit_for_moderation(self):
        return self._in_scope() and super().can_submit_for_moderation()

    def can_unschedule(self):
        # cancelling a scheduled publication publishes nothing
        return self.user.is_active and self._in_scope(EDIT_ROLES + REVIEW_ROLES)

    def can_lock(self):
        return self._in_scope_or_reviewing() and super().can_lock()

    def can_unlock(self):
        return self._in_scope() and super().can_unlock()

    def can_move(self):
        return not self.page.live and self._in_scope() and super().can_move()

    def can_copy(self):
        return self._in_scope() and super().can_copy()

    def can_move_to(self, destination):
        return self._in_scope() and super().can_move_to(destination)

    def can_copy_to(self, destination, recursive=False):
        return self._in_scope() and super().can_copy_to(destination, recursive=recursive)

    def can_view_revisions(self):
        return self._in_scope_or_reviewing() and super().can_view_revisions()

    def can_set_view_restrictions(self):
        # who reads unit content is its audience unit, changed only through review
        return False
