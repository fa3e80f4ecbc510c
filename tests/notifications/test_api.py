"""/api/v1/notifications/: the caller's inbox over the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notification_send
from tests.factories import member_in

pytestmark = pytest.mark.django_db
URL = "/api/v1/notifications/"


def send(member, n=1, prefix="m"):
    for i in range(n):
        notification_send(
            kind="announcement",
            recipients=[member],
            context={"title": f"{prefix}{i}", "body": "内容"},
            link=("/api/v1/courses/1/", "/learn/courses/1/"),
            idempotency_key=f"{prefix}-{i}",
        )


@pytest.fixture
def me(org):
    return member_in(org.a1, username="inbox_me")


@pytest.fixture
def api(me, client_for):
    return client_for(me.user)


def test_the_list_is_newest_first_cursor_paged_with_the_unread_count(me, api):
    send(me, 25)
    r = api.get(URL, {"page_size": 10})
    assert r.status_code == 200
    body = r.json()
    assert body["unread_count"] == 25
    assert [n["title"] for n in body["results"]] == [f"m{i}" for i in range(24, 14, -1)]
    first = body["results"][0]
    assert first["link"] == {"api": "/api/v1/courses/1/", "portal": "/learn/courses/1/"}
    assert first["is_read"] is False and first["read_at"] is None
    seen = [n["id"] for n in body["results"]]
    while body["next"]:
        body = api.get(body["next"]).json()
        seen += [n["id"] for n in body["results"]]
    assert len(seen) == len(set(seen)) == 25


def test_mark_one_and_all_read(me, api):
    send(me, 3)
    ids = [n["id"] for n in api.get(URL).json()["results"]]
    r = api.post(f"{URL}{ids[0]}/read/")
    assert r.status_code == 200 and r.json()["is_read"] is True
    assert api.get(URL).json()["unread_count"] == 2
    assert api.get(URL, {"unread": "true"}).json()["results"][0]["id"] == ids[1]
    r = api.post(f"{URL}read-all/")
    assert r.json() == {"marked": 2, "unread_count": 0}
    assert api.get(URL).json()["unread_count"] == 0


def test_delete_removes_it_from_the_inbox(me, api):
    send(me, 2)
    ids = [n["id"] for n in api.get(URL).json()["results"]]
    assert api.delete(f"{URL}{ids[0]}/").status_code == 204
    assert [n["id"] for n in api.get(URL).json()["results"]] == ids[1:]
    assert api.delete(f"{URL}{ids[0]}/").status_code == 404


def test_updated_since_lists_new_and_read_ones(me, api):
    send(me, 3)
    ids = [n["id"] for n in api.get(URL).json()["results"]]
    Notification.objects.update(updated_at=timezone.now() - dt.timedelta(hours=1))
    since = (timezone.now() - dt.timedelta(minutes=1)).isoformat()
    assert api.get(URL, {"updated_since": since}).json()["results"] == []
    api.post(f"{URL}{ids[2]}/read/")
    send(me, 1, prefix="new")
    got = api.get(URL, {"updated_since": since}).json()["results"]
    assert {n["title"] for n in got} == {"new0", "m0"}


def test_another_members_notification_is_not_found_like_a_missing_one(org, me, api):
    other = member_in(org.b1)
    send(other, 1)
    theirs = Notification.objects.get(recipient=other)
    missing = theirs.pk + 1000
    for method, suffix in (("post", "read/"), ("delete", "")):
        a = getattr(api, method)(f"{URL}{theirs.pk}/{suffix}")
        b = getattr(api, method)(f"{URL}{missing}/{suffix}")
        assert a.status_code == b.status_code == 404
        assert a.json() == b.json()
    api.post(f"{URL}read-all/")
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api.get(URL).json() == {"next": None, "previous": None, "results": [], "unread_count": 0}


@pytest.mark.parametrize(
    "params, field",
    [
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"unread": "maybe"}, "unread"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(me, api, params, field):
    r = api.get(URL, params)
    assert r.status_code == 400
    assert list(r.json()["error"]["fields"]) == [field]


def test_not_logged_in_is_refused(api_client):
    assert api_client.get(URL).status_code == 401


def test_the_list_costs_the_same_queries_for_5_and_50_rows(me, api):
    send(me, 5)
    with CaptureQueriesContext(connection) as small:
        assert len(api.get(URL, {"page_size": 100}).json()["results"]) == 5
    send(me, 45, prefix="more")
    with CaptureQueriesContext(connection) as large:
        assert len(api.get(URL, {"page_size": 100}).json()["results"]) == 50
    assert len(small) == len(large)
