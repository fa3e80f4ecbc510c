"""/api/v1/documents/: documents (文件) for their readers, with read receipts
(docs/api.md "Documents"). Opening a document's detail writes the reader's receipt; the
issuers and the secretaries of units in its audience see the receipt report per child
unit, the members who have not read it, and remind them. Out of scope answers 404 like a
missing id. The rules live in publications.documents.selectors/services."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.learning.common import ERRORS
from api.pagination import CURSOR_PARAMS, KeysetCursorPagination
from api.schema import shape_serializer
from core.files import protected_file_response
from publications.documents import selectors, services
from publications.documents.representations import (
    ROW_FIELDS,
    AttachmentJSON,
    DocumentDetailJSON,
    DocumentJSON,
    attachment_as_dict,
    document_detail_as_dict,
    document_row_as_dict,
)

TAG = "documents"
DocumentOut = shape_serializer(DocumentJSON)
DocumentDetailOut = shape_serializer(DocumentDetailJSON)
UNIT_PARAM = OpenApiParameter(
    "unit", OpenApiTypes.INT, description="从哪个组织统计（默认：你所管理的、在发送范围内的组织）"
)


class DocumentPage(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = DocumentOut(many=True)


class ListParams(serializers.Serializer):
    updated_since = serializers.DateTimeField(required=False)
    q = serializers.CharField(required=False, max_length=200)

    def validate_q(self, value):
        return value.replace("\x00", "").strip()


class UnitParams(serializers.Serializer):
    unit = serializers.IntegerField(required=False, min_value=1)


class ReceiptRow(serializers.Serializer):
    unit_path = serializers.CharField()
    unit_name = serializers.CharField()
    members = serializers.IntegerField()
    read = serializers.IntegerField()
    unread = serializers.IntegerField()
    rate = serializers.FloatField()


class ReceiptReport(serializers.Serializer):
    unit = serializers.DictField()
    rows = ReceiptRow(many=True)


class UnreadMember(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    unit = serializers.CharField()


class Reminded(serializers.Serializer):
    reminded = serializers.IntegerField()


class DocumentListApi(APIView):
    @extend_schema(
        operation_id="documents_list",
        tags=[TAG],
        parameters=[
            *CURSOR_PARAMS,
            OpenApiParameter(
                "updated_since", OpenApiTypes.DATETIME, description="只返回此时间之后更新的文件"
            ),
            OpenApiParameter(
                "q", OpenApiTypes.STR, description="在标题、文号、正文中查找（繁简通用，≤200 字）"
            ),
        ],
        responses={200: DocumentPage, 400: ERRORS[400]},
    )
    def get(self, request):
        params = ListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = selectors.documents_for_reader(request.user)
        if "updated_since" in params.validated_data:
            qs = qs.filter(updated_at__gt=params.validated_data["updated_since"])
        if params.validated_data.get("q"):
            qs = selectors.search_documents(qs, params.validated_data["q"])
        pager = KeysetCursorPagination(ordering=("-issued_on", "-id"))
        rows = pager.paginate_queryset(qs.values(*ROW_FIELDS), request, view=self)
        return pager.get_paginated_response([document_row_as_dict(r) for r in rows])


class DocumentDetailApi(APIView):
    @extend_schema(tags=[TAG], responses={200: DocumentDetailOut, 404: ERRORS[404]})
    def get(self, request, pk: int):
        document = selectors.access_document_by_id(request.user, pk, action="view")
        services.receipt_record(user=request.user, document=document)
        return Response(document_detail_as_dict(document))


class DocumentAttachmentApi(APIView):
    @extend_schema(
        tags=[TAG],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: ERRORS[404]},
    )
    def get(self, request, pk: int):
        attachment = selectors.access_document_attachment_by_id(request.user, pk)
        return protected_file_response(attachment.file, filename=attachment.name, inline=False)


class AttachmentUpload(serializers.Serializer):
    file = serializers.FileField()


class DocumentAttachmentsApi(APIView):
    @extend_schema(
        tags=[TAG],
        request={"multipart/form-data": AttachmentUpload},
        responses={201: shape_serializer(AttachmentJSON), 400: ERRORS[400], 404: ERRORS[404]},
    )
    def post(self, request, pk: int):
        """Attach a file (PDF, Word or Excel without macros) — the issuing subtree's
        editors, secretaries and unit admins."""
        selectors.access_document_by_id(request.user, pk, action="change")  # 404 before the body
        form = AttachmentUpload(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        attachment = services.document_attach(
            user=request.user, document_id=pk, name=upload.name, data=upload.read()
        )
        return Response(attachment_as_dict(attachment), status=201)


class DocumentReceiptsApi(APIView):
    @extend_schema(
        tags=[TAG],
        parameters=[UNIT_PARAM],
        responses={200: ReceiptReport, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request, pk: int):
        document = selectors.access_document_by_id(request.user, pk, action="report")
        params = UnitParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        unit = selectors.report_root(request.user, document, params.validated_data.get("unit"))
        return Response(
            {
                "unit": {"id": unit.pk, "name": unit.name},
                "rows": selectors.receipt_report(document, unit),
            }
        )


class DocumentUnreadApi(APIView):
    @extend_schema(
        tags=[TAG],
        parameters=[UNIT_PARAM],
        responses={200: UnreadMember(many=True), 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request, pk: int):
        document = selectors.access_document_by_id(request.user, pk, action="report")
        params = UnitParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        unit = selectors.report_root(request.user, document, params.validated_data.get("unit"))
        members = selectors.unread_members(document, unit)[:1000]
        return Response([{"id": m.pk, "name": m.name, "unit": m.unit.name} for m in members])


class DocumentRemindApi(APIView):
    @extend_schema(
        tags=[TAG],
        request=UnitParams,
        responses={200: Reminded, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def post(self, request, pk: int):
        selectors.access_document_by_id(request.user, pk, action="report")  # 404 before the body
        params = UnitParams(data=request.data)
        params.is_valid(raise_exception=True)
        reminded = services.document_remind_unread(
            user=request.user, document_id=pk, unit_id=params.validated_data.get("unit")
        )
        return Response({"reminded": reminded})


urlpatterns = [
    path("documents/", DocumentListApi.as_view(), name="doc-list"),
    path("documents/<int:pk>/", DocumentDetailApi.as_view(), name="doc-detail"),
    path(
        "documents/attachments/<int:pk>/",
        DocumentAttachmentApi.as_view(),
        name="doc-attachment",
    ),
    path(
        "documents/<int:pk>/attachments/",
        DocumentAttachmentsApi.as_view(),
        name="doc-attachments",
    ),
    path("documents/<int:pk>/receipts/", DocumentReceiptsApi.as_view(), name="doc-receipts"),
    path("documents/<int:pk>/unread/", DocumentUnreadApi.as_view(), name="doc-unread"),
    path("documents/<int:pk>/remind/", DocumentRemindApi.as_view(), name="doc-remind"),
]
