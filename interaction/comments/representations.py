"""The JSON shape of a comment, shared by the API and the portal."""

from __future__ import annotations

from typing import TypedDict

from interaction.comments.models import Comment


class CommentAuthorJSON(TypedDict):
    name: str
    unit: str


class CommentJSON(TypedDict):
    id: int
    target_type: str
    target_id: int
    parent_id: int | None
    body: str
    status: str
    held_reason: str
    reject_reason: str
    author: CommentAuthorJSON | None
    is_official: bool
    official_unit: str | None
    is_mine: bool
    created_at: str
    updated_at: str
    edited_at: str | None


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def comment_json(c: Comment, *, member_id: int | None) -> CommentJSON:
    """One comment as the reader sees it: plain text (never HTML); a removed, rejected or
    held comment of someone else is a tombstone without body or author (delta sync)."""
    mine = member_id is not None and c.author_id == member_id
    shown = c.status == Comment.Status.PUBLISHED or (mine and c.status != "removed")
    return {
        "id": c.pk,
        "target_type": c.target_type,
        "target_id": c.target_id,
        "parent_id": c.parent_id,
        "body": c.body if shown else "",
        "status": c.status if shown or mine else Comment.Status.REMOVED,
        "held_reason": c.held_reason if mine and c.status == "pending" else "",
        "reject_reason": c.reject_reason if mine else "",
        "author": {"name": c.author.name, "unit": c.author.unit.name} if shown else None,
        "is_official": c.is_official,
        "official_unit": c.official_unit.name if c.official_unit_id and shown else None,
        "is_mine": mine,
        "created_at": _iso(c.created_at),
        "updated_at": _iso(c.updated_at),
        "edited_at": _iso(c.edited_at),
    }


class QueueItemJSON(TypedDict):
    id: int
    target_type: str
    target_id: int
    parent_id: int | None
    body: str
    status: str
    held_reason: str
    matched_words: list[str]
    report_count: int
    author: CommentAuthorJSON
    unit: str
    created_at: str


def queue_item_json(c: Comment) -> QueueItemJSON:
    """A comment in the moderation queue: with the words it matched and its reports."""
    return {
        "id": c.pk,
        "target_type": c.target_type,
        "target_id": c.target_id,
        "parent_id": c.parent_id,
        "body": c.body,
        "status": c.status,
        "held_reason": c.held_reason,
        "matched_words": list(c.matched_words or []),
        "report_count": c.report_count,
        "author": {"name": c.author.name, "unit": c.author.unit.name},
        "unit": c.unit.name,
        "created_at": _iso(c.created_at),
    }
