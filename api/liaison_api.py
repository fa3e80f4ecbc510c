"""Family liaison files over the API (docs/api.md "Family liaison files"): a file with its
family contacts masked, its contact log and needs; log a call or visit; reveal a family
contact with a purpose (one access-log entry); the per-unit report of members abroad
without a recent contact. Out of scope: 404 like a missing id."""

from __future__ import annotations

import datetime as dt

from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.learning.common import ERRORS
from care.liaison import selectors, services
from care.liaison.models import LiaisonContact, LiaisonNeed
from core.client_ip import client_ip
from core.errors import ObjectNotFound
from organizations.models import OrgUnit
from organizations.records.selectors import RECORD_ROLES
from organizations.scope import scope_for
from organizations.selectors import top_unit_in_scope

TAG = "liaison"


class LiaisonFamilyOut(serializers.Serializer):
    id = serializers.IntegerField()
    relation = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField()
    address = serializers.CharField()
    notes = serializers.CharField()


class LiaisonContactOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=LiaisonContact.Kind.choices)
    on = serializers.DateField()
    notes = serializers.CharField()


class LiaisonNeedOut(serializers.Serializer):
    id = serializers.IntegerField()
    raised_on = serializers.DateField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=LiaisonNeed.Status.choices)
    follow_up = serializers.CharField()
    resolved_on = serializers.DateField(allow_null=True)


class LiaisonFileOut(serializers.Serializer):
    id = serializers.IntegerField()
    member = serializers.CharField()
    unit = serializers.CharField()
    liaison = serializers.CharField(allow_null=True)
    cadence_days = serializers.IntegerField()
    last_contact_on = serializers.DateField(allow_null=True)
    due_on = serializers.DateField()
    overdue = serializers.BooleanField()
    family = LiaisonFamilyOut(many=True)
    contacts = LiaisonContactOut(many=True)
    needs = LiaisonNeedOut(many=True)


def _file_out(f) -> dict:
    due = selectors.contact_due_on(f)
    return {
        "id": f.pk,
        "member": f.member.name,
        "unit": f.member.unit.name,
        "liaison": str(f.liaison) if f.liaison else None,
        "cadence_days": f.cadence_days,
        "last_contact_on": f.last_contact_on,
        "due_on": due,
        "overdue": due < timezone.localdate(),
        "family": [services.family_masked(c) for c in f.family.all()],
        "contacts": [
            {"id": c.pk, "kind": c.kind, "on": c.on, "notes": c.notes}
            for c in f.contacts.all()[:50]
        ],
        "needs": [
            {
                "id": n.pk,
                "raised_on": n.raised_on,
                "description": n.description,
                "status": n.status,
                "follow_up": n.follow_up,
                "resolved_on": n.resolved_on,
            }
            for n in f.needs.all()
        ],
    }


class LiaisonFileApi(APIView):
    @extend_schema(
        operation_id="liaison_file", tags=[TAG], responses={200: LiaisonFileOut, 404: ERRORS[404]}
    )
    def get(self, request, pk: int):
        f = selectors.access_liaison_file_by_id(request.user, pk)
        return Response(LiaisonFileOut(_file_out(f)).data)


class LiaisonContactIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LiaisonContact.Kind.choices)
    on = serializers.DateField()
    notes = serializers.CharField(max_length=4000)


class LiaisonFileContactsApi(APIView):
    @extend_schema(
        operation_id="liaison_contact_log",
        tags=[TAG],
        request=LiaisonContactIn,
        responses={201: LiaisonContactOut, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def post(self, request, pk: int):
        selectors.access_liaison_file_by_id(request.user, pk, action="change")
        data = LiaisonContactIn(data=request.data)
        data.is_valid(raise_exception=True)
        c = services.contact_log(user=request.user, file_id=pk, **data.validated_data)
        return Response(
            LiaisonContactOut({"id": c.pk, "kind": c.kind, "on": c.on, "notes": c.notes}).data,
            status=status.HTTP_201_CREATED,
        )


class LiaisonPurposeIn(serializers.Serializer):
    purpose = serializers.CharField(allow_blank=True, required=False, max_length=1000)


class LiaisonFamilyRevealApi(APIView):
    @extend_schema(
        operation_id="liaison_family_reveal",
        tags=[TAG],
        request=LiaisonPurposeIn,
        responses={200: LiaisonFamilyOut, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def post(self, request, pk: int):
        selectors.access_family_contact_by_id(request.user, pk, action="reveal")
        if not scope_for(request.user, roles=RECORD_ROLES).has_role:
            raise ObjectNotFound  # a liaison person logs calls; revealing is for record roles
        data = LiaisonPurposeIn(data=request.data)
        data.is_valid(raise_exception=True)
        _, values = services.family_reveal(
            user=request.user,
            contact_id=pk,
            purpose=data.validated_data.get("purpose", ""),
            ip=client_ip(request),
        )
        response = Response(LiaisonFamilyOut(values).data)
        response["Cache-Control"] = "private, no-store"
        return response


class LiaisonReportRow(serializers.Serializer):
    unit_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    overseas = serializers.IntegerField()
    without_file = serializers.IntegerField()
    not_contacted = serializers.IntegerField()


class LiaisonReportOut(serializers.Serializer):
    unit = serializers.CharField()
    since = serializers.DateField()
    rows = LiaisonReportRow(many=True)


class LiaisonReportParams(serializers.Serializer):
    unit = serializers.CharField(required=False, max_length=32)
    days = serializers.IntegerField(required=False, min_value=1, max_value=3650, default=91)


class LiaisonReportApi(APIView):
    @extend_schema(
        operation_id="liaison_report",
        tags=[TAG],
        parameters=[
            OpenApiParameter(
                "unit", OpenApiTypes.STR, description="组织代码（默认：您管理的最上级组织）"
            ),
            OpenApiParameter(
                "days", OpenApiTypes.INT, description="多少天内没有联系算作未联系（默认 91）"
            ),
        ],
        responses={200: LiaisonReportOut, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request):
        params = LiaisonReportParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        unit = top_unit_in_scope(request.user, roles=RECORD_ROLES)
        if p.get("unit"):
            unit = OrgUnit.objects.filter(code=p["unit"]).first()
            if unit is None or not scope_for(request.user, roles=RECORD_ROLES).covers(unit.path):
                raise ObjectNotFound
        if unit is None:
            raise ObjectNotFound
        since = timezone.localdate() - dt.timedelta(days=p["days"])
        rows = selectors.members_abroad_report(unit, since=since)
        return Response(
            LiaisonReportOut(
                {"unit": unit.name, "since": since, "rows": [r.__dict__ for r in rows]}
            ).data
        )


urlpatterns = [
    path("liaison/files/<int:pk>/", LiaisonFileApi.as_view(), name="liaison-file-detail"),
    path(
        "liaison/files/<int:pk>/contacts/",
        LiaisonFileContactsApi.as_view(),
        name="liaison-file-contacts",
    ),
    path(
        "liaison/family/<int:pk>/reveal/",
        LiaisonFamilyRevealApi.as_view(),
        name="liaison-family-reveal",
    ),
    path("liaison/report/", LiaisonReportApi.as_view(), name="liaison-report"),
]
