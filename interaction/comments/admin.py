"""The comments admin (互动平台 in the Wagtail admin): the moderation queue with bulk
approve/reject, the sensitive-word lists, moderation rules and boards — each scoped by one
UnitScopedPermissionPolicy: editors and reviewers act in their subtree only, and an object
outside it answers 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.viewsets.model import ModelViewSet

from core.errors import ObjectNotFound
from interaction.comments import selectors, services
from interaction.comments.models import Board, Comment, ModerationRule, SensitiveWord
from interaction.errors import InteractionError
from interaction.text import fold
from organizations.models import UnitRole
from organizations.permissions import (
    UnitScopedPermissionPolicy,
    UnitScopedViewSetMixin,
    scope_form_choices,
    scope_unit_fields,
)

MODERATORS = selectors.MODERATOR_ROLES
BOARD_ROLES = (*MODERATORS, UnitRole.Role.SECRETARY, UnitRole.Role.UNIT_ADMIN)

COMMENT_POLICY = UnitScopedPermissionPolicy(
    Comment, scope_field="unit__path", roles=MODERATORS, model_perms=False
)
WORD_POLICY = UnitScopedPermissionPolicy(
    SensitiveWord, scope_field="unit__path", roles=MODERATORS, model_perms=False
)
RULE_POLICY = UnitScopedPermissionPolicy(
    ModerationRule, scope_field="unit__path", roles=MODERATORS, model_perms=False
)


class _NoAddPolicy(UnitScopedPermissionPolicy):
    """Rows made by the application (boards on first use, questions by members): the admin
    changes them, never adds them."""

    def user_has_permission(self, user, action):
        return action != "add" and super().user_has_permission(user, action)


BOARD_POLICY = _NoAddPolicy(Board, scope_field="unit__path", roles=BOARD_ROLES, model_perms=False)


def _unit_form(roles):
    class UnitForm(WagtailAdminModelForm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            user = getattr(self, "for_user", None)
            if user is not None:
                scope_unit_fields(self, user, roles=roles, names=("unit",), required=True)
                scope_form_choices(self, user)

    return UnitForm


class SensitiveWordForm(_unit_form(MODERATORS)):
    def clean_word(self):
        word = (self.cleaned_data.get("word") or "").strip()
        if not word:
            raise forms.ValidationError("敏感词不能为空")
        if any(ord(ch) < 32 for ch in word):
            raise forms.ValidationError("敏感词不能包含控制字符")
        unit = self.cleaned_data.get("unit")
        dup = SensitiveWord.objects.filter(unit=unit, folded=fold(word)).exclude(
            pk=self.instance.pk
        )
        if unit is not None and dup.exists():
            raise forms.ValidationError(f"“{word}”（或其繁简体）已在该党组织的敏感词表中")
        return word


class SensitiveWordViewSet(UnitScopedViewSetMixin, ModelViewSet):
    scope_policy = WORD_POLICY
    model = SensitiveWord
    icon = "warning"
    menu_label = "敏感词"
    add_to_admin_menu = False
    list_display = ["word", "unit", "created_at"]
    search_fields = ["word"]
    list_export = ["word", "unit", "created_at"]
    export_filename = "敏感词"
    copy_view_enabled = False
    edit_handler = ObjectList(
        [FieldPanel("unit"), FieldPanel("word")], base_form_class=SensitiveWordForm
    )


class ModerationRuleViewSet(UnitScopedViewSetMixin, ModelViewSet):
    scope_policy = RULE_POLICY
    model = ModerationRule
    icon = "tasks"
    menu_label = "评论审核规则"
    add_to_admin_menu = False
    list_display = ["unit", "target", "channel_code", "mode"]
    list_filter = ["target", "mode"]
    copy_view_enabled = False
    edit_handler = ObjectList(
        [FieldPanel("unit"), FieldPanel("target"), FieldPanel("channel_code"), FieldPanel("mode")],
        base_form_class=_unit_form(MODERATORS),
    )


class BoardForm(WagtailAdminModelForm):
    pass


class BoardViewSet(UnitScopedViewSetMixin, ModelViewSet):
    scope_policy = BOARD_POLICY
    model = Board
    icon = "comment"
    menu_label = "留言板"
    add_to_admin_menu = False
    list_display = ["unit", "moderation", "is_open"]
    list_filter = ["moderation", "is_open"]
    copy_view_enabled = False
    edit_handler = ObjectList(
        [FieldPanel("moderation"), FieldPanel("is_open")], base_form_class=BoardForm
    )


# --- the moderation queue -----------------------------------------------------------------
def moderation_queue_view(request):
    """The held and reported comments of the moderator's subtree, oldest first, with the
    matched sensitive words; select several, then approve or reject (with a reason, sent to
    the authors). A selected id outside the subtree refuses the batch with 404."""
    if not selectors.is_moderator(request.user):
        raise PermissionDenied
    if request.method == "POST":
        ids = request.POST.getlist("ids")
        action = request.POST.get("action", "")
        reason = request.POST.get("reason", "")
        try:
            count = services.comments_moderate(
                user=request.user, ids=ids, action=action, reason=reason
            )
        except ObjectNotFound:
            raise Http404 from None
        except InteractionError as exc:
            messages.error(request, exc.message)
        else:
            verb = "通过" if action == "approve" else "驳回"
            messages.success(request, f"已{verb} {count} 条评论")
            return redirect(request.get_full_path())
    qs = selectors.moderation_queue(request.user)
    reason_filter = request.GET.get("held", "")
    if reason_filter in Comment.Held.values and reason_filter:
        qs = qs.filter(held_reason=reason_filter)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    context = {
        "title": "评论审核",
        "page_obj": page,
        "comments": list(page.object_list),
        "held_choices": [c for c in Comment.Held.choices if c[0]],
        "held": reason_filter,
    }
    return TemplateResponse(request, "interaction/admin/moderation.html", context)
