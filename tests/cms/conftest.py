"""CMS fixtures: a site root with one channel, the editor/reviewer groups and workflow,
users with unit roles, and a news factory that publishes directly (admin flows are
exercised through the Django test client in test_workflow.py)."""

from __future__ import annotations

from datetime import date

import pytest
from wagtail.models import Page, Site

from cms.models import DigestIndexPage, ExemplarIndexPage, HomePage, NewsIndexPage, NewsPage
from cms.services import content_setup_ensure, user_content_groups_sync
from tests.factories import member_in, user_with_role


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2 with production iterations costs ~0.5 s per user on the 2-core CI box
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def site(db):
    root = Page.get_first_root_node()
    home = HomePage(title="党建e家", slug="ehome-test")
    root.add_child(instance=home)
    home.save_revision().publish()
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "root_page": home}
    )
    channel = NewsIndexPage(title="要闻", slug="headline", channel_code="headline")
    home.add_child(instance=channel)
    channel.save_revision().publish()
    notice = NewsIndexPage(title="通知公告", slug="notice", channel_code="notice")
    home.add_child(instance=notice)
    notice.save_revision().publish()
    stories = ExemplarIndexPage(title="先进典型", slug="stories")
    home.add_child(instance=stories)
    stories.save_revision().publish()
    digests = DigestIndexPage(title="手机报", slug="digest")
    home.add_child(instance=digests)
    digests.save_revision().publish()
    setup = content_setup_ensure(home=home)
    return type(
        "Site",
        (),
        {
            "home": home,
            "channel": channel,
            "notice": notice,
            "stories": stories,
            "digests": digests,
            "setup": setup,
        },
    )


def staff_with_role(unit, role, username=None):
    user = user_with_role(unit, role, username=username)
    user_content_groups_sync(user=user)
    return user


@pytest.fixture
def roles(org, site):
    """Editors and reviewers on A and B, an upper-level reviewer on the root."""
    return type(
        "Roles",
        (),
        {
            "editor_a": staff_with_role(org.a, "editor", "editor_a"),
            "reviewer_a": staff_with_role(org.a, "reviewer", "reviewer_a"),
            "editor_b": staff_with_role(org.b, "editor", "editor_b"),
            "reviewer_b": staff_with_role(org.b, "reviewer", "reviewer_b"),
            "reviewer_root": staff_with_role(org.root, "reviewer", "reviewer_root"),
        },
    )


@pytest.fixture
def members(org):
    return type(
        "Members",
        (),
        {
            "a1": member_in(org.a1, "m_a1").user,
            "b1": member_in(org.b1, "m_b1").user,
            "root": member_in(org.root, "m_root").user,
        },
    )


def publish_news(
    parent,
    *,
    title,
    publishing_unit,
    audience_unit,
    day=None,
    pinned=False,
    tags=(),
    body=None,
    slug=None,
    **extra,
):
    page = NewsPage(
        title=title,
        slug=slug or f"n-{abs(hash((title, str(day)))) % 10**8}",
        date=day or date(2026, 11, 20),
        publishing_unit=publishing_unit,
        audience_unit=audience_unit,
        pinned=pinned,
        summary=f"{title}摘要",
        body=body or [("rich_text", f"<p>{title}正文</p>")],
        **extra,
    )
    parent.add_child(instance=page)
    for t in tags:
        page.tags.add(t)
    page.save_revision().publish()
    return NewsPage.objects.get(pk=page.pk)


@pytest.fixture
def news(site):
    def make(**kwargs):
        return publish_news(kwargs.pop("parent", site.channel), **kwargs)

    return make


@pytest.fixture
def outlets(org, site):
    """The built-in outlets (portal sections, the app) as `ehome_setup` registers them,
    answered for by a secretary of the group, and a WeChat account of unit A approved
    by the group's secretary."""
    from cms.models import Outlet
    from cms.outlet_services import outlet_approve, outlet_register, outlets_builtin_ensure

    outlets_builtin_ensure()
    chief = staff_with_role(org.root, "secretary", "secretary_root")
    owner_a = staff_with_role(org.a, "secretary", "secretary_a")
    Outlet.objects.filter(code__isnull=False).update(owner=chief)
    wechat = outlet_register(
        user=owner_a,
        name="第一工程局党建",
        kind="wechat",
        owner_unit=org.a,
        owner=owner_a,
        address="gh_a",
    )
    outlet_approve(outlet=wechat, user=chief)
    return type(
        "Outlets",
        (),
        {
            "app": Outlet.objects.get(code="app"),
            "headline": Outlet.objects.get(section=site.channel),
            "notice": Outlet.objects.get(section=site.notice),
            "stories": Outlet.objects.get(section=site.stories),
            "digests": Outlet.objects.get(section=site.digests),
            "wechat_a": Outlet.objects.get(pk=wechat.pk),
            "chief": chief,
            "secretary_a": owner_a,
        },
    )
