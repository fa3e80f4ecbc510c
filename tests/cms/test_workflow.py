"""Admin flows through the Django test client (logged in): create → submit → unit review
→ (upper review when the audience is wider) → published → visible in the API in scope
and 404 out of scope; and editors/reviewers of unit B cannot touch unit A's content,
neither through the UI nor through guessed URLs."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.models import PageLogEntry, TaskState, WorkflowState
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from cms.models import NewsPage

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def news_form(org_pub, org_aud, title="第一工程局召开党建工作会", **extra):
    data = {
        "title": title,
        "slug": extra.pop("slug", "dangjian-hui"),
        "subtitle": "",
        "source": "宣传部",
        "author": "通讯员",
        "date": "2026-11-20",
        "summary": "会议部署了下一阶段工作",
        "tags": "党建",
        "publishing_unit": str(org_pub.pk),
        "audience_unit": str(org_aud.pk),
        "body": streamfield([("rich_text", rich_text("<p>正文</p>"))]),
        "comments": inline_formset([]),
        **extra,
    }
    return nested_form_data(data)


def create_and_submit(editor, site, pub, aud, **extra) -> NewsPage:
    c = login(editor)
    url = reverse("wagtailadmin_pages:add", args=("cms", "newspage", site.channel.pk))
    resp = c.post(url, {**news_form(pub, aud, **extra), "action-submit": "提交审核"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    page = NewsPage.objects.get(slug=extra.get("slug", "dangjian-hui"))
    assert not page.live
    return page


def current_task_state(page) -> TaskState:
    ws = WorkflowState.objects.get(
        base_content_type__isnull=False, object_id=str(page.pk), status="in_progress"
    )
    return ws.current_task_state


def act(user, page, action, task_state, comment="") -> int:
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, action, task_state.pk))
    data = {"comment": comment} if comment else {}
    return login(user).post(url, data).status_code


def test_unit_scoped_news_goes_through_unit_review_then_is_visible_in_scope(
    org, site, roles, members, client_for
):
    page = create_and_submit(roles.editor_a, site, org.a, org.a)
    api = f"/api/v1/news/{page.pk}/"
    assert client_for(members.a1).get(api).status_code == 404  # not yet reviewed

    state = current_task_state(page)
    assert state.task.specific.__class__.__name__ == "UnitReviewTask"
    # a reviewer of another unit cannot approve, and nothing changes
    act(roles.reviewer_b, page, "approve", state)
    state.refresh_from_db()
    assert state.status == TaskState.STATUS_IN_PROGRESS
    # the editor who wrote it cannot approve their own submission either
    act(roles.editor_a, page, "approve", state)
    state.refresh_from_db()
    assert state.status == TaskState.STATUS_IN_PROGRESS

    assert act(roles.reviewer_a, page, "approve", state, comment="同意发布") in (200, 302)
    page.refresh_from_db()
    assert page.live  # the upper review was skipped: the audience is A's own subtree
    assert client_for(members.a1).get(api).status_code == 200
    assert client_for(members.b1).get(api).status_code == 404
    actions = set(PageLogEntry.objects.filter(page=page).values_list("action", flat=True))
    assert {"wagtail.workflow.approve", "wagtail.publish"} <= actions
    approve = PageLogEntry.objects.get(page=page, action="wagtail.workflow.approve")
    assert approve.user == roles.reviewer_a and approve.timestamp is not None


def test_wider_audience_needs_upper_level_approval(org, site, roles, members, client_for):
    page = create_and_submit(roles.editor_a, site, org.a, org.root, slug="group-wide")
    act(roles.reviewer_a, page, "approve", current_task_state(page))
    page.refresh_from_db()
    assert not page.live
    upper = current_task_state(page)
    assert upper.task.specific.__class__.__name__ == "UpperReviewTask"
    # the unit's own reviewer and a sibling unit's reviewer cannot give the upper approval
    act(roles.reviewer_a, page, "approve", upper)
    act(roles.reviewer_b, page, "approve", upper)
    upper.refresh_from_db()
    assert upper.status == TaskState.STATUS_IN_PROGRESS
    act(roles.reviewer_root, page, "approve", upper)
    page.refresh_from_db()
    assert page.live
    assert client_for(members.b1).get(f"/api/v1/news/{page.pk}/").status_code == 200


def test_rejection_is_logged_and_nothing_is_published(org, site, roles):
    page = create_and_submit(roles.editor_a, site, org.a, org.a, slug="rejected")
    act(roles.reviewer_a, page, "reject", current_task_state(page), comment="请核实数据")
    page.refresh_from_db()
    assert not page.live
    entry = PageLogEntry.objects.get(page=page, action="wagtail.workflow.reject")
    assert entry.user == roles.reviewer_a


def test_editors_cannot_publish_directly(org, site, roles):
    c = login(roles.editor_a)
    url = reverse("wagtailadmin_pages:add", args=("cms", "newspage", site.channel.pk))
    c.post(url, {**news_form(org.a, org.a, slug="direct"), "action-publish": "发布"})
    page = NewsPage.objects.filter(slug="direct").first()
    assert page is None or not page.live


def test_editor_cannot_file_content_under_another_unit(org, site, roles):
    c = login(roles.editor_b)
    url = reverse("wagtailadmin_pages:add", args=("cms", "newspage", site.channel.pk))
    resp = c.post(url, {**news_form(org.a, org.a, slug="forged"), "action-submit": "提交"})
    assert resp.status_code == 200  # the form is shown again with the error
    assert "publishing_unit" in resp.context["form"].errors
    assert not NewsPage.objects.filter(slug="forged").exists()


def test_editor_of_b_cannot_edit_submit_publish_delete_or_move_a_content(org, site, roles, news):
    page = news(title="第一工程局新闻", publishing_unit=org.a, audience_unit=org.a, slug="a-news")
    page.save_revision()  # a draft on top of the live version
    c = login(roles.editor_b)
    before = page.get_latest_revision().pk
    guessed = [
        ("get", reverse("wagtailadmin_pages:edit", args=(page.pk,))),
        ("post", reverse("wagtailadmin_pages:edit", args=(page.pk,))),
        ("get", reverse("wagtailadmin_pages:delete", args=(page.pk,))),
        ("post", reverse("wagtailadmin_pages:delete", args=(page.pk,))),
        ("post", reverse("wagtailadmin_pages:unpublish", args=(page.pk,))),
        ("get", reverse("wagtailadmin_pages:move", args=(page.pk,))),
        ("post", reverse("wagtailadmin_pages:copy", args=(page.pk,))),
        ("get", reverse("wagtailadmin_pages:history", args=(page.pk,))),
        ("get", reverse("wagtailadmin_pages:revisions_index", args=(page.pk,))),
        ("post", reverse("wagtailadmin_pages:lock", args=(page.pk,))),
        ("get", reverse("cms_preview_token", args=(page.pk,))),
    ]
    for method, url in guessed:
        data = {
            **news_form(org.a, org.a, title="篡改", slug="a-news"),
            "action-publish": "1",
            "action-submit": "1",
        }
        resp = getattr(c, method)(url, data) if method == "post" else c.get(url)
        assert resp.status_code in (302, 403, 404), (url, resp.status_code)
        if resp.status_code == 302:
            assert (
                resp["Location"].rstrip("/").endswith("/admin") or "login" not in resp["Location"]
            )
    page.refresh_from_db()
    assert page.live and page.title == "第一工程局新闻"
    assert page.get_latest_revision().pk == before
    assert not WorkflowState.objects.filter(object_id=str(page.pk)).exists()
    assert page.locked is False


def test_explorer_hides_other_units_content(org, site, roles, news):
    mine = news(title="A 的新闻", publishing_unit=org.a, audience_unit=org.a, slug="mine")
    theirs = news(title="B 的新闻", publishing_unit=org.b, audience_unit=org.b, slug="theirs")
    html = (
        login(roles.editor_a)
        .get(reverse("wagtailadmin_explore", args=(site.channel.pk,)))
        .content.decode()
    )
    assert mine.title in html and theirs.title not in html


def test_editor_of_a_can_edit_own_unit_content(org, site, roles, news):
    page = news(title="A1 支部新闻", publishing_unit=org.a1, audience_unit=org.a1, slug="a1-news")
    c = login(roles.editor_a)  # editor on A covers A's subtree
    assert c.get(reverse("wagtailadmin_pages:edit", args=(page.pk,))).status_code == 200


def test_audit_report_lists_entries_per_unit(org, site, roles):
    page_a = create_and_submit(roles.editor_a, site, org.a, org.a, slug="audit-a")
    act(roles.reviewer_a, page_a, "approve", current_task_state(page_a))
    page_b = create_and_submit(roles.editor_b, site, org.b, org.b, slug="audit-b")
    act(roles.reviewer_b, page_b, "reject", current_task_state(page_b), comment="不通过")
    html_a = login(roles.reviewer_a).get(reverse("cms_content_audit")).content.decode()
    assert page_a.title in html_a and "审核通过" in html_a and "发布" in html_a
    assert "不通过" not in html_a  # B's rejection is outside A's subtree
    # the unit filter (B's subtree); the filter form itself names every action, so read
    # the rows from the export
    resp = login(roles.reviewer_root).get(reverse("cms_content_audit") + "?unit=B&export=csv")
    body = b"".join(resp.streaming_content) if resp.streaming else resp.content
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert {r["操作"] for r in rows} == {"提交审核", "退回修改"}
