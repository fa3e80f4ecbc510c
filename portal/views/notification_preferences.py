"""The member's notification preferences (消息设置): which kinds on which channels, and
quiet hours in their unit's time zone. The rules (mandatory kinds stay on in the inbox)
live in notifications.preferences; a refusal is shown on the page, nothing is saved."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from notifications import preferences
from portal.access import portal_view

CHANNEL_LABELS = {
    "inapp": gettext_lazy("站内消息"),
    "push": gettext_lazy("推送"),
    "email": gettext_lazy("邮件"),
    "sms": gettext_lazy("短信"),
}


def _time(value: str) -> dt.time | None:
    try:
        return dt.datetime.strptime(value.strip(), "%H:%M").time()
    except ValueError:
        return None


@portal_view
def notification_preferences(request):
    member, pref = preferences.preferences_for_user(request.user)
    errors: list[str] = []
    if request.method == "POST":
        shown = preferences.preferences_as_dict(member, pref)["kinds"]
        channels = {
            k["code"]: {
                c: f"{k['code']}:{c}" in request.POST
                for c in preferences.CHANNELS
                if not (c == "inapp" and k["mandatory"])
            }
            for k in shown
        }
        quiet: tuple | None | bool = None
        if request.POST.get("quiet_on"):
            start = _time(request.POST.get("quiet_start", ""))
            end = _time(request.POST.get("quiet_end", ""))
            if start is None or end is None:
                errors.append(_("免打扰时段：请按 时:分 填写开始和结束时间，如 22:00"))
            quiet = (start, end)
        if not errors:
            try:
                preferences.preferences_update(
                    user=request.user, channels=channels, quiet_hours=quiet
                )
            except DomainError as exc:
                errors.append(exc.message)
            else:
                messages.success(request, _("消息设置已保存"))
                return redirect("portal:notification_preferences")
    data = preferences.preferences_as_dict(member, pref)
    rows = [
        {
            **k,
            "cells": [
                {
                    "channel": c,
                    "label": CHANNEL_LABELS[c],
                    "on": on,
                    "locked": c == "inapp" and k["mandatory"],
                }
                for c, on in k["channels"].items()
            ],
        }
        for k in data["kinds"]
    ]
    context = {
        "nav": "inbox",
        "rows": rows,
        "channel_labels": [CHANNEL_LABELS[c] for c in preferences.CHANNELS],
        "quiet": data["quiet_hours"],
        "zone": data["timezone"],
        "errors": errors,
    }
    return render(
        request,
        "portal/notification_preferences.html",
        context,
        status=400 if errors else 200,
    )
