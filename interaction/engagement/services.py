"""Engagement on the request path: each function checks the item is visible to the
member (404 otherwise, through `items.access_item`) and appends at most one line to the
buffer. No database row is written here (the fold does that, in batches)."""

from __future__ import annotations

from django.utils import timezone

from core.errors import DomainError, ObjectNotFound
from interaction.engagement import tokens
from interaction.engagement.buffer import event_line, get_buffer
from interaction.engagement.items import Item, access_item, item_exists, visible_ids
from organizations.selectors import member_for_user


class NotAMember(DomainError):
    code = "not_a_member"
    status = 403

    def __init__(self):
        super().__init__("只有党员账号可以阅读计数、点赞和分享")


def _member(user, *, required: bool):
    member = member_for_user(user)
    if member is None and required:
        raise NotAMember
    return member


def read_count(*, member, item: Item) -> bool:
    """Count `member`'s read of `item` today, once per day: True when this one counted."""
    return get_buffer().read(
        day=timezone.localdate(),
        member_id=member.pk,
        unit_id=member.unit_id,
        kind=item.kind,
        item_id=item.id,
    )


def read_record(*, user, kind: str, item_id, through: str = "app") -> bool:
    """An explicit read (apps reading cached content offline) or a detail view's read.
    A user without a member record (staff) reads without being counted."""
    item = access_item(user, kind, item_id, through=through)
    member = _member(user, required=False)
    return read_count(member=member, item=item) if member is not None else False


def like_set(*, user, kind: str, item_id, liked: bool) -> bool:
    """Set the member's like of the item to `liked` (idempotent: the same request again
    changes nothing). Returns the state now."""
    item = access_item(user, kind, item_id)
    member = _member(user, required=True)
    get_buffer().like_set(
        day=timezone.localdate(),
        member_id=member.pk,
        unit_id=member.unit_id,
        kind=item.kind,
        item_id=item.id,
        liked=liked,
    )
    return liked


def like_state(*, user, kind: str, item_id) -> bool:
    item = access_item(user, kind, item_id)
    member = _member(user, required=False)
    if member is None:
        return False
    return get_buffer().like_state(member_id=member.pk, kind=item.kind, item_id=item.id)


def share_create(*, user, kind: str, item_id, through: str = "app") -> tuple[Item, str]:
    """A share link's token for the member's share of the item (counted as a share)."""
    item = access_item(user, kind, item_id, through=through)
    member = _member(user, required=True)
    token = tokens.token_make(
        member_id=member.pk, unit_id=member.unit_id, kind=item.kind, item_id=item.id
    )
    get_buffer().append(
        event_line("S", timezone.localdate(), member.pk, member.unit_id, item.kind, item.id)
    )
    return item, token


def share_click(*, token: str) -> tokens.ShareLink:
    """A visit of a share link: counted as a click for the sharer (and their unit at
    share time). An unknown token, or one whose item is gone, is ObjectNotFound and
    counts nothing. Where the visitor lands (and whether they may read it) is the item
    page's own business."""
    link = tokens.token_read(token)
    if link is None or not item_exists(link.kind, link.item_id):
        raise ObjectNotFound
    get_buffer().append(
        event_line("C", timezone.localdate(), link.member_id, link.unit_id, link.kind, link.item_id)
    )
    return link


MAX_BATCH = 100
EVENT_TYPES = ("read", "like", "unlike", "share")


def events_record(*, user, events: list[dict]) -> list[dict]:
    """A batch of events from an app (reads of cached content, likes, shares), all or
    nothing: every item must be visible to the member (one query per kind), else
    ObjectNotFound naming nothing is recorded. Returns one result per event (read:
    counted or not; like/unlike: the state now; share: the link's token)."""
    member = _member(user, required=True)
    wanted: dict[str, set[int]] = {}
    for e in events:
        wanted.setdefault(e["kind"], set()).add(e["id"])
    for kind, ids in wanted.items():
        if visible_ids(user, kind, ids) != ids:
            raise ObjectNotFound
    day = timezone.localdate()
    results = []
    buffer = get_buffer()
    ops = []
    for e in events:
        base = {"day": day, "member_id": member.pk, "unit_id": member.unit_id}
        ops.append((e["type"], {**base, "kind": e["kind"], "item_id": e["id"]}))
    outcomes = buffer.apply(ops)
    for e, outcome in zip(events, outcomes, strict=True):
        if e["type"] == "read":
            results.append({"type": "read", "counted": bool(outcome)})
        elif e["type"] in ("like", "unlike"):
            results.append({"type": e["type"], "liked": e["type"] == "like"})
        else:
            token = tokens.token_make(
                member_id=member.pk, unit_id=member.unit_id, kind=e["kind"], item_id=e["id"]
            )
            results.append({"type": "share", "token": token})
    return results
