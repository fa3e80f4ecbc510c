"""Reads of documents: who may open one, the feed, the read-receipt report.

Two kinds of access:
- **reading** — the audience rule and the confidentiality level (models docstring);
- **managing** — editors, secretaries and unit admins whose subtree holds the issuing
  unit (edit, publish, attach), and secretaries/unit admins/organizers of any unit in the
  audience, for the receipt report of *their* subtree and its reminders.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q, QuerySet
from django.db.models.functions import Substr

from organizations.models import Member, OrgUnit, UnitRole, ancestor_paths_of
from organizations.scope import member_for_user, scope_for
from organizations.selectors import object_or_not_found
from publications.documents.models import Document, DocumentAttachment, DocumentReceipt

ISSUER_ROLES = ("editor", "secretary", "unit_admin")
SECRETARY_ROLES = ("secretary", "unit_admin")
REPORT_ROLES = ("secretary", "unit_admin", "organizer")

C = Document.Confidentiality


def _paths_and_ancestors(paths: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for p in paths:
        out.update(ancestor_paths_of(p, OrgUnit.steplen))
    return out


def readable_q(user) -> Q:
    """Published documents the user may open as a reader."""
    scope = scope_for(user)
    if scope.is_global:
        return Q(is_published=True)
    member = member_for_user(user)
    own = set(ancestor_paths_of(member.unit.path, OrgUnit.steplen)) if member else set()
    q = Q(pk__in=[])
    if own:
        audience = Q(audience_unit__path__in=own)
        q |= audience & Q(confidentiality=C.INTERNAL)
        q |= (
            audience
            & Q(confidentiality=C.RESTRICTED)
            & Q(
                pk__in=Document.restricted_units.through.objects.filter(
                    orgunit__path__in=own
                ).values("document_id")
            )
        )
    secretary = scope_for(user, roles=SECRETARY_ROLES)
    if secretary.paths:
        # a secretary of unit U reads documents addressed to U, above U or inside U's subtree
        reach = Q(
            audience_unit__path__in=_paths_and_ancestors(secretary.paths)
        ) | secretary.units_q("audience_unit__path")
        q |= reach & Q(confidentiality=C.SECRETARIES)
    return Q(is_published=True) & q


def managed_q(user) -> Q:
    """Documents the user may edit, publish and attach to (their subtree issued them)."""
    return scope_for(user, roles=ISSUER_ROLES).units_q("issuing_unit__path")


def documents_for_reader(user) -> QuerySet[Document]:
    return (
        Document.objects.filter(readable_q(user) | (managed_q(user) & Q(is_published=True)))
        .select_related("issuing_unit", "audience_unit", "superseded_by")
        .distinct()
    )


def access_document_by_id(user, document_id, *, action: str = "view") -> Document:
    """view: a reader (or its issuers); change: its issuers; report: issuers and the
    secretaries/unit admins/organizers of any unit in its audience."""
    base = Document.objects.select_related("issuing_unit", "audience_unit", "superseded_by")
    if action == "view":
        qs = base.filter(readable_q(user) | managed_q(user))
    elif action == "report":
        report = scope_for(user, roles=REPORT_ROLES)
        reach = Q(pk__in=[])
        if report.paths or report.is_global:
            reach = report.units_q("audience_unit__path") | Q(
                audience_unit__path__in=_paths_and_ancestors(report.paths)
            )
        qs = base.filter(managed_q(user) | reach)
    else:
        qs = base.filter(managed_q(user))
    return object_or_not_found(qs.distinct(), document_id)


def access_document_attachment_by_id(user, attachment_id) -> DocumentAttachment:
    """An attachment of a document the user may open."""
    readable = Document.objects.filter(readable_q(user) | managed_q(user))
    return object_or_not_found(
        DocumentAttachment.objects.filter(document__in=readable.values("pk")), attachment_id
    )


# --- the audience in members ------------------------------------------------------------
def audience_members(document: Document) -> QuerySet[Member]:
    """The active members the document is addressed to, by its confidentiality level."""
    members = Member.objects.filter(
        status=Member.Status.ACTIVE, unit__path__startswith=document.audience_unit.path
    )
    if document.confidentiality == C.RESTRICTED:
        paths = list(document.restricted_units.values_list("path", flat=True))
        if not paths:
            return members.none()
        q = Q(pk__in=[])
        for p in paths:
            q |= Q(unit__path__startswith=p)
        members = members.filter(q)
    elif document.confidentiality == C.SECRETARIES:
        members = members.filter(
            Exists(
                UnitRole.objects.filter(
                    user_id=OuterRef("user_id"),
                    role__in=SECRETARY_ROLES,
                    unit__path__startswith=document.audience_unit.path,
                )
            )
        )
    return members


def report_root(user, document: Document, unit_id=None) -> OrgUnit:
    """The unit a receipt report starts from: `unit_id` when the user may report on it,
    else their first unit; it must overlap the document's audience."""
    scope = scope_for(user, roles=REPORT_ROLES)
    issuer = scope_for(user, roles=ISSUER_ROLES).covers(document.issuing_unit.path)
    if unit_id is not None:
        unit = object_or_not_found(OrgUnit.objects.all(), unit_id)
        if not (scope.covers(unit.path) or issuer):
            from core.errors import ObjectNotFound

            raise ObjectNotFound
    elif issuer or scope.is_global or scope.covers(document.audience_unit.path):
        unit = document.audience_unit
    else:
        paths = [p for p in scope.paths if p.startswith(document.audience_unit.path)]
        unit = OrgUnit.objects.get(path=paths[0]) if paths else document.audience_unit
    if not (
        unit.path.startswith(document.audience_unit.path)
        or document.audience_unit.path.startswith(unit.path)
    ):
        from core.errors import ObjectNotFound

        raise ObjectNotFound
    return unit


