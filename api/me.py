"""`/api/v1/me/`: who am I — user, member profile, unit with its ancestors, roles."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from organizations.models import OrgUnit, UnitRole
from organizations.selectors import member_for_user


class UnitBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgUnit
        fields = ["id", "code", "name", "kind", "country", "timezone"]


class MemberProfileSerializer(serializers.Serializer):
    name = serializers.CharField()
    member_no = serializers.CharField()
    category = serializers.CharField()
    join_date = serializers.DateField(allow_null=True)
    is_overseas = serializers.BooleanField()
    status = serializers.CharField()
    unit = UnitBriefSerializer()


class RoleSerializer(serializers.Serializer):
    role = serializers.CharField()
    unit = UnitBriefSerializer()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    is_staff = serializers.BooleanField()
    member = MemberProfileSerializer(allow_null=True)
    unit_ancestors = UnitBriefSerializer(many=True)
    roles = RoleSerializer(many=True)


class MeApi(APIView):
    @extend_schema(tags=["me"], responses={200: MeSerializer})
    def get(self, request):
        user = request.user
        member = member_for_user(user)
        ancestors = []
        if member is not None:
            paths = member.unit.ancestor_paths()
            ancestors = list(OrgUnit.objects.filter(path__in=paths).order_by("depth"))
        roles = UnitRole.objects.filter(user=user).select_related("unit").order_by("unit__path")
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "is_staff": user.is_staff,
            "member": member,
            "unit_ancestors": ancestors,
            "roles": [{"role": r.role, "unit": r.unit} for r in roles],
        }
        return Response(MeSerializer(data).data)
