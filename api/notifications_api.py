"""/api/v1/notifications/: the caller's inbox (docs/api.md "Notifications") — list
(cursor-paged, with the unread count and `updated_since` for offline sync), mark one or
all read, delete. Another member's notification answers 404 like a missing id. The rules
live in notifications.services/selectors, the shape in notifications.representations."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.learning.common import ERRORS
from api.pagination import CURSOR_PARAMS, KeysetCursorPagination
from api.schema import shape_serializer
from notifications import selectors, services
from notifications.representations import FIELDS, NotificationJSON, notification_as_dict

TAG = "notifications"
NotificationOut = shape_serializer(NotificationJSON)


class InboxPage(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    unread_count = serializers.IntegerField()
    results = NotificationOut(many=True)


class InboxParams(serializers.Serializer):
    updated_since = serializers.DateTimeField(required=False)
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)


class MarkedAll(serializers.Serializer):
    marked = serializers.IntegerField()
    unread_count = serializers.IntegerField()


class NotificationListApi(APIView):
    @extend_schema(
        operation_id="notifications_list",
        tags=[TAG],
        parameters=[
            *CURSOR_PARAMS,
            OpenApiParameter(
                "updated_since",
                OpenApiTypes.DATETIME,
                description="只返回此时间之后新收到或状态改变（如已读）的消息（带时区的 ISO 8601）",
            ),
            OpenApiParameter("unread", OpenApiTypes.BOOL, description="true：只列未读消息"),
        ],
        responses={200: InboxPage, 400: ERRORS[400]},
    )
    def get(self, request):
        params = InboxParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        qs = selectors.inbox(request.user)
        if "updated_since" in p:
            qs = qs.filter(updated_at__gt=p["updated_since"])
        if p.get("unread") is not None:
            qs = qs.filter(read_at__isnull=p["unread"])
        pager = KeysetCursorPagination(ordering=("-created_at", "-id"))
        rows = pager.paginate_queryset(qs.values(*FIELDS), request, view=self)
        response = pager.get_paginated_response([notification_as_dict(r) for r in rows])
        response.data["unread_count"] = selectors.unread_count(request.user)
        return response


class NotificationDetailApi(APIView):
    @extend_schema(tags=[TAG], responses={204: None, 404: ERRORS[404]})
    def delete(self, request, pk: int):
        services.notification_delete(user=request.user, id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationReadApi(APIView):
    @extend_schema(tags=[TAG], request=None, responses={200: NotificationOut, 404: ERRORS[404]})
    def post(self, request, pk: int):
        notification = services.notification_mark_read(user=request.user, id=pk)
        return Response(notification_as_dict(notification))


class NotificationReadAllApi(APIView):
    @extend_schema(tags=[TAG], request=None, responses={200: MarkedAll})
    def post(self, request):
        marked = services.notifications_mark_all_read(user=request.user)
        return Response({"marked": marked, "unread_count": selectors.unread_count(request.user)})


urlpatterns = [
    path("notifications/", NotificationListApi.as_view(), name="notification-list"),
    path(
        "notifications/read-all/",
        NotificationReadAllApi.as_view(),
        name="notification-read-all",
    ),
    path("notifications/<int:pk>/", NotificationDetailApi.as_view(), name="notification-detail"),
    path("notifications/<int:pk>/read/", NotificationReadApi.as_view(), name="notification-read"),
]
