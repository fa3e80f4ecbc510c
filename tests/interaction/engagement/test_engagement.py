"""Reads, likes and shares through the API: counted once per member per item per day,
idempotent likes, share links whose visits count as clicks for the sharer and their
unit, 404 (nothing counted) for items out of scope and unknown tokens — and nothing in
the database until the fold."""

from __future__ import annotations

import pytest

from interaction.engagement.fold import fold
from interaction.engagement.models import ItemDay, ItemReader, Like, SharerStat
from interaction.engagement.tokens import token_make

pytestmark = pytest.mark.django_db


def stats_of(client, kind, pk):
    resp = client.get(f"/api/v1/engagement/{kind}/{pk}/stats/")
    assert resp.status_code == 200, resp.content
    return resp.json()


@pytest.fixture
def item(org, site, news):
    return news(title="集团要闻", publishing_unit=org.root, audience_unit=org.root, tags=["党建"])


@pytest.fixture
def editor_root(org, site):
    from tests.cms.conftest import staff_with_role

    return staff_with_role(org.root, "editor", "editor_root")


def test_reads_count_once_per_member_per_day_and_only_after_the_fold(
    org, members, item, client_for, editor_root, buffer
):
    a1, b1 = client_for(members.a1), client_for(members.b1)
    for _ in range(3):
        assert a1.get(f"/api/v1/news/{item.id}/").status_code == 200
    first = b1.post(f"/api/v1/engagement/news/{item.id}/read/")
    again = b1.post(f"/api/v1/engagement/news/{item.id}/read/")
    assert (first.status_code, first.json()) == (202, {"counted": True})
    assert again.json() == {"counted": False}
    assert not ItemDay.objects.exists()  # the request path wrote no row
    assert buffer.waiting() == 2

    result = fold()
    assert (result.events, result.batches) == (2, 1)
    stats = stats_of(client_for(editor_root), "news", item.id)
    assert stats["reads"] == 2 and stats["unique_readers"] == 2
    rows = {r.unit_id: (r.reads, r.new_readers, r.channel) for r in ItemDay.objects.all()}
    assert rows == {org.a1.id: (1, 1, "headline"), org.b1.id: (1, 1, "headline")}
    assert ItemReader.objects.count() == 2


def test_like_replayed_100_times_is_one_like_and_unlike_removes_it(
    members, item, client_for, editor_root
):
    client = client_for(members.a1)
    url = f"/api/v1/engagement/news/{item.id}/like/"
    for _ in range(100):
        resp = client.put(url, {"liked": True}, format="json")
        assert resp.status_code == 200 and resp.json() == {"liked": True}
    assert client.get(url).json() == {"liked": True}
    fold()
    assert Like.objects.count() == 1
    assert stats_of(client_for(editor_root), "news", item.id)["likes"] == 1
    for _ in range(100):  # replayed again after the fold: still one like
        client.put(url, {"liked": True}, format="json")
    fold()
    assert stats_of(client_for(editor_root), "news", item.id)["likes"] == 1

    client.put(url, {"liked": False}, format="json")
    assert client.get(url).json() == {"liked": False}
    fold()
    assert stats_of(client_for(editor_root), "news", item.id)["likes"] == 0
    day = ItemDay.objects.get()
    assert (day.likes, day.unlikes) == (1, 1)


def test_share_link_clicks_count_for_the_sharer_and_their_unit(
    org, members, item, client_for, editor_root, client
):
    resp = client_for(members.a1).post(f"/api/v1/engagement/news/{item.id}/share/")
    assert resp.status_code == 201, resp.content
    token = resp.json()["token"]
    assert resp.json()["url"].endswith(f"/s/{token}")
    client_for(members.b1).get(f"/api/v1/news/{item.id}/")  # b1 reads: one unique reader
    for _ in range(3):  # anyone may open the link (a visitor is sent to log in there)
        visit = client.get(f"/s/{token}")
        assert visit.status_code == 302 and visit["Location"] == f"/news/{item.id}/"
    fold()
    stats = stats_of(client_for(editor_root), "news", item.id)
    assert (stats["shares"], stats["clicks"]) == (1, 3)
    assert stats["click_rate"] == 3.0 and stats["forward_rate"] == 1.0
    sharer = SharerStat.objects.get()
    member_a1 = members.a1.member
    assert (sharer.member_id, sharer.shares, sharer.clicks) == (member_a1.pk, 1, 3)
    a1_row = ItemDay.objects.get(unit=org.a1)
    assert (a1_row.shares, a1_row.clicks, a1_row.reads) == (1, 3, 0)


def test_unknown_or_forged_share_token_is_404_and_counts_nothing(members, item, client, buffer):
    real = token_make(member_id=members.a1.member.pk, unit_id=1, kind="news", item_id=item.id)
    forged = real[:-2] + ("AA" if not real.endswith("AA") else "BB")
    for token in ("nope", "x" * 38, forged, real[:-1], "%00" + real):
        assert client.get(f"/s/{token}").status_code == 404
    assert buffer.waiting() == 0
    gone = token_make(member_id=members.a1.member.pk, unit_id=1, kind="news", item_id=10**9)
    assert client.get(f"/s/{gone}").status_code == 404
    assert buffer.waiting() == 0


def test_events_on_items_the_member_cannot_see_are_404_and_count_nothing(
    org, members, news, client_for, buffer
):
    only_a = news(title="第一工程局内部通知", publishing_unit=org.a, audience_unit=org.a)
    client = client_for(members.b1)
    base = f"/api/v1/engagement/news/{only_a.id}"
    assert client.post(f"{base}/read/").status_code == 404
    assert client.put(f"{base}/like/", {"liked": True}, format="json").status_code == 404
    assert client.post(f"{base}/share/").status_code == 404
    assert client.get(f"{base}/stats/").status_code == 404
    assert client.post("/api/v1/engagement/nonsense/1/read/").status_code == 404
    assert client.post("/api/v1/engagement/news/999999/read/").status_code == 404
    assert buffer.waiting() == 0


