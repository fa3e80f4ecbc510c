"""Rich text safety: whatever an editor (or an attacker with editor rights) puts into
rich text, no script, event handler or javascript: URL reaches the app or the portal."""

from __future__ import annotations

import pytest

from cms.rendering import rich_text_html, sanitize_html

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//xss.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<img src=\"javascript:alert('x')\">",
    '<a href="javascript:alert(1)">点我</a>',
    '<a href="JaVaScRiPt:alert(1)">点我</a>',
    '<a href="jav&#x09;ascript:alert(1)">点我</a>',
    '<a href=" javascript:alert(1)">点我</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">点我</a>',
    '<a href="vbscript:msgbox(1)">点我</a>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example"></iframe>',
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p onclick="alert(1)">段落</p>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<input onfocus=alert(1) autofocus>",
    "<details open ontoggle=alert(1)>",
    '<a href="#" onmouseover="alert(1)">悬停</a>',
    "<!--<img src=x onerror=alert(1)>-->",
    '<style>@import "javascript:alert(1)";</style>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<a href="&#106;avascript:alert(1)">实体</a>',
]

DANGEROUS = ["<script", "javascript:", "vbscript:", "data:text", "onerror", "onload", "onclick",
             "onmouseover", "onfocus", "ontoggle", "<iframe", "<svg", "<object", "<embed", "<style",
             "<meta", "<base", "<form", "style=", "<body"]  # fmt: skip


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_is_neutralised(payload):
    out = sanitize_html(f"<p>前文</p>{payload}<p>后文</p>").lower()
    for bad in DANGEROUS:
        assert bad not in out, (payload, out)
    assert "前文" in out  # (an unclosed payload may swallow what follows it; that is fine)


def test_safe_markup_survives():
    html = '<h2>标题</h2><p><b>粗体</b><i>斜体</i><a href="https://example.com/x">链接</a></p><ul><li>一</li></ul>'
    out = sanitize_html(html)
    assert '<a href="https://example.com/x" rel="noopener noreferrer">链接</a>' in out
    assert "<h2>标题</h2>" in out and "<li>一</li>" in out


@pytest.mark.django_db
def test_internal_links_are_expanded_and_payloads_removed_in_api(
    org, site, members, news, client_for
):
    body = [
        (
            "rich_text",
            f'<p><a linktype="page" id="{site.channel.id}">频道</a></p>' + "".join(XSS_PAYLOADS),
        )
    ]
    page = news(title="带链接的新闻", publishing_unit=org.root, audience_unit=org.root, body=body)
    html = client_for(members.a1).get(f"/api/v1/news/{page.id}/").json()["body"][0]["value"]["html"]
    assert 'href="/headline/"' in html or "/headline/" in html
    for bad in DANGEROUS:
        assert bad not in html.lower()


def test_rich_text_html_accepts_db_format_with_embeds(db):
    out = rich_text_html(
        '<p>文字</p><embed embedtype="image" id="999999" format="fullwidth" alt="x"/>'
    )
    assert "文字" in out and "<embed" not in out


def _stored(table: str, column: str, pk: int) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE page_ptr_id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def _assert_clean(html: str) -> None:
    low = html.lower()
    assert not [bad for bad in DANGEROUS if bad in low], html


@pytest.mark.django_db
def test_stream_and_page_rich_text_is_sanitised_when_saved(org, site, news):
    import json

    from cms.models import HomePage

    body = [
        (
            "rich_text",
            '<p><b>粗体</b><a href="https://a.example/">链接</a></p>' + "".join(XSS_PAYLOADS),
        )
    ]
    page = news(title="带脚本的新闻", publishing_unit=org.root, audience_unit=org.root, body=body)
    stored = json.loads(_stored("cms_newspage", "body", page.pk))[0]["value"]
    _assert_clean(stored)
    assert '<p><b>粗体</b><a href="https://a.example/">链接</a></p>' in stored
    revision = page.latest_revision.content["body"]
    _assert_clean(str(revision))

    home = HomePage.objects.get(pk=site.home.pk)
    home.intro = '<p><i>欢迎</i></p><img src=x onerror=alert(1)><a href="javascript:x()">j</a>'
    home.save_revision().publish()
    intro = _stored("cms_homepage", "intro", home.pk)
    _assert_clean(intro)
    assert "<i>欢迎</i>" in intro


@pytest.mark.django_db
def test_old_unsanitised_rows_are_clean_on_the_portal(org, site, members, news, client_for):
    import json

    from django.db import connection
    from django.test import Client

    page = news(title="旧新闻", publishing_unit=org.root, audience_unit=org.root)
    raw = json.dumps(
        [{"type": "rich_text", "value": "<p>旧正文</p>" + "".join(XSS_PAYLOADS), "id": "x1"}]
    )
    with connection.cursor() as cursor:  # rows written before saving sanitised anything
        cursor.execute("UPDATE cms_newspage SET body = %s WHERE page_ptr_id = %s", [raw, page.pk])
    web = Client()
    web.force_login(members.a1)
    html = web.get(f"/news/{page.pk}/", follow=True).content.decode()
    article = html.split('<div class="rich-text">', 1)[1].split("</div>", 1)[0]
    assert "旧正文" in article
    _assert_clean(article)
    api = client_for(members.a1).get(f"/api/v1/news/{page.pk}/")
    _assert_clean(json.dumps(api.json()["body"], ensure_ascii=False))


@pytest.mark.django_db
def test_audit_report_export_quotes_formula_titles(org, site, news):
    """The content audit report's CSV/Excel export (cms/audit.py) goes through the same
    formula guard as every other export."""
    import csv
    import io

    from django.test import Client
    from django.urls import reverse
    from openpyxl import load_workbook

    from tests.factories import UserFactory

    titles = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)"]
    for i, title in enumerate(titles):
        news(title=title, slug=f"f{i}", publishing_unit=org.root, audience_unit=org.root)
    client = Client()
    client.force_login(UserFactory(username="audit_root", is_staff=True, is_superuser=True))
    url = reverse("cms_content_audit")
    text = b"".join(client.get(url, {"export": "csv"}).streaming_content).decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    book = load_workbook(io.BytesIO(client.get(url, {"export": "xlsx"}).getvalue()))
    xcells = [c for row in book.active.iter_rows() for c in row]
    assert not [c.coordinate for c in xcells if c.data_type == "f"]
    for title in titles:
        assert "'" + title in cells and "'" + title in [c.value for c in xcells]
