"""Kept bodies of the news feed (api.caching.body_store): a page another request of the
same scope, host, language and query already answered is sent again from the cache —
the same bytes and headers, no SQL — until the news, what it embeds or the reader's scope
changes, and never to a token or user that could not get it from the view."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations.logins import user_logins_revoke
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


def _titles(r) -> list[str]:
    return [n["title"] for n in r.json()["results"]]


def test_a_repeated_page_is_the_same_answer_without_sql(client_for, org, published):
    c = client_for(member_in(org.a1).user)
    first = c.get(NEWS, {"page_size": 1})
    assert first.status_code == 200 and first.json()["next"]
    with CaptureQueriesContext(connection) as ctx:
        again = c.get(NEWS, {"page_size": 1})
    assert len(ctx.captured_queries) == 0, [q["sql"] for q in ctx.captured_queries]
    assert again.status_code == 200
    assert again.content == first.content
    assert dict(again.items()) == dict(first.items())


def test_publishing_is_seen_at_once(
    client_for,
    org,
    published,
    news,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    c = client_for(member_in(org.a1).user)
    c.get(NEWS)
    assert "新发布" not in _titles(c.get(NEWS))
    with django_capture_on_commit_callbacks(execute=True):
        news(title="新发布", publishing_unit=org.a, audience_unit=org.a)
    assert "新发布" in _titles(c.get(NEWS))


def test_readers_of_other_units_never_get_each_others_page(client_for, org, published):
    ca = client_for(member_in(org.a1).user)
    cb = client_for(member_in(org.b1).user)
    for _ in range(2):  # the second round is answered from kept bodies
        assert sorted(_titles(ca.get(NEWS))) == ["全集团新闻", "甲单位新闻"]
        assert _titles(cb.get(NEWS)) == ["全集团新闻"]


def test_a_transferred_member_gets_the_new_units_page(client_for, org, published):
    m = member_in(org.a1)
    c = client_for(m.user)
    c.get(NEWS)
    c.get(NEWS)
    m.unit = org.b1
    m.save()
    assert _titles(c.get(NEWS)) == ["全集团新闻"]


def test_deactivated_user_and_revoked_token_get_401(client_for, org, published):
    m = member_in(org.a1)
    c = client_for(m.user)
    assert c.get(NEWS).status_code == 200
    assert c.get(NEWS).status_code == 200
    user_logins_revoke(user=m.user)
    assert c.get(NEWS).status_code == 401

    other = member_in(org.a1)
    c2 = client_for(other.user)
    assert c2.get(NEWS).status_code == 200
    other.user.is_active = False
    other.user.save()
    assert c2.get(NEWS).status_code == 401


def test_the_same_query_in_another_order_is_the_same_page(client_for, org, published):
    c = client_for(member_in(org.a1).user)
    one = c.get(f"{NEWS}?page_size=1&unit={org.root.code}")
    other = c.get(f"{NEWS}?unit={org.root.code}&page_size=1")
    assert one["ETag"] == other["ETag"]
    assert one.content == other.content and one.json()["next"]
    assert c.get(f"{NEWS}?unit={org.root.code}&page_size=1").content == other.content


def test_switched_off_every_answer_runs_the_view(client_for, org, published, settings):
    settings.EHOME_API_BODY_CACHE = False
    c = client_for(member_in(org.a1).user)
    c.get(NEWS)
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(NEWS).status_code == 200
    assert len(ctx.captured_queries) >= 3
