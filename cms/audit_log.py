"""Writing the audit log (`cms.models.AuditEntry`): one entry per action, with its operator.

Content actions come from Wagtail's own page log: every time Wagtail logs an audited
action on a content page (submit, approve, reject, schedule, publish, unpublish, …),
`page_log_entry_record` (connected to `PageLogEntry` post_save in `cms.apps`) writes one
entry — in the same transaction, keyed by the log entry's id, so it is written once
however often it is offered. Wagtail logs a publication on schedule without a user; its
operator is the person who scheduled that revision, an expiry's the person who last
published or scheduled the item. Outlet actions are written by `cms.outlets`.

Each content entry is taken from the revision it concerns (its publishing unit, audience
and outlets as they were in that revision). A `publish` entry lists the outlets the
revision went out through — the publication record `cms.outlets.served_q` reads. When a
submitted or published revision addresses readers the live version did not reach, a
`widen_audience` entry follows (once per revision).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from wagtail.models import PageLogEntry, Revision

from cms.models import AuditEntry, AuditEntryOutlet, Outlet, UnitScopedPage
from cms.outlets import outlets_of, person_name
from cms.signals import outlet_served_changed
from organizations.models import OrgUnit

A = AuditEntry.Action
#: Wagtail page-log actions → audit actions (others, e.g. edits and renames, are not
#: actions of review and publication; every revision is listed in the trace instead)
PAGE_LOG_ACTIONS = {
    "wagtail.workflow.start": A.SUBMIT,
    "wagtail.workflow.resume": A.SUBMIT,
    "wagtail.workflow.approve": A.APPROVE,
    "wagtail.workflow.reject": A.REJECT,
    "wagtail.publish.schedule": A.SCHEDULE,
    "wagtail.schedule.cancel": A.UNSCHEDULE,
    "wagtail.publish": A.PUBLISH,
    "wagtail.publish.scheduled": A.PUBLISH,
    "wagtail.unpublish": A.UNPUBLISH,
    "wagtail.unpublish.scheduled": A.EXPIRE,
}
#: shown where no person can be found at all (only data written outside the application)
SYSTEM_OPERATOR = "系统（自动执行）"


def audit_entry_create(
    *,
    action: str,
    operator,
    unit: OrgUnit | None,
    object_type: str,
    object_label: str,
    outlets: Iterable[Outlet] = (),
    page_id: int | None = None,
    revision_id: int | None = None,
    comment: str = "",
    data: dict | None = None,
    source_log_id: int | None = None,
    timestamp=None,
) -> AuditEntry:
    """Append one entry and the outlets it concerns (with their names and owners now)."""
    fields = {"timestamp": timestamp} if timestamp is not None else {}
    entry = AuditEntry.objects.create(
        action=action,
        operator=operator,
        operator_name=(person_name(operator) or SYSTEM_OPERATOR)[:150],
        unit=unit,
        unit_name=unit.name if unit else "",
        page_id=page_id,
        revision_id=revision_id,
        object_type=str(object_type)[:40],
        object_label=(object_label or "")[:300],
        comment=comment or "",
        data=data or {},
        source_log_id=source_log_id,
        **fields,
    )
    AuditEntryOutlet.objects.bulk_create(
        [
            AuditEntryOutlet(
                entry=entry,
                outlet=o,
                outlet_name=o.name,
                outlet_kind=o.kind,
                owner_id=o.owner_id,
                owner_name=person_name(o.owner),
            )
            for o in {o.pk: o for o in outlets}.values()
        ]
    )
    return entry


# --- operators of automatic actions -------------------------------------------------------
def _scheduler(page_id: int, revision_id: int | None):
    """Who scheduled this revision (our own log first, Wagtail's for older history)."""
    found = (
        AuditEntry.objects.filter(
            page_id=page_id, revision_id=revision_id, action=A.SCHEDULE, operator__isnull=False
        )
        .order_by("-id")
        .first()
    )
    if found is not None:
        return found.operator
    log = (
        PageLogEntry.objects.filter(
            page_id=page_id,
            revision_id=revision_id,
            action="wagtail.publish.schedule",
            user__isnull=False,
        )
        .select_related("user")
        .order_by("-id")
        .first()
    )
    return log.user if log else None


def _last_publisher(page_id: int):
    found = (
        AuditEntry.objects.filter(
            page_id=page_id, action__in=[A.PUBLISH, A.SCHEDULE], operator__isnull=False
        )
        .order_by("-id")
        .first()
    )
    return found.operator if found else None


def _operator(log_entry: PageLogEntry, action: str, page, revision):
    if log_entry.user_id:
        return log_entry.user
    person = None
    if log_entry.action in ("wagtail.publish.scheduled", "wagtail.schedule.cancel"):
        person = _scheduler(log_entry.page_id, log_entry.revision_id)
    elif action == A.EXPIRE:
        person = _last_publisher(log_entry.page_id)
    if person is None and revision is not None and revision.user_id:
        person = revision.user
    if person is None and page.owner_id:
        person = page.owner
    return person


# --- widening of the audience ---------------------------------------------------------------
def _previous_audience(action: str, page, log_entry: PageLogEntry) -> OrgUnit | None:
    """The audience of the live version before this action (None: nothing was live)."""
    if action in (A.SUBMIT, A.SCHEDULE):
        # a live page's row still holds the live version while drafts wait in revisions
        return page.audience_unit if page.live else None
    previous = (
        AuditEntry.objects.filter(page_id=page.pk, action=A.PUBLISH)
        .exclude(source_log_id=log_entry.pk)
        .order_by("-id")
        .first()
    )
    if previous is None or not previous.data.get("audience_unit_id"):
        return None
    return OrgUnit.objects.filter(pk=previous.data["audience_unit_id"]).first()


def _widens(old: OrgUnit | None, new: OrgUnit | None) -> bool:
    return old is not None and new is not None and not new.path.startswith(old.path)


# --- from Wagtail's page log -------------------------------------------------------------------
@transaction.atomic
def page_log_entry_record(log_entry: PageLogEntry) -> AuditEntry | None:
    """The audit entry for one Wagtail page-log entry (idempotent; None: not audited)."""
    action = PAGE_LOG_ACTIONS.get(log_entry.action)
    if action is None or not log_entry.content_type_id:
        return None
    model = log_entry.content_type.model_class()
    if model is None or not issubclass(model, UnitScopedPage):
        return None
    if AuditEntry.objects.filter(source_log_id=log_entry.pk).exists():
        return None
    page = (
        model.objects.select_related("publishing_unit", "audience_unit", "owner")
        .filter(pk=log_entry.page_id)
        .first()
    )
    if page is None:
        return None
    revision = (
        Revision.objects.select_related("user").filter(pk=log_entry.revision_id).first()
        if log_entry.revision_id
        else None
    )
    version = revision.as_object() if revision is not None else page
    unit, audience = version.publishing_unit, version.audience_unit
    operator = _operator(log_entry, action, page, revision)
    data = log_entry.data if isinstance(log_entry.data, dict) else {}
    entry = audit_entry_create(
        action=action,
        operator=operator,
        unit=unit,
        object_type=model._meta.verbose_name,
        object_label=version.title or log_entry.label,
        outlets=outlets_of(version),
        page_id=page.pk,
        revision_id=log_entry.revision_id,
        comment=str(data.get("comment") or ""),
        data={
            "audience_unit_id": audience.pk,
            "audience": audience.name,
            "wagtail_action": log_entry.action,
        },
        source_log_id=log_entry.pk,
        timestamp=log_entry.timestamp,
    )
    if action == A.PUBLISH:
        # where it is served follows this record (search indexes on publish, before it)
        transaction.on_commit(lambda: outlet_served_changed.send(sender=AuditEntry, ids=[page.pk]))
    if action in (A.SUBMIT, A.SCHEDULE, A.PUBLISH):
        old = _previous_audience(action, page, log_entry)
        already = AuditEntry.objects.filter(
            page_id=page.pk, revision_id=log_entry.revision_id, action=A.WIDEN_AUDIENCE
        ).exists()
        if _widens(old, audience) and not already:
            audit_entry_create(
                action=A.WIDEN_AUDIENCE,
                operator=operator,
                unit=unit,
                object_type=model._meta.verbose_name,
                object_label=entry.object_label,
                outlets=outlets_of(version),
                page_id=page.pk,
                revision_id=log_entry.revision_id,
                comment=f"可见范围由“{old.name}”扩大到“{audience.name}”",
                data={
                    "from_unit_id": old.pk,
                    "from": old.name,
                    "to_unit_id": audience.pk,
                    "to": audience.name,
                    "on": action,
                },
                timestamp=log_entry.timestamp,
            )
    return entry


def page_log_entry_saved(sender, instance, created=False, raw=False, **kwargs):
    if created and not raw:
        page_log_entry_record(instance)


def audit_history_import() -> int:
    """Idempotent (`ehome_setup`): write entries for audited page-log entries that have
    none yet — history from before the audit log existed. → how many were written."""
    done = 0
    pending = (
        PageLogEntry.objects.filter(action__in=PAGE_LOG_ACTIONS)
        .exclude(
            id__in=AuditEntry.objects.filter(source_log_id__isnull=False).values("source_log_id")
        )
        .order_by("id")
    )
    for log_entry in pending.iterator(chunk_size=500):
        done += page_log_entry_record(log_entry) is not None
    return done
