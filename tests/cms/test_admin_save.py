"""Editors (and, for the channel pages, administrators) save every content model through
the real admin views: the form the page renders is read back, filled in, POSTed; each
model is created, then edited, and the change is stored and reaches the API."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from wagtail.models import WorkflowState
from wagtail.test.utils.form_data import nested_form_data, streamfield

from cms.models import (
    Book,
    DigestIndexPage,
    DigestIssue,
    ExemplarIndexPage,
    ExemplarPage,
    NewsIndexPage,
    NewsPage,
    Periodical,
    PeriodicalIssue,
)
from cms.samples import epub_bytes, isbn13, pdf_bytes
from tests.admin_forms import add_row, admin_form, fill, rich_text, submit
from tests.cms.conftest import publish_news

pytestmark = pytest.mark.django_db
PAGE_FORM = "page-edit-form"


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def with_body(data, field: str, html: str) -> None:
    """A StreamField is assembled by the admin's JavaScript: add what it would post."""
    for key, value in nested_form_data(
        {field: streamfield([("rich_text", rich_text(html))])}
    ).items():
        data[key] = value


def approve(reviewer, page) -> None:
    """The unit reviewer approves the submitted page (it is then published)."""
    state = WorkflowState.objects.get(
        base_content_type__isnull=False, object_id=str(page.pk), status="in_progress"
    ).current_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", state.pk))
    assert login(reviewer).post(url, {"comment": "同意"}).status_code in (200, 302)


def publish_snippet(reviewer, edit_url: str) -> None:
    """A reviewer opens the bookshelf item and ticks 已发布 (nothing else changes)."""
    client = login(reviewer)
    data = admin_form(client, edit_url)
    data["is_published"] = "on"
    submit(client, edit_url, data)


def test_news_is_created_edited_and_published_through_the_admin(
    org, site, roles, members, client_for
):
    editor = login(roles.editor_a)
    add_url = reverse("wagtailadmin_pages:add", args=("cms", "newspage", site.channel.pk))
    data = admin_form(editor, add_url, PAGE_FORM)
    fill(
        data,
        {
            "title": "第一工程局召开党建工作会",
            "slug": "a-dangjian",
            "date": "2026-11-20",
            "source": "宣传部",
            "summary": "会议部署了下一阶段工作",
            "publishing_unit": str(org.a.pk),
            "audience_unit": str(org.a.pk),
        },
    )
    with_body(data, "body", "<p>会议强调要抓好基层党建。</p>")
    submit(editor, add_url, data)
    page = NewsPage.objects.get(slug="a-dangjian")
    assert page.publishing_unit == org.a and not page.live

    edit_url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    data = admin_form(editor, edit_url, PAGE_FORM)
    data["title"] = "第一工程局召开2026年党建工作会"
    with_body(data, "body", "<p>会议强调要抓好基层党建和党风廉政建设。</p>")
    data["action-submit"] = "submit"
    submit(editor, edit_url, data)
    page.refresh_from_db()
    latest = page.get_latest_revision_as_object()
    assert latest.title == "第一工程局召开2026年党建工作会"
    assert "党风廉政" in str(latest.body)

    approve(roles.reviewer_a, page)
    resp = client_for(members.a1).get(f"/api/v1/news/{page.pk}/")
    assert resp.status_code == 200, resp.content
    assert resp.json()["title"] == "第一工程局召开2026年党建工作会"
    assert "党风廉政" in resp.content.decode()


