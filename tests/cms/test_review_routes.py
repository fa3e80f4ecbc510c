"""No path around review (issue 14, part 3): every admin route that could put content in
front of members without the review its audience requires is tried as each role — editor,
unit reviewer, upper reviewer, secretary, unit admin and superuser — through the real
admin views. An attempt by a role that may work on the item is turned back with a
message naming the required step; other roles get the scope rule's 404 (or 403); and in
every case nothing changed: the page is not live, its live revision is the same, nothing
is scheduled, no copy exists."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from wagtail.models import Page, Revision, TaskState, WorkflowState

from cms.models import NewsPage
from cms.services import user_content_groups_sync
from organizations.models import UnitRole
from tests.cms.conftest import staff_with_role
from tests.cms.test_workflow import create_and_submit, current_task_state, news_form
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UNIT_STEP = "本单位审核（第一工程局党委"
UPPER_STEP_ROOT = "上级单位审核（集团党委"
WORKING_ROLES = ("editor", "unit_reviewer", "upper_reviewer", "superuser")
OTHER_ROLES = ("secretary", "unit_admin")


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def messages_of(resp) -> list[str]:
    return [str(m) for m in get_messages(resp.wsgi_request)]


def assert_refused(role, resp, *needles):
    """Turned back with a message naming the required step (roles that work on the item),
    or the scope rule's not-found / forbidden (roles that never see it)."""
    if role in OTHER_ROLES and resp.status_code in (403, 404):
        return
    assert resp.status_code == 302, (role, resp.status_code)
    found = messages_of(resp)
    assert any(all(n in m for n in needles) for m in found), (role, found)


@pytest.fixture
def people(org, site, roles):
    return {
        "editor": roles.editor_a,
        "unit_reviewer": roles.reviewer_a,
        "upper_reviewer": roles.reviewer_root,
        "secretary": staff_with_role(org.a, "secretary", "secretary_a"),
        "unit_admin": staff_with_role(org.a, "unit_admin", "unitadmin_a"),
        "superuser": UserFactory(username="root_admin", is_staff=True, is_superuser=True),
    }


def draft(site, roles, pub, aud, slug="draft-news", title="第一工程局工作简报") -> NewsPage:
    page = NewsPage(
        title=title,
        slug=slug,
        date="2026-11-20",
        publishing_unit=pub,
        audience_unit=aud,
        summary="摘要",
        body=[("rich_text", "<p>正文</p>")],
        live=False,
        owner=roles.editor_a,
    )
    site.channel.add_child(instance=page)
    page.save_revision(user=roles.editor_a)
    return NewsPage.objects.get(pk=page.pk)


def snapshot(page) -> tuple:
    page = NewsPage.objects.get(pk=page.pk)
    scheduled = Revision.page_revisions.filter(
        object_id=str(page.pk), approved_go_live_at__isnull=False
    ).count()
    return (
        page.live,
        page.live_revision_id,
        page.audience_unit_id,
        page.get_parent().pk,
        scheduled,
        NewsPage.objects.count(),
    )


# --- the publish button, in every form it takes ----------------------------------------------
def test_publish_button_of_the_edit_form_is_refused_for_every_role(org, site, roles, people):
    page = draft(site, roles, org.a, org.a)
    before = snapshot(page)
    url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    for role, user in people.items():
        data = {**news_form(org.a, org.a, slug=page.slug), "action-publish": "发布"}
        assert_refused(role, login(user).post(url, data), "不能直接发布", UNIT_STEP)
        assert snapshot(page) == before, role


def test_widening_a_live_item_and_publishing_names_the_upper_step(org, site, roles, people, news):
    page = news(title="第一工程局新闻", publishing_unit=org.a, audience_unit=org.a, slug="live")
    before = snapshot(page)
    url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    for role, user in people.items():
        data = {**news_form(org.a, org.root, slug="live"), "action-publish": "发布"}
        assert_refused(role, login(user).post(url, data), UNIT_STEP, UPPER_STEP_ROOT)
        assert snapshot(page) == before, role
    page.refresh_from_db()
    assert page.audience_unit == org.a and page.title == "第一工程局新闻"


def test_publish_button_of_the_add_form_is_refused_for_every_role(org, site, people):
    url = reverse("wagtailadmin_pages:add", args=("cms", "newspage", site.channel.pk))
    for role, user in people.items():
        data = {**news_form(org.a, org.root, slug=f"new-{role}"), "action-publish": "发布"}
        resp = login(user).post(url, data)
        assert_refused(role, resp, UNIT_STEP, UPPER_STEP_ROOT)
        assert not NewsPage.objects.filter(live=True).exists(), role


