"""/api/v1/periodical-issues/{id}/: one issue of a periodical (a search result type of its
own, `periodical_issue`), scoped like its periodical (cms.selectors); the file itself is
`periodical-issues/{id}/file/` (api/content.py)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from cms import representations as rep
from cms import selectors

ERRORS = {401: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT}


class PeriodicalIssueDetailApi(APIView):
    @extend_schema(
        tags=["bookshelf"],
        operation_id="periodical_issues_detail",
        summary="期刊某一期（read_url 为阅读/下载地址）",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request, id: int):
        row = get_object_or_404(
            selectors.periodical_issues_visible_to(request.user).values(
                "id", "label", "issue_date", "cover_id", "periodical_id", "periodical__title"
            ),
            pk=id,
        )
        data = rep.issue_list([row])[0]
        data["periodical"] = {"id": row["periodical_id"], "title": row["periodical__title"]}
        return Response(data)


urlpatterns = [
    path(
        "periodical-issues/<int:id>/",
        PeriodicalIssueDetailApi.as_view(),
        name="periodical-issue-detail",
    ),
]
