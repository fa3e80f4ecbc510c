"""The news feed's SQL compiled once per shape (core.prebuilt via
KeysetCursorPagination.paginate_prebuilt): the same rows as the ORM for every kind of
reader and page, no reader ever given another unit's news by a statement another reader
compiled, role changes visible in the very next answer, and a bounded query count."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.pagination import KeysetCursorPagination
from cms import representations as rep
from cms import selectors
from cms.models import NewsPage
from core import prebuilt
from organizations.services import unit_role_grant, unit_role_revoke
from tests.cms.conftest import news, site  # noqa: F401 - fixtures
from tests.factories import UserFactory, member_in, user_with_role

pytestmark = pytest.mark.django_db
# ruff: noqa: F811 - pytest fixtures imported above are parameters below

ORDERING = ("-pinned", "-date", "-id")


@pytest.fixture(autouse=True)
def _full_answers(settings):
    """Answers the view builds (a kept body would hide the query under test)."""
    settings.EHOME_API_BODY_CACHE = False


@pytest.fixture
def feed(org, news):
    """Two news per audience unit (one pinned on the root), dates shared for ties."""
    made = {}
    for code in ("root", "a", "a1", "b", "b1"):
        unit = getattr(org, code)
        made[code] = [
            news(
                title=f"{code}新闻{i}",
                publishing_unit=unit,
                audience_unit=unit,
                day=date(2026, 11, 1 + i),
                pinned=code == "root" and i == 0,
                slug=f"pb-{code}-{i}",
            )
            for i in range(2)
        ]
    return made


def _readers(org):
    editor = user_with_role(org.a, "editor")  # member of A, manages A's subtree
    both = user_with_role(org.a1, "editor")
    unit_role_grant(user=both, unit=org.b1, role="editor")  # two managed subtrees
    return {
        "member_a1": member_in(org.a1).user,
        "member_b1": member_in(org.b1).user,
        "member_root": member_in(org.root).user,
        "editor_a": editor,
        "editor_a1_b1": both,
        "superuser": UserFactory(is_superuser=True),
        "no_member": UserFactory(),
    }


def _page(user, query: str, *, prebuilt_path: bool):
    request = Request(APIRequestFactory().get(f"/api/v1/news/{query}"))
    paginator = KeysetCursorPagination(ordering=ORDERING)
    if prebuilt_path:
        shape, base, args = selectors.news_feed_of(user, rep.NEWS_LIST_FIELDS)
        rows = paginator.paginate_prebuilt(
            request, model=NewsPage, shape=shape, base=base, args=args
        )
    else:
        qs = selectors.news_visible_to(user).values(*rep.NEWS_LIST_FIELDS)
        rows = paginator.paginate_queryset(qs, request)
    return rows, paginator.next_cursor, paginator.previous_cursor


def test_prebuilt_pages_equal_the_orm_for_every_reader_and_page(org, feed):
    for name, user in _readers(org).items():
        for size in (1, 3, 100):
            query = f"?page_size={size}"
            for _step in range(4):  # the first page, then forward and back by cursor
                orm = _page(user, query, prebuilt_path=False)
                fast = _page(user, query, prebuilt_path=True)
                assert fast == orm, (name, query)
                rows, next_cursor, previous_cursor = orm
                if next_cursor is None:
                    break
                query = f"?page_size={size}&cursor={next_cursor}"
            if previous_cursor:
                back = f"?page_size={size}&cursor={previous_cursor}"
                assert _page(user, back, prebuilt_path=True) == _page(
                    user, back, prebuilt_path=False
                )
    shapes = connection._ehome_prebuilt
    built = [s for s in shapes.values() if s is not prebuilt._NOT_PREBUILT]
    assert len(built) >= 10, "the feed's shapes must actually be prebuilt"


def _ids(client, url="/api/v1/news/?page_size=100"):
    resp = client.get(url)
    assert resp.status_code == 200, resp.content
    return {r["id"] for r in resp.json()["results"]}


def _expected(feed, *codes):
    return {p.id for code in codes for p in feed[code]}


def test_readers_of_other_units_never_share_a_page(org, feed, client_for):
    """a1 and b1 readers have the same shape (three audience paths): the statement one
    compiled must carry the other's own paths."""
    a1, b1 = client_for(member_in(org.a1).user), client_for(member_in(org.b1).user)
    editor_a, editor_b = (
        client_for(user_with_role(org.a, "editor")),
        client_for(user_with_role(org.b, "editor")),
    )
    for _ in range(3):
        assert _ids(a1) == _expected(feed, "root", "a", "a1")
        assert _ids(b1) == _expected(feed, "root", "b", "b1")
        assert _ids(editor_a) == _expected(feed, "root", "a", "a1")
        assert _ids(editor_b) == _expected(feed, "root", "b", "b1")