def test_reverting_to_an_old_revision_and_publishing_is_refused(org, site, roles, people):
    # revision 1 addressed the whole group and was never approved; revision 2 (A only)
    # went out through review
    page = draft(site, roles, org.a, org.root, slug="reverted")
    old = page.get_latest_revision()
    page.audience_unit = org.a
    page.save_revision(user=roles.editor_a).publish()
    before = snapshot(page)
    url = reverse("wagtailadmin_pages:revisions_revert", args=(page.pk, old.pk))
    for role, user in people.items():
        data = {**news_form(org.a, org.root, slug="reverted"), "action-publish": "发布"}
        assert_refused(role, login(user).post(url, data), UPPER_STEP_ROOT)
        assert snapshot(page) == before, role


def test_scheduling_a_publication_is_refused(org, site, roles, people):
    page = draft(site, roles, org.a, org.a, slug="scheduled")
    before = snapshot(page)
    url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    for role, user in people.items():
        data = {
            **news_form(org.a, org.a, slug="scheduled"),
            "go_live_at": "2030-01-01 08:00",
            "action-publish": "发布",
        }
        assert_refused(role, login(user).post(url, data), UNIT_STEP)
        assert snapshot(page) == before, role  # nothing scheduled either


def test_unpublish_is_allowed_to_reviewers_but_republishing_needs_review(
    org, site, roles, people, news
):
    page = news(title="待撤下", publishing_unit=org.a, audience_unit=org.a, slug="down")
    # an editor may not take it down; the unit's reviewer may
    login(roles.editor_a).post(reverse("wagtailadmin_pages:unpublish", args=(page.pk,)))
    page.refresh_from_db()
    assert page.live
    resp = login(roles.reviewer_a).post(reverse("wagtailadmin_pages:unpublish", args=(page.pk,)))
    page.refresh_from_db()
    assert resp.status_code == 302 and not page.live
    before = snapshot(page)
    edit = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    bulk = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "publish"))
    for role, user in people.items():
        data = {**news_form(org.a, org.a, slug="down"), "action-publish": "发布"}
        assert_refused(role, login(user).post(edit, data), UNIT_STEP)
        resp = login(user).post(f"{bulk}?id={page.pk}", {"include_descendants": "on"})
        assert_refused(role, resp, "不能批量直接发布", UNIT_STEP)
        assert snapshot(page) == before, role


def test_bulk_publish_is_refused(org, site, roles, people):
    page = draft(site, roles, org.a, org.root, slug="bulk")
    before = snapshot(page)
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "publish"))
    for role, user in people.items():
        resp = login(user).post(f"{url}?id={page.pk}", {"include_descendants": "on"})
        assert_refused(role, resp, "不能批量直接发布", UNIT_STEP, UPPER_STEP_ROOT)
        assert snapshot(page) == before, role
    # bulk-publishing a channel with its drafts does not publish them either
    channel = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "publish"))
    resp = login(people["superuser"]).post(
        f"{channel}?id={site.channel.pk}", {"include_descendants": "on"}
    )
    assert_refused("superuser", resp, "不能批量直接发布")
    assert snapshot(page) == before


def test_bulk_publish_of_another_units_page_is_not_found(org, site, roles):
    page = draft(site, roles, org.b, org.b, slug="b-bulk", title="海外事业部内部通报")
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "publish"))
    resp = login(roles.editor_a).get(f"{url}?id={page.pk}")
    assert resp.status_code == 404 and "海外事业部内部通报" not in resp.content.decode()


def test_copy_with_publish_copies_or_as_alias_is_refused(org, site, roles, people, news):
    page = news(title="已发布新闻", publishing_unit=org.a, audience_unit=org.a, slug="src")
    before = snapshot(page)
    url = reverse("wagtailadmin_pages:copy", args=(page.pk,))
    for role, user in people.items():
        for option in ("publish_copies", "alias"):
            data = {
                "new_title": "已发布新闻（副本）",
                "new_slug": f"copy-{role}",
                "new_parent_page": str(site.notice.pk),
                option: "on",
            }
            assert_refused(role, login(user).post(url, data), "复制的内容不能直接发布", UNIT_STEP)
            assert snapshot(page) == before, (role, option)
    assert not Page.objects.filter(slug__startswith="copy-").exists()


