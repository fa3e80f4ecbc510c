"""/api/v1/sync/changes/: what an app with an offline copy must drop (docs/api.md
"Caching, delta sync, robustness"). New and changed objects come from each list's
`updated_since`; this endpoint lists the ids that left a resource for the caller."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api import caching, sync
from api.errors import DomainError


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField()


class SyncErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


_UNENCODED_PLUS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)? \d\d:\d\d$")


class AwareDateTimeField(serializers.DateTimeField):
    """A time a phone sends must say its offset: members live in many time zones."""

    def to_internal_value(self, value):
        if isinstance(value, str) and _UNENCODED_PLUS.match(value):
            value = value[:-6] + "+" + value[-5:]  # "+08:00" sent unencoded became " 08:00"
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is not None and timezone.is_naive(parsed):
            raise serializers.ValidationError("时间必须带时区，如 2026-11-28T08:00:00+08:00")
        return super().to_internal_value(value)


class ChangesQuerySerializer(serializers.Serializer):
    since = AwareDateTimeField(
        help_text="上次同步的时间（ISO 8601，含时区，如 2026-11-28T08:00:00+08:00）；含此时刻"
    )
    resource = serializers.CharField(
        required=False,
        max_length=200,
        help_text="逗号分隔的资源名：" + ", ".join(sync.resources()) + "；缺省为全部",
    )

    def validate_since(self, value: datetime) -> datetime:
        if value > timezone.now() + timedelta(minutes=5):
            raise serializers.ValidationError("since 不能晚于服务器当前时间")
        return value

    def validate_resource(self, value: str) -> list[str]:
        names = [v.strip() for v in value.split(",") if v.strip()]
        unknown = [n for n in names if n not in sync.resources()]
        if unknown or not names:
            raise serializers.ValidationError(
                f"未知的资源：{', '.join(unknown) or '（空）'}；可选："
                + ", ".join(sync.resources())
            )
        return list(dict.fromkeys(names))


class ChangeSerializer(serializers.Serializer):
    resource = serializers.ChoiceField(choices=list(sync.resources()))
    id = serializers.IntegerField()
    reason = serializers.ChoiceField(
        choices=["unpublished", "deleted", "scope_changed"],
        help_text="unpublished 已撤回；deleted 已删除；scope_changed 可见范围变化后你已看不到",
    )
    at = serializers.DateTimeField()


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    changed_at = serializers.DateTimeField()


class ChangesSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField(help_text="下次同步用作 since 的时间")
    has_more = serializers.BooleanField(help_text="true 时用 until 立即再取下一批")
    removed = ChangeSerializer(many=True, help_text="应从离线副本删除的对象")
    versions = serializers.DictField(
        child=VersionSerializer(), help_text="各资源当前版本；与上次相同则无需再拉列表"
    )


def _retention_days() -> int:
    return int(getattr(settings, "EHOME_API_TOMBSTONE_DAYS", 180))


class SyncChangesApi(APIView):
    @extend_schema(
        tags=["sync"],
        summary="离线同步：自某时刻以来应删除的内容",
        description=(
            "返回调用者原本可见、自 since 起被撤回、删除或移出其可见范围的对象 id（按时间升序，"
            "每次最多 1000 条）。新增和修改的对象请用各列表的 updated_since 获取。"
            "since 早于保留期（默认 180 天）时返回 410，客户端应全量重新同步。"
        ),
        parameters=[ChangesQuerySerializer],
        responses={
            200: ChangesSerializer,
            400: OpenApiResponse(SyncErrorSerializer, description="since 或 resource 无效"),
            401: OpenApiResponse(SyncErrorSerializer, description="未登录"),
            410: OpenApiResponse(SyncErrorSerializer, description="since 太早，需全量同步"),
        },
        examples=[
            OpenApiExample(
                "撤回了一条新闻",
                response_only=True,
                value={
                    "since": "2026-11-28T00:00:00Z",
                    "until": "2026-11-28T08:00:00Z",
                    "has_more": False,
                    "removed": [
                        {
                            "resource": "news",
                            "id": 42,
                            "reason": "unpublished",
                            "at": "2026-11-28T03:12:09Z",
                        }
                    ],
                    "versions": {"news": {"version": 17, "changed_at": "2026-11-28T03:12:09Z"}},
                },
            )
        ],
    )
    def get(self, request):
        params = ChangesQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        since = params.validated_data["since"]
        resources = params.validated_data.get("resource") or list(sync.resources())
        now = timezone.now()
        if since < now - timedelta(days=_retention_days()):
            raise DomainError(
                f"since 早于删除记录的保留期（{_retention_days()} 天），请全量重新同步",
                code="resync_required",
                status=410,
            )
        changes, next_since = sync.changes_for(user=request.user, since=since, resources=resources)
        vers = caching.versions(resources)
        return Response(
            {
                "since": since,
                "until": next_since or now,
                "has_more": next_since is not None,
                "removed": [
                    {"resource": c.resource, "id": c.id, "reason": c.reason, "at": c.at}
                    for c in changes
                ],
                "versions": {
                    r: {
                        "version": vers[r].counter,
                        "changed_at": datetime.fromtimestamp(vers[r].changed_at, tz=UTC),
                    }
                    for r in resources
                },
            }
        )


urlpatterns = [
    path("sync/changes/", SyncChangesApi.as_view(), name="sync-changes"),
]
