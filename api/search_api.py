"""/api/v1/search/ and /api/v1/search/suggest/ (docs/api.md "Search").

Thin views over search.query: validate the query string, map it to the service, shape
the answer. Every result is filtered to what the caller may read (audience scope,
published only) by the service itself.
"""

from __future__ import annotations

import datetime as dt

from django.urls import path, reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from search import registry
from search.query import MAX_PAGE_SIZE, search, suggest

MAX_Q_CHARS = 200
#: the API resource of each result type (`api_url`); tests/api walks every indexed type
API_ROUTES = {
    "news": "api:news-detail",
    "exemplar": "api:story-detail",
    "digest": "api:digest-detail",
    "book": "api:book-detail",
    "periodical": "api:periodical-detail",
    "periodical_issue": "api:periodical-issue-detail",
    "course": "api:course-detail",
    "lesson": "api:lesson-detail",
    "document": "api:doc-detail",
    "bulletin": "api:bulletin-detail",
}
MAX_PAGE = 500
ERRORS = {400: OpenApiTypes.OBJECT, 401: OpenApiTypes.OBJECT}


class QueryField(serializers.CharField):
    """The search text: NUL bytes removed, surrounding space trimmed, ≤ 200 characters."""

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=True, **kwargs)
        # NUL bytes are removed, not refused (they carry nothing searchable).
        self.validators = [
            v for v in self.validators if type(v).__name__ != "ProhibitNullCharactersValidator"
        ]

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.replace("\x00", "")
        return super().to_internal_value(data)


def _types(value: str) -> list[str]:
    types = [t.strip() for t in value.split(",") if t.strip()]
    unknown = [t for t in types if registry.get_adapter(t) is None]
    if unknown:
        raise serializers.ValidationError(
            f"未知的类型：{', '.join(unknown)}；可选：{', '.join(registry.doc_types())}"
        )
    return types


class SearchParamsSerializer(serializers.Serializer):
    q = QueryField(
        max_length=MAX_Q_CHARS,
        error_messages={
            "blank": "请输入搜索关键词",
            "required": "请输入搜索关键词（参数 q）",
            "max_length": f"搜索关键词不能超过 {MAX_Q_CHARS} 个字",
        },
        help_text="搜索词，简体或繁体均可；每个词都须匹配，含整个搜索词的结果排在前面",
    )
    type = serializers.CharField(
        required=False, max_length=200, help_text="类型，逗号分隔：news,exemplar,book,…"
    )
    date_from = serializers.DateField(required=False, help_text="日期起（含），YYYY-MM-DD")
    date_to = serializers.DateField(required=False, help_text="日期止（含），YYYY-MM-DD")
    sort = serializers.ChoiceField(
        choices=["relevance", "date"],
        default="relevance",
        error_messages={"invalid_choice": "排序只能是 relevance（相关度）或 date（日期）"},
    )
    page = serializers.IntegerField(
        default=1,
        min_value=1,
        max_value=MAX_PAGE,
        error_messages={
            "max_value": f"页码不能超过 {MAX_PAGE}",
            "min_value": "页码从 1 开始",
            "invalid": "页码必须是整数",
        },
    )
    page_size = serializers.IntegerField(default=20, min_value=1, max_value=MAX_PAGE_SIZE)

    def to_internal_value(self, data):
        # `from`/`to` are Python keywords: accept them as the documented names.
        data = data.copy() if hasattr(data, "copy") else dict(data)
        for short, long in (("from", "date_from"), ("to", "date_to")):
            if short in data and long not in data:
                data[long] = data[short]
        return super().to_internal_value(data)

    def validate_type(self, value):
        return _types(value)

    def validate(self, attrs):
        if (
            attrs.get("date_from")
            and attrs.get("date_to")
            and attrs["date_from"] > attrs["date_to"]
        ):
            raise serializers.ValidationError({"date_to": ["结束日期不能早于开始日期"]})
        return attrs


class SuggestParamsSerializer(serializers.Serializer):
    q = QueryField(
        required=False,
        allow_blank=True,
        max_length=50,
        default="",
        error_messages={"max_length": "联想词不能超过 50 个字"},
        help_text="已输入的文字（最后一个词可以不完整）",
    )
    type = serializers.CharField(required=False, max_length=200, help_text="类型，逗号分隔")
    limit = serializers.IntegerField(default=10, min_value=1, max_value=20)

    def validate_type(self, value):
        return _types(value)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day))


