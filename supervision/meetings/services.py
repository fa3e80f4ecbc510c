"""Writes of meetings: schedule (times on the unit's clock), check in, ask for leave,
mark attendance, file the minutes, attach files, cancel. Keyword-only and atomic; a
refusal is a SupervisionError with a Chinese message and nothing written."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from organizations.models import Member, OrgUnit
from organizations.selectors import access_unit_by_id, member_for_user
from supervision.common import MANAGE_ROLES, SupervisionError, zone
from supervision.meetings.models import Attendance, Meeting, MeetingFile, MeetingKind
from supervision.meetings.selectors import (
    CHECKIN_EARLY,
    LATE_AFTER,
    MINUTES_GRACE,
    access_meeting_by_id,
)

MAX_DURATION = dt.timedelta(hours=12)
MAX_FILE_BYTES = 20 * 1024 * 1024


def local_to_utc(unit: OrgUnit, local: dt.datetime) -> dt.datetime:
    """A wall-clock time on the unit's clock (naive) as an aware UTC instant."""
    if timezone.is_aware(local):
        return local.astimezone(dt.UTC)
    return local.replace(tzinfo=zone(unit.timezone)).astimezone(dt.UTC)


@transaction.atomic
def meeting_schedule(
    *,
    user,
    unit_id,
    kind: str,
    title: str,
    starts_local: dt.datetime,
    duration_minutes: int,
    place: str = "",
    online_link: str = "",
    agenda: str = "",
    lecturer: str = "",
    topic: str = "",
    invitee_ids: list[int] | None = None,
) -> Meeting:
    """Schedule a meeting of a unit the user manages. `starts_local` is on the unit's
    clock; invitees default to the unit's active members."""
    unit = access_unit_by_id(user, unit_id, action="change", roles=MANAGE_ROLES)
    if kind not in MeetingKind.values:
        raise SupervisionError(f"会议类型“{kind}”无效", code="invalid_kind", field="kind")
    if kind == MeetingKind.CENTRAL_STUDY and unit.kind != OrgUnit.Kind.COMMITTEE:
        raise SupervisionError("中心组学习只能由党委安排", code="invalid_kind", field="kind")
    if not (title or "").strip():
        raise SupervisionError("请填写会议主题", code="required", field="title")
    if not (place or "").strip() and not (online_link or "").strip():
        raise SupervisionError("请填写会议地点或线上会议链接", code="required", field="place")
    if kind == MeetingKind.LESSON and (not lecturer.strip() or not topic.strip()):
        raise SupervisionError("党课须填写授课人和党课题目", code="required", field="lecturer")
    try:
        minutes = int(duration_minutes)
    except (TypeError, ValueError):
        minutes = 0
    if not 10 <= minutes <= MAX_DURATION.total_seconds() // 60:
        raise SupervisionError(
            "会议时长应为 10 分钟至 12 小时", code="invalid_duration", field="duration_minutes"
        )
    starts_at = local_to_utc(unit, starts_local)
    members = Member.objects.filter(unit=unit, status=Member.Status.ACTIVE)
    if invitee_ids:
        wanted = {int(i) for i in invitee_ids}
        # invitees: active members of the unit's subtree
        members = Member.objects.filter(
            pk__in=wanted, unit__path__startswith=unit.path, status=Member.Status.ACTIVE
        )
        found = set(members.values_list("pk", flat=True))
        if found != wanted:
            raise SupervisionError(
                "参会人员须为本组织（含下级组织）的正常党员："
                + "、".join(map(str, sorted(wanted - found))),
                code="invalid_invitees",
                field="invitees",
            )
    meeting = Meeting(
        unit=unit,
        kind=kind,
        title=title.strip()[:200],
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes),
        place=place.strip()[:200],
        online_link=online_link.strip()[:500],
        agenda=agenda,
        lecturer=lecturer.strip()[:64],
        topic=topic.strip()[:200],
        created_by=user if getattr(user, "pk", None) else None,
    )
    meeting.save()
    ids = list(members.values_list("pk", flat=True))
    Attendance.objects.bulk_create([Attendance(meeting=meeting, member_id=i) for i in ids])
    Meeting.objects.filter(pk=meeting.pk).update(invited_count=len(ids))
    meeting.invited_count = len(ids)
    _notify_invitees(meeting, ids)
    return meeting


