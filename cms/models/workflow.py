"""Review-workflow tasks driven by unit roles (严格审核把关).

`UnitReviewTask`: a reviewer whose role unit is the page's publishing unit or an
ancestor approves. `UpperReviewTask`: a reviewer on a strict ancestor of the publishing
unit approves — only needed when the audience is wider than the publishing unit's own
subtree; otherwise the task is skipped automatically. One workflow holding both tasks
behaves as a per-unit workflow because who reviews is derived from the page's unit.
Superusers can act on every task.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.models import Task, TaskState

from organizations.selectors import role_paths

REVIEWER = "reviewer"


def _publishing_unit(obj):
    obj = getattr(obj, "specific", obj)
    return getattr(obj, "publishing_unit", None)


class _RoleReviewTask(Task):
    strict_ancestor = False

    class Meta:
        abstract = True

    def user_can_review(self, obj, user) -> bool:
        if not user.is_active:
            return False
        if user.is_superuser:
            return True
        unit = _publishing_unit(obj)
        if unit is None:
            return False
        for p in role_paths(user, [REVIEWER]):
            if unit.path.startswith(p) and (not self.strict_ancestor or p != unit.path):
                return True
        return False

    def user_can_access_editor(self, obj, user):
        return self.user_can_review(obj, user)

    def locked_for_user(self, obj, user):
        return not self.user_can_review(obj, user)

    def user_can_lock(self, obj, user):
        return self.user_can_review(obj, user)

    def user_can_unlock(self, obj, user):
        return False

    def get_actions(self, obj, user):
        if self.user_can_review(obj, user):
            return [
                ("reject", _("Request changes"), True),
                ("approve", _("Approve"), False),
                ("approve", _("Approve with comment"), True),
            ]
        return []

    def on_action(self, task_state, user, action_name, **kwargs):
        # Defence in depth: the workflow-action view already checks get_actions.
        if not self.user_can_review(task_state.workflow_state.content_object, user):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        return super().on_action(task_state, user, action_name, **kwargs)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        states = self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS)
        if user.is_superuser:
            return states
        paths = role_paths(user, [REVIEWER])
        if not paths:
            return TaskState.objects.none()
        keep = [
            s.pk
            for s in states.select_related("workflow_state")
            if self.user_can_review(s.workflow_state.content_object, user)
        ]
        return states.filter(pk__in=keep)


class UnitReviewTask(_RoleReviewTask):
    """Approval by a reviewer of the publishing unit (or an ancestor unit)."""

    class Meta:
        verbose_name = "本单位审核"
        verbose_name_plural = "本单位审核"

    @classmethod
    def get_description(cls):
        return "发布单位（或其上级）的审核员审核"


class UpperReviewTask(_RoleReviewTask):
    """Approval by a reviewer of an upper-level unit, when the audience reaches beyond
    the publishing unit's subtree; skipped otherwise."""

    strict_ancestor = True

    class Meta:
        verbose_name = "上级审核"
        verbose_name_plural = "上级审核"

    @classmethod
    def get_description(cls):
        return "可见范围超出发布单位时，由上级单位审核员审核；否则自动跳过"

    def start(self, workflow_state, user=None):
        task_state = super().start(workflow_state, user=user)
        obj = workflow_state.content_object
        obj = getattr(obj, "specific", obj)
        wider = getattr(obj, "audience_wider_than_publisher", None)
        if wider is not None and not wider():
            task_state.status = TaskState.STATUS_SKIPPED
            task_state.comment = "可见范围未超出发布单位，无需上级审核"
            task_state.save(update_fields=["status", "comment"])
        return task_state
