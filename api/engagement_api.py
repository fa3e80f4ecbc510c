"""/api/v1/engagement/: reads, likes, shares, per-item stats and the preference and
assessment reports (docs/api.md "Interaction: reads, likes, shares").

An item is addressed as ``<kind>/<id>`` with kind news, story, digest or lesson; an item
the caller cannot read is 404 like a missing one, and nothing is counted. The event
endpoints only append to the engagement buffer (no database row per event); counts and
reports are as of the last fold (every minute).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.caching import etag_matches
from interaction.analytics import exports, reports
from interaction.engagement import selectors, services
from interaction.engagement.items import KINDS, Item
from organizations.selectors import ObjectNotFound, member_for_user

ERRORS = {400: OpenApiTypes.OBJECT, 401: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT}
ITEM_PARAMS = [
    OpenApiParameter(
        "kind", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(KINDS), description="对象类型"
    ),
    OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="对象 ID"),
]


def count_detail_read(user, kind: str, obj) -> None:
    """A detail endpoint served `obj` to `user` (its audience already checked): count the
    member's read of it today (once per day; staff without a member record are not
    counted). Appends to the buffer only."""
    member = member_for_user(user)
    if member is None:
        return
    unit_id = getattr(obj, "publishing_unit_id", None)
    services.read_count(member=member, item=Item(kind, obj.pk, obj.title, unit_id))


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ObjectNotFound
    return kind


class ReadApi(APIView):
    @extend_schema(
        tags=["engagement"],
        operation_id="engagement_read",
        summary="记录一次阅读（离线缓存内容的 App 用；每人每天每条只计一次）",
        parameters=ITEM_PARAMS,
        request=None,
        responses={
            202: inline_serializer("ReadCounted", {"counted": serializers.BooleanField()}),
            **ERRORS,
        },
    )
    def post(self, request, kind: str, id: int):
        counted = services.read_record(user=request.user, kind=_kind(kind), item_id=id)
        return Response({"counted": counted}, status=202)


class LikeSerializer(serializers.Serializer):
    liked = serializers.BooleanField(help_text="点赞为 true，取消为 false（重复提交结果相同）")


class LikeApi(APIView):
    @extend_schema(
        tags=["engagement"],
        operation_id="engagement_like_state",
        summary="我是否点赞了该内容",
        parameters=ITEM_PARAMS,
        responses={200: LikeSerializer, **ERRORS},
    )
    def get(self, request, kind: str, id: int):
        return Response(
            {"liked": services.like_state(user=request.user, kind=_kind(kind), item_id=id)}
        )

    @extend_schema(
        tags=["engagement"],
        operation_id="engagement_like_set",
        summary="点赞或取消点赞（幂等：重放同一请求不会重复计数）",
        parameters=ITEM_PARAMS,
        request=LikeSerializer,
        responses={200: LikeSerializer, 403: OpenApiTypes.OBJECT, **ERRORS},
    )
    def put(self, request, kind: str, id: int):
        kind = _kind(kind)
        s = LikeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        liked = services.like_set(
            user=request.user, kind=kind, item_id=id, liked=s.validated_data["liked"]
        )
        return Response({"liked": liked})


class ShareApi(APIView):
    @extend_schema(
        tags=["engagement"],
        operation_id="engagement_share",
        summary="分享：生成分享链接（访问链接计为点击，记在分享人及其单位名下）",
        parameters=ITEM_PARAMS,
        request=None,
        responses={
            201: inline_serializer(
                "ShareLink", {"token": serializers.CharField(), "url": serializers.URLField()}
            ),
            403: OpenApiTypes.OBJECT,
            **ERRORS,
        },
    )
    def post(self, request, kind: str, id: int):
        _item, token = services.share_create(user=request.user, kind=_kind(kind), item_id=id)
        url = request.build_absolute_uri(reverse("portal:share_visit", args=[token]))
        return Response({"token": token, "url": url}, status=201)


class EventSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=list(services.EVENT_TYPES), help_text="事件类型")
    kind = serializers.ChoiceField(choices=list(KINDS), help_text="对象类型")
    id = serializers.IntegerField(min_value=1, help_text="对象 ID")


class EventBatchSerializer(serializers.Serializer):
    events = EventSerializer(many=True, allow_empty=False, max_length=services.MAX_BATCH)


class EventBatchApi(APIView):
    @extend_schema(
        tags=["engagement"],
        operation_id="engagement_events",
        summary="批量提交阅读、点赞、取消点赞、分享事件（离线缓存内容的 App 用；最多 100 条，全部可见才记录）",
        request=EventBatchSerializer,
        responses={
            202: inline_serializer(
                "EventBatchResult",
                {"results": serializers.ListField(child=serializers.DictField())},
            ),
            403: OpenApiTypes.OBJECT,
            **ERRORS,
        },
    )
    def post(self, request):
        s = EventBatchSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        results = services.events_record(user=request.user, events=s.validated_data["events"])
        return Response({"results": results}, status=202)


class StatsApi(APIView):
    @extend_schema(
        tags=["engagement"],
        operation_id="engagement_item_stats",
        summary="单条内容的阅读、读者、点赞、分享、点击、点击率与转发率（发布单位的管理者可见）",
        parameters=ITEM_PARAMS,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request, kind: str, id: int):
        item = selectors.access_item_stats(request.user, _kind(kind), id)
        return Response(selectors.item_stats(item))


class ReportParams(serializers.Serializer):
    unit = serializers.IntegerField(help_text="单位 ID（须在本人书记或编辑角色的范围内）")
    date_from = serializers.DateField(required=False, help_text="日期起（含），默认 30 天前")
    date_to = serializers.DateField(required=False, help_text="日期止（含），默认今天")
    order = serializers.ChoiceField(
        choices=list(reports.ORDERS), required=False, default="reads", help_text="排序"
    )
    format = serializers.ChoiceField(choices=["json", "xlsx"], required=False, default="json")

    def validate(self, data):
        today = timezone.localdate()
        data.setdefault("date_to", today)
        data.setdefault("date_from", data["date_to"] - dt.timedelta(days=29))
        if data["date_from"] > data["date_to"]:
            raise serializers.ValidationError({"date_from": "开始日期不能晚于结束日期"})
        if (data["date_to"] - data["date_from"]).days > 366 * 2:
            raise serializers.ValidationError({"date_from": "时间范围不能超过两年"})
        return data


class AssessmentParams(serializers.Serializer):
    unit = serializers.IntegerField(help_text="单位 ID")
    month = serializers.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", help_text="月份，如 2026-11")
    format = serializers.ChoiceField(choices=["json", "xlsx"], required=False, default="json")


def _with_etag(request, data) -> HttpResponse:
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if etag_matches(request.headers.get("If-None-Match", ""), etag):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class PreferencesReportApi(APIView):
    @extend_schema(
        tags=["engagement"],
        operation_id="engagement_report_preferences",
        summary="阅读偏好报表：热门内容、频道、标签，及各下级单位党员的频道阅读占比（ETag）",
        parameters=[ReportParams],
        responses={200: OpenApiTypes.OBJECT, 304: None, **ERRORS},
    )
    def get(self, request):
        s = ReportParams(data=request.query_params)
        s.is_valid(raise_exception=True)
        p = s.validated_data
        unit = reports.access_report_unit(request.user, p["unit"])
        args = {"unit": unit, "date_from": p["date_from"], "date_to": p["date_to"]}
        top = {
            "items": reports.top_items(**args, order=p["order"]),
            "channels": reports.top_channels(**args, order=p["order"]),
            "tags": reports.top_tags(**args, order=p["order"]),
        }
        prefs = reports.preferences(**args)
        if p["format"] == "xlsx":
            return _xlsx(exports.preferences_xlsx(prefs, top), f"preferences-{unit.code}.xlsx")
        return _with_etag(request, {**prefs, "top": top})


class AssessmentReportApi(APIView):
    @extend_schema(
        tags=["engagement"],
        operation_id="engagement_report_assessment",
        summary="内容团队考核：每位编辑、团队（发布单位）当月的发布、一次通过审核、阅读、点赞、分享、转发率及排名（ETag）",
        parameters=[AssessmentParams],
        responses={200: OpenApiTypes.OBJECT, 304: None, **ERRORS},
    )
    def get(self, request):
        s = AssessmentParams(data=request.query_params)
        s.is_valid(raise_exception=True)
        p = s.validated_data
        unit = reports.access_report_unit(request.user, p["unit"])
        month = dt.date.fromisoformat(p["month"] + "-01")
        report = reports.assessment(unit=unit, month=month)
        if p["format"] == "xlsx":
            return _xlsx(
                exports.assessment_xlsx(report), f"assessment-{unit.code}-{p['month']}.xlsx"
            )
        return _with_etag(request, report)


urlpatterns = [
    path("engagement/events/", EventBatchApi.as_view(), name="engagement-events"),
    path("engagement/<str:kind>/<int:id>/read/", ReadApi.as_view(), name="engagement-read"),
    path("engagement/<str:kind>/<int:id>/like/", LikeApi.as_view(), name="engagement-like"),
    path("engagement/<str:kind>/<int:id>/share/", ShareApi.as_view(), name="engagement-share"),
    path("engagement/<str:kind>/<int:id>/stats/", StatsApi.as_view(), name="engagement-stats"),
    path(
        "engagement/reports/preferences/",
        PreferencesReportApi.as_view(),
        name="engagement-report-preferences",
    ),
    path(
        "engagement/reports/assessment/",
        AssessmentReportApi.as_view(),
        name="engagement-report-assessment",
    ),
]