def _notify_invitees(meeting: Meeting, member_ids: list[int]) -> None:
    from notifications.services import notification_send

    local = meeting.starts_at.astimezone(zone(meeting.unit.timezone))
    pk = meeting.pk

    def send():
        notification_send(
            kind="meeting_scheduled",
            recipients=member_ids,
            context={
                "kind": meeting.get_kind_display(),
                "title": meeting.title,
                "when": local.strftime("%Y-%m-%d %H:%M"),
                "place": meeting.place or meeting.online_link,
            },
            link=(f"/api/v1/supervision/meetings/{pk}/", f"/supervision/meetings/{pk}/"),
            idempotency_key=f"meeting-{pk}-scheduled",
        )

    transaction.on_commit(send, robust=True)


def _window_check(meeting: Meeting, now: dt.datetime) -> None:
    if meeting.status == Meeting.Status.CANCELLED:
        raise SupervisionError("会议已取消，不能签到", code="cancelled", status=409)
    opens = meeting.starts_at - CHECKIN_EARLY
    if not opens <= now <= meeting.ends_at:
        local = zone(meeting.unit.timezone)
        raise SupervisionError(
            "不在签到时间内：签到时间为 {} 至 {}（{}）".format(
                opens.astimezone(local).strftime("%Y-%m-%d %H:%M"),
                meeting.ends_at.astimezone(local).strftime("%H:%M"),
                meeting.unit.timezone,
            ),
            code="outside_window",
            status=409,
        )


@transaction.atomic
def meeting_check_in(*, user, meeting_id, now: dt.datetime | None = None) -> Attendance:
    """The member checks in during the meeting's window (from 30 minutes before the start
    to the end); only invitees may; a second check-in changes nothing."""
    now = now or timezone.now()
    meeting = access_meeting_by_id(user, meeting_id)
    member = member_for_user(user)
    att = (
        Attendance.objects.select_for_update().filter(meeting=meeting, member=member).first()
        if member
        else None
    )
    if att is None:
        raise SupervisionError(
            "您不在本次会议的参会名单中，不能签到", code="not_invited", status=403
        )
    _window_check(meeting, now)
    if att.status == Attendance.Status.PRESENT:
        return att
    att.status = Attendance.Status.PRESENT
    att.checked_in_at = now
    att.late = now > meeting.starts_at + LATE_AFTER
    att.reason = ""
    att.save(update_fields=["status", "checked_in_at", "late", "reason"])
    Meeting.objects.filter(pk=meeting.pk).update(present_count=F("present_count") + 1)
    _tally_present(meeting)
    return att


@transaction.atomic
def meeting_leave_request(
    *, user, meeting_id, reason: str, now: dt.datetime | None = None
) -> Attendance:
    """An invitee asks for leave (请假) with a reason, before the meeting ends."""
    now = now or timezone.now()
    meeting = access_meeting_by_id(user, meeting_id)
    member = member_for_user(user)
    att = (
        Attendance.objects.select_for_update().filter(meeting=meeting, member=member).first()
        if member
        else None
    )
    if att is None:
        raise SupervisionError("您不在本次会议的参会名单中", code="not_invited", status=403)
    if not (reason or "").strip():
        raise SupervisionError("请假须填写原因", code="required")
    if now > meeting.ends_at:
        raise SupervisionError("会议已结束，不能再请假", code="meeting_over", status=409)
    if att.status == Attendance.Status.PRESENT:
        raise SupervisionError("您已签到，不能请假", code="already_present", status=409)
    att.status = Attendance.Status.LEAVE
    att.reason = reason.strip()[:300]
    att.save(update_fields=["status", "reason"])
    return att


