"""HTTP caching of content resources: ETag / Last-Modified, 304 before the view runs,
invalidation on publish/unpublish/edit, per-scope validators, Cache-Control and Vary."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date

from api import caching
from cms.models import Book
from tests.cms.conftest import members, news, site  # noqa: F401 - fixtures
from tests.factories import member_in

pytestmark = pytest.mark.django_db

NEWS = "/api/v1/news/"


@pytest.fixture
def published(news, org, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        a = news(title="甲单位新闻", publishing_unit=org.a, audience_unit=org.a)
        g = news(title="全集团新闻", publishing_unit=org.root, audience_unit=org.root)
    return a, g


def test_list_has_validators_and_private_cache_control(client_for, org, published):
    c = client_for(member_in(org.a1).user)
    r = c.get(NEWS)
    assert r.status_code == 200
    assert r["ETag"].startswith('W/"')
    assert "private" in r["Cache-Control"] and "no-cache" in r["Cache-Control"]
    vary = {v.strip().lower() for v in r["Vary"].split(",")}
    assert {"authorization", "accept-language"} <= vary


def test_matching_if_none_match_is_304_without_running_the_view(client_for, org, published):
    c = client_for(member_in(org.a1).user)
    first = c.get(NEWS, {"page_size": 5})
    with CaptureQueriesContext(connection) as ctx:
        again = c.get(NEWS, {"page_size": 5}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert len(ctx.captured_queries) == 0, [q["sql"] for q in ctx.captured_queries]


def test_304_survives_a_cache_flush_from_the_version_table(client_for, org, published):
    from django.core.cache import cache

    c = client_for(member_in(org.a1).user)
    first = c.get(NEWS)
    cache.clear()
    again = c.get(NEWS, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_publishing_changes_the_etag(
    client_for,
    org,
    published,
    news,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    c = client_for(member_in(org.a1).user)
    first = c.get(NEWS)
    with django_capture_on_commit_callbacks(execute=True):
        news(title="新发布", publishing_unit=org.a, audience_unit=org.a)
    r = c.get(NEWS, HTTP_IF_NONE_MATCH=first["ETag"])
    assert r.status_code == 200
    assert "新发布" in [n["title"] for n in r.json()["results"]]
    assert r["ETag"] != first["ETag"]


def test_unpublishing_a_detail_changes_the_answer(
    client_for, org, published, django_capture_on_commit_callbacks
):
    a, _g = published
    c = client_for(member_in(org.a1).user)
    first = c.get(f"{NEWS}{a.pk}/")
    assert first.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        a.unpublish()
    r = c.get(f"{NEWS}{a.pk}/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert r.status_code == 404


def test_a_rolled_back_change_does_not_bump(org, published):
    before = caching.versions(["news"])["news"].counter
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        caching.version_bump("news")
        raise RuntimeError
    assert caching.versions(["news"])["news"].counter == before


def test_members_of_different_units_never_share_an_etag(client_for, org, published):
    ca = client_for(member_in(org.a1).user)
    cb = client_for(member_in(org.b1).user)
    ra, rb = ca.get(NEWS), cb.get(NEWS)
    assert ra["ETag"] != rb["ETag"]
    # B's member replaying A's validator gets the full (different) list, not a 304
    r = cb.get(NEWS, HTTP_IF_NONE_MATCH=ra["ETag"])
    assert r.status_code == 200
    assert [n["title"] for n in r.json()["results"]] == ["全集团新闻"]


def test_query_string_and_language_are_part_of_the_etag(client_for, org, published):
    c = client_for(member_in(org.a1).user)
    base = c.get(NEWS, {"page_size": 1, "page": 1})
    reordered = c.get(NEWS, {"page": 1, "page_size": 1})
    assert base["ETag"] == reordered["ETag"]  # same query, other order
    assert c.get(NEWS, {"page_size": 2})["ETag"] != base["ETag"]
    en = c.get(NEWS, {"page_size": 1, "page": 1}, HTTP_ACCEPT_LANGUAGE="en")
    assert en["ETag"] != base["ETag"]


def _backdate_versions(hours=1):
    from datetime import timedelta

    from django.core.cache import cache
    from django.db.models import F

    from api.models import ContentVersion

    ContentVersion.objects.update(changed_at=F("changed_at") - timedelta(hours=hours))
    cache.clear()


def test_if_modified_since(client_for, org, published, django_capture_on_commit_callbacks):
    _backdate_versions()
    c = client_for(member_in(org.a1).user)
    r = c.get(NEWS)
    lm = r["Last-Modified"]
    assert c.get(NEWS, HTTP_IF_MODIFIED_SINCE=lm).status_code == 304
    vers = caching.versions(["news"])
    older = http_date(vers["news"].changed_at - 60)
    assert c.get(NEWS, HTTP_IF_MODIFIED_SINCE=older).status_code == 200
    # a change: the old Last-Modified no longer validates (If-None-Match wins when both)
    with django_capture_on_commit_callbacks(execute=True):
        caching.version_bump("news")
    r = c.get(NEWS, HTTP_IF_MODIFIED_SINCE=lm)
    assert r.status_code == 200
    # changed less than a second ago: no Last-Modified (1 s resolution), ETag only
    assert not r.has_header("Last-Modified") and r.has_header("ETag")
    assert c.get(NEWS, HTTP_IF_MODIFIED_SINCE=lm, HTTP_IF_NONE_MATCH=r["ETag"]).status_code == 304


def test_deactivated_user_gets_401_not_304(client_for, org, published):
    m = member_in(org.a1)
    c = client_for(m.user)
    first = c.get(NEWS)
    m.user.is_active = False
    m.user.save()
    assert c.get(NEWS, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 401


def test_transferred_member_gets_a_fresh_answer(client_for, org, published):
    m = member_in(org.a1)
    c = client_for(m.user)
    first = c.get(NEWS)
    m.unit = org.b1
    m.save()
    r = c.get(NEWS, HTTP_IF_NONE_MATCH=first["ETag"])
    assert r.status_code == 200
    assert [n["title"] for n in r.json()["results"]] == ["全集团新闻"]


def test_forged_or_foreign_validator_is_ignored(client_for, org, published):
    a, _ = published
    c = client_for(member_in(org.b1).user)
    r = c.get(f"{NEWS}{a.pk}/", HTTP_IF_NONE_MATCH="*")
    # "*" matches only an existing representation: out of scope stays 404
    assert r.status_code in (304, 404)
    assert r.status_code == 404 or not r.content
    r = c.get(f"{NEWS}{a.pk}/", HTTP_IF_NONE_MATCH='W/"0123456789abcdef0123456789abcdef"')
    assert r.status_code == 404


def test_anonymous_conditional_request_is_401(api_client, org, published):
    r = api_client.get(NEWS, HTTP_IF_NONE_MATCH='W/"x"')
    assert r.status_code == 401


def test_book_edit_bumps_books(client_for, org, django_capture_on_commit_callbacks):
    c = client_for(member_in(org.a1).user)
    with django_capture_on_commit_callbacks(execute=True):
        book = Book.objects.create(title="党章学习", audience_unit=org.root, is_published=True)
    first = c.get("/api/v1/books/")
    assert first.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        book.title = "党章学习（修订版）"
        book.save()
    r = c.get("/api/v1/books/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert r.status_code == 200
    assert r.json()["results"][0]["title"] == "党章学习（修订版）"


def test_non_content_paths_get_no_etag(client_for, org):
    r = client_for(member_in(org.a1).user).get("/api/v1/me/")
    assert r.status_code == 200
    assert not r.has_header("ETag")


# --- the portal's own calls: session cookie instead of a Bearer token ----------------------
def test_session_cookie_requests_honour_if_none_match(
    client,
    org,
    published,
    news,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    """The portal calls the API with its session cookie: a matching If-None-Match is a
    304 with the same ETag (the API used to send the ETag and ignore it), a change a 200
    with a new one, and If-Modified-Since is honoured too."""
    client.force_login(member_in(org.a1).user)
    first = client.get(NEWS)
    assert first.status_code == 200 and first["ETag"].startswith('W/"')

    again = client.get(NEWS, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == first["ETag"]
    assert "private" in again["Cache-Control"]

    with django_capture_on_commit_callbacks(execute=True):
        news(title="会话后新发布", publishing_unit=org.a, audience_unit=org.a)
    changed = client.get(NEWS, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert "会话后新发布" in [n["title"] for n in changed.json()["results"]]

    # Last-Modified is sent once the last change is over a second old
    caching.ContentVersion.objects.update(changed_at=F("changed_at") - dt.timedelta(seconds=5))
    cache.clear()
    fresh = client.get(NEWS)
    since = client.get(NEWS, HTTP_IF_MODIFIED_SINCE=fresh["Last-Modified"])
    assert since.status_code == 304 and since.content == b""


def test_session_validator_of_another_scope_is_not_honoured(client, org, published):
    client.force_login(member_in(org.a1).user)
    etag = client.get(NEWS)["ETag"]
    client.force_login(member_in(org.b1).user)
    r = client.get(NEWS, HTTP_IF_NONE_MATCH=etag)
    assert r.status_code == 200 and r["ETag"] != etag


# --- absolute URLs -------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["127.0.0.1:8123", "ehome.example.org"])
def test_image_urls_point_where_the_client_reached_the_server(
    client_for,
    org,
    news,  # noqa: F811
    host,
):
    """Cover and body image URLs are absolute and built from the request's host (they
    used to name WAGTAILADMIN_BASE_URL, http://127.0.0.1:8000, whatever the port)."""
    from cms.samples import cover_png, wagtail_image

    image = wagtail_image("封面", cover_png(1, (64, 36)), "cover.png")
    page = news(
        title="有图新闻",
        publishing_unit=org.root,
        audience_unit=org.root,
        cover_image=image,
        body=[("image", {"image": image, "caption": "图注"})],
    )
    c = client_for(member_in(org.a1).user)
    listed = c.get(NEWS, HTTP_HOST=host).json()["results"][0]["cover"]["url"]
    body = c.get(f"{NEWS}{page.pk}/", HTTP_HOST=host).json()["body"]
    for url in (listed, body[0]["value"]["image"]["url"]):
        assert url.startswith(f"http://{host}/media/images/"), url
        assert c.get(url.removeprefix(f"http://{host}")).status_code == 200
    # the same request from another host is another representation
    other = c.get(NEWS, HTTP_HOST="10.1.2.3:9000")
    first = c.get(NEWS, HTTP_HOST=host)
    assert other["ETag"] != first["ETag"]


def test_image_urls_outside_a_request_use_the_documented_base(org, settings):
    from cms.rendering import COVER_SPEC, image_urls
    from cms.samples import cover_png, wagtail_image

    settings.WAGTAILADMIN_BASE_URL = "https://ehome.example.org"
    image = wagtail_image("封面", cover_png(2, (64, 36)), "cover.png")
    url = image_urls([image.pk], COVER_SPEC)[image.pk]["url"]
    assert url.startswith("https://ehome.example.org/media/images/"), url
