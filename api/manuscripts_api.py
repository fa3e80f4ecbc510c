"""/api/v1/manuscripts/: manuscripts (稿件) from a lower unit to an upper unit's bulletin
or news (docs/api.md "Manuscripts"). Senders (editors, secretaries, unit admins of the
sending subtree) list, create, edit, attach, submit and resubmit; receivers (the same
roles over the receiving unit) register, return with comments, decide and score; both
see the report per unit and period. Out of scope answers 404 like a missing id. The
rules live in publications.manuscripts.services/selectors."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.learning.common import ERRORS, paged
from api.pagination import PAGE_PARAMS, PagePagination
from core.errors import DomainError
from core.files import protected_file_response
from organizations.selectors import access_unit_by_id, top_unit_in_scope
from publications.manuscripts import reports, selectors, services
from publications.manuscripts.models import Manuscript, TargetKind
from publications.manuscripts.representations import (
    attachment_as_dict,
    manuscript_as_dict,
    manuscript_detail_as_dict,
)

TAG = "manuscripts"
MAX_ID = 2**63 - 1
S = Manuscript.Status
WRITE_ERRORS = {400: ERRORS[400], 404: ERRORS[404], 409: ERRORS[409]}


# --- shapes ---------------------------------------------------------------------------------
class ManuscriptUnitOut(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class ManuscriptOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    sender_unit = ManuscriptUnitOut()
    receiver_unit = ManuscriptUnitOut()
    target_kind = serializers.ChoiceField(choices=TargetKind.choices)
    column = serializers.CharField()
    status = serializers.ChoiceField(choices=S.choices)
    status_label = serializers.CharField()
    register_number = serializers.CharField()
    leader_endorsed = serializers.BooleanField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    score = serializers.FloatField(allow_null=True)


class ManuscriptAttachmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    is_image = serializers.BooleanField()
    size = serializers.IntegerField()
    url = serializers.CharField()


class ManuscriptEventOut(serializers.Serializer):
    action = serializers.CharField()
    action_label = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    comment = serializers.CharField()
    at = serializers.DateTimeField()


class ManuscriptDetailOut(ManuscriptOut):
    body_format = serializers.ChoiceField(choices=Manuscript.BodyFormat.choices)
    body = serializers.CharField()
    endorsement_note = serializers.CharField()
    news_page_id = serializers.IntegerField(allow_null=True)
    attachments = ManuscriptAttachmentOut(many=True)
    history = ManuscriptEventOut(many=True)


class ManuscriptScoreOut(serializers.Serializer):
    manuscript = serializers.IntegerField()
    length = serializers.IntegerField()
    base_points = serializers.FloatField()
    extra_points = serializers.FloatField()
    points = serializers.FloatField()


class ManuscriptReportRow(serializers.Serializer):
    rank = serializers.IntegerField()
    unit_id = serializers.IntegerField()
    unit_code = serializers.CharField()
    unit_name = serializers.CharField()
    submitted = serializers.IntegerField()
    adopted = serializers.IntegerField()
    adopted_bulletin = serializers.IntegerField()
    adopted_news = serializers.IntegerField()
    adoption_rate = serializers.FloatField()
    score = serializers.FloatField()


class ManuscriptReportOut(serializers.Serializer):
    unit = ManuscriptUnitOut()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    rows = ManuscriptReportRow(many=True)


ManuscriptPage = paged("ManuscriptPage", ManuscriptOut)


# --- inputs ---------------------------------------------------------------------------------
class ManuscriptFields(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    body_format = serializers.ChoiceField(choices=Manuscript.BodyFormat.choices, required=False)
    target_kind = serializers.ChoiceField(choices=TargetKind.choices, required=False)
    column = serializers.CharField(required=False, allow_blank=True, max_length=64)
    leader_endorsed = serializers.BooleanField(required=False)
    endorsement_note = serializers.CharField(required=False, allow_blank=True, max_length=500)

    def validate(self, attrs):
        for k, v in attrs.items():
            if isinstance(v, str) and "\x00" in v:
                raise serializers.ValidationError({k: "不能含有空字符"})
        return attrs


class ManuscriptCreateIn(ManuscriptFields):
    sender_unit = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    receiver_unit = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    submit = serializers.BooleanField(required=False, default=False)


class ManuscriptUpdateIn(ManuscriptFields):
    title = serializers.CharField(max_length=200, required=False)


class ManuscriptResubmitIn(ManuscriptUpdateIn):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ManuscriptReturnIn(serializers.Serializer):
    comment = serializers.CharField(max_length=2000)


class ManuscriptDecideIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[(d, S(d).label) for d in services.DECISIONS])
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ManuscriptListParams(serializers.Serializer):
    box = serializers.ChoiceField(choices=["sent", "received", "all"], required=False)
    status = serializers.ChoiceField(choices=S.choices, required=False)


class ManuscriptReportParams(serializers.Serializer):
    unit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    export = serializers.ChoiceField(choices=["xlsx"], required=False, help_text="导出 Excel")

    def validate(self, attrs):
        today = timezone.localdate()
        attrs.setdefault("date_from", today.replace(month=1, day=1))
        attrs.setdefault("date_to", today)
        if attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": "结束日期不能早于开始日期"})
        if attrs["date_to"] - attrs["date_from"] > dt.timedelta(days=3660):
            raise serializers.ValidationError({"date_to": "统计期间不能超过十年"})
        return attrs


class ManuscriptAttachmentUpload(serializers.Serializer):
    file = serializers.FileField()


def _valid(serializer_class, data):
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return s.validated_data


def _detail(pk: int, user) -> Response:
    return Response(
        manuscript_detail_as_dict(selectors.access_manuscript_by_id(user, pk, action="view"))
    )


CREATE_EXAMPLE = OpenApiExample(
    "投稿",
    value={
        "sender_unit": 12,
        "receiver_unit": 3,
        "title": "项目部开展“党员先锋岗”活动",
        "body": "近日，……",
        "target_kind": "bulletin",
        "column": "基层动态",
        "submit": True,
    },
    request_only=True,
)


# --- views ----------------------------------------------------------------------------------
class ManuscriptListApi(APIView):
    @extend_schema(
        tags=[TAG],
        operation_id="manuscripts_list",
        summary="稿件列表：box=sent 我的投稿，received 收稿队列，默认两者",
        parameters=[*PAGE_PARAMS, ManuscriptListParams],
        responses={200: ManuscriptPage, 400: ERRORS[400]},
    )
    def get(self, request):
        p = _valid(ManuscriptListParams, request.query_params)
        qs = {
            "sent": selectors.manuscripts_sent,
            "received": selectors.manuscripts_received,
        }.get(p.get("box"), selectors.manuscripts_visible)(request.user)
        if p.get("status"):
            qs = qs.filter(status=p["status"])
        pager = PagePagination()
        page = pager.paginate_queryset(qs.order_by("-id"), request, view=self)
        return pager.get_paginated_response([manuscript_as_dict(m) for m in page])

    @extend_schema(
        tags=[TAG],
        operation_id="manuscripts_create",
        summary="写稿（submit=true 时同时投出）：只能投给投稿单位的上级组织",
        request=ManuscriptCreateIn,
        examples=[CREATE_EXAMPLE],
        responses={201: ManuscriptDetailOut, **WRITE_ERRORS},
    )
    def post(self, request):
        p = _valid(ManuscriptCreateIn, request.data)
        m = services.manuscript_create(
            user=request.user,
            sender_unit_id=p.pop("sender_unit"),
            receiver_unit_id=p.pop("receiver_unit"),
            **p,
        )
        return Response(
            manuscript_detail_as_dict(selectors.access_manuscript_by_id(request.user, m.pk)),
            status=201,
        )


class ManuscriptDetailApi(APIView):
    @extend_schema(tags=[TAG], responses={200: ManuscriptDetailOut, 404: ERRORS[404]})
    def get(self, request, pk: int):
        return _detail(pk, request.user)

    @extend_schema(
        tags=[TAG],
        summary="修改草稿或退回修改的稿件（投稿方）",
        request=ManuscriptUpdateIn,
        responses={200: ManuscriptDetailOut, **WRITE_ERRORS},
    )
    def patch(self, request, pk: int):
        selectors.access_manuscript_by_id(request.user, pk, action="send")  # 404 first
        p = _valid(ManuscriptUpdateIn, request.data)
        services.manuscript_update(user=request.user, manuscript_id=pk, **p)
        return _detail(pk, request.user)


def _action(summary: str, request_shape=None, *, side: str, call):
    class ActionApi(APIView):
        @extend_schema(
            tags=[TAG],
            summary=summary,
            request=request_shape,
            responses={200: ManuscriptDetailOut, **WRITE_ERRORS},
        )
        def post(self, request, pk: int):
            selectors.access_manuscript_by_id(request.user, pk, action=side)  # 404 first
            data = _valid(request_shape, request.data) if request_shape else {}
            call(user=request.user, manuscript_id=pk, **data)
            return _detail(pk, request.user)

    return ActionApi


class SubmitApi(_action("投稿（草稿 → 已投稿）", side="send", call=services.manuscript_submit)):
    pass


class ResubmitApi(
    _action(
        "修改后重新投稿（退回修改 → 已重新投稿）",
        ManuscriptResubmitIn,
        side="send",
        call=services.manuscript_resubmit,
    )
):
    pass


class RegisterApi(_action("登记（分配登记号）", side="receive", call=services.manuscript_register)):
    pass


class ReturnApi(
    _action(
        "退回修改（须填写意见）",
        ManuscriptReturnIn,
        side="receive",
        call=services.manuscript_return,
    )
):
    pass


class DecideApi(
    _action(
        "处理：简报采用、新闻采用（生成新闻草稿，走正常审核）或未采用",
        ManuscriptDecideIn,
        side="receive",
        call=services.manuscript_decide,
    )
):
    pass


class ScoreApi(APIView):
    @extend_schema(
        tags=[TAG],
        summary="按计分规则计分（每篇稿件只计一次，重复计分答复 409）",
        request=None,
        responses={201: ManuscriptScoreOut, **WRITE_ERRORS},
    )
    def post(self, request, pk: int):
        selectors.access_manuscript_by_id(request.user, pk, action="receive")  # 404 first
        score = services.manuscript_score(user=request.user, manuscript_id=pk)
        return Response(
            {
                "manuscript": score.manuscript_id,
                "length": score.length,
                "base_points": float(score.base_points),
                "extra_points": float(score.extra_points),
                "points": float(score.points),
            },
            status=201,
        )


class ManuscriptAttachmentsApi(APIView):
    @extend_schema(
        tags=[TAG],
        summary="添加附件：图片（jpg/png/gif/webp）或 PDF、Word、Excel（不得含宏）",
        request={"multipart/form-data": ManuscriptAttachmentUpload},
        responses={201: ManuscriptAttachmentOut, 413: ERRORS[400], **WRITE_ERRORS},
    )
    def post(self, request, pk: int):
        selectors.access_manuscript_by_id(request.user, pk, action="send")  # 404 before the body
        upload = _valid(ManuscriptAttachmentUpload, request.data)["file"]
        attachment = services.manuscript_attach(
            user=request.user, manuscript_id=pk, name=upload.name, data=upload.read()
        )
        return Response(attachment_as_dict(attachment), status=201)


class ManuscriptAttachmentApi(APIView):
    @extend_schema(
        tags=[TAG],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: ERRORS[404]},
    )
    def get(self, request, pk: int):
        attachment = selectors.access_manuscript_attachment_by_id(request.user, pk)
        return protected_file_response(attachment.file, filename=attachment.name, inline=False)


class ManuscriptReportApi(APIView):
    @extend_schema(
        tags=[TAG],
        operation_id="manuscripts_report",
        summary="稿件采用统计：各投稿单位在期间内的投稿数、采用数、采用率、得分及排名（export=xlsx 导出 Excel）",
        parameters=[
            ManuscriptReportParams,
            OpenApiParameter(
                "unit", OpenApiTypes.INT, description="从哪个组织统计（默认：你所管理的最上级组织）"
            ),
        ],
        responses={
            200: ManuscriptReportOut,
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): (
                OpenApiTypes.BINARY
            ),
            400: ERRORS[400],
            404: ERRORS[404],
        },
    )
    def get(self, request):
        p = _valid(ManuscriptReportParams, request.query_params)
        if p.get("unit"):
            unit = access_unit_by_id(request.user, p["unit"], roles=selectors.MANAGER_ROLES)
        else:
            unit = top_unit_in_scope(request.user, roles=selectors.MANAGER_ROLES)
            if unit is None:
                raise DomainError(
                    "只有编辑、书记或组织管理员可以查看稿件统计", code="forbidden", status=403
                )
        report = reports.unit_report(unit=unit, date_from=p["date_from"], date_to=p["date_to"])
        if p.get("export") == "xlsx":
            response = HttpResponse(
                reports.report_xlsx(report),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            response["Content-Disposition"] = f'attachment; filename="manuscripts-{unit.code}.xlsx"'
            return response
        return Response(report)


urlpatterns = [
    path("manuscripts/", ManuscriptListApi.as_view(), name="manuscript-list"),
    path("manuscripts/report/", ManuscriptReportApi.as_view(), name="manuscript-report"),
    path("manuscripts/<int:pk>/", ManuscriptDetailApi.as_view(), name="manuscript-detail"),
    path("manuscripts/<int:pk>/submit/", SubmitApi.as_view(), name="manuscript-submit"),
    path("manuscripts/<int:pk>/resubmit/", ResubmitApi.as_view(), name="manuscript-resubmit"),
    path("manuscripts/<int:pk>/register/", RegisterApi.as_view(), name="manuscript-register"),
    path("manuscripts/<int:pk>/return/", ReturnApi.as_view(), name="manuscript-return"),
    path("manuscripts/<int:pk>/decide/", DecideApi.as_view(), name="manuscript-decide"),
    path("manuscripts/<int:pk>/score/", ScoreApi.as_view(), name="manuscript-score"),
    path(
        "manuscripts/<int:pk>/attachments/",
        ManuscriptAttachmentsApi.as_view(),
        name="manuscript-attachments",
    ),
    path(
        "manuscripts/attachments/<int:pk>/",
        ManuscriptAttachmentApi.as_view(),
        name="manuscript-attachment",
    ),
]