def receipt_report(document: Document, unit: OrgUnit) -> list[dict]:
    """One row per child unit of `unit` (and `unit` itself for its own members): audience
    members, how many have read, the rate — ONE query grouping by the child's path."""
    width = len(unit.path) + OrgUnit.steplen
    # a LEFT JOIN on (member, this document) — at most one receipt per member — so the
    # planner hashes the receipts for a big subtree and probes the index for a small one
    rows = (
        audience_members(document)
        .filter(unit__path__startswith=unit.path)
        .annotate(
            branch=Substr("unit__path", 1, width),
            receipt=FilteredRelation(
                "document_receipts", condition=Q(document_receipts__document=document)
            ),
        )
        .values("branch")
        .annotate(total=Count("id"), read=Count("receipt__id"))
        .order_by("branch")
    )
    rows = list(rows)
    names = dict(
        OrgUnit.objects.filter(path__in=[r["branch"] for r in rows]).values_list("path", "name")
    )
    out = []
    for r in rows:
        own = r["branch"] == unit.path
        out.append(
            {
                "unit_path": r["branch"],
                "unit_name": unit.name + "（本级）" if own else names.get(r["branch"], ""),
                "members": r["total"],
                "read": r["read"],
                "unread": r["total"] - r["read"],
                "rate": round(r["read"] / r["total"], 4) if r["total"] else 0.0,
            }
        )
    return out


def unread_members(document: Document, unit: OrgUnit) -> QuerySet[Member]:
    read = DocumentReceipt.objects.filter(document=document, member_id=OuterRef("pk"))
    return (
        audience_members(document)
        .filter(unit__path__startswith=unit.path)
        .exclude(Exists(read))
        .select_related("unit")
        .order_by("unit__path", "name", "id")
    )


def search_documents(qs: QuerySet[Document], text: str) -> QuerySet[Document]:
    """Documents of `qs` (already the reader's) whose title, number or body contain every
    word of `text`, Traditional and Simplified alike (both sides folded to Simplified).
    Restricted documents are searched here, never in the shared index
    (publications.content)."""
    from publications.documents.text import simplified

    for word in simplified(text).lower().split():
        qs = qs.filter(search_text__contains=word)
    return qs
