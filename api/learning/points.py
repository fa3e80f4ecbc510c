"""/api/v1/points/: a member's study points today and the leaderboard of a unit on their
own ancestor line (rules: elearning.contests; shape: elearning.contests.representations);
/api/v1/points/history/: the member's own credited events with the running total."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from api.learning.common import ERRORS, TAG, member_required, paged, top_param
from api.pagination import PAGE_PARAMS, PagePagination
from api.schema import shape_serializer
from elearning.contests import points_history, selectors
from elearning.contests.points_history import PointsEventJSON
from elearning.contests.representations import PointsJSON
from organizations.models import OrgUnit


class PointsApi(APIView):
    @extend_schema(
        tags=[TAG],
        parameters=[
            OpenApiParameter(
                "unit", int, description="排行榜范围（组织ID，默认本人所在组织的最上级可见组织）"
            ),
            OpenApiParameter("top", int),
        ],
        responses={200: shape_serializer(PointsJSON), **ERRORS},
    )
    def get(self, request):
        member = member_required(request)
        unit_id = request.query_params.get("unit")
        if unit_id:
            try:
                unit = OrgUnit.objects.get(pk=int(unit_id))
            except (ValueError, OrgUnit.DoesNotExist):
                raise Http404 from None
            # a member may compare within any unit on their own ancestor line
            if not member.unit.path.startswith(unit.path):
                raise Http404
        else:
            unit = member.unit
        data = selectors.points_summary(member=member)
        data["leaderboard"] = selectors.points_leaderboard(
            unit=unit, member=member, top=top_param(request)
        )
        return Response(data)


class PointsHistoryApi(APIView):
    @extend_schema(
        tags=[TAG],
        operation_id="points_history",
        summary="我的积分明细（新的在前，含累计积分）",
        description=(
            "Each credited event: `at` (when), `day` (the member's local day it counted "
            "for), `rule` and its `reason`, `points`, `running_total` (the balance right "
            "after it) and `source` (`{kind: course|exam|contest, id, title}` or null). "
            "Only the caller's own events."
        ),
        parameters=PAGE_PARAMS,
        responses={200: paged("PointsHistoryPage", shape_serializer(PointsEventJSON)), **ERRORS},
    )
    def get(self, request):
        member = member_required(request)
        pager = PagePagination()
        rows = pager.paginate_queryset(
            points_history.points_history(member=member), request, view=self
        )
        return pager.get_paginated_response(points_history.points_events(list(rows)))