def test_exemplar_story_is_created_edited_and_published(org, site, roles, members, client_for):
    editor = login(roles.editor_a)
    add_url = reverse("wagtailadmin_pages:add", args=("cms", "exemplarpage", site.stories.pk))
    data = admin_form(editor, add_url, PAGE_FORM)
    fill(
        data,
        {
            "title": "扎根一线的好支书",
            "slug": "good-secretary",
            "kind": "person",
            "subject_name": "张建国",
            "subject_unit": str(org.a1.pk),
            "honours": "全国优秀共产党员（2021）",
            "date": "2026-07-01",
            "publishing_unit": str(org.a.pk),
            "audience_unit": str(org.a.pk),
        },
    )
    with_body(data, "deeds", "<p>二十年坚守项目一线。</p>")
    submit(editor, add_url, data)
    page = ExemplarPage.objects.get(slug="good-secretary")
    assert page.subject_unit == org.a1

    edit_url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    data = admin_form(editor, edit_url, PAGE_FORM)
    data["honours"] = "全国优秀共产党员（2021）\n全国五一劳动奖章（2024）"
    with_body(data, "deeds", "<p>二十年坚守项目一线，带出一支过硬队伍。</p>")
    data["action-submit"] = "submit"
    submit(editor, edit_url, data)
    approve(roles.reviewer_a, page)
    page.refresh_from_db()
    assert page.live and "五一劳动奖章" in page.honours
    resp = client_for(members.a1).get(f"/api/v1/stories/{page.pk}/")
    assert resp.status_code == 200 and "过硬队伍" in resp.content.decode()


def test_digest_issue_with_items_is_created_edited_and_published(
    org, site, roles, members, client_for
):
    first = publish_news(
        site.channel, title="新闻一", publishing_unit=org.a, audience_unit=org.a, slug="n1"
    )
    second = publish_news(
        site.channel, title="新闻二", publishing_unit=org.a, audience_unit=org.a, slug="n2"
    )
    editor = login(roles.editor_a)
    add_url = reverse("wagtailadmin_pages:add", args=("cms", "digestissue", site.digests.pk))
    data = admin_form(editor, add_url, PAGE_FORM)
    fill(
        data,
        {
            "title": "手机报第1期",
            "slug": "digest-1",
            "issue_number": "1",
            "issue_date": "2026-11-23",
            "editor_note": "本周要闻",
            "publishing_unit": str(org.a.pk),
            "audience_unit": str(org.a.pk),
        },
    )
    add_row(data, "items", news=str(first.pk), summary="第一条")
    submit(editor, add_url, data)
    issue = DigestIssue.objects.get(slug="digest-1")

    edit_url = reverse("wagtailadmin_pages:edit", args=(issue.pk,))
    data = admin_form(editor, edit_url, PAGE_FORM)
    add_row(data, "items", news=str(second.pk), summary="第二条")
    data["editor_note"] = "本周要闻（补充）"
    data["action-submit"] = "submit"
    submit(editor, edit_url, data)
    approve(roles.reviewer_a, issue)
    issue.refresh_from_db()
    assert issue.live and issue.editor_note == "本周要闻（补充）"
    assert [i.news_id for i in issue.items.order_by("sort_order")] == [first.pk, second.pk]
    resp = client_for(members.a1).get(f"/api/v1/digests/{issue.pk}/")
    assert resp.status_code == 200 and "第二条" in resp.content.decode()


@pytest.mark.parametrize(
    ("model", "parent", "values"),
    [
        (NewsIndexPage, "home", {"channel_code": "grassroots", "intro": "基层动态"}),
        (ExemplarIndexPage, None, {"intro": "先进典型"}),
        (DigestIndexPage, None, {"intro": "手机报"}),
    ],
)
def test_channel_pages_are_created_and_edited_by_an_administrator(site, model, parent, values):
    admin = login(get_user_model().objects.create_superuser("boss", "boss@example.com", "pw"))
    if parent is None:  # one of each under the home page already: edit that one
        page = model.objects.get()
    else:
        add_url = reverse(
            "wagtailadmin_pages:add", args=("cms", model._meta.model_name, site.home.pk)
        )
        data = admin_form(admin, add_url, PAGE_FORM)
        fill(data, {"title": "基层动态", "slug": "grassroots", **values})
        data["action-publish"] = "publish"
        submit(admin, add_url, data)
        page = model.objects.get(slug="grassroots")
        assert page.live
    edit_url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    data = admin_form(admin, edit_url, PAGE_FORM)
    data["intro"] = "栏目简介（修订）"
    data["action-publish"] = "publish"
    submit(admin, edit_url, data)
    page.refresh_from_db()
    assert page.intro == "栏目简介（修订）"


