"""Admin action 退出所有登录 (log out everywhere) for one user: every API token and every
portal/admin session of that user ends at once (organizations.logins).

Two doors, each with its own permission rule:
- the Wagtail user admin (设置 › 用户): whoever may change users there; a superuser only by
  a superuser;
- the organisation admin's member edit page (组织管理 › 党员): unit admins and secretaries,
  for members inside their managed subtree only — another unit's member is not found, the
  same as everywhere in that admin.
GET shows a confirmation page, POST does it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from organizations.logins import REASON_LOGOUT_ALL, user_logins_revoke
from organizations.permissions import can_manage_org, managed_members

TEMPLATE = "organizations/admin/logout_everywhere.html"


def _may_touch(actor, target) -> bool:
    return not target.is_superuser or actor.is_superuser


def _confirm_or_revoke(request, *, user, name: str, back_url: str):
    if request.method == "POST":
        user_logins_revoke(user=user, sessions=True, reason=REASON_LOGOUT_ALL)
        messages.success(request, f"已退出“{name}”的所有登录：App 令牌和网页会话均已失效")
        return redirect(back_url)
    return TemplateResponse(
        request, TEMPLATE, {"target_name": name, "back_url": back_url, "action_url": request.path}
    )


def user_logout_everywhere_view(request, pk: int):
    """From the Wagtail user admin."""
    perm = f"{get_user_model()._meta.app_label}.change_{get_user_model()._meta.model_name}"
    if not request.user.has_perm(perm):
        raise Http404
    user = get_object_or_404(get_user_model(), pk=pk)
    if not _may_touch(request.user, user):
        raise Http404
    return _confirm_or_revoke(
        request, user=user, name=user.get_username(), back_url=reverse("wagtailusers_users:index")
    )


def member_logout_everywhere_view(request, pk: int):
    """From the organisation admin, scoped to the members the caller manages."""
    if not can_manage_org(request.user):
        raise Http404
    member = get_object_or_404(managed_members(request.user).select_related("user"), pk=pk)
    if not _may_touch(request.user, member.user):
        raise Http404
    return _confirm_or_revoke(
        request,
        user=member.user,
        name=member.name,
        back_url=reverse("org_members:edit", args=[member.pk]),
    )
