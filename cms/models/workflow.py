"""Review-workflow tasks driven by unit roles (严格审核把关).

`UnitReviewTask` (本单位审核): a reviewer whose role unit is the publishing unit or an
ancestor approves. `UpperReviewTask` (上级单位审核): needed only when the audience reaches
beyond the publishing unit's subtree (otherwise skipped), approved by a reviewer of the
level that owns the audience — the audience unit or an ancestor of it. Both read the
units from the revision under review, not from the live row. One workflow holding both
tasks behaves as a per-unit workflow because who reviews is derived from the content.

The rules themselves (who may approve, separation of duties) live in `cms.review`;
`separate_duties` switches separation on or off per task (on by default).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.forms import TaskStateCommentForm
from wagtail.models import Task, TaskState

from organizations.selectors import scope_for

REVIEWER = "reviewer"


class ApproveForm(TaskStateCommentForm):
    """The approval form: a comment and whether to push the item to its audience's
    phones and inboxes when it is published."""

    push = forms.BooleanField(
        label="发布后推送",
        required=False,
        help_text="勾选后，内容发布时以消息（及手机推送）通知其发布对象",
    )


class _RoleReviewTask(Task):
    #: the step is owned by the audience's level (上级单位审核), not the publisher's
    owns_audience = False

    separate_duties = models.BooleanField(
        "职责分离",
        default=True,
        help_text="勾选后：作者（撰写、修改或提交者）不能审核自己的内容，"
        "同一人不能审核同一版本的两个步骤",
    )

    admin_form_fields = Task.admin_form_fields + ["separate_duties"]

    class Meta:
        abstract = True

    def refusal_for(self, obj, user, task_state=None) -> str | None:
        from cms.review import approval_refusal

        if not user.is_active:
            return "账号已停用"
        task_state = task_state or getattr(obj, "current_workflow_task_state", None)
        if task_state is None or task_state.task_id != self.pk:
            return "本内容当前不在此审核步骤"
        return approval_refusal(self, task_state, user)

    def user_can_review(self, obj, user, task_state=None) -> bool:
        """May `user` act on this step at all (reviewer of the step's unit)?"""
        from cms.review import reviewer_covers, revision_units, step_for

        if not user.is_active:
            return False
        task_state = task_state or getattr(obj, "current_workflow_task_state", None)
        revision = task_state.revision if task_state is not None else None
        pub, aud = revision_units(revision, fallback=obj)
        if pub is None or aud is None:
            return scope_for(user).is_global
        return reviewer_covers(user, step_for(self, pub, aud).unit)

    def user_can_approve(self, obj, user, task_state=None) -> bool:
        return self.refusal_for(obj, user, task_state) is None

    def user_can_access_editor(self, obj, user):
        return self.user_can_review(obj, user)

    def locked_for_user(self, obj, user):
        return not self.user_can_review(obj, user)

    def user_can_lock(self, obj, user):
        return self.user_can_review(obj, user)

    def user_can_unlock(self, obj, user):
        return False

    def get_actions(self, obj, user):
        if not self.user_can_review(obj, user):
            return []
        actions = [("reject", _("Request changes"), True)]
        if self.user_can_approve(obj, user):
            actions += [
                ("approve", _("Approve"), False),
                ("approve", _("Approve with comment"), True),
            ]
        return actions

    def on_action(self, task_state, user, action_name, **kwargs):
        # Defence in depth: the views already offer only what get_actions allows, and
        # cms.middleware.ReviewGateMiddleware answers a refused approval with its reason.
        from cms.review import ReviewRefused

        obj = task_state.workflow_state.content_object
        if not self.user_can_review(obj, user, task_state):
            raise ReviewRefused(self.refusal_for(obj, user, task_state) or "无权审核")
        push = bool(kwargs.pop("push", False))
        if action_name == "approve":
            refusal = self.refusal_for(obj, user, task_state)
            if refusal:
                raise ReviewRefused(refusal)
            if push:  # recorded before the last approval publishes the revision
                ReviewPush.objects.get_or_create(
                    revision=task_state.revision, defaults={"requested_by": user}
                )
        return super().on_action(task_state, user, action_name, **kwargs)

    def get_form_for_action(self, action):
        return ApproveForm if action == "approve" else super().get_form_for_action(action)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        states = self.task_states.filter(status=TaskState.STATUS_IN_PROGRESS)
        if not scope_for(user, roles=[REVIEWER]).has_role:
            return TaskState.objects.none()
        keep = [
            s.pk
            for s in states.select_related("workflow_state", "revision")
            if self.user_can_approve(s.workflow_state.content_object, user, s)
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
    """Approval by a reviewer of the level that owns the audience, when the audience
    reaches beyond the publishing unit's subtree; skipped otherwise."""

    owns_audience = True

    class Meta:
        verbose_name = "上级审核"
        verbose_name_plural = "上级审核"

    @classmethod
    def get_description(cls):
        return "可见范围超出发布单位时，由可见范围所在单位（或其上级）的审核员审核；否则自动跳过"

    def start(self, workflow_state, user=None):
        from cms.review import audience_wider, revision_units

        task_state = super().start(workflow_state, user=user)
        # the revision under review decides, not the live row: widening the audience of
        # a live item is a change that needs this step
        pub, aud = revision_units(task_state.revision, fallback=workflow_state.content_object)
        if pub is not None and aud is not None and not audience_wider(pub, aud):
            task_state.status = TaskState.STATUS_SKIPPED
            task_state.comment = "可见范围未超出发布单位，无需上级审核"
            task_state.save(update_fields=["status", "comment"])
        return task_state


class ReviewPush(models.Model):
    """A reviewer's "推送" on approving a revision: when that revision is published, the
    item is pushed to its audience (cms.notify.content_published). One per revision."""

    revision = models.OneToOneField(
        "wagtailcore.Revision", on_delete=models.CASCADE, related_name="+", verbose_name="版本"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name="审核人",
    )
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "审核推送"
        verbose_name_plural = "审核推送"

    def __str__(self) -> str:
        return f"推送 {self.revision_id}"
