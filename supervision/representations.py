"""One JSON shape per supervision record, shared by the API and the portal. Times are
ISO 8601 in UTC plus the unit's zone, so a client shows them on the unit's clock."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

from supervision.common import zone
from supervision.ledger.models import LedgerReport
from supervision.meetings.models import Attendance, Meeting
from supervision.rectification.models import Rectification
from supervision.rectification.selectors import is_overdue


class FileJSON(TypedDict):
    id: int
    name: str
    kind: str
    url: str


class AttendanceJSON(TypedDict):
    member_id: int
    name: str
    status: str
    reason: str
    checked_in_at: dt.datetime | None
    late: bool


class MeetingJSON(TypedDict):
    id: int
    unit: dict
    kind: str
    kind_label: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    starts_local: str
    timezone: str
    place: str
    online_link: str
    agenda: str
    lecturer: str
    topic: str
    status: str
    minutes: str
    minutes_filed_at: dt.datetime | None
    minutes_late: bool
    invited_count: int
    present_count: int
    my_status: str | None
    can_manage: bool
    attendance: list[AttendanceJSON]
    files: list[FileJSON]


def _unit(u) -> dict:
    return {"id": u.pk, "code": u.code, "name": u.name, "timezone": u.timezone}


def meeting_as_dict(
    m: Meeting,
    *,
    my_status: str | None = None,
    can_manage: bool = False,
    attendance: list[Attendance] | None = None,
    files: list | None = None,
    file_url=None,
) -> MeetingJSON:
    local = m.starts_at.astimezone(zone(m.unit.timezone))
    return {
        "id": m.pk,
        "unit": _unit(m.unit),
        "kind": m.kind,
        "kind_label": str(m.get_kind_display()),
        "title": m.title,
        "starts_at": m.starts_at,
        "ends_at": m.ends_at,
        "starts_local": local.strftime("%Y-%m-%dT%H:%M"),
        "timezone": m.unit.timezone,
        "place": m.place,
        "online_link": m.online_link,
        "agenda": m.agenda,
        "lecturer": m.lecturer,
        "topic": m.topic,
        "status": m.status,
        "minutes": m.minutes if can_manage or my_status else "",
        "minutes_filed_at": m.minutes_filed_at,
        "minutes_late": m.minutes_late,
        "invited_count": m.invited_count,
        "present_count": m.present_count,
        "my_status": my_status,
        "can_manage": can_manage,
        "attendance": [
            {
                "member_id": a.member_id,
                "name": a.member.name,
                "status": a.status,
                "reason": a.reason,
                "checked_in_at": a.checked_in_at,
                "late": a.late,
            }
            for a in (attendance or [])
        ],
        "files": [
            {"id": f.pk, "name": f.name, "kind": f.kind, "url": file_url(f) if file_url else ""}
            for f in (files or [])
        ],
    }


class LedgerReportJSON(TypedDict):
    id: int
    unit: dict
    item: dict
    period: str
    status: str
    text: str
    submitted_at: dt.datetime
    reviewed_at: dt.datetime | None
    return_reason: str
    files: list[FileJSON]


def ledger_report_as_dict(r: LedgerReport, *, files=None, file_url=None) -> LedgerReportJSON:
    return {
        "id": r.pk,
        "unit": _unit(r.unit),
        "item": {"id": r.item_id, "code": r.item.code, "title": r.item.title},
        "period": r.period,
        "status": r.status,
        "text": r.text,
        "submitted_at": r.submitted_at,
        "reviewed_at": r.reviewed_at,
        "return_reason": r.return_reason,
        "files": [
            {"id": f.pk, "name": f.name, "kind": "evidence", "url": file_url(f) if file_url else ""}
            for f in (files or [])
        ],
    }


class RectificationJSON(TypedDict):
    id: int
    unit: dict
    issued_by_unit: dict
    title: str
    description: str
    category: str
    source: str
    deadline: dt.date
    responsible_person: str
    status: str
    overdue: bool
    escalation_level: int
    measures: str
    evidence_text: str
    replied_at: dt.datetime | None
    return_reason: str
    closed_at: dt.datetime | None
    closed_on_time: bool | None
    created_at: dt.datetime
    files: list[FileJSON]


def rectification_as_dict(r: Rectification, *, files=None, file_url=None) -> RectificationJSON:
    return {
        "id": r.pk,
        "unit": _unit(r.unit),
        "issued_by_unit": _unit(r.issued_by_unit),
        "title": r.title,
        "description": r.description,
        "category": r.category,
        "source": r.source,
        "deadline": r.deadline,
        "responsible_person": r.responsible_person,
        "status": r.status,
        "overdue": is_overdue(r),
        "escalation_level": r.escalation_level,
        "measures": r.measures,
        "evidence_text": r.evidence_text,
        "replied_at": r.replied_at,
        "return_reason": r.return_reason,
        "closed_at": r.closed_at,
        "closed_on_time": r.closed_on_time,
        "created_at": r.created_at,
        "files": [
            {"id": f.pk, "name": f.name, "kind": "evidence", "url": file_url(f) if file_url else ""}
            for f in (files or [])
        ],
    }
