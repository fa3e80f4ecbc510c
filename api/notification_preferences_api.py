"""/api/v1/notification-preferences/: the caller's own notification preferences (docs/api.md
"Notification preferences") — every kind with its channels (inapp, push, email, sms; all
on until switched off) and quiet hours in the member's unit's time zone. PUT switches
the kinds it names and sets quiet hours (null clears them). A mandatory kind cannot be
switched off in the inbox (400). A login with no member record answers 404."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.learning.common import ERRORS
from notifications import preferences

TAG = "notifications"


class Channels(serializers.Serializer):
    inapp = serializers.BooleanField(required=False, help_text="站内消息（收件箱）")
    push = serializers.BooleanField(required=False, help_text="手机和浏览器推送")
    email = serializers.BooleanField(required=False, help_text="电子邮件")
    sms = serializers.BooleanField(required=False, help_text="短信")


class QuietHours(serializers.Serializer):
    start = serializers.TimeField(format="%H:%M", help_text="本地时间，如 22:00")
    end = serializers.TimeField(format="%H:%M", help_text="本地时间，如 07:00（可跨午夜）")


class KindOut(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    mandatory = serializers.BooleanField(help_text="组织要求的消息：不能关闭站内消息")
    urgent = serializers.BooleanField(help_text="紧急消息：免打扰时段也推送")
    channels = Channels()


class PreferencesOut(serializers.Serializer):
    timezone = serializers.CharField(help_text="免打扰时段所用的时区（所在党组织的 IANA 时区）")
    quiet_hours = QuietHours(allow_null=True)
    kinds = KindOut(many=True)


class KindIn(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    channels = Channels()


class PreferencesIn(serializers.Serializer):
    kinds = KindIn(many=True, required=False)
    quiet_hours = QuietHours(allow_null=True, required=False)


class NotificationPreferencesApi(APIView):
    @extend_schema(
        operation_id="notification_preferences_get",
        tags=[TAG],
        responses={200: PreferencesOut, 404: ERRORS[404]},
    )
    def get(self, request):
        member, pref = preferences.preferences_for_user(request.user)
        return Response(preferences.preferences_as_dict(member, pref))

    @extend_schema(
        operation_id="notification_preferences_update",
        tags=[TAG],
        request=PreferencesIn,
        responses={200: PreferencesOut, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def put(self, request):
        form = PreferencesIn(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        quiet = False
        if "quiet_hours" in data:
            q = data["quiet_hours"]
            quiet = None if q is None else (q["start"], q["end"])
        pref = preferences.preferences_update(
            user=request.user,
            channels={k["code"]: dict(k["channels"]) for k in data.get("kinds", [])},
            quiet_hours=quiet,
        )
        member, pref = preferences.preferences_for_user(request.user)
        return Response(preferences.preferences_as_dict(member, pref))


urlpatterns = [
    path(
        "notification-preferences/",
        NotificationPreferencesApi.as_view(),
        name="notification-preferences",
    ),
]
