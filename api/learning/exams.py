"""/api/v1/exams/<id>/attempts/ and /api/v1/attempts/<id>/: start, autosave and submit an
exam attempt (rules: elearning.exams.services; shape: elearning.exams.representations)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import DomainError
from api.learning.common import ERRORS, TAG, member_required
from api.schema import shape_serializer
from elearning.exams import services as exams
from elearning.exams.models import Attempt
from elearning.exams.representations import AttemptJSON, attempt_as_dict
from elearning.exams.selectors import access_attempt_by_id, access_exam_by_id

AttemptOut = shape_serializer(AttemptJSON)


class AnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(child=serializers.JSONField(allow_null=True))


class SubmitSerializer(serializers.Serializer):
    answers = serializers.DictField(child=serializers.JSONField(allow_null=True), required=False)


class ExamAttemptStartApi(APIView):
    @extend_schema(tags=[TAG], request=None, responses={201: AttemptOut, **ERRORS})
    def post(self, request, pk: int):
        member = member_required(request)
        exam = access_exam_by_id(request.user, pk, action="start")
        attempt = exams.attempt_start(exam=exam, member=member)
        return Response(attempt_as_dict(attempt), status=status.HTTP_201_CREATED)


def _my_attempt(request, pk: int, *, action: str = "view") -> Attempt:
    member_required(request)  # not a member: 403 not_member, before any id is looked at
    return access_attempt_by_id(request.user, pk, action=action)


class AttemptApi(APIView):
    @extend_schema(tags=[TAG], responses={200: AttemptOut, **ERRORS})
    def get(self, request, pk: int):
        return Response(attempt_as_dict(_my_attempt(request, pk)))

    @extend_schema(tags=[TAG], request=AnswersSerializer, responses={200: AttemptOut, **ERRORS})
    def patch(self, request, pk: int):
        attempt = _my_attempt(request, pk, action="change")
        ser = AnswersSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        attempt = exams.attempt_autosave(attempt=attempt, answers=ser.validated_data["answers"])
        return Response(attempt_as_dict(attempt))


class AttemptSubmitApi(APIView):
    @extend_schema(
        tags=[TAG],
        request=SubmitSerializer,
        parameters=[
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=True)
        ],
        responses={200: AttemptOut, **ERRORS},
    )
    def post(self, request, pk: int):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 64:
            raise DomainError(
                "交卷须带 Idempotency-Key 请求头（不超过 64 个字符）",
                code="idempotency_key_required",
            )
        attempt = _my_attempt(request, pk, action="submit")
        ser = SubmitSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        attempt = exams.attempt_submit(
            attempt=attempt, answers=ser.validated_data.get("answers"), idempotency_key=key
        )
        return Response(attempt_as_dict(attempt))