def test_a_role_granted_or_revoked_shows_in_the_very_next_answer(org, feed, client_for):
    user = member_in(org.a1).user
    client = client_for(user)
    first = client.get("/api/v1/news/?page_size=100")
    assert _ids(client) == _expected(feed, "root", "a", "a1")

    unit_role_grant(user=user, unit=org.b, role="editor")
    granted = client.get("/api/v1/news/?page_size=100", HTTP_IF_NONE_MATCH=first["ETag"])
    assert granted.status_code == 200
    assert {r["id"] for r in granted.json()["results"]} == _expected(
        feed, "root", "a", "a1", "b", "b1"
    )

    unit_role_revoke(user=user, unit=org.b)
    revoked = client.get("/api/v1/news/?page_size=100", HTTP_IF_NONE_MATCH=granted["ETag"])
    assert revoked.status_code == 200
    assert {r["id"] for r in revoked.json()["results"]} == _expected(feed, "root", "a", "a1")


def test_a_revoked_token_is_refused_after_answers_that_kept_the_cache(org, feed, client_for):
    """The middleware writes the cached auth state and login versions back only when
    they changed: a revocation between two requests still refuses the token."""
    from organizations.logins import user_logins_revoke

    user = member_in(org.a1).user
    client = client_for(user)
    etag = client.get("/api/v1/news/")["ETag"]
    assert client.get("/api/v1/news/").status_code == 200
    assert client.get("/api/v1/news/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    user_logins_revoke(user=user)
    assert client.get("/api/v1/news/").status_code == 401
    assert client.get("/api/v1/news/", HTTP_IF_NONE_MATCH=etag).status_code == 401


@pytest.mark.parametrize("size", [20, 100])
def test_feed_pages_run_at_most_six_queries(org, news, client_for, size):
    for i in range(25):
        news(
            title=f"计数{i}",
            publishing_unit=org.root,
            audience_unit=org.root,
            day=date(2026, 10, 1 + i),
            slug=f"qc-{i}",
            tags=("党建",),
        )
    for client in (
        client_for(member_in(org.a1).user),
        client_for(user_with_role(org.a, "editor")),
    ):
        url = f"/api/v1/news/?page_size={size}"
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(url).json()
        assert len(ctx.captured_queries) <= 6, [q["sql"][:80] for q in ctx.captured_queries]
        assert len(body["results"]) == min(size, 25)
        if body["next"]:
            client.get(body["next"])
            with CaptureQueriesContext(connection) as ctx:
                client.get(body["next"])
            assert len(ctx.captured_queries) <= 6


def test_shapes_the_orm_answers_without_sql_are_not_prebuilt(org):
    """A reader with no member record and no role reads nothing (an empty IN): no SQL
    to prebuild, the ORM's empty answer stands."""
    user = UserFactory()
    shape, base, args = selectors.news_feed_of(user, rep.NEWS_LIST_FIELDS)
    assert prebuilt.rows(("t", shape), base, args) is None
    assert list(base(*args)) == []


def test_arguments_of_unknown_types_are_not_prebuilt(org):
    assert prebuilt.rows(("t-float",), lambda x: NewsPage.objects.filter(pk=x), (1.5,)) is None
    rows = prebuilt.rows(
        ("t-int",), lambda x: NewsPage.objects.filter(pk=x).values_list("pk"), (10**9,)
    )
    assert rows == []
