"""Reads of questions and the FAQ.

- a member sees their own questions (`my_questions`);
- answerers (role `answerer`) see the questions sitting with a unit in their subtree
  (`answerer_questions`), askers' names included even for anonymous questions;
- the FAQ is read by the members of each entry's audience unit's subtree (the audience
  rule, `Scope.audience_q`).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from interaction.qa.models import FaqEntry, Question
from organizations.models import OrgUnit, UnitRole
from organizations.scope import NOTHING, member_for_user, scope_for
from organizations.selectors import object_or_not_found

ANSWERER_ROLES = (UnitRole.Role.ANSWERER,)


def _questions() -> QuerySet[Question]:
    return Question.objects.select_related(
        "asker", "asker__unit", "unit", "addressed_unit", "answered_unit"
    )


def answerer_q(user) -> Q:
    scope = scope_for(user, roles=ANSWERER_ROLES)
    if scope.is_global:
        return Q()
    return scope.units_q("unit__path") if scope.paths else NOTHING


def is_answerer(user) -> bool:
    return scope_for(user, roles=ANSWERER_ROLES).has_role


def my_questions(user) -> QuerySet[Question]:
    member = member_for_user(user)
    if member is None:
        return Question.objects.none()
    return _questions().filter(asker=member).order_by("-created_at", "-id")


def answerer_questions(user) -> QuerySet[Question]:
    return _questions().filter(answerer_q(user)).order_by("status", "due_at", "id")


def access_question_by_id(user, question_id, *, action: str = "view") -> Question:
    """view: the asker's own question or one an answerer answers for; answer / publish:
    answerers only — else ObjectNotFound."""
    member = member_for_user(user)
    q = answerer_q(user)
    if action == "view" and member is not None:
        q |= Q(asker=member)
    return object_or_not_found(_questions().filter(q), question_id)


def addressable_units(member) -> QuerySet[OrgUnit]:
    """Units a member may ask: their own and the units above it."""
    return OrgUnit.objects.filter(path__in=member.unit.ancestor_paths()).order_by("-depth")


def faq_visible_to(user) -> QuerySet[FaqEntry]:
    return (
        FaqEntry.objects.filter(is_published=True)
        .filter(scope_for(user).audience_q("audience_unit__path"))
        .select_related("unit")
        .order_by("-created_at", "-id")
    )


def access_faq_by_id(user, faq_id, *, action: str = "view") -> FaqEntry:
    return object_or_not_found(faq_visible_to(user), faq_id)


def answering_unit(user, unit: OrgUnit) -> OrgUnit:
    """The unit an answerer answers for on a question sitting with `unit`: the nearest unit
    at or above it where they hold the answerer role (superusers: `unit` itself)."""
    scope = scope_for(user, roles=ANSWERER_ROLES)
    paths = [p for p in scope.paths if unit.path.startswith(p)]
    if scope.is_global or not paths:
        return unit
    return OrgUnit.objects.get(path=max(paths, key=len))
