"""Reads of the audit log and the trace of one content item (for auditors).

Who audits: holders of the `auditor` (监督员) or `secretary` (书记) role on a unit, for
content whose publishing unit lies in that unit's subtree (`AUDITOR_ROLES`; the auditor
API), plus superusers. The admin's audit report and trace screen are also open to the
editors and reviewers who answer for that content (`AUDIT_ADMIN_ROLES`). Outside scope
is not-found, as everywhere.

The trace of an item answers, in one place: the outlets it went out through (as recorded
at each publication, with their accountable owner then and now), its author, every
review step (reviewer, time, comment — Wagtail's task states), every revision saved after
its first publication, and its whole audit history.
"""

from __future__ import annotations

from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from wagtail.models import Page, Revision, TaskState

from cms.models import AuditEntry, AuditEntryOutlet, Outlet, UnitScopedPage
from cms.models.outlets import display_name
from cms.outlets import outlets_of
from organizations.selectors import ObjectNotFound, scope_for

AUDITOR_ROLES = ("auditor", "secretary")
AUDIT_ADMIN_ROLES = ("editor", "reviewer", "secretary", "auditor")


class TraceNotFound(ObjectNotFound):
    """No such content item, or outside the caller's scope (the same answer)."""

    def __init__(self, message: str = "找不到该内容", **kwargs):
        super().__init__(message, **kwargs)


def can_audit(user, roles=AUDITOR_ROLES) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return scope_for(user, roles=roles).has_role


def audit_entries_filter(
    qs: QuerySet[AuditEntry],
    *,
    unit=None,
    person: str | None = None,
    outlet: Outlet | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    action: str | None = None,
    page_id: int | None = None,
) -> QuerySet[AuditEntry]:
    """Narrow entries by unit subtree, person (member number, login name or part of the
    name), outlet, date (the server's local date) and action."""
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if person:
        person = person.strip()
        qs = qs.filter(
            Q(operator_name__icontains=person)
            | Q(operator__username=person)
            | Q(operator__member__member_no=person)
        )
    if outlet is not None:
        qs = qs.filter(Exists(AuditEntryOutlet.objects.filter(entry=OuterRef("pk"), outlet=outlet)))
    if date_from is not None:
        qs = qs.filter(timestamp__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(timestamp__date__lte=date_to)
    if action:
        qs = qs.filter(action=action)
    if page_id is not None:
        qs = qs.filter(page_id=page_id)
    return qs


def audit_entries(user, *, roles=AUDITOR_ROLES, **filters) -> QuerySet[AuditEntry]:
    """Entries of units in the user's subtree (newest first), with their outlets;
    `filters` as for `audit_entries_filter`."""
    qs = AuditEntry.objects.filter(scope_for(user, roles=roles).units_q("unit__path"))
    qs = audit_entries_filter(qs, **filters)
    return qs.select_related("unit").prefetch_related(
        Prefetch("outlet_rows", queryset=AuditEntryOutlet.objects.order_by("id"))
    )


def content_in_scope(user, page_id: int, *, roles=AUDITOR_ROLES) -> UnitScopedPage:
    page = Page.objects.filter(pk=page_id).specific(defer=False).first()
    if page is None or not isinstance(page, UnitScopedPage):
        raise TraceNotFound
    if not scope_for(user, roles=roles).covers(page.publishing_unit.path):
        raise TraceNotFound
    return page


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.get_username(), "name": display_name(user)}


def _outlet_now(outlet: Outlet) -> dict:
    return {
        "id": outlet.pk,
        "name": outlet.name,
        "kind": outlet.kind,
        "kind_display": outlet.get_kind_display(),
        "owner_unit": outlet.owner_unit.name,
        "address": outlet.address,
        "status": outlet.status,
        "status_display": outlet.get_status_display(),
        "owner": _person(outlet.owner),
        "deputy": _person(outlet.deputy),
        "approved_by": _person(outlet.approved_by),
        "approved_at": outlet.approved_at,
    }


