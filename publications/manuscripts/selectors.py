"""Reads of manuscripts: who may open one, the two queues, the per-unit report.

Two sides, both held by editors, secretaries and unit admins (`MANAGER_ROLES`):
- the **sender** side — their subtree holds the sending unit: they write, submit,
  attach, resubmit and follow their own items;
- the **receiver** side — their subtree holds the receiving unit: they see what was
  submitted (never drafts), register, return, decide and score.
Anything outside both answers the same 404 as a missing id.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from organizations.scope import scope_for
from organizations.selectors import object_or_not_found
from publications.manuscripts.models import Manuscript, ManuscriptAttachment, ManuscriptScore

MANAGER_ROLES = ("editor", "secretary", "unit_admin")
S = Manuscript.Status


def sender_q(user, prefix: str = "") -> Q:
    return scope_for(user, roles=MANAGER_ROLES).units_q(f"{prefix}sender_unit__path")


def receiver_q(user, prefix: str = "") -> Q:
    scope = scope_for(user, roles=MANAGER_ROLES)
    return scope.units_q(f"{prefix}receiver_unit__path") & ~Q(**{f"{prefix}status": S.DRAFT})


def visible_q(user, prefix: str = "") -> Q:
    return sender_q(user, prefix) | receiver_q(user, prefix)


def _base() -> QuerySet[Manuscript]:
    return Manuscript.objects.select_related(
        "sender_unit", "receiver_unit", "submitted_by", "score"
    )


def manuscripts_sent(user) -> QuerySet[Manuscript]:
    """“我的投稿”: the items of the sender units in the user's subtrees."""
    return _base().filter(sender_q(user))


def manuscripts_received(user) -> QuerySet[Manuscript]:
    """The receiver's queue: what was submitted to units of the user's subtrees."""
    return _base().filter(receiver_q(user))


def manuscripts_visible(user) -> QuerySet[Manuscript]:
    return _base().filter(visible_q(user))


ACTIONS = {"view": visible_q, "send": sender_q, "receive": receiver_q}


def access_manuscript_by_id(user, manuscript_id, *, action: str = "view") -> Manuscript:
    """view: either side; send: the sender side; receive: the receiver side."""
    return object_or_not_found(_base().filter(ACTIONS[action](user)), manuscript_id)


def access_manuscript_attachment_by_id(user, attachment_id) -> ManuscriptAttachment:
    qs = ManuscriptAttachment.objects.select_related("manuscript").filter(
        visible_q(user, "manuscript__")
    )
    return object_or_not_found(qs, attachment_id)


def is_scored(manuscript: Manuscript) -> bool:
    return ManuscriptScore.objects.filter(manuscript=manuscript).exists()