def test_moving_a_live_item_is_refused(org, site, roles, people, news):
    page = news(title="已发布新闻", publishing_unit=org.a, audience_unit=org.a, slug="moving")
    before = snapshot(page)
    confirm = reverse("wagtailadmin_pages:move_confirm", args=(page.pk, site.notice.pk))
    bulk = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "move"))
    for role, user in people.items():
        assert_refused(role, login(user).post(confirm), "不能直接移到其他栏目", UNIT_STEP)
        resp = login(user).post(f"{bulk}?id={page.pk}", {"chooser": str(site.notice.pk)})
        assert_refused(role, resp, "不能批量移动", UNIT_STEP)
        assert snapshot(page) == before, role
    # a draft still moves: nothing goes out by moving it
    other = draft(site, roles, org.a, org.a, slug="draft-move")
    resp = login(roles.editor_a).post(
        reverse("wagtailadmin_pages:move_confirm", args=(other.pk, site.notice.pk))
    )
    assert resp.status_code == 302
    other = NewsPage.objects.get(pk=other.pk)
    assert other.get_parent().pk == site.notice.pk and not other.live


# --- approvals -----------------------------------------------------------------------------
def approve(user, page, state=None, comment=""):
    state = state or current_task_state(page)
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", state.pk))
    return login(user).post(url, {"comment": comment} if comment else {})


def test_the_author_never_approves_their_own_item(org, site, roles):
    both = staff_with_role(org.a, "editor", "editor_reviewer_a")
    UnitRole.objects.create(user=both, unit=org.a, role="reviewer")
    user_content_groups_sync(user=both)
    page = create_and_submit(both, site, org.a, org.a, slug="own")
    state = current_task_state(page)
    resp = approve(both, page, state)
    assert_refused("editor", resp, "不能审核自己", UNIT_STEP, "须由另一位审核员完成")
    state.refresh_from_db()
    page.refresh_from_db()
    assert state.status == TaskState.STATUS_IN_PROGRESS and not page.live
    approve(roles.reviewer_a, page, state)  # another reviewer of the unit may
    page.refresh_from_db()
    assert page.live


def test_one_person_never_approves_two_steps_of_the_same_revision(org, site, roles):
    page = create_and_submit(roles.editor_a, site, org.a, org.root, slug="twice")
    assert approve(roles.reviewer_root, page).status_code == 302  # the unit step
    upper = current_task_state(page)
    assert type(upper.task.specific).__name__ == "UpperReviewTask"
    resp = approve(roles.reviewer_root, page, upper)
    assert_refused("upper_reviewer", resp, "同一版本的两级审核不能由同一人完成", UPPER_STEP_ROOT)
    upper.refresh_from_db()
    page.refresh_from_db()
    assert upper.status == TaskState.STATUS_IN_PROGRESS and not page.live
    root2 = staff_with_role(org.root, "reviewer", "reviewer_root2")
    approve(root2, page, upper)
    page.refresh_from_db()
    assert page.live


def test_separation_of_duties_can_be_switched_off_per_task(org, site, roles):
    from cms.models import UnitReviewTask, UpperReviewTask

    UnitReviewTask.objects.update(separate_duties=False)
    UpperReviewTask.objects.update(separate_duties=False)
    page = create_and_submit(roles.editor_a, site, org.a, org.root, slug="solo")
    approve(roles.reviewer_root, page)
    approve(roles.reviewer_root, page)
    page.refresh_from_db()
    assert page.live


def test_the_upper_step_belongs_to_the_level_that_owns_the_audience(
    org, site, roles, members, client_for
):
    # A1's item for B's members: A's reviewer answers for A1 but not for B
    page = create_and_submit(roles.editor_a, site, org.a1, org.b, slug="to-b")
    approve(roles.reviewer_a, page)
    upper = current_task_state(page)
    resp = approve(roles.reviewer_a, page, upper)
    assert_refused("unit_reviewer", resp, "需经上级单位审核（海外事业部党委")
    upper.refresh_from_db()
    page.refresh_from_db()
    assert upper.status == TaskState.STATUS_IN_PROGRESS and not page.live
    assert client_for(members.b1).get(f"/api/v1/news/{page.pk}/").status_code == 404
    approve(roles.reviewer_b, page, upper)  # B's reviewer owns the audience
    page.refresh_from_db()
    assert page.live


def test_widening_the_audience_of_a_live_item_goes_through_the_upper_step(
    org, site, roles, members, client_for, news
):
    page = news(title="第一工程局内部通知", publishing_unit=org.a, audience_unit=org.a, slug="w")
    c = login(roles.editor_a)
    url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    data = {**news_form(org.a, org.root, title="第一工程局通知", slug="w"), "action-submit": "1"}
    assert c.post(url, data).status_code == 302
    approve(roles.reviewer_a, page)
    page.refresh_from_db()
    assert page.audience_unit == org.a  # the widened revision is not live
    assert client_for(members.b1).get(f"/api/v1/news/{page.pk}/").status_code == 404
    upper = current_task_state(page)
    assert type(upper.task.specific).__name__ == "UpperReviewTask"
    approve(roles.reviewer_root, page, upper)
    page.refresh_from_db()
    assert page.audience_unit == org.root
    assert client_for(members.b1).get(f"/api/v1/news/{page.pk}/").status_code == 200


