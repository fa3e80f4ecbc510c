"""/api/v1/ content resources: news, exemplar stories, books, periodicals and the
headless preview (docs/api.md "Content"); digests are in api.digests_api.

Every list and detail is audience-scoped through cms.selectors (out of scope = 404 like a
missing object). Lists are `values()` rows mapped by cms.representations with bulk
look-ups: the number of SQL queries does not depend on the page size.
"""

from __future__ import annotations

import posixpath

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.engagement_api import count_detail_read
from api.errors import DomainError
from api.pagination import CURSOR_PARAMS, PAGE_PARAMS, KeysetCursorPagination, PagePagination
from cms import representations as rep
from cms import selectors
from cms.models import NewsIndexPage, NewsPage
from cms.services import page_read_record, preview_token_load
from core.files import content_type_for, protected_file_response
from organizations.models import OrgUnit
from search.catalogue import catalogue_search

ID_PARAM = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="对象 ID")
ERRORS = {400: OpenApiTypes.OBJECT, 401: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT}


# --- query parameters ----------------------------------------------------------------
class ContentFilterSerializer(serializers.Serializer):
    channel = serializers.SlugField(required=False, help_text="频道代码（新闻）")
    tag = serializers.CharField(required=False, max_length=100, help_text="标签（新闻）")
    unit = serializers.CharField(
        required=False, max_length=32, help_text="发布单位代码，含下级单位"
    )
    date_from = serializers.DateField(required=False, help_text="日期起（含）")
    date_to = serializers.DateField(required=False, help_text="日期止（含）")
    updated_since = serializers.DateTimeField(required=False, help_text="只返回此时间之后更新的")


class CatalogueFilterSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        max_length=100,
        help_text="书名、作者或简介中的词（简体或繁体），或 ISBN/ISSN",
    )
    category = serializers.CharField(
        required=False, max_length=40, help_text="中图法分类号前缀，如 D2"
    )
    language = serializers.CharField(required=False, max_length=8, help_text="语种代码，如 zh")
    updated_since = serializers.DateTimeField(required=False, help_text="只返回此时间之后更新的")


def _params(serializer_class, request) -> dict:
    if request.query_params.keys().isdisjoint(serializer_class._declared_fields):
        return {}  # nothing to validate (a plain feed page: cursor and page_size only)
    s = serializer_class(data=request.query_params)
    s.is_valid(raise_exception=True)
    return s.validated_data


def _unit_subtree(qs, code: str, field: str):
    unit = OrgUnit.objects.filter(code=code).values_list("path", flat=True).first()
    if unit is None:
        return qs.none()
    return qs.filter(**{f"{field}__path__startswith": unit})


def _page_filters(qs, p: dict, *, date_field: str):
    if "unit" in p:
        qs = _unit_subtree(qs, p["unit"], "publishing_unit")
    if "date_from" in p:
        qs = qs.filter(**{f"{date_field}__gte": p["date_from"]})
    if "date_to" in p:
        qs = qs.filter(**{f"{date_field}__lte": p["date_to"]})
    if "updated_since" in p:
        qs = qs.filter(last_published_at__gt=p["updated_since"])
    return qs


def _catalogue_filters(qs, p: dict):
    if p.get("q"):
        qs = catalogue_search(qs, p["q"])
    if p.get("category"):
        qs = qs.filter(category__startswith=p["category"].upper())
    if p.get("language"):
        qs = qs.filter(language=p["language"])
    if "updated_since" in p:
        qs = qs.filter(updated_at__gt=p["updated_since"])
    return qs


def _paginate(view, qs, represent):
    paginator = PagePagination()
    rows = paginator.paginate_queryset(qs, view.request, view=view)
    return paginator.get_paginated_response(represent(list(rows)))


def _cursor_page_of(item):
    return inline_serializer(
        name=f"{item}CursorPage",
        fields={
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializers.ListField(child=serializers.DictField()),
        },
    )


def _page_of(item):
    return inline_serializer(
        name=f"{item}Page",
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializers.ListField(child=serializers.DictField()),
        },
    )


