"""Content API: audience scope (lists, details, files), filters, typed body, constant
query counts, and the read counter."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms.models import Book, PageReadCount, Periodical, PeriodicalIssue
from cms.samples import cover_png, epub_bytes, isbn13, pdf_bytes, wagtail_image

pytestmark = pytest.mark.django_db


def ids(resp):
    assert resp.status_code == 200, resp.content
    return {r["id"] for r in resp.json()["results"]}


def test_news_list_is_audience_scoped(org, site, members, news, client_for):
    group = news(title="集团要闻", publishing_unit=org.root, audience_unit=org.root)
    only_a = news(title="第一工程局动态", publishing_unit=org.a, audience_unit=org.a)
    only_b1 = news(title="坦桑尼亚支部动态", publishing_unit=org.b, audience_unit=org.b1)
    assert ids(client_for(members.a1).get("/api/v1/news/")) == {group.id, only_a.id}
    assert ids(client_for(members.b1).get("/api/v1/news/")) == {group.id, only_b1.id}
    assert ids(client_for(members.root).get("/api/v1/news/")) == {group.id}


def test_news_detail_out_of_scope_is_404_like_missing(org, site, members, news, client_for):
    only_a = news(title="第一工程局内部通知", publishing_unit=org.a, audience_unit=org.a)
    client = client_for(members.b1)
    assert client.get(f"/api/v1/news/{only_a.id}/").status_code == 404
    assert client.get("/api/v1/news/999999/").status_code == 404
    assert client.get(f"/api/v1/news/{only_a.id}/").json()["error"]["code"] == "not_found"
    assert client_for(members.a1).get(f"/api/v1/news/{only_a.id}/").status_code == 200


def test_unpublished_news_is_invisible(org, site, members, news, client_for):
    page = news(title="草稿", publishing_unit=org.root, audience_unit=org.root)
    page.unpublish()
    assert client_for(members.a1).get(f"/api/v1/news/{page.id}/").status_code == 404
    assert page.id not in ids(client_for(members.a1).get("/api/v1/news/"))


def test_anonymous_gets_401(site):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/news/").status_code == 401


def test_filters_channel_tag_unit_dates_updated_since(org, site, members, news, client_for):
    n1 = news(
        title="党费通知",
        publishing_unit=org.root,
        audience_unit=org.root,
        tags=["党费"],
        day=date(2026, 11, 2),
        parent=site.notice,
    )
    n2 = news(
        title="学习动态",
        publishing_unit=org.a,
        audience_unit=org.root,
        tags=["学习"],
        day=date(2026, 11, 20),
    )
    c = client_for(members.a1)
    assert ids(c.get("/api/v1/news/?channel=notice")) == {n1.id}
    assert ids(c.get("/api/v1/news/?channel=nope")) == set()
    assert ids(c.get("/api/v1/news/?tag=党费")) == {n1.id}
    assert ids(c.get("/api/v1/news/?unit=A")) == {n2.id}
    assert ids(c.get("/api/v1/news/?date_from=2026-11-10&date_to=2026-11-30")) == {n2.id}
    since = n2.last_published_at.isoformat()
    assert ids(c.get("/api/v1/news/", {"updated_since": since})) == set()
    bad = c.get("/api/v1/news/?date_from=yesterday")
    assert bad.status_code == 400 and "date_from" in bad.json()["error"]["fields"]


def test_pinned_first_then_newest(org, site, members, news, client_for):
    old_pinned = news(
        title="置顶旧闻",
        publishing_unit=org.root,
        audience_unit=org.root,
        pinned=True,
        day=date(2026, 1, 1),
    )
    newer = news(
        title="新闻", publishing_unit=org.root, audience_unit=org.root, day=date(2026, 11, 1)
    )
    results = client_for(members.a1).get("/api/v1/news/").json()["results"]
    assert [r["id"] for r in results] == [old_pinned.id, newer.id]
    assert results[0]["pinned"] is True and results[0]["channel"]["code"] == "headline"


def test_news_list_query_count_is_constant(org, site, members, news, client_for, settings):
    settings.EHOME_API_BODY_CACHE = False  # full answers, not a kept body (test_kept_bodies)
    for i in range(12):
        cover = wagtail_image(f"封面{i}", cover_png(i, (64, 36)), f"c{i}.png")
        news(
            title=f"新闻{i}",
            publishing_unit=org.root,
            audience_unit=org.root,
            tags=["学习", f"t{i}"],
            cover_image=cover,
        )
    c = client_for(members.a1)
    c.get("/api/v1/news/?page_size=12")  # renditions are generated once, then reused

    def count(size):
        with CaptureQueriesContext(connection) as ctx:
            resp = c.get(f"/api/v1/news/?page_size={size}")
        assert resp.status_code == 200 and len(resp.json()["results"]) == size
        assert all(r["cover"]["url"] for r in resp.json()["results"])
        return len(ctx.captured_queries)

    assert count(2) == count(12)


def test_detail_body_is_typed_blocks_with_safe_html_and_rendition(
    org, site, members, news, client_for
):
    image = wagtail_image("正文图", cover_png(1, (200, 100)), "body.png")
    page = news(
        title="图文新闻",
        publishing_unit=org.root,
        audience_unit=org.root,
        body=[
            ("rich_text", f'<p>正文<a linktype="page" id="{site.home.id}">首页</a></p>'),
            ("image", {"image": image, "caption": "图注"}),
            ("quote", {"text": "引文", "attribution": "出处"}),
        ],
    )
    body = client_for(members.a1).get(f"/api/v1/news/{page.id}/").json()["body"]
    assert [b["type"] for b in body] == ["rich_text", "image", "quote"]
    assert 'href="/' in body[0]["value"]["html"] and "linktype" not in body[0]["value"]["html"]
    assert (
        body[1]["value"]["image"]["url"].endswith(".png") and body[1]["value"]["caption"] == "图注"
    )
    assert body[2]["value"] == {"text": "引文", "attribution": "出处"}


def test_detail_counts_reads_with_one_row(org, site, members, news, client_for):
    page = news(title="热点", publishing_unit=org.root, audience_unit=org.root)
    c = client_for(members.a1)
    for _ in range(3):
        c.get(f"/api/v1/news/{page.id}/")
    assert PageReadCount.objects.get(page_id=page.id).count == 3
    client_for(members.b1).get(f"/api/v1/news/{page.id}/")
    assert PageReadCount.objects.get(page_id=page.id).count == 4


def _book(n, audience, published=True, fmt="epub"):
    book = Book(
        title=f"图书{n}",
        isbn=isbn13(n),
        audience_unit=audience,
        is_published=published,
        category="D26",
    )
    data = epub_bytes(book.title) if fmt == "epub" else pdf_bytes(book.title)
    book.file.save(f"{n}.{fmt}", ContentFile(data), save=False)
    book.save()
    return book


def test_books_scoped_with_read_url_serving_the_file(org, members, client_for):
    for_all = _book(1, org.root)
    for_b = _book(2, org.b, fmt="pdf")
    _book(3, org.root, published=False)
    c = client_for(members.a1)
    assert ids(c.get("/api/v1/books/")) == {for_all.id}
    detail = c.get(f"/api/v1/books/{for_all.id}/").json()
    assert detail["file_format"] == "epub"
    resp = c.get(detail["read_url"])
    assert resp.status_code == 200
    assert b"".join(resp.streaming_content).startswith(b"PK")
    assert c.get(f"/api/v1/books/{for_b.id}/").status_code == 404
    assert c.get(f"/api/v1/books/{for_b.id}/file/").status_code == 404
    b = client_for(members.b1)
    assert b"".join(b.get(f"/api/v1/books/{for_b.id}/file/").streaming_content).startswith(b"%PDF-")


def test_books_search_finds_two_character_chinese_word(org, members, client_for):
    hit = Book.objects.create(
        title="新时代党建工作创新案例", isbn=isbn13(11), audience_unit=org.root, is_published=True
    )
    Book.objects.create(
        title="钢结构施工技术", isbn=isbn13(12), audience_unit=org.root, is_published=True
    )
    assert ids(client_for(members.a1).get("/api/v1/books/?q=党建")) == {hit.id}


def test_books_and_periodicals_search_through_the_index(
    org, members, client_for, settings, django_capture_on_commit_callbacks
):
    """The apps' `?q=` finds what the search index finds: Traditional ↔ Simplified, words
    inside titles and descriptions, ISBN with hyphens — also for books saved long ago (the
    substring match covers only the last minutes, before indexing has run)."""
    import datetime as dt

    from django.utils import timezone

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    isbn = isbn13(21)
    with django_capture_on_commit_callbacks(execute=True):
        fee = Book.objects.create(
            title="关于做好党费收缴工作的通知", isbn=isbn, audience_unit=org.root, is_published=True
        )
        desc = Book.objects.create(
            title="基层组织工作手册",
            description="本书介绍党费的使用和管理。",
            isbn=isbn13(22),
            audience_unit=org.root,
            is_published=True,
        )
        Book.objects.create(
            title="钢结构施工技术", isbn=isbn13(23), audience_unit=org.root, is_published=True
        )
        journal = Periodical.objects.create(
            title="黨建研究", issn="1002-0187", audience_unit=org.root, is_published=True
        )
    long_ago = timezone.now() - dt.timedelta(days=30)
    Book.objects.update(updated_at=long_ago)
    Periodical.objects.update(updated_at=long_ago)
    c = client_for(members.a1)
    assert ids(c.get("/api/v1/books/?q=党费")) == {fee.id, desc.id}
    assert ids(c.get("/api/v1/books/", {"q": "黨費"})) == {fee.id, desc.id}
    hyphenated = f"{isbn[:3]}-{isbn[3]}-{isbn[4:8]}-{isbn[8:12]}-{isbn[12]}"
    assert ids(c.get("/api/v1/books/", {"q": hyphenated})) == {fee.id}
    assert ids(c.get("/api/v1/periodicals/", {"q": "党建"})) == {journal.id}
    assert ids(c.get("/api/v1/periodicals/", {"q": "10020187"})) == {journal.id}
    assert ids(c.get("/api/v1/books/", {"q": "钢筋"})) == set()


def test_books_list_query_count_is_constant(org, members, client_for):
    for n in range(30):
        Book.objects.create(
            title=f"书{n}", isbn=isbn13(100 + n), audience_unit=org.root, is_published=True
        )
    c = client_for(members.a1)
    c.get("/api/v1/books/?page_size=1")  # warm per-process caches (content types)

    def count(size):
        with CaptureQueriesContext(connection) as ctx:
            assert len(c.get(f"/api/v1/books/?page_size={size}").json()["results"]) == size
        return len(ctx.captured_queries)

    assert count(3) == count(30)


def test_periodical_detail_lists_published_issues(org, members, client_for):
    p = Periodical.objects.create(
        title="党建研究", issn="1000-002X", audience_unit=org.root, is_published=True
    )
    issue = PeriodicalIssue(
        periodical=p, label="第1期", issue_date=date(2026, 1, 1), is_published=True
    )
    issue.file.save("i.pdf", ContentFile(pdf_bytes("x")), save=False)
    issue.save()
    hidden = PeriodicalIssue(
        periodical=p, label="第2期", issue_date=date(2026, 2, 1), is_published=False
    )
    hidden.file.save("j.pdf", ContentFile(pdf_bytes("y")), save=False)
    hidden.save()
    c = client_for(members.b1)
    assert ids(c.get("/api/v1/periodicals/")) == {p.id}
    data = c.get(f"/api/v1/periodicals/{p.id}/").json()
    assert [i["id"] for i in data["issues"]] == [issue.id]
    assert c.get(data["issues"][0]["read_url"]).status_code == 200
    assert c.get(f"/api/v1/periodical-issues/{hidden.id}/file/").status_code == 404


def test_stories_scoped(org, site, members, client_for):
    from cms.models import ExemplarPage

    page = ExemplarPage(
        title="港口铁人", slug="tieren", subject_name="张三", subject_unit=org.b1, date=date(2026, 1, 1),
        publishing_unit=org.b, audience_unit=org.b, honours="全国优秀共产党员\n劳动模范",
        deeds=[("rich_text", "<p>事迹</p>")],
    )  # fmt: skip
    site.stories.add_child(instance=page)
    page.save_revision().publish()
    assert ids(client_for(members.b1).get("/api/v1/stories/")) == {page.id}
    detail = client_for(members.b1).get(f"/api/v1/stories/{page.id}/").json()
    assert (
        detail["honours"] == ["全国优秀共产党员", "劳动模范"]
        and detail["deeds"][0]["type"] == "rich_text"
    )
    assert client_for(members.a1).get(f"/api/v1/stories/{page.id}/").status_code == 404


def test_digest_detail_leaves_out_news_the_reader_cannot_see(org, site, members, news, client_for):
    from cms.services import digest_propose

    visible = news(
        title="集团新闻", publishing_unit=org.root, audience_unit=org.root, day=date(2026, 11, 17)
    )
    for_b = news(
        title="海外新闻", publishing_unit=org.b, audience_unit=org.b, day=date(2026, 11, 18)
    )
    issue = digest_propose(
        week_start=date(2026, 11, 16),
        index=site.digests,
        publishing_unit=org.root,
        audience_unit=org.b,
    )
    assert {i.news_id for i in issue.items.all()} == {visible.id, for_b.id}
    issue.save_revision().publish()
    b_items = client_for(members.b1).get(f"/api/v1/digests/{issue.id}/").json()["items"]
    assert {i["news_id"] for i in b_items} == {visible.id, for_b.id}
    assert client_for(members.a1).get(f"/api/v1/digests/{issue.id}/").status_code == 404
