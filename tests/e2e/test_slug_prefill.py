"""The admin's "add page" form in Chromium: typing a Chinese title fills the slug with
its pinyin (not Wagtail's own prefill, which leaves Chinese out); a slug the editor types
stays theirs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.e2e.test_csp import _session, _wagtail_tree

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("browser"),  # one Chromium per run (tests/e2e/conftest.py)
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_chinese_title_prefills_a_pinyin_slug(live_server, browser):
    from tests.factories import UserFactory
    from tests.portal import factories as f

    _wagtail_tree()
    channel = f.channel()
    admin = UserFactory(username="slug_admin", is_staff=True, is_superuser=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    _session(context, live_server.url, admin)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    url = reverse("wagtailadmin_pages:add", args=("cms", "newspage", channel.pk))
    assert page.goto(live_server.url + url).status == 200

    page.locator("#id_title").press_sequentially("第一工程局召开党建工作会", delay=20)
    page.locator("#id_title").blur()
    slug = page.locator("#id_slug")
    page.wait_for_function(
        "() => document.getElementById('id_slug').value === "
        "'diyi-gongchengju-zhaokai-dangjian-gongzuo-hui'",
        timeout=10000,
    )
    # the editor's own slug is left alone when the title changes afterwards
    page.get_by_role("tab", name="推荐").click()  # the slug is on the promote tab
    slug.fill("my-meeting")
    page.get_by_role("tab", name="内容").click()
    page.locator("#id_title").fill("第一工程局召开2026年党建工作会")
    page.locator("#id_title").blur()
    page.wait_for_timeout(800)
    assert slug.input_value() == "my-meeting"
    assert errors == [], errors
    context.close()