def test_a_change_after_approval_restarts_review(org, site, roles):
    page = create_and_submit(roles.editor_a, site, org.a, org.root, slug="changed")
    approve(roles.reviewer_a, page)
    upper = current_task_state(page)
    # the upper reviewer may open the editor during their step; they change the text
    c = login(roles.reviewer_root)
    url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    data = news_form(org.a, org.root, title="改过的标题", slug="changed")
    assert c.post(url, data).status_code == 302
    # another upper reviewer approves the step they were shown: review starts again on
    # the changed revision, at the unit step; nothing is published
    root2 = staff_with_role(org.root, "reviewer", "reviewer_root2")
    approve(root2, page, upper)
    page.refresh_from_db()
    assert not page.live
    state = current_task_state(page)
    assert type(state.task.specific).__name__ == "UnitReviewTask"
    assert state.revision_id == page.get_latest_revision().pk
    # the unit reviewer approves the new revision; the changer cannot give the upper step
    approve(roles.reviewer_a, page, state)
    upper = current_task_state(page)
    resp = approve(roles.reviewer_root, page, upper)
    assert_refused("upper_reviewer", resp, "不能审核自己", UPPER_STEP_ROOT)
    approve(root2, page, upper)
    page.refresh_from_db()
    assert page.live and page.title == "改过的标题"


def test_a_reviewer_who_edits_while_approving_does_not_publish_their_own_edit(org, site, roles):
    page = create_and_submit(roles.editor_a, site, org.a, org.a, slug="edit-approve")
    c = login(roles.reviewer_a)
    url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    data = {
        **news_form(org.a, org.a, title="审核员改写的标题", slug="edit-approve"),
        "action-workflow-action": "true",
        "workflow-action-name": "approve",
    }
    c.post(url, data)
    page.refresh_from_db()
    assert not page.live
    state = current_task_state(page)
    assert state.revision.user == roles.reviewer_a  # review restarted on their revision
    assert_refused("unit_reviewer", approve(roles.reviewer_a, page, state), "不能审核自己")
    page.refresh_from_db()
    assert not page.live


def test_a_step_of_another_item_answers_not_found(org, site, roles):
    mine = create_and_submit(roles.editor_a, site, org.a, org.a, slug="mine")
    theirs = create_and_submit(roles.editor_b, site, org.b, org.b, slug="theirs")
    state = current_task_state(theirs)
    url = reverse("wagtailadmin_pages:workflow_action", args=(mine.pk, "approve", state.pk))
    assert login(roles.reviewer_a).post(url).status_code == 404
    state.refresh_from_db()
    assert state.status == TaskState.STATUS_IN_PROGRESS


def test_approvals_in_the_edit_form_follow_the_same_rules(org, site, roles):
    page = create_and_submit(roles.editor_a, site, org.a1, org.b, slug="edit-form")
    approve(roles.reviewer_a, page)
    c = login(roles.reviewer_a)  # not B's level: the upper step is not theirs
    url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    data = {
        **news_form(org.a1, org.b, slug="edit-form"),
        "action-workflow-action": "true",
        "workflow-action-name": "approve",
    }
    resp = c.post(url, data)
    assert_refused("unit_reviewer", resp, "需经上级单位审核（海外事业部党委")
    page.refresh_from_db()
    assert not page.live
    assert WorkflowState.objects.get(object_id=str(page.pk), status="in_progress")


# --- the API -------------------------------------------------------------------------------
def test_the_api_writes_no_content(org, site, roles, news, client_for):
    """A guard: the apps' content endpoints only read (docs/architecture.md). A write
    method on any of them — even for the group's reviewer — is not allowed, and the
    content is unchanged."""
    import api.content

    page = news(title="已发布新闻", publishing_unit=org.a, audience_unit=org.a, slug="api")
    draft_page = draft(site, roles, org.a, org.root, slug="api-draft")
    client = client_for(roles.reviewer_root)
    body = {"title": "篡改", "live": True, "audience_unit": org.root.pk, "is_published": True}
    for pattern in api.content.urlpatterns:
        kwargs = {"id": draft_page.pk} if "<int:id>" in str(pattern.pattern) else {}
        url = reverse(f"api:{pattern.name}", kwargs=kwargs)
        for method in ("post", "put", "patch", "delete"):
            resp = getattr(client, method)(url, body, format="json")
            assert resp.status_code == 405, (method, url, resp.status_code)
    page.refresh_from_db()
    draft_page.refresh_from_db()
    assert page.title == "已发布新闻" and not draft_page.live
