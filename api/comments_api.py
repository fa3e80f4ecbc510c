"""/api/v1/comments/, /boards/, /moderation/: comments on news, exemplar stories, lessons,
digest issues and unit message boards, and their moderation (docs/api.md "Comments and
message boards"). The rules live in interaction.comments (services/selectors), the shapes
in interaction.comments.representations; an item or comment the caller may not see
answers 404 like a missing one.

A thread (`GET comments/?target_type=news&target_id=12`) is a flat list in posting order,
replies carrying `parent_id`; it answers `ETag` and 304 to `If-None-Match`, and with
`updated_since` lists every comment of the thread changed since (removed ones as
tombstones: `status` "removed", no body) for offline clients.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from django.conf import settings
from django.db.models import Count, Max
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.learning.common import ERRORS, ErrorSerializer, paged
from api.pagination import CURSOR_PARAMS, KeysetCursorPagination
from api.schema import shape_serializer
from interaction.comments import selectors, services
from interaction.comments.models import TargetType
from interaction.comments.representations import (
    CommentJSON,
    QueueItemJSON,
    comment_json,
    queue_item_json,
)
from interaction.errors import RateLimited
from organizations.scope import member_for_user

TAG = "interaction"
CommentOut = shape_serializer(CommentJSON)
QueueItemOut = shape_serializer(QueueItemJSON)
ERRORS_429 = OpenApiResponse(ErrorSerializer, description="操作过于频繁（Retry-After 秒后再试）")


class RetryAfterMixin:
    """A rate-limit refusal carries Retry-After like the API's throttles."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
            response.data["error"]["retry_after"] = exc.retry_after
        return response


def _text():
    # length, emptiness and control characters are checked by the service, with messages
    return serializers.CharField(allow_blank=True, trim_whitespace=False)


class ThreadParams(serializers.Serializer):
    target_type = serializers.ChoiceField(choices=TargetType.choices)
    target_id = serializers.IntegerField(min_value=1, max_value=2**62)
    updated_since = serializers.DateTimeField(required=False)


class CommentIn(serializers.Serializer):
    target_type = serializers.ChoiceField(choices=TargetType.choices)
    target_id = serializers.IntegerField(min_value=1, max_value=2**62)
    body = _text()
    parent_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**62
    )
    official = serializers.BooleanField(required=False, default=False)


class CommentEditIn(serializers.Serializer):
    body = _text()


class ReportIn(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, default=""
    )


class DecideIn(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62), max_length=200
    )
    action = serializers.ChoiceField(choices=[("approve", "通过"), ("reject", "驳回")])
    reason = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class Decided(serializers.Serializer):
    count = serializers.IntegerField()