class FacetSerializer(serializers.Serializer):
    type = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class HitSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="类型键，如 news、book")
    type_label = serializers.CharField(help_text="类型中文名")
    id = serializers.IntegerField(help_text="对象 ID（到对应资源取详情）")
    title = serializers.CharField(help_text="标题原文")
    title_highlighted = serializers.CharField(help_text="标题，命中词以 <mark> 标出（已转义 HTML）")
    snippet = serializers.CharField(
        help_text="正文片段（原文），命中词以 <mark> 标出（已转义 HTML）"
    )
    date = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(allow_blank=True)
    api_url = serializers.CharField(help_text="该结果的 API 资源地址（如 /api/v1/news/42/）")


class SearchResponseSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = HitSerializer(many=True)
    facets = FacetSerializer(many=True)
    tokens = serializers.ListField(child=serializers.CharField(), help_text="实际检索的词")
    backend = serializers.ChoiceField(choices=["database", "elasticsearch"])


class SuggestHitSerializer(serializers.Serializer):
    type = serializers.CharField()
    type_label = serializers.CharField()
    id = serializers.IntegerField()
    title = serializers.CharField()
    title_highlighted = serializers.CharField()
    url = serializers.CharField(allow_blank=True)
    api_url = serializers.CharField(help_text="该结果的 API 资源地址")


class SuggestResponseSerializer(serializers.Serializer):
    results = SuggestHitSerializer(many=True)


def _hit_dict(h) -> dict:
    return {
        "type": h.type,
        "type_label": h.type_label,
        "id": h.id,
        "title": h.title,
        "title_highlighted": h.title_highlighted,
        "snippet": h.snippet,
        "date": h.date,
        "url": h.url,
        "api_url": hit_api_url(h),
    }


def hit_api_url(hit) -> str:
    route = API_ROUTES.get(hit.type)
    return reverse(route, args=[hit.id]) if route else ""


def _page_url(request, page: int) -> str:
    params = request.query_params.copy()
    params["page"] = str(page)
    return request.build_absolute_uri(request.path) + "?" + params.urlencode()


class SearchApi(APIView):
    @extend_schema(
        tags=["search"],
        summary="全文搜索（新闻、先进典型、手机报、图书、期刊、课程、课时、文件、政工情况）",
        parameters=[
            SearchParamsSerializer,
            OpenApiParameter("from", OpenApiTypes.DATE, description="同 date_from"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="同 date_to"),
        ],
        responses={200: SearchResponseSerializer, 404: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request):
        s = SearchParamsSerializer(data=request.query_params)
        s.is_valid(raise_exception=True)
        p = s.validated_data
        filters = {}
        if p.get("date_from"):
            filters["date_from"] = _day_start(p["date_from"])
        if p.get("date_to"):
            filters["date_to"] = _day_start(p["date_to"] + dt.timedelta(days=1))
        res = search(
            p["q"],
            user=request.user,
            types=p.get("type"),
            filters=filters,
            sort=p["sort"],
            page=p["page"],
            page_size=p["page_size"],
        )
        if p["page"] > 1 and p["page"] > res.num_pages:
            raise NotFound(f"页码超出范围：共 {res.num_pages} 页")
        labels = registry.labels()
        body = {
            "count": res.total,
            "page": res.page,
            "num_pages": res.num_pages,
            "next": _page_url(request, res.page + 1) if res.page < res.num_pages else None,
            "previous": _page_url(request, res.page - 1) if res.page > 1 else None,
            "results": [_hit_dict(h) for h in res.hits],
            "facets": [
                {"type": t, "label": labels.get(t, t), "count": n}
                for t, n in sorted(res.facets.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            "tokens": res.tokens,
            "backend": res.backend,
        }
        return Response(SearchResponseSerializer(body).data)


class SearchSuggestApi(APIView):
    @extend_schema(
        tags=["search"],
        summary="标题联想（输入时提示）",
        parameters=[SuggestParamsSerializer],
        responses={200: SuggestResponseSerializer, **ERRORS},
    )
    def get(self, request):
        s = SuggestParamsSerializer(data=request.query_params)
        s.is_valid(raise_exception=True)
        p = s.validated_data
        hits = suggest(p["q"], user=request.user, types=p.get("type"), limit=p["limit"])
        return Response(SuggestResponseSerializer({"results": [_hit_dict(h) for h in hits]}).data)


urlpatterns = [
    path("search/", SearchApi.as_view(), name="search"),
    path("search/suggest/", SearchSuggestApi.as_view(), name="search-suggest"),
]
