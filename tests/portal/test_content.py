"""News, home, bookshelf and search pages: what a member sees, in scope, in few queries."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from tests.portal import factories as f

pytestmark = pytest.mark.django_db

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def test_home_shows_pinned_and_latest_news_in_scope_only(org, member_b1, web_client):
    f.news(org.root, title="集团置顶要闻", pinned=True)
    f.news(org.b1, title="坦桑项目动态")
    f.news(org.a1, title="北京项目内部通知")
    html = web_client(member_b1.user).get("/").content.decode()
    assert "集团置顶要闻" in html and "坦桑项目动态" in html
    assert "北京项目内部通知" not in html
    assert html.index("集团置顶要闻") < html.index("坦桑项目动态")  # pinned first


def test_home_due_dates_are_in_the_members_unit_time_zone(org, member_b1, member_a1, web_client):
    course, _ = f.course_with_exam(org.root)
    f.assignment(course, org.root)
    tz_html = web_client(member_b1.user).get("/").content.decode()
    cn_html = web_client(member_a1.user).get("/").content.decode()
    # the zone said as a reader says it, not as an IANA identifier
    assert course.title in tz_html and "（当地时间 UTC+3）" in tz_html
    assert "+03:00" in tz_html  # end of the due day in Dar es Salaam
    assert "+08:00" in cn_html and "（当地时间 UTC+8）" in cn_html
    assert "(Africa/Dar_es_Salaam)" not in tz_html and "(Asia/Shanghai)" not in cn_html


def test_news_page_renders_in_portal_layout_and_out_of_scope_is_404(org, member_b1, web_client):
    client = web_client(member_b1.user)
    mine = f.news(
        org.b1, title="我的支部新闻", body=[("rich_text", "<p>正文<script>x()</script>内容</p>")]
    )
    other = f.news(org.a1, title="别的支部新闻")
    response = client.get(mine.url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "我的支部新闻" in html and 'class="site-header"' in html
    assert "<script>x()" not in html
    assert client.get(other.url).status_code == 404
    assert client.get(f"/news/{other.pk}/").status_code == 404
    assert client.get(f"/news/{mine.pk}/")["Location"] == mine.url


@pytest.mark.parametrize("count", [3, 15])
def test_news_list_query_count_does_not_grow(
    org, member_b1, web_client, count, django_assert_max_num_queries
):
    for i in range(count):
        f.news(org.b1, title=f"列表新闻{i}")
    client = web_client(member_b1.user)
    client.get("/news/")  # warm caches (session, content types)
    with django_assert_max_num_queries(14):
        html = client.get("/news/").content.decode()
    assert html.count('class="item-title"') == count


@pytest.mark.parametrize("count", [3, 20])
def test_book_list_query_count_does_not_grow(
    org, member_b1, web_client, count, django_assert_max_num_queries
):
    for i in range(count):
        f.book(org.root, title=f"书{i}", category="D26" if i % 2 else "TU")
    client = web_client(member_b1.user)
    client.get("/books/")
    with django_assert_max_num_queries(12):
        html = client.get("/books/").content.decode()
    assert html.count('class="item-title"') == count


def test_bookshelf_browse_by_category_and_search(org, member_b1, web_client):
    f.book(org.root, title="中国共产党章程学习读本", category="D26")
    f.book(org.root, title="建筑施工安全手册", category="TU7")
    f.book(org.a1, title="北京项目内部资料", category="D26")
    client = web_client(member_b1.user)
    html = client.get("/books/").content.decode()
    assert "D 政治、法律 (1)" in html and "T 工业技术 (1)" in html
    d = client.get("/books/?category=D").content.decode()
    assert "章程学习读本" in d and "施工安全手册" not in d and "北京项目内部资料" not in d
    s = client.get("/books/", {"q": "安全"}).content.decode()  # a 2-character word in a title
    assert "施工安全手册" in s and "章程学习读本" not in s
    s = client.get("/books/", {"q": "章程", "category": "D"}).content.decode()
    assert "章程学习读本" in s and "北京项目内部资料" not in s


def test_pdf_book_opens_in_the_browser_viewer_and_scope_applies(org, member_b1, web_client):
    book = f.book(org.root, title="PDF读本", fmt="pdf")
    book.file.save("reader.pdf", ContentFile(PDF_BYTES), save=True)
    hidden = f.book(org.a1, title="别人的书", fmt="pdf")
    client = web_client(member_b1.user)
    page = client.get(f"/books/{book.pk}/read/").content.decode()
    assert f'src="/books/{book.pk}/file/"' in page
    response = client.get(f"/books/{book.pk}/file/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "inline" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert client.get(f"/books/{hidden.pk}/").status_code == 404
    assert client.get(f"/books/{hidden.pk}/file/").status_code == 404


def test_video_block_in_a_news_page_gets_an_hls_player(org, member_b1, web_client):
    from media_pipeline.models import MediaAsset

    # A ready asset record (its files are not needed to render the page).
    asset = MediaAsset.objects.create(
        kind="video",
        title="微党课",
        owner_unit=org.root,
        audience_unit=org.root,
        status="ready",
        duration=20.0,
        checksum="c" * 64,
        storage_prefix="media/test",
        master_key="media/test/master.m3u8",
        storyboard_key="media/test/storyboard.vtt",
    )
    page = f.news(
        org.b1,
        title="视频新闻",
        body=[("rich_text", "<p>导语</p>"), ("video", {"asset": asset, "caption": "视频说明"})],
    )
    html = web_client(member_b1.user).get(page.url).content.decode()
    assert "data-player" in html and "master.m3u8" in html and "storyboard.vtt" in html
    assert "hls.js/dist/hls.min.js" in html and "portal/js/player.js" in html
    assert "data-progress-url" not in html  # news videos report no study progress
