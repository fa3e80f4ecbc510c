"""The like / share bar under an item on the portal, and the portal's read count.

`{% engagement_bar "news" page %}` on an item page counts the member's read of it today
(the page rendered, so its own audience check passed: Wagtail pages answer 404 out of
scope in serve(), lessons in their view) and shows the like button with the member's
state, the share button and, for managers of the publishing unit, a link to the stats."""

from __future__ import annotations

from django import template

from interaction.engagement import selectors, services
from interaction.engagement.buffer import get_buffer
from interaction.engagement.items import Item
from organizations.selectors import member_for_user

register = template.Library()


@register.inclusion_tag("portal/engagement/_bar.html", takes_context=True)
def engagement_bar(context, kind: str, obj):
    request = context.get("request")
    user = getattr(request, "user", None)
    item = Item(kind, obj.pk, obj.title, getattr(obj, "publishing_unit_id", None))
    member = member_for_user(user)
    liked = False
    if member is not None:
        services.read_count(member=member, item=item)
        liked = get_buffer().like_state(member_id=member.pk, kind=kind, item_id=obj.pk)
    return {
        "item": item,
        "liked": liked,
        "is_member": member is not None,
        "manager": user is not None and selectors.may_see_stats(user, item),
        "next": request.get_full_path() if request else "",
        "csrf_token": context.get("csrf_token"),
    }