@transaction.atomic
def attendance_mark(
    *, user, meeting_id, member_id, status: str, reason: str = "", now=None
) -> Attendance:
    """The secretary marks an invitee present, on leave or absent (leave and absence
    need a reason). Marking present is allowed from the window's opening on."""
    now = now or timezone.now()
    meeting = access_meeting_by_id(user, meeting_id, action="change")
    if status not in (Attendance.Status.PRESENT, Attendance.Status.LEAVE, Attendance.Status.ABSENT):
        raise SupervisionError(
            "状态只能是 present（出席）、leave（请假）或 absent（缺席）", field="status"
        )
    att = (
        Attendance.objects.select_for_update()
        .filter(meeting=meeting, member_id=_int(member_id))
        .first()
    )
    if att is None:
        raise SupervisionError("该党员不在本次会议的参会名单中", code="not_invited", field="member")
    if status != Attendance.Status.PRESENT and not (reason or "").strip():
        raise SupervisionError("请假或缺席须填写原因", code="required", field="reason")
    if status == Attendance.Status.PRESENT and now < meeting.starts_at - CHECKIN_EARLY:
        raise SupervisionError(
            "会议尚未开始，不能标记出席", code="outside_window", status=409, field="status"
        )
    was_present = att.status == Attendance.Status.PRESENT
    att.status = status
    att.reason = "" if status == Attendance.Status.PRESENT else reason.strip()[:300]
    att.marked_by = user
    if status == Attendance.Status.PRESENT and not was_present:
        att.checked_in_at = now
    att.save(update_fields=["status", "reason", "marked_by", "checked_in_at"])
    delta = (status == Attendance.Status.PRESENT) - was_present
    if delta:
        Meeting.objects.filter(pk=meeting.pk).update(present_count=F("present_count") + delta)
        _tally_present(meeting)
    return att


def _tally_present(meeting: Meeting) -> None:
    """`present_count` was changed by an UPDATE (no save signal): a held meeting's
    month in the roll-up is recounted here."""
    if meeting.status == Meeting.Status.HELD:
        from supervision.meetings.tally import meeting_tally_refresh

        meeting_tally_refresh(unit_id=meeting.unit_id, month=meeting.local_month)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@transaction.atomic
def meeting_minutes_file(
    *, user, meeting_id, minutes: str, lecturer: str = "", topic: str = "", now=None
) -> Meeting:
    """File the minutes once the meeting has ended: the meeting counts as held; minutes
    filed later than MINUTES_GRACE after the end are marked late."""
    now = now or timezone.now()
    meeting = access_meeting_by_id(user, meeting_id, action="change")
    meeting = Meeting.objects.select_for_update().select_related("unit").get(pk=meeting.pk)
    if meeting.status == Meeting.Status.CANCELLED:
        raise SupervisionError("会议已取消", code="cancelled", status=409)
    if now < meeting.ends_at:
        raise SupervisionError("会议结束后才能提交会议记录", code="not_ended", status=409)
    if not (minutes or "").strip():
        raise SupervisionError("请填写会议记录", code="required", field="minutes")
    if lecturer.strip():
        meeting.lecturer = lecturer.strip()[:64]
    if topic.strip():
        meeting.topic = topic.strip()[:200]
    if meeting.kind == MeetingKind.LESSON and (not meeting.lecturer or not meeting.topic):
        raise SupervisionError("党课须记录授课人和党课题目", code="required", field="lecturer")
    meeting.minutes = minutes.strip()
    if meeting.minutes_filed_at is None:
        meeting.minutes_filed_at = now
        meeting.minutes_late = now > meeting.ends_at + MINUTES_GRACE
    meeting.status = Meeting.Status.HELD
    meeting.save()
    # whoever was neither present nor excused is absent
    Attendance.objects.filter(meeting=meeting, status=Attendance.Status.INVITED).update(
        status=Attendance.Status.ABSENT
    )
    return meeting


@transaction.atomic
def meeting_cancel(*, user, meeting_id) -> Meeting:
    meeting = access_meeting_by_id(user, meeting_id, action="change")
    if meeting.status == Meeting.Status.HELD:
        raise SupervisionError("会议已召开，不能取消", code="held", status=409)
    meeting.status = Meeting.Status.CANCELLED
    meeting.save(update_fields=["status"])
    return meeting


@transaction.atomic
def meeting_file_add(*, user, meeting_id, upload, kind: str = "minutes") -> MeetingFile:
    meeting = access_meeting_by_id(user, meeting_id, action="change")
    if kind not in MeetingFile.Kind.values:
        raise SupervisionError(
            "附件类型只能是 minutes（会议记录）或 photo（照片）", field="file_kind"
        )
    _check_upload(upload)
    return MeetingFile.objects.create(
        meeting=meeting, kind=kind, file=upload, name=upload.name[:200], uploaded_by=user
    )


def _check_upload(upload) -> None:
    if upload is None:
        raise SupervisionError("请选择要上传的文件", code="required", field="file")
    if upload.size > MAX_FILE_BYTES:
        raise SupervisionError("文件不能超过 20 MB", code="too_large", field="file")