# --- bookshelf snippets ----------------------------------------------------------------
def test_book_is_created_and_edited_by_an_editor_and_reaches_the_api(
    org, site, roles, members, client_for
):
    editor = login(roles.editor_a)
    add_url = reverse("wagtailsnippets_cms_book:add")
    data = admin_form(editor, add_url)
    fill(
        data,
        {
            "title": "党支部工作手册",
            "authors": "编写组",
            "isbn": isbn13(41),
            "language": "zh",
            "category": "D26",
            "owner_unit": str(org.a.pk),
            "audience_unit": str(org.a.pk),
        },
    )
    data["file"] = SimpleUploadedFile("manual.epub", epub_bytes("党支部工作手册"))
    submit(editor, add_url, data)
    book = Book.objects.get(title="党支部工作手册")
    assert book.file_format == "epub" and book.owner_unit == org.a

    edit_url = reverse("wagtailsnippets_cms_book:edit", args=(book.pk,))
    data = admin_form(editor, edit_url)
    data["description"] = "支部书记案头必备"
    submit(editor, edit_url, data)
    book.refresh_from_db()
    assert book.description == "支部书记案头必备" and book.file_format == "epub"
    assert client_for(members.a1).get(f"/api/v1/books/{book.pk}/").status_code == 404
    publish_snippet(roles.reviewer_a, edit_url)  # the unit's reviewer publishes it
    book.refresh_from_db()
    assert book.reviewed_by == roles.reviewer_a and book.edited_by == roles.editor_a
    resp = client_for(members.a1).get(f"/api/v1/books/{book.pk}/")
    assert resp.status_code == 200 and "案头必备" in resp.content.decode()


def test_periodical_and_issue_are_created_and_edited_by_an_editor(
    org, site, roles, members, client_for
):
    editor = login(roles.editor_a)
    add_url = reverse("wagtailsnippets_cms_periodical:add")
    data = admin_form(editor, add_url)
    fill(
        data,
        {
            "title": "支部生活",
            "issn": "",
            "frequency": "monthly",
            "language": "zh",
            "owner_unit": str(org.a.pk),
            "audience_unit": str(org.a.pk),
        },
    )
    submit(editor, add_url, data)
    journal = Periodical.objects.get(title="支部生活")
    edit_url = reverse("wagtailsnippets_cms_periodical:edit", args=(journal.pk,))
    data = admin_form(editor, edit_url)
    data["frequency"] = "semimonthly"
    submit(editor, edit_url, data)
    journal.refresh_from_db()
    assert journal.frequency == "semimonthly"

    add_url = reverse("wagtailsnippets_cms_periodicalissue:add")
    data = admin_form(editor, add_url)
    fill(
        data,
        {
            "periodical": str(journal.pk),
            "label": "2026年第11期",
            "issue_date": "2026-11-01",
        },
    )
    data["file"] = SimpleUploadedFile("issue.pdf", pdf_bytes("支部生活"))
    submit(editor, add_url, data)
    issue = PeriodicalIssue.objects.get(periodical=journal)
    edit_url = reverse("wagtailsnippets_cms_periodicalissue:edit", args=(issue.pk,))
    data = admin_form(editor, edit_url)
    data["label"] = "2026年第11期（上）"
    submit(editor, edit_url, data)
    issue.refresh_from_db()
    assert issue.label == "2026年第11期（上）" and issue.file.name
    # the unit's reviewer publishes the periodical and the issue
    publish_snippet(
        roles.reviewer_a, reverse("wagtailsnippets_cms_periodical:edit", args=(journal.pk,))
    )
    publish_snippet(roles.reviewer_a, edit_url)
    resp = client_for(members.a1).get(f"/api/v1/periodicals/{journal.pk}/")
    assert resp.status_code == 200 and "第11期（上）" in resp.content.decode()