def test_bad_like_bodies_are_400_and_count_nothing(members, item, client_for, buffer):
    client = client_for(members.a1)
    url = f"/api/v1/engagement/news/{item.id}/like/"
    for body in ({}, {"liked": "maybe"}, {"liked": "\x00"}, {"liked": "真\x07"}):
        resp = client.put(url, body, format="json")
        assert resp.status_code == 400, body
        assert resp.json()["error"]["fields"]["liked"]
    assert buffer.waiting() == 0


def test_item_stats_only_for_managers_of_the_publishing_unit(org, members, item, client_for, roles):
    assert (
        client_for(members.a1).get(f"/api/v1/engagement/news/{item.id}/stats/").status_code == 404
    )
    # an editor of A manages A's subtree, not the group's item
    assert (
        client_for(roles.editor_a).get(f"/api/v1/engagement/news/{item.id}/stats/").status_code
        == 404
    )


def test_event_batch_all_or_nothing(org, members, news, item, client_for, buffer, editor_root):
    only_a = news(title="第一工程局内部通知", publishing_unit=org.a, audience_unit=org.a)
    client = client_for(members.b1)
    url = "/api/v1/engagement/events/"
    ok = client.post(
        url,
        {
            "events": [
                {"type": "read", "kind": "news", "id": item.id},
                {"type": "read", "kind": "news", "id": item.id},
                {"type": "like", "kind": "news", "id": item.id},
                {"type": "share", "kind": "news", "id": item.id},
            ]
        },
        format="json",
    )
    assert ok.status_code == 202, ok.content
    results = ok.json()["results"]
    assert [r.get("counted") for r in results[:2]] == [True, False]
    assert results[2] == {"type": "like", "liked": True} and len(results[3]["token"]) > 20
    waiting = buffer.waiting()
    hidden = [
        {"type": "read", "kind": "news", "id": item.id},
        {"type": "read", "kind": "news", "id": only_a.id},
    ]
    assert client.post(url, {"events": hidden}, format="json").status_code == 404
    too_many = [{"type": "read", "kind": "news", "id": item.id}] * 101
    assert client.post(url, {"events": too_many}, format="json").status_code == 400
    for bad in (
        {"type": "read\x00", "kind": "news", "id": item.id},
        {"type": "read", "kind": "新闻", "id": 1},
    ):
        assert client.post(url, {"events": [bad]}, format="json").status_code == 400
    assert client.post(url, {"events": []}, format="json").status_code == 400
    assert buffer.waiting() == waiting  # nothing of the refused batches
    fold()
    stats = stats_of(client_for(editor_root), "news", item.id)
    assert (stats["reads"], stats["likes"], stats["shares"]) == (1, 1, 1)


def test_portal_like_share_buttons_and_stats_page(org, members, item, client, editor_root, buffer):
    client.force_login(members.a1)
    page = client.get(item.url)
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="like-button"' in html and "点赞" in html
    assert 'data-testid="stats-link"' not in html  # a member is no manager
    assert buffer.waiting() == 1  # the read
    liked = client.post(f"/engage/news/{item.id}/like/", {"liked": "1", "next": item.url})
    assert liked.status_code == 302
    assert "已点赞" in client.get(item.url).content.decode()
    shared = client.post(f"/engage/news/{item.id}/share/")
    assert shared.status_code == 201 and "/s/" in shared.content.decode()
    fold()
    client.force_login(editor_root)
    stats = client.get(f"/engage/news/{item.id}/stats/")
    assert stats.status_code == 200 and 'data-testid="stat-likes">1<' in stats.content.decode()
    client.force_login(members.b1)
    assert client.get(f"/engage/news/{item.id}/stats/").status_code == 404


def test_a_large_batch_folds_exactly(org, buffer):
    """Over 1,000 rows a batch (PostgreSQL: the COPY path), folded twice in a row."""
    import datetime as dt

    from django.db.models import Sum

    from interaction.engagement.buffer import event_line

    day = dt.date(2026, 11, 20)
    for m in range(1, 1501):
        unit = (org.a1, org.b1, org.a)[m % 3]
        buffer.append(event_line("R", day, m, unit.pk, "story", m % 7 + 1))
        buffer.append(event_line("S", day, m, unit.pk, "story", m % 7 + 1))
    assert fold().events == 3000
    for m in range(1, 1501):  # the same members again the next day: reads, no new readers
        buffer.append(event_line("R", day + dt.timedelta(days=1), m, org.a1.pk, "story", m % 7 + 1))
    assert fold().events == 1500
    sums = ItemDay.objects.aggregate(r=Sum("reads"), n=Sum("new_readers"), s=Sum("shares"))
    assert sums == {"r": 3000, "n": 1500, "s": 1500}
    assert ItemReader.objects.count() == 1500
    # 1,500 likes, then 1,200 of them taken back and 100 replayed (no change): the state
    # and the day's like/unlike counts (PostgreSQL: the COPY paths of likes and unlikes)
    for m in range(1, 1501):
        buffer.append(event_line("L", day, m, org.a1.pk, "story", m % 7 + 1))
    fold()
    for m in range(1, 1201):
        buffer.append(event_line("U", day, m, org.a1.pk, "story", m % 7 + 1))
    for m in range(1301, 1401):
        buffer.append(event_line("L", day, m, org.a1.pk, "story", m % 7 + 1))
    fold()
    assert Like.objects.count() == 300
    assert ItemDay.objects.aggregate(l=Sum("likes"), u=Sum("unlikes")) == {"l": 1500, "u": 1200}
