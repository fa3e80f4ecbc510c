"""/api/v1/digests/: mobile-newspaper issues (手机报) — the list (past issues by `year` /
`month`), the archive's months with their issue counts, and one issue whose items leave
out news the reader may not see. Audience-scoped through cms.selectors; included by api.urls."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.content import (
    ERRORS,
    ID_PARAM,
    ContentFilterSerializer,
    _page_filters,
    _page_of,
    _paginate,
    _params,
)
from api.engagement_api import count_detail_read
from api.pagination import PAGE_PARAMS
from cms import representations as rep
from cms import selectors


class DigestFilterSerializer(ContentFilterSerializer):
    year = serializers.IntegerField(
        required=False, min_value=1900, max_value=2999, help_text="出版年份（往期查询）"
    )
    month = serializers.IntegerField(
        required=False, min_value=1, max_value=12, help_text="出版月份，需同时给出 year"
    )

    def validate(self, attrs):
        if "month" in attrs and "year" not in attrs:
            raise serializers.ValidationError({"month": "按月份查询时请同时给出 year"})
        return attrs


class DigestListApi(APIView):
    @extend_schema(
        tags=["content"],
        operation_id="digests_list",
        summary="手机报列表（往期：year / month）",
        parameters=[DigestFilterSerializer, *PAGE_PARAMS],
        responses={200: _page_of("DigestList"), **ERRORS},
    )
    def get(self, request):
        p = _params(DigestFilterSerializer, request)
        qs = _page_filters(selectors.digests_visible_to(request.user), p, date_field="issue_date")
        qs = selectors.digests_in_month(qs, year=p.get("year"), month=p.get("month"))
        qs = qs.order_by("-issue_date", "-id").values(
            "id", "title", "issue_number", "issue_date", "editor_note", "last_published_at"
        )
        return _paginate(self, qs, rep.digest_list)


class DigestArchiveApi(APIView):
    @extend_schema(
        tags=["content"],
        operation_id="digests_archive",
        summary="手机报往期目录：有期数的年月及每月期数（新的在前）",
        responses={
            200: inline_serializer(
                name="DigestArchive",
                fields={
                    "results": serializers.ListField(
                        child=inline_serializer(
                            name="DigestArchiveMonth",
                            fields={
                                "year": serializers.IntegerField(),
                                "month": serializers.IntegerField(),
                                "count": serializers.IntegerField(),
                            },
                        )
                    )
                },
            ),
            **ERRORS,
        },
    )
    def get(self, request):
        months = selectors.digest_archive_months(selectors.digests_visible_to(request.user))
        return Response({"results": months})


class DigestDetailApi(APIView):
    @extend_schema(
        tags=["content"],
        operation_id="digests_detail",
        summary="手机报详情（只含读者可见的新闻）",
        parameters=[ID_PARAM],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request, id: int):
        issue = selectors.access_digest_by_id(request.user, id)
        count_detail_read(request.user, "digest", issue)
        news_ids = list(issue.items.values_list("news_id", flat=True))
        visible = set(
            selectors.news_visible_to(request.user)
            .filter(pk__in=news_ids)
            .values_list("pk", flat=True)
        )
        return Response(rep.digest_detail(issue, visible_news_ids=visible))


urlpatterns = [
    path("digests/", DigestListApi.as_view(), name="digest-list"),
    path("digests/archive/", DigestArchiveApi.as_view(), name="digest-archive"),
    path("digests/<int:id>/", DigestDetailApi.as_view(), name="digest-detail"),
]
