"""New pages get readable ASCII slugs (pinyin of a Chinese title), not percent-encoded
Chinese ones: through the admin (whatever the browser prefilled), through services and
demo data, and in the admin's own slug prefill; unique among siblings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from cms.models import NewsPage
from cms.services import digest_propose
from cms.slugs import pinyin_slug
from tests.admin_forms import admin_form, fill, submit
from tests.cms.conftest import publish_news
from tests.cms.test_admin_save import approve, with_body

pytestmark = pytest.mark.django_db
PAGE_FORM = "page-edit-form"
TITLE = "第一工程局召开党建工作会"
PINYIN = "diyi-gongchengju-zhaokai-dangjian-gongzuo-hui"


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _add_news(editor, site, org, *, title: str, slug: str | None, review=False) -> NewsPage:
    add_url = reverse("wagtailadmin_pages:add", args=("cms", "newspage", site.channel.pk))
    data = admin_form(editor, add_url, PAGE_FORM)
    fill(
        data,
        {
            "title": title,
            "date": "2026-11-20",
            "summary": "会议部署了下一阶段工作",
            "publishing_unit": str(org.a.pk),
            "audience_unit": str(org.a.pk),
        },
    )
    if slug is not None:
        data["slug"] = slug
    with_body(data, "body", "<p>会议强调要抓好基层党建。</p>")
    if review:
        data["action-submit"] = "submit"
    before = set(NewsPage.objects.values_list("pk", flat=True))
    submit(editor, add_url, data)
    (page,) = NewsPage.objects.exclude(pk__in=before)
    return page


def test_pinyin_slug_spells_words_keeps_latin_and_digits():
    assert pinyin_slug(TITLE) == PINYIN
    # polyphones read as in the word (重庆 chongqing, 长征 changzheng); Latin and digits kept
    assert pinyin_slug("重庆项目部学习长征精神") == "chongqing-xiangmubu-xuexi-changzheng-jingshen"
    assert pinyin_slug("２０２６年 BIM 技术应用").startswith("2026-nian-bim-jishu")
    assert pinyin_slug("“！？”") == ""
    assert len(pinyin_slug("党" * 200)) <= 60


@pytest.mark.parametrize(
    "prefilled",
    [
        pytest.param(TITLE, id="browser-prefilled-chinese"),
        pytest.param("", id="left-empty"),
    ],
)
def test_page_created_in_the_admin_gets_an_ascii_slug_and_readable_url(
    org, site, roles, members, prefilled
):
    page = _add_news(login(roles.editor_a), site, org, title=TITLE, slug=prefilled, review=True)
    assert page.slug == PINYIN
    assert page.url_path.isascii() and page.url_path.endswith(f"/{PINYIN}/")

    approve(roles.reviewer_a, page)
    page.refresh_from_db()
    assert page.live
    assert page.url.isascii() and page.url.endswith(f"/{PINYIN}/")
    reader = Client()
    reader.force_login(members.a1)
    resp = reader.get(page.url)
    assert resp.status_code == 200
    assert TITLE in resp.content.decode()


def test_same_title_twice_gets_a_sibling_unique_slug(org, site, roles):
    editor = login(roles.editor_a)
    first = _add_news(editor, site, org, title=TITLE, slug="")
    second = _add_news(editor, site, org, title=TITLE, slug=TITLE)
    assert (first.slug, second.slug) == (PINYIN, f"{PINYIN}-2")


def test_an_ascii_slug_the_editor_typed_is_kept(org, site, roles):
    page = _add_news(login(roles.editor_a), site, org, title=TITLE, slug="my-meeting")
    assert page.slug == "my-meeting"


def test_a_title_with_nothing_to_spell_falls_back_to_kind_and_date(org, site, roles):
    page = _add_news(login(roles.editor_a), site, org, title="！！！", slug="")
    assert page.slug.startswith("news-") and page.slug[5:].isdigit()


def test_existing_chinese_slug_is_kept_on_edit(org, site):
    """A page published before keeps its (linked) address when it is edited and saved."""
    page = publish_news(
        site.channel, title=TITLE, publishing_unit=org.a, audience_unit=org.a, slug="旧地址"
    )
    # stored as it was: the old page predates ASCII slugs
    NewsPage.objects.filter(pk=page.pk).update(slug="旧地址")
    page.refresh_from_db()
    page.summary = "改过的摘要"
    page.save_revision().publish()
    page.refresh_from_db()
    assert page.slug == "旧地址"


def test_pages_created_by_services_get_pinyin_slugs(org, site):
    page = NewsPage(
        title=TITLE,
        date=dt.date(2026, 11, 20),
        publishing_unit=org.a,
        audience_unit=org.a,
        body=[("rich_text", "<p>正文</p>")],
    )
    site.channel.add_child(instance=page)
    page.save_revision().publish()
    again = NewsPage(
        title=TITLE,
        slug="第一工程局",
        date=dt.date(2026, 11, 21),
        publishing_unit=org.a,
        audience_unit=org.a,
        body=[("rich_text", "<p>正文</p>")],
    )
    site.channel.add_child(instance=again)
    assert NewsPage.objects.get(pk=page.pk).slug == PINYIN
    assert NewsPage.objects.get(pk=again.pk).slug == "diyi-gongchengju"


def test_admin_slug_prefill_answers_the_pinyin_slug(org, site, roles, members):
    editor = login(roles.editor_a)
    url = reverse("cms_slug_prefill")
    resp = editor.get(url, {"title": TITLE, "parent": site.channel.pk})
    assert resp.status_code == 200
    assert resp.json() == {"slug": PINYIN}
    news = _add_news(editor, site, org, title=TITLE, slug="")
    resp = editor.get(url, {"title": TITLE, "parent": site.channel.pk})
    assert resp.json() == {"slug": f"{PINYIN}-2"}
    # a parent that does not exist, or where the editor may not add pages: not found
    assert editor.get(url, {"title": TITLE, "parent": 999999}).status_code == 404
    assert editor.get(url, {"title": TITLE, "parent": "x"}).status_code == 404
    assert editor.get(url, {"title": TITLE, "parent": news.pk}).status_code == 404
    # a member without admin access gets no answer (the admin's login redirect)
    assert (
        login(members.a1).get(url, {"title": TITLE, "parent": site.channel.pk}).status_code == 302
    )


def test_digest_proposed_by_the_service_keeps_its_ascii_slug(org, site):
    issue = digest_propose(
        week_start=dt.date(2026, 11, 16),
        index=site.digests,
        publishing_unit=org.root,
        audience_unit=org.root,
    )
    assert issue.slug.isascii() and issue.slug.startswith("digest-")
