"""The news feed's cursor pagination: pinned first, newest first, every item exactly once
while the app scrolls — also when news is published between two pages — and a broken
cursor is a 404, never a 500."""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest

from tests.cms.conftest import members, news, site  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
# ruff: noqa: F811 - pytest fixtures imported above are parameters below


def _walk(client, url, *, limit=50):
    """Follow `next` links; return the ids in order and the pages' bodies."""
    seen, bodies = [], []
    while url and len(bodies) < limit:
        resp = client.get(url)
        assert resp.status_code == 200, resp.content
        body = resp.json()
        bodies.append(body)
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
    return seen, bodies


@pytest.fixture
def feed(org, news):
    """11 news: 2 pinned, several sharing a date (ties broken by id)."""
    made = []
    for i in range(11):
        made.append(
            news(
                title=f"新闻{i}",
                publishing_unit=org.root,
                audience_unit=org.root,
                day=date(2026, 11, 1 + i // 3),
                pinned=i in (1, 7),
                slug=f"feed-{i}",
            )
        )
    return made


def _expected(pages):
    return [p.id for p in sorted(pages, key=lambda p: (p.pinned, p.date, p.id), reverse=True)]


def test_walking_the_feed_returns_every_item_once_in_order(feed, members, client_for):
    c = client_for(members.a1)
    seen, bodies = _walk(c, "/api/v1/news/?page_size=4")
    assert seen == _expected(feed)
    assert len(bodies) == 3
    assert all("count" not in b for b in bodies)
    assert bodies[0]["previous"] is None and bodies[-1]["next"] is None
    assert seen[:2] == [feed[7].id, feed[1].id]  # pinned first, newer pinned on top


def test_previous_goes_back_to_the_same_page(feed, members, client_for):
    c = client_for(members.a1)
    first = c.get("/api/v1/news/?page_size=4").json()
    second = c.get(first["next"]).json()
    third = c.get(second["next"]).json()
    back = c.get(third["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in second["results"]]
    back_again = c.get(back["previous"]).json()
    assert [r["id"] for r in back_again["results"]] == [r["id"] for r in first["results"]]
    assert back_again["previous"] is None


def test_news_published_while_scrolling_is_not_repeated_or_skipped(
    feed,
    org,
    news,
    members,
    client_for,
    django_capture_on_commit_callbacks,
):
    c = client_for(members.a1)
    first = c.get("/api/v1/news/?page_size=4").json()
    # a newer item arrives: with page numbers it would push one item from page 1 onto page 2
    # (published and committed: the feed's version moves, as in production)
    with django_capture_on_commit_callbacks(execute=True):
        fresh = news(
            title="刚发布", publishing_unit=org.root, audience_unit=org.root, day=date(2026, 11, 30)
        )
    rest, _ = _walk(c, first["next"])
    ids = [r["id"] for r in first["results"]] + rest
    assert ids == _expected(feed)
    assert fresh.id not in ids
    assert c.get("/api/v1/news/?page_size=4").json()["results"][2]["id"] == fresh.id


def test_cursor_keeps_filters_and_scope(org, news, members, client_for):
    for i in range(5):
        news(title=f"甲{i}", publishing_unit=org.a, audience_unit=org.a, slug=f"a-{i}")
        news(title=f"乙{i}", publishing_unit=org.b, audience_unit=org.b1, slug=f"b-{i}")
    seen, _ = _walk(client_for(members.a1), "/api/v1/news/?page_size=2&unit=A")
    assert len(seen) == 5 and len(set(seen)) == 5
    seen_b, _ = _walk(client_for(members.b1), "/api/v1/news/?page_size=2")
    assert len(seen_b) == 5 and not set(seen) & set(seen_b)


def _cursor(obj) -> str:
    raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "%%%",
        _cursor(b"\xff\xfe"),
        _cursor({"k": [True, "2026-11-01"]}),  # too few values
        _cursor({"k": ["yes", "2026-11-01", 5]}),  # not a boolean
        _cursor({"k": [False, "yesterday", 5]}),  # not a date
        _cursor({"k": [False, "2026-11-01", "5; DROP TABLE x"]}),
        _cursor({"k": [False, "2026-11-01", 2**80]}),
        _cursor({"k": [False, None, 5]}),
        _cursor([1, 2, 3]),
    ],
)
def test_bad_cursor_is_404_with_the_error_body(feed, members, client_for, cursor):
    resp = client_for(members.a1).get("/api/v1/news/", {"cursor": cursor})
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"


def test_nul_in_the_cursor_is_a_400_naming_it(feed, members, client_for):
    resp = client_for(members.a1).get("/api/v1/news/", {"cursor": "\x00"})
    assert resp.status_code == 400
    assert list(resp.json()["error"]["fields"]) == ["cursor"]
