"""/api/v1/bulletins/: the political-work bulletin 《政工情况》 for its readers
(docs/api.md "Bulletin"): the issues (newest first), one issue with its sections and
items, and its PDF. Out of scope answers 404 like a missing id; the list and the detail
answer If-None-Match / If-Modified-Since with 304 (api.caching). The rules live in
publications.bulletins.selectors."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.learning.common import ERRORS
from api.pagination import CURSOR_PARAMS, KeysetCursorPagination
from api.schema import shape_serializer
from core.files import protected_file_response
from publications.bulletins import selectors
from publications.bulletins.models import BulletinPdf
from publications.bulletins.representations import (
    ROW_FIELDS,
    BulletinDetailJSON,
    BulletinJSON,
    bulletin_detail_as_dict,
    bulletin_row_as_dict,
)

TAG = "bulletins"
BulletinOut = shape_serializer(BulletinJSON)
BulletinDetailOut = shape_serializer(BulletinDetailJSON)

EXAMPLE = {
    "id": 812,
    "title": "集团党委部署年终党建考核",
    "masthead": "政工情况",
    "number": "2026年第12期",
    "issue_number": 12,
    "issue_year": 2026,
    "issue_date": "2026-12-01",
    "publishing_unit": {"id": 1, "name": "集团党委"},
    "audience_unit": {"id": 1, "name": "集团党委"},
    "last_published_at": "2026-12-01T08:00:00+00:00",
    "pdf_url": "/api/v1/bulletins/812/pdf/",
}


class BulletinPage(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = BulletinOut(many=True)


class ListParams(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2999)
    updated_since = serializers.DateTimeField(required=False)


class BulletinListApi(APIView):
    @extend_schema(
        operation_id="bulletins_list",
        tags=[TAG],
        summary="政工情况：各期列表（新的在前）",
        parameters=[
            *CURSOR_PARAMS,
            OpenApiParameter("year", OpenApiTypes.INT, description="只看某一年的各期"),
            OpenApiParameter(
                "updated_since", OpenApiTypes.DATETIME, description="只返回此时间之后发布的"
            ),
        ],
        responses={200: BulletinPage, 400: ERRORS[400]},
        examples=[
            OpenApiExample(
                "一期",
                value={"next": None, "previous": None, "results": [EXAMPLE]},
                response_only=True,
            )
        ],
    )
    def get(self, request):
        params = ListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        qs = selectors.bulletins_visible_to(request.user)
        if "year" in p:
            qs = qs.filter(issue_year=p["year"])
        if "updated_since" in p:
            qs = qs.filter(last_published_at__gt=p["updated_since"])
        printed = BulletinPdf.objects.filter(issue_id=OuterRef("pk")).exclude(file="")
        qs = qs.annotate(pdf_ready=Exists(printed))
        pager = KeysetCursorPagination(ordering=("-issue_date", "-id"))
        rows = pager.paginate_queryset(qs.values(*ROW_FIELDS), request, view=self)
        return pager.get_paginated_response([bulletin_row_as_dict(r) for r in rows])


class BulletinDetailApi(APIView):
    @extend_schema(
        operation_id="bulletins_detail",
        tags=[TAG],
        summary="政工情况：一期的栏目和条目，及其 PDF 的状态",
        responses={200: BulletinDetailOut, 404: ERRORS[404]},
    )
    def get(self, request, pk: int):
        issue = selectors.access_bulletin_by_id(request.user, pk)
        return Response(bulletin_detail_as_dict(issue, request.user))


class BulletinPdfApi(APIView):
    @extend_schema(
        operation_id="bulletins_pdf",
        tags=[TAG],
        summary="政工情况：下载本期 PDF（尚未生成时 404）",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: ERRORS[404]},
    )
    def get(self, request, pk: int):
        pdf = selectors.access_bulletin_pdf_by_id(request.user, pk)
        return protected_file_response(
            pdf.file, filename=pdf.filename, content_type="application/pdf", inline=False
        )


class BulletinImageApi(APIView):
    @extend_schema(
        operation_id="bulletins_image",
        tags=[TAG],
        summary="政工情况：本期所载稿件的第 N 张图片（详情中 images[].url 指向这里）",
        responses={(200, "image/*"): OpenApiTypes.BINARY, 404: ERRORS[404]},
    )
    def get(self, request, pk: int, position: int):
        image = selectors.access_bulletin_image(request.user, pk, position)
        return protected_file_response(image.file, filename=image.name, inline=True)


urlpatterns = [
    path("bulletins/", BulletinListApi.as_view(), name="bulletin-list"),
    path("bulletins/<int:pk>/", BulletinDetailApi.as_view(), name="bulletin-detail"),
    path("bulletins/<int:pk>/pdf/", BulletinPdfApi.as_view(), name="bulletin-pdf"),
    path(
        "bulletins/<int:pk>/images/<int:position>/",
        BulletinImageApi.as_view(),
        name="bulletin-image",
    ),
]
