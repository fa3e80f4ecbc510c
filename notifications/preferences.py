"""Members' notification preferences and quiet hours.

Every kind is on every channel until the member switches it off. An organisation-mandated
kind (`Kind.mandatory`, a compulsory course) cannot be switched off in the inbox — only on
push, e-mail and SMS. Quiet hours are a local-time window in the member's unit's IANA
time zone (`OrgUnit.timezone`); it may cross midnight (22:00–07:00). During it, non-urgent
push and SMS wait until it ends (the Delivery is deferred with its due time and the
periodic job "notifications.deferred" sends it then); e-mail and the inbox do not wait.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction

from core.errors import DomainError, ObjectNotFound
from notifications import kinds
from notifications.models import CHANNEL_INAPP, Channel, NotificationPreference
from organizations.models import Member
from organizations.selectors import member_for_user

#: every channel a member can switch, the inbox first
CHANNELS = (CHANNEL_INAPP, *Channel.values)
#: channels that wait for the end of quiet hours (unless the kind is urgent)
QUIET_CHANNELS = frozenset({Channel.PUSH, Channel.SMS})


class PreferenceError(DomainError):
    code = "invalid"
    status = 400


@dataclass(frozen=True)
class QuietHours:
    start: dt.time
    end: dt.time
    zone: str

    def until(self, now: dt.datetime) -> dt.datetime | None:
        """When the quiet period `now` (aware) falls in ends (aware, UTC), or None when
        `now` is outside quiet hours."""
        return quiet_until(now, self.zone, self.start, self.end)


def quiet_until(now: dt.datetime, zone: str, start: dt.time, end: dt.time) -> dt.datetime | None:
    if start == end:
        return None
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    if start < end:  # 12:00–14:00, within one day
        if not (start <= t < end):
            return None
        end_day = local.date()
    else:  # 22:00–07:00, across midnight
        if start <= t:
            end_day = local.date() + dt.timedelta(days=1)
        elif t < end:
            end_day = local.date()
        else:
            return None
    return dt.datetime.combine(end_day, end, tzinfo=tz).astimezone(dt.UTC)


def quiet_hours_of(pref: NotificationPreference | None, member: Member) -> QuietHours | None:
    if pref is None or pref.quiet_start is None or pref.quiet_end is None:
        return None
    return QuietHours(pref.quiet_start, pref.quiet_end, member.unit.timezone)


# --- reads ----------------------------------------------------------------------------------
def _member(user) -> Member:
    member = member_for_user(user)
    if member is None:
        raise ObjectNotFound
    return member


def preference_for_member(member: Member) -> NotificationPreference:
    """The member's preferences (an unsaved all-on default when they have none)."""
    pref = NotificationPreference.objects.filter(member=member).first()
    return pref or NotificationPreference(member=member)


def preferences_as_dict(member: Member, pref: NotificationPreference) -> dict:
    """The one JSON shape (API and portal): every registered kind with its channels."""
    quiet = None
    if pref.quiet_start is not None and pref.quiet_end is not None:
        quiet = {
            "start": pref.quiet_start.strftime("%H:%M"),
            "end": pref.quiet_end.strftime("%H:%M"),
        }
    return {
        "timezone": member.unit.timezone,
        "quiet_hours": quiet,
        "kinds": [
            {
                "code": k.code,
                "label": str(k.label or k.code),
                "mandatory": k.mandatory,
                "urgent": k.urgent,
                "channels": {c: pref.is_enabled(k.code, c) for c in CHANNELS},
            }
            for k in kinds.all_kinds()
        ],
    }


def preferences_for_user(user) -> tuple[Member, NotificationPreference]:
    member = _member(user)
    return member, preference_for_member(member)


# --- writes ---------------------------------------------------------------------------------
def preferences_update(
    *,
    user,
    channels: dict[str, dict[str, bool]] | None = None,
    quiet_hours: tuple[dt.time, dt.time] | None | bool = False,
) -> NotificationPreference:
    """Switch channels per kind ({kind: {channel: on}} — kinds and channels not named keep
    their setting) and set quiet hours ((start, end); None clears them; False leaves
    them). Refuses an unknown kind or channel, and switching a mandatory kind off in
    the inbox, naming what is wrong; nothing is written then."""
    member = _member(user)
    channels = channels or {}
    for code, switches in channels.items():
        try:
            kind = kinds.get(code)
        except LookupError:
            raise PreferenceError(f"kinds：未知的消息类型「{code}」") from None
        for channel, on in switches.items():
            if channel not in CHANNELS:
                raise PreferenceError(
                    f"kinds[{code}].channels：未知的渠道「{channel}」（可选：{'、'.join(CHANNELS)}）"
                )
            if channel == CHANNEL_INAPP and not on and kind.mandatory:
                raise PreferenceError(
                    f"kinds[{code}].channels.inapp：「{kind.label or code}」是组织要求的消息，"
                    "不能关闭站内消息（可关闭推送、邮件和短信）"
                )
    if quiet_hours and quiet_hours[0] == quiet_hours[1]:
        raise PreferenceError("quiet_hours：开始和结束时间不能相同")
    with transaction.atomic():
        pref, _ = NotificationPreference.objects.select_for_update().get_or_create(member=member)
        disabled = {k: set(v) for k, v in (pref.disabled or {}).items()}
        for code, switches in channels.items():
            off = disabled.setdefault(code, set())
            for channel, on in switches.items():
                (off.discard if on else off.add)(channel)
        pref.disabled = {k: sorted(v) for k, v in sorted(disabled.items()) if v}
        if quiet_hours is None:
            pref.quiet_start = pref.quiet_end = None
        elif quiet_hours is not False:
            pref.quiet_start, pref.quiet_end = quiet_hours
        pref.save()
    return pref
