"""What the academy's API modules share: the schema tag and error responses, the page
envelope, the caller's member record and the mapping of the academy's refusals."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from api.errors import DomainError
from organizations.selectors import member_for_user

TAG = "academy"


class ErrorSerializer(serializers.Serializer):
    error = serializers.DictField()


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="无效输入"),
    404: OpenApiResponse(ErrorSerializer, description="不存在或不在可见范围"),
    409: OpenApiResponse(ErrorSerializer, description="状态冲突"),
}


def paged(name: str, item: type[serializers.Serializer], *, with_count: bool = True):
    """The page envelope the list actually returns (count/next/previous/results)."""
    fields = {
        "next": serializers.CharField(allow_null=True),
        "previous": serializers.CharField(allow_null=True),
        "results": item(many=True),
    }
    if with_count:
        fields["count"] = serializers.IntegerField()
    return type(name, (serializers.Serializer,), fields)


def member_required(request):
    member = member_for_user(request.user)
    if member is None:
        raise DomainError("当前账号不是党员，不能参加学习", code="not_member", status=403)
    return member


def top_param(request) -> int:
    try:
        return max(1, min(100, int(request.query_params.get("top", 20))))
    except ValueError:
        raise DomainError("top 须为 1–100 的整数", code="invalid") from None