def _entry(e: AuditEntry) -> dict:
    return {
        "id": e.pk,
        "at": e.timestamp,
        "action": e.action,
        "action_display": e.get_action_display(),
        "operator": {"id": e.operator_id, "name": e.operator_name},
        "unit": e.unit_name,
        "revision_id": e.revision_id,
        "comment": e.comment,
        "outlets": [
            {"id": r.outlet_id, "name": r.outlet_name, "owner": r.owner_name}
            for r in e.outlet_rows.all()
        ],
    }


def page_trace(user, page_id: int, *, roles=AUDITOR_ROLES) -> dict:
    """Everything an auditor needs to trace one content item (raises TraceNotFound)."""
    page = content_in_scope(user, page_id, roles=roles)
    history = list(
        AuditEntry.objects.filter(page_id=page.pk)
        .prefetch_related(Prefetch("outlet_rows", queryset=AuditEntryOutlet.objects.order_by("id")))
        .order_by("timestamp", "id")
    )
    publications = [e for e in history if e.action == AuditEntry.Action.PUBLISH]
    live = [e for e in publications if e.revision_id and e.revision_id == page.live_revision_id]
    recorded = live[-1] if live else (publications[-1] if publications else None)
    outlet_ids = [r.outlet_id for r in recorded.outlet_rows.all()] if recorded else []
    related = ("owner__member", "deputy__member", "approved_by__member", "owner_unit")
    if outlet_ids:
        current = {
            o.pk: o for o in Outlet.objects.filter(pk__in=outlet_ids).select_related(*related)
        }
        snapshot = {r.outlet_id: r for r in recorded.outlet_rows.all()}
        outlets = [
            {
                **_outlet_now(current[i]),
                "owner_at_publication": snapshot[i].owner_name,
                "name_at_publication": snapshot[i].outlet_name,
            }
            for i in outlet_ids
        ]
    else:  # never published through a recorded outlet: what it would go out through
        outlets = [
            {**_outlet_now(o), "owner_at_publication": None, "name_at_publication": None}
            for o in outlets_of(page.get_latest_revision_as_object())
        ]
    first_revision = page.revisions.order_by("created_at", "id").select_related("user").first()
    author = page.owner or (first_revision.user if first_revision else None)
    states = (
        TaskState.objects.filter(
            workflow_state__base_content_type=ContentType.objects.get_for_model(Page),
            workflow_state__object_id=str(page.pk),
        )
        .select_related("task", "finished_by__member", "workflow_state__requested_by__member")
        .order_by("started_at", "id")
    )
    reviews = [
        {
            "task": s.task.name,
            "status": s.status,
            "status_display": s.get_status_display(),
            "reviewer": _person(s.finished_by),
            "submitted_by": _person(s.workflow_state.requested_by),
            "started_at": s.started_at,
            "finished_at": s.finished_at,
            "comment": s.comment,
            "revision_id": s.revision_id,
        }
        for s in states
    ]
    later = []
    if page.first_published_at:
        revisions = (
            Revision.page_revisions.filter(
                object_id=str(page.pk), created_at__gt=page.first_published_at
            )
            .select_related("user__member")
            .order_by("created_at", "id")
        )
        published = {e.revision_id for e in publications}
        later = [
            {
                "revision_id": r.pk,
                "at": r.created_at,
                "by": _person(r.user),
                "published": r.pk in published,
                "live": r.pk == page.live_revision_id,
            }
            for r in revisions
        ]
    return {
        "item": {
            "id": page.pk,
            "type": page._meta.model_name,
            "type_display": str(page._meta.verbose_name),
            "title": page.title,
            "live": page.live,
            "first_published_at": page.first_published_at,
            "last_published_at": page.last_published_at,
            "publishing_unit": {
                "code": page.publishing_unit.code,
                "name": page.publishing_unit.name,
            },
            "audience_unit": {"code": page.audience_unit.code, "name": page.audience_unit.name},
            "byline": getattr(page, "author", "") or "",
        },
        "author": _person(author),
        "outlets": outlets,
        "outlets_recorded": recorded is not None,
        "reviews": reviews,
        "later_changes": later,
        "history": [_entry(e) for e in history],
    }
