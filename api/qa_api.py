"""/api/v1/questions/ and /faq/: Q&A (答疑解惑) — members ask their unit or a unit above
it, answerers answer the questions of their subtree, good answers go to the FAQ
(docs/api.md "Questions and the FAQ"). Rules in interaction.qa; a question the caller may
not see answers 404 like a missing one."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.comments_api import ERRORS_429, RetryAfterMixin
from api.learning.common import ERRORS, paged
from api.pagination import CURSOR_PARAMS, KeysetCursorPagination
from api.schema import shape_serializer
from interaction.qa import selectors, services
from interaction.qa.models import FaqEntry
from interaction.qa.representations import FaqJSON, QuestionJSON, faq_json, question_json
from organizations.scope import member_for_user

TAG = "interaction"
QuestionOut = shape_serializer(QuestionJSON)
FaqOut = shape_serializer(FaqJSON)
QuestionPage = paged("QuestionPage", QuestionOut, with_count=False)
FaqPage = paged("FaqPage", FaqOut, with_count=False)


def _text(**kw):
    return serializers.CharField(allow_blank=True, trim_whitespace=False, **kw)


class AskIn(serializers.Serializer):
    title = _text()
    body = _text()
    unit_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**62,
        help_text="提问对象：本人所在或上级党组织（默认本组织）",
    )
    anonymous = serializers.BooleanField(required=False, default=False)


class AnswerIn(serializers.Serializer):
    answer = _text()


class FaqIn(serializers.Serializer):
    question_text = _text(required=False)
    answer_text = _text(required=False)


class UpdatedSince(serializers.Serializer):
    updated_since = serializers.DateTimeField(required=False)
    status = serializers.ChoiceField(choices=["open", "answered"], required=False)


class UnitOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _paged(request, view, qs, build):
    pager = KeysetCursorPagination(ordering=("-id",))
    keys = pager.paginate_queryset(qs.values("id"), request, view=view)
    rows = {r.pk: r for r in qs.filter(pk__in=[k["id"] for k in keys])}
    return pager.get_paginated_response([build(rows[k["id"]]) for k in keys if k["id"] in rows])


def _faq_ids(questions) -> dict[int, int]:
    ids = [q.pk for q in questions]
    return dict(FaqEntry.objects.filter(question_id__in=ids).values_list("question_id", "pk"))


def _questions_page(request, view, qs):
    p = UpdatedSince(data=request.query_params)
    p.is_valid(raise_exception=True)
    if "updated_since" in p.validated_data:
        qs = qs.filter(updated_at__gt=p.validated_data["updated_since"])
    if "status" in p.validated_data:
        qs = qs.filter(status=p.validated_data["status"])
    pager = KeysetCursorPagination(ordering=("-id",))
    keys = pager.paginate_queryset(qs.values("id"), request, view=view)
    rows = {r.pk: r for r in qs.filter(pk__in=[k["id"] for k in keys])}
    faq = _faq_ids(rows.values())
    return pager.get_paginated_response(
        [question_json(rows[k["id"]], faq_id=faq.get(k["id"])) for k in keys if k["id"] in rows]
    )


LIST_PARAMS = [
    OpenApiParameter("updated_since", OpenApiTypes.DATETIME, description="只返回此时间之后变化的"),
    OpenApiParameter("status", OpenApiTypes.STR, enum=["open", "answered"], description="状态"),
    *CURSOR_PARAMS,
]


class QuestionListApi(RetryAfterMixin, APIView):
    @extend_schema(
        operation_id="questions_mine",
        tags=[TAG],
        parameters=LIST_PARAMS,
        responses={200: QuestionPage},
    )
    def get(self, request):
        return _questions_page(request, self, selectors.my_questions(request.user))

    @extend_schema(
        operation_id="questions_ask",
        tags=[TAG],
        request=AskIn,
        responses={201: QuestionOut, 400: ERRORS[400], 429: ERRORS_429},
    )
    def post(self, request):
        data = AskIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        q = services.question_ask(
            user=request.user,
            title=v["title"],
            body=v["body"],
            unit_id=v.get("unit_id"),
            anonymous=v["anonymous"],
        )
        return Response(question_json(q), status=201)


class QuestionInboxApi(APIView):
    @extend_schema(
        operation_id="questions_to_answer",
        tags=[TAG],
        description="答疑员：所辖范围内各党组织收到的问题（含匿名提问人的姓名）",
        parameters=LIST_PARAMS,
        responses={200: QuestionPage},
    )
    def get(self, request):
        return _questions_page(request, self, selectors.answerer_questions(request.user))


class QaUnitsApi(APIView):
    @extend_schema(
        operation_id="questions_units",
        tags=[TAG],
        description="可以提问的党组织：本人所在组织及其上级",
        responses={200: UnitOut(many=True)},
    )
    def get(self, request):
        member = member_for_user(request.user)
        units = selectors.addressable_units(member) if member else []
        return Response([{"id": u.pk, "name": u.name} for u in units])


class QuestionDetailApi(APIView):
    @extend_schema(tags=[TAG], responses={200: QuestionOut, 404: ERRORS[404]})
    def get(self, request, pk: int):
        q = selectors.access_question_by_id(request.user, pk)
        return Response(question_json(q, faq_id=_faq_ids([q]).get(q.pk)))


class QuestionAnswerApi(APIView):
    @extend_schema(
        tags=[TAG],
        request=AnswerIn,
        responses={200: QuestionOut, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def post(self, request, pk: int):
        selectors.access_question_by_id(request.user, pk, action="answer")
        data = AnswerIn(data=request.data)
        data.is_valid(raise_exception=True)
        q = services.question_answer(
            user=request.user, question_id=pk, answer=data.validated_data["answer"]
        )
        return Response(question_json(q, faq_id=_faq_ids([q]).get(q.pk)))


class QuestionFaqApi(APIView):
    @extend_schema(
        tags=[TAG],
        request=FaqIn,
        responses={201: FaqOut, 400: ERRORS[400], 404: ERRORS[404], 409: ERRORS[409]},
    )
    def post(self, request, pk: int):
        selectors.access_question_by_id(request.user, pk, action="publish")
        data = FaqIn(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.faq_publish(user=request.user, question_id=pk, **data.validated_data)
        return Response(faq_json(entry), status=201)


class FaqListApi(APIView):
    @extend_schema(
        operation_id="faq_list",
        tags=[TAG],
        parameters=[
            OpenApiParameter(
                "updated_since", OpenApiTypes.DATETIME, description="只返回此时间之后变化的"
            ),
            *CURSOR_PARAMS,
        ],
        responses={200: FaqPage},
    )
    def get(self, request):
        qs = selectors.faq_visible_to(request.user)
        p = UpdatedSince(data=request.query_params)
        p.is_valid(raise_exception=True)
        if "updated_since" in p.validated_data:
            qs = qs.filter(updated_at__gt=p.validated_data["updated_since"])
        return _paged(request, self, qs, faq_json)


class FaqDetailApi(APIView):
    @extend_schema(tags=[TAG], responses={200: FaqOut, 404: ERRORS[404]})
    def get(self, request, pk: int):
        return Response(faq_json(selectors.access_faq_by_id(request.user, pk)))


urlpatterns = [
    path("questions/", QuestionListApi.as_view(), name="question-list"),
    path("questions/inbox/", QuestionInboxApi.as_view(), name="question-inbox"),
    path("questions/units/", QaUnitsApi.as_view(), name="question-units"),
    path("questions/<int:pk>/", QuestionDetailApi.as_view(), name="question-detail"),
    path("questions/<int:pk>/answer/", QuestionAnswerApi.as_view(), name="question-answer"),
    path("questions/<int:pk>/faq/", QuestionFaqApi.as_view(), name="question-faq"),
    path("faq/", FaqListApi.as_view(), name="faq-list"),
    path("faq/<int:pk>/", FaqDetailApi.as_view(), name="faq-detail"),
]