# --- news ----------------------------------------------------------------------------
class NewsListApi(APIView):
    @extend_schema(
        tags=["content"],
        operation_id="news_list",
        summary="新闻列表（置顶优先，按日期倒序）",
        description=(
            "Cursor pagination (a feed): follow `next`; no `count`, no page numbers, nothing "
            "skipped or repeated when news arrives while the app scrolls."
        ),
        parameters=[ContentFilterSerializer, *CURSOR_PARAMS],
        responses={200: _cursor_page_of("NewsList"), **ERRORS},
    )
    def get(self, request):
        p = _params(ContentFilterSerializer, request)
        paginator = KeysetCursorPagination(ordering=("-pinned", "-date", "-id"))
        if not p:  # a plain feed page: its SQL compiled once per shape
            shape, base, args = selectors.news_feed_of(request.user, rep.NEWS_LIST_FIELDS)
            rows = paginator.paginate_prebuilt(
                request, model=NewsPage, shape=shape, base=base, args=args
            )
            return paginator.get_paginated_response(rep.news_list(rows))
        qs = selectors.news_visible_to(request.user)
        if "channel" in p:
            channel = (
                NewsIndexPage.objects.filter(channel_code=p["channel"])
                .values_list("path", flat=True)
                .first()
            )
            qs = qs.filter(path__startswith=channel) if channel else qs.none()
        if "tag" in p:
            qs = qs.filter(tagged_items__tag__name=p["tag"])
        qs = _page_filters(qs, p, date_field="date")
        rows = paginator.paginate_queryset(qs.values(*rep.NEWS_LIST_FIELDS), request, view=self)
        return paginator.get_paginated_response(rep.news_list(rows))


class NewsDetailApi(APIView):
    @extend_schema(
        tags=["content"],
        operation_id="news_detail",
        summary="新闻详情（正文为类型化的 JSON 块）",
        parameters=[ID_PARAM],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request, id: int):
        page = selectors.access_news_by_id(request.user, id)
        page_read_record(page_id=page.pk)
        count_detail_read(request.user, "news", page)
        return Response(rep.news_detail(page, user=request.user))


# --- exemplar stories ----------------------------------------------------------------
class StoryListApi(APIView):
    @extend_schema(
        tags=["content"],
        operation_id="stories_list",
        summary="先进典型列表",
        parameters=[ContentFilterSerializer, *PAGE_PARAMS],
        responses={200: _page_of("StoryList"), **ERRORS},
    )
    def get(self, request):
        p = _params(ContentFilterSerializer, request)
        qs = _page_filters(selectors.exemplars_visible_to(request.user), p, date_field="date")
        qs = qs.order_by("-date", "-id").values(*rep.STORY_LIST_FIELDS)
        return _paginate(self, qs, rep.story_list)


class StoryDetailApi(APIView):
    @extend_schema(
        tags=["content"],
        operation_id="stories_detail",
        summary="先进典型详情",
        parameters=[ID_PARAM],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request, id: int):
        page = selectors.access_exemplar_by_id(request.user, id)
        page_read_record(page_id=page.pk)
        count_detail_read(request.user, "story", page)
        return Response(rep.story_detail(page, user=request.user))


# --- books and periodicals -----------------------------------------------------------
class BookListApi(APIView):
    @extend_schema(
        tags=["bookshelf"],
        operation_id="books_list",
        summary="图书列表",
        parameters=[CatalogueFilterSerializer, *PAGE_PARAMS],
        responses={200: _page_of("BookList"), **ERRORS},
    )
    def get(self, request):
        p = _params(CatalogueFilterSerializer, request)
        qs = _catalogue_filters(selectors.books_visible_to(request.user), p)
        qs = qs.order_by("-id").values(*rep.BOOK_LIST_FIELDS)
        return _paginate(self, qs, rep.book_list)


class BookDetailApi(APIView):
    @extend_schema(
        tags=["bookshelf"],
        operation_id="books_detail",
        summary="图书详情（read_url 为阅读/下载地址）",
        parameters=[ID_PARAM],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request, id: int):
        book = selectors.access_book_by_id(request.user, id)
        return Response(rep.book_detail(book))


def _serve_file(field_file, filename: str, file_format: str = ""):
    """The audience was checked by the caller's selector; core.files delivers the file
    (stream / X-Accel-Redirect / X-Sendfile, or a short-lived presigned S3 URL)."""
    ext = f".{file_format}" if file_format else posixpath.splitext(field_file.name or "")[1]
    filename = f"{filename}{ext.lower()}"
    return protected_file_response(
        field_file, filename=filename, content_type=content_type_for(filename)
    )


