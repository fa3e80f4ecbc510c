"""`{% comment_thread "news" page.pk %}`: the comment box and the thread under an item
(news, exemplar story, lesson, digest issue) or on a board. Two queries for the thread
whatever its length (the target check, the comments with their authors)."""

from __future__ import annotations

from django import template

from core.errors import ObjectNotFound
from interaction.comments import selectors
from interaction.comments.selectors import PORTAL
from organizations.scope import member_for_user

register = template.Library()


@register.inclusion_tag("portal/interaction/_thread.html", takes_context=True)
def comment_thread(context, target_type: str, target_id, target=None):
    request = context["request"]
    user = request.user
    if target is None:
        try:
            target = selectors.access_target(user, target_type, target_id, through=PORTAL)
        except ObjectNotFound:  # e.g. a preview, or an editor's draft: no thread
            return {"hidden": True}
    member = member_for_user(user)
    rows = list(selectors.thread(user, target).order_by("created_at", "id"))
    tops, replies = [], {}
    for c in rows:
        if c.parent_id is None:
            tops.append(c)
        else:
            replies.setdefault(c.parent_id, []).append(c)
    thread = [(c, replies.get(c.pk, [])) for c in tops]
    official_unit = selectors.official_unit_for(user, target.unit)
    return {
        "request": request,
        "target": target,
        "thread": thread,
        "count": sum(1 + len(r) for _, r in thread),
        "member_id": member.pk if member else None,
        "can_post": member is not None,
        "official_unit": official_unit,
        "csrf_token": context.get("csrf_token"),
    }
