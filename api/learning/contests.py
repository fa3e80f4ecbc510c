"""/api/v1/contests/: the quiz contests a member sees, entering, answering one question at
a time, and the leaderboards (rules: elearning.contests; shapes:
elearning.contests.representations)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.learning.common import ERRORS, TAG, member_required, paged, top_param
from api.pagination import PAGE_PARAMS, PagePagination
from api.schema import shape_serializer
from elearning.contests import selectors
from elearning.contests import services as contests
from elearning.contests.models import Contest
from elearning.contests.representations import (
    ContestJSON,
    ContestStateJSON,
    LeaderboardJSON,
    contest_json,
)
from organizations.selectors import member_for_user

ContestStateOut = shape_serializer(ContestStateJSON)
LeaderboardOut = shape_serializer(LeaderboardJSON)


class ContestListApi(APIView):
    @extend_schema(
        operation_id="contests_list",
        tags=[TAG],
        parameters=PAGE_PARAMS,
        responses={200: paged("ContestPage", shape_serializer(ContestJSON))},
    )
    def get(self, request):
        now = timezone.now()
        pager = PagePagination()
        page = pager.paginate_queryset(selectors.contests_visible(request.user), request, view=self)
        return pager.get_paginated_response([contest_json(c, now=now) for c in page])


def _contest(request, pk, *, action: str = "view") -> Contest:
    return selectors.access_contest_by_id(request.user, pk, action=action)


class ContestAnswerSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    answer = serializers.JSONField(allow_null=True)


class ContestEntryApi(APIView):
    @extend_schema(tags=[TAG], request=None, responses={201: ContestStateOut, **ERRORS})
    def post(self, request, pk: int):
        contest = _contest(request, pk)
        state = contests.contest_enter(contest=contest, member=member_required(request))
        return Response(state, status=status.HTTP_201_CREATED)


class ContestAnswerApi(APIView):
    @extend_schema(
        tags=[TAG],
        request=ContestAnswerSerializer,
        responses={200: ContestStateOut, **ERRORS},
    )
    def post(self, request, pk: int):
        contest = _contest(request, pk)
        ser = ContestAnswerSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        state = contests.contest_answer(
            contest=contest,
            member=member_required(request),
            question_id=ser.validated_data["question"],
            answer=ser.validated_data["answer"],
        )
        return Response(state)


class ContestLeaderboardApi(APIView):
    @extend_schema(
        tags=[TAG],
        parameters=[OpenApiParameter("top", int, description="前 N 名（默认 20，最多 100）")],
        responses={200: LeaderboardOut, **ERRORS},
    )
    def get(self, request, pk: int):
        contest = _contest(request, pk)
        data = selectors.contest_leaderboard(
            contest=contest, member=member_for_user(request.user), top=top_param(request)
        )
        return Response(data)