class BookFileApi(APIView):
    @extend_schema(
        tags=["bookshelf"],
        operation_id="books_file",
        summary="阅读/下载图书文件（EPUB 或 PDF）",
        parameters=[ID_PARAM],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 302: None, **ERRORS},
    )
    def get(self, request, id: int):
        book = selectors.access_book_by_id(request.user, id, action="read")
        return _serve_file(book.file, f"book-{book.pk}", book.file_format)


class PeriodicalListApi(APIView):
    @extend_schema(
        tags=["bookshelf"],
        operation_id="periodicals_list",
        summary="期刊列表",
        parameters=[CatalogueFilterSerializer, *PAGE_PARAMS],
        responses={200: _page_of("PeriodicalList"), **ERRORS},
    )
    def get(self, request):
        p = _params(CatalogueFilterSerializer, request)
        qs = _catalogue_filters(selectors.periodicals_visible_to(request.user), p)
        qs = qs.order_by("title", "id").values(*rep.PERIODICAL_LIST_FIELDS)
        return _paginate(self, qs, rep.periodical_list)


class PeriodicalDetailApi(APIView):
    @extend_schema(
        tags=["bookshelf"],
        operation_id="periodicals_detail",
        summary="期刊详情与已发布的期次",
        parameters=[ID_PARAM],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request, id: int):
        periodical = selectors.access_periodical_by_id(request.user, id)
        row = {f: getattr(periodical, f) for f in rep.PERIODICAL_LIST_FIELDS}
        data = rep.periodical_list([row])[0]
        issues = (
            selectors.periodical_issues_visible_to(request.user)
            .filter(periodical_id=id)
            .order_by("-issue_date")
            .values("id", "label", "issue_date", "cover_id")
        )
        data["issues"] = rep.issue_list(list(issues))
        return Response(data)


class PeriodicalIssueFileApi(APIView):
    @extend_schema(
        tags=["bookshelf"],
        operation_id="periodical_issues_file",
        summary="阅读/下载期刊某期文件",
        parameters=[ID_PARAM],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 302: None, **ERRORS},
    )
    def get(self, request, id: int):
        issue = selectors.access_periodical_issue_by_id(request.user, id, action="read")
        return _serve_file(issue.file, f"issue-{issue.pk}")


def _preview_payload(page, user) -> dict:
    data = rep.preview_payload(page, user)
    if data is None:
        raise DomainError("该类型的页面不支持预览", code="not_found", status=404)
    return data


# --- headless preview ----------------------------------------------------------------
class PreviewApi(APIView):
    """The draft a signed token names, exactly as the app's detail endpoint would show it.
    The token (from the admin, 10 minutes) is the credential: it names one revision of a
    page the issuing editor could edit, and cannot be forged or pointed elsewhere."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=["content"],
        operation_id="content_preview",
        summary="草稿预览（凭后台生成的签名令牌）",
        parameters=[
            OpenApiParameter("token", OpenApiTypes.STR, required=True, description="预览令牌")
        ],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request):
        token = request.query_params.get("token", "")
        page = preview_token_load(token)  # PreviewTokenInvalid: 404 invalid_token
        return Response(
            {
                "type": page._meta.model_name,
                "preview": True,
                "data": _preview_payload(page, request.user),
            }
        )


urlpatterns = [
    path("news/", NewsListApi.as_view(), name="news-list"),
    path("news/<int:id>/", NewsDetailApi.as_view(), name="news-detail"),
    path("stories/", StoryListApi.as_view(), name="story-list"),
    path("stories/<int:id>/", StoryDetailApi.as_view(), name="story-detail"),
    path("books/", BookListApi.as_view(), name="book-list"),
    path("books/<int:id>/", BookDetailApi.as_view(), name="book-detail"),
    path("books/<int:id>/file/", BookFileApi.as_view(), name="book-file"),
    path("periodicals/", PeriodicalListApi.as_view(), name="periodical-list"),
    path("periodicals/<int:id>/", PeriodicalDetailApi.as_view(), name="periodical-detail"),
    path(
        "periodical-issues/<int:id>/file/",
        PeriodicalIssueFileApi.as_view(),
        name="periodical-issue-file",
    ),
    path("preview/", PreviewApi.as_view(), name="content-preview"),
]