class ThreadPage(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = CommentOut(many=True)


class QueuePage(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = QueueItemOut(many=True)


class BoardOut(serializers.Serializer):
    id = serializers.IntegerField()
    unit = serializers.DictField()
    is_open = serializers.BooleanField()
    moderation = serializers.CharField()


def board_json(board) -> dict:
    return {
        "id": board.pk,
        "unit": {"id": board.unit_id, "name": board.unit.name},
        "is_open": board.is_open,
        "moderation": board.moderation,
    }


def _etag(request, qs) -> str:
    agg = qs.order_by().aggregate(n=Count("id"), last=Max("updated_at"))
    member = member_for_user(request.user)
    payload = json.dumps(
        [
            agg["n"],
            agg["last"].isoformat() if agg["last"] else "",
            member.pk if member else request.user.pk,
            request.path_info,
            sorted((k, sorted(v)) for k, v in request.GET.lists()),
        ]
    )
    digest = hmac.new(settings.SECRET_KEY.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return f'W/"c{digest[:32]}"'


def _page_of_comments(request, view, qs, *, member_id):
    """Keyset page of `qs` in posting order: one query for the keys, one for the rows."""
    pager = KeysetCursorPagination(ordering=("created_at", "id"))
    keys = pager.paginate_queryset(qs.values("created_at", "id"), request, view=view)
    rows = {c.pk: c for c in qs.filter(pk__in=[k["id"] for k in keys])}
    data = [comment_json(rows[k["id"]], member_id=member_id) for k in keys if k["id"] in rows]
    return pager.get_paginated_response(data)


class CommentListApi(RetryAfterMixin, APIView):
    @extend_schema(
        operation_id="comments_thread",
        tags=[TAG],
        parameters=[
            OpenApiParameter(
                "target_type",
                OpenApiTypes.STR,
                required=True,
                enum=TargetType.values,
                description="评论对象：news 资讯、exemplar 先进典型、lesson 课时、digest 手机报、board 留言板",
            ),
            OpenApiParameter("target_id", OpenApiTypes.INT, required=True, description="对象编号"),
            OpenApiParameter(
                "updated_since",
                OpenApiTypes.DATETIME,
                description="增量同步：只返回此时间之后变化的评论（含已删除的，status=removed）",
            ),
            *CURSOR_PARAMS,
        ],
        responses={200: ThreadPage, 304: None, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request):
        params = ThreadParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        target = selectors.access_target(request.user, p["target_type"], p["target_id"])
        qs = selectors.thread(request.user, target, updated_since=p.get("updated_since"))
        etag = _etag(request, qs)
        inm = request.META.get("HTTP_IF_NONE_MATCH", "")
        if inm and any(t.strip() == etag for t in inm.split(",")):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        member = member_for_user(request.user)
        response = _page_of_comments(request, self, qs, member_id=member.pk if member else None)
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        return response

    @extend_schema(
        operation_id="comments_create",
        tags=[TAG],
        request=CommentIn,
        responses={
            201: CommentOut,
            400: ERRORS[400],
            403: ERRORS[400],
            404: ERRORS[404],
            429: ERRORS_429,
        },
    )
    def post(self, request):
        data = CommentIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        comment = services.comment_post(
            user=request.user,
            target_type=v["target_type"],
            target_id=v["target_id"],
            body=v["body"],
            parent_id=v.get("parent_id"),
            official=v["official"],
        )
        member = member_for_user(request.user)
        return Response(comment_json(comment, member_id=member.pk), status=201)


class CommentDetailApi(APIView):
    @extend_schema(tags=[TAG], responses={200: CommentOut, 404: ERRORS[404]})
    def get(self, request, pk: int):
        comment = selectors.access_comment_by_id(request.user, pk)
        member = member_for_user(request.user)
        return Response(comment_json(comment, member_id=member.pk if member else None))

    @extend_schema(
        tags=[TAG],
        request=CommentEditIn,
        responses={200: CommentOut, 400: ERRORS[400], 404: ERRORS[404], 409: ERRORS[409]},
    )
    def patch(self, request, pk: int):
        selectors.access_comment_by_id(request.user, pk, action="change")
        data = CommentEditIn(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_edit(
            user=request.user, comment_id=pk, body=data.validated_data["body"]
        )
        return Response(comment_json(comment, member_id=comment.author_id))

    @extend_schema(tags=[TAG], responses={204: None, 404: ERRORS[404]})
    def delete(self, request, pk: int):
        services.comment_delete(user=request.user, comment_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentReportApi(RetryAfterMixin, APIView):
    @extend_schema(
        tags=[TAG],
        request=ReportIn,
        responses={200: CommentOut, 400: ERRORS[400], 404: ERRORS[404], 429: ERRORS_429},
    )
    def post(self, request, pk: int):
        selectors.access_comment_by_id(request.user, pk)
        data = ReportIn(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_report(
            user=request.user, comment_id=pk, reason=data.validated_data["reason"]
        )
        member = member_for_user(request.user)
        return Response(comment_json(comment, member_id=member.pk))


class BoardListApi(APIView):
    @extend_schema(
        operation_id="boards_list",
        tags=[TAG],
        parameters=CURSOR_PARAMS,
        responses={200: paged("BoardPage", BoardOut, with_count=False)},
    )
    def get(self, request):
        pager = KeysetCursorPagination(ordering=("id",))
        qs = selectors.boards_visible_to(request.user)
        keys = pager.paginate_queryset(qs.values("id"), request, view=self)
        boards = {b.pk: b for b in qs.filter(pk__in=[k["id"] for k in keys])}
        return pager.get_paginated_response([board_json(boards[k["id"]]) for k in keys])


class BoardMineApi(APIView):
    @extend_schema(
        operation_id="boards_mine",
        tags=[TAG],
        description="本人所在党组织的留言板（首次访问时创建）",
        responses={200: BoardOut, 403: ERRORS[400]},
    )
    def get(self, request):
        member = member_for_user(request.user)
        if member is None:
            return Response(
                {"error": {"code": "not_member", "message": "当前账号不是党员", "fields": {}}},
                status=403,
            )
        board = services.board_ensure(unit=member.unit)
        return Response(board_json(selectors.access_board_by_id(request.user, board.pk)))


class BoardDetailApi(APIView):
    @extend_schema(tags=[TAG], responses={200: BoardOut, 404: ERRORS[404]})
    def get(self, request, pk: int):
        return Response(board_json(selectors.access_board_by_id(request.user, pk)))


class ModerationQueueApi(APIView):
    @extend_schema(
        operation_id="moderation_queue",
        tags=[TAG],
        description="待审核与被举报的评论（本人作为编辑、审核员所辖范围内），附命中的敏感词",
        parameters=CURSOR_PARAMS,
        responses={200: QueuePage},
    )
    def get(self, request):
        qs = selectors.moderation_queue(request.user)
        pager = KeysetCursorPagination(ordering=("created_at", "id"))
        keys = pager.paginate_queryset(qs.values("created_at", "id"), request, view=self)
        rows = {c.pk: c for c in qs.filter(pk__in=[k["id"] for k in keys])}
        return pager.get_paginated_response(
            [queue_item_json(rows[k["id"]]) for k in keys if k["id"] in rows]
        )


class ModerationDecideApi(APIView):
    @extend_schema(
        operation_id="moderation_decide",
        tags=[TAG],
        description="批量通过或驳回（驳回须填理由并通知作者）；任何一条不在管辖范围内则整批 404，什么都不改",
        request=DecideIn,
        responses={200: Decided, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def post(self, request):
        data = DecideIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        count = services.comments_moderate(
            user=request.user, ids=v["ids"], action=v["action"], reason=v.get("reason", "")
        )
        return Response({"count": count})


urlpatterns = [
    path("comments/", CommentListApi.as_view(), name="comment-list"),
    path("comments/<int:pk>/", CommentDetailApi.as_view(), name="comment-detail"),
    path("comments/<int:pk>/report/", CommentReportApi.as_view(), name="comment-report"),
    path("boards/", BoardListApi.as_view(), name="board-list"),
    path("boards/mine/", BoardMineApi.as_view(), name="board-mine"),
    path("boards/<int:pk>/", BoardDetailApi.as_view(), name="board-detail"),
    path("moderation/comments/", ModerationQueueApi.as_view(), name="moderation-queue"),
    path("moderation/comments/decide/", ModerationDecideApi.as_view(), name="moderation-decide"),
]
