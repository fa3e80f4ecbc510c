"""The outlet registry (阵地备案): managed in the admin within the unit subtree (another
unit's outlet is not-found in the listing, edit and export), approved only by the upper
level, and enforced on publication — nothing goes out through a suspended outlet, by the
editor's form, a review approval, bulk publish or a schedule; each publication records
the outlets it went out through; suspending the app or a portal channel stops serving."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageLogEntry, TaskState, WorkflowState

from cms.models import AuditEntry, NewsPage, Outlet
from cms.models.outlets import display_name
from cms.outlet_services import OutletError, outlet_approve, outlet_update
from cms.outlets import OutletUnavailable
from cms.services import page_review_run
from cms.tasks import publish_scheduled_run
from tests.cms.conftest import publish_news, staff_with_role
from tests.cms.test_workflow import act, current_task_state, login, news_form
from tests.factories import member_in

pytestmark = pytest.mark.django_db


def submit(editor, site, pub, aud, slug, *, outlets=None, **extra) -> NewsPage:
    """Create and submit a news item in the admin, ticking `outlets` (ids) when given."""
    data = {**news_form(pub, aud, slug=slug, **extra), "action-submit": "提交审核"}
    if outlets is not None:
        data["outlets"] = [str(pk) for pk in outlets]
    url = reverse("wagtailadmin_pages:add", args=("cms", "newspage", site.channel.pk))
    resp = login(editor).post(url, data)
    assert resp.status_code == 302, resp.content.decode()[:3000]
    return NewsPage.objects.get(slug=slug)


def xlsx_text(resp) -> list[list]:
    body = b"".join(resp.streaming_content) if resp.streaming else resp.content
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# --- the registry in the admin ------------------------------------------------------------
def test_secretary_registers_and_changes_outlets_of_their_subtree_only(org, site, outlets):
    sec_a, sec_b = outlets.secretary_a, staff_with_role(org.b, "secretary", "secretary_b")
    owner = member_in(org.a1, "owner_a1", member_no="A1-0001")
    c = login(sec_a)
    resp = c.post(
        reverse("cms_outlets:add"),
        {
            "name": "北京项目电子屏",
            "kind": "screen",
            "owner_unit": str(org.a1.pk),
            "owner_ref": "A1-0001",
            "deputy_ref": "",
            "address": "项目部大门",
            "status": "active",
            "status_reason": "",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:3000]
    screen = Outlet.objects.get(name="北京项目电子屏")
    assert (screen.owner_unit, screen.owner, screen.registered_by) == (org.a1, owner.user, sec_a)
    assert not screen.is_approved

    # a unit outside the secretary's subtree cannot be named, and nothing is registered
    resp = c.post(
        reverse("cms_outlets:add"),
        {
            "name": "越权公众号",
            "kind": "wechat",
            "owner_unit": str(org.b.pk),
            "owner_ref": "A1-0001",
            "status": "active",
        },
    )
    assert resp.status_code == 200 and "owner_unit" in resp.context["form"].errors
    assert not Outlet.objects.filter(name="越权公众号").exists()

    # the listing and its Excel export: mine, not theirs
    theirs = Outlet.objects.create(name="海外事业部公众号", kind="wechat", owner_unit=org.b)
    listing = c.get(reverse("cms_outlets:index")).content.decode()
    assert (
        "北京项目电子屏" in listing and "第一工程局党建" in listing and theirs.name not in listing
    )
    rows = xlsx_text(c.get(reverse("cms_outlets:index") + "?export=xlsx"))
    assert rows[0][:6] == ["阵地名称", "类型", "主办单位代码", "主办单位", "责任人", "副责任人"]
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"北京项目电子屏", "第一工程局党建"}
    assert by_name["北京项目电子屏"][1:5] == [
        "电子屏",
        "A1",
        org.a1.name,
        f"{owner.name}（{owner.user.username}）",
    ]
    assert by_name["北京项目电子屏"][9] == "待上级批准"

    # B's secretary: A's outlets are not-found, in every view
    cb = login(sec_b)
    for url in (
        reverse("cms_outlets:edit", args=[screen.pk]),
        reverse("cms_outlets:approve", args=[screen.pk]),
        reverse("cms_outlets:history", args=[screen.pk]),
    ):
        assert cb.get(url).status_code == 404, url
        assert cb.post(url, {"name": "改名", "status": "closed"}).status_code == 404, url
    assert "北京项目电子屏" not in cb.get(reverse("cms_outlets:index")).content.decode()
    assert [r[0] for r in xlsx_text(cb.get(reverse("cms_outlets:index") + "?export=xlsx"))[1:]] == [
        theirs.name
    ]
    screen.refresh_from_db()
    assert screen.name == "北京项目电子屏" and screen.status == "active"

    # A's secretary suspends it: saved, and the change is in the audit log with its operator
    data = {
        "name": "北京项目电子屏",
        "kind": "screen",
        "owner_unit": str(org.a1.pk),
        "owner_ref": "A1-0001",
        "address": "项目部大门",
        "status": "suspended",
        "status_reason": "屏幕检修",
    }
    assert c.post(reverse("cms_outlets:edit", args=[screen.pk]), data).status_code == 302
    screen.refresh_from_db()
    assert screen.status == "suspended"
    change = AuditEntry.objects.get(action="outlet_change", object_label="北京项目电子屏")
    assert change.operator == sec_a and "状态：正常 → 暂停" in change.comment
    assert [r.outlet_id for r in change.outlet_rows.all()] == [screen.pk]
    # a registry entry is never deleted
    resp = c.post(reverse("cms_outlets:delete", args=[screen.pk]))
    assert resp.status_code == 302 and Outlet.objects.filter(pk=screen.pk).exists()


def test_only_the_upper_level_approves_a_registration(org, site, outlets):
    sec_a = outlets.secretary_a
    sec_a1 = staff_with_role(org.a1, "secretary", "secretary_a1")
    editor_root = staff_with_role(org.root, "editor", "editor_root")
    screen = Outlet.objects.create(name="北京项目电子屏", kind="screen", owner_unit=org.a1)
    wechat_a = Outlet.objects.create(name="第一工程局视频号", kind="wechat", owner_unit=org.a)

    # the owning unit itself may not approve; nor a role that is not a secretary/unit admin
    for user, outlet in ((sec_a1, screen), (sec_a, wechat_a), (editor_root, wechat_a)):
        with pytest.raises(OutletError, match="上级党组织"):
            outlet_approve(outlet=outlet, user=user)
        assert not Outlet.objects.get(pk=outlet.pk).is_approved

    # through the admin: A1's secretary sees the refusal, A's secretary approves
    resp = login(sec_a1).post(reverse("cms_outlets:approve", args=[screen.pk]), {"note": "同意"})
    assert resp.status_code == 302
    assert not Outlet.objects.get(pk=screen.pk).is_approved
    resp = login(sec_a).post(reverse("cms_outlets:approve", args=[screen.pk]), {"note": "同意备案"})
    assert resp.status_code == 302
    screen.refresh_from_db()
    assert screen.approved_by == sec_a and screen.approved_at is not None
    entry = AuditEntry.objects.get(action="outlet_approve", object_label=screen.name)
    assert entry.operator == sec_a and entry.comment == "同意备案"
    # approving twice is refused and changes nothing
    with pytest.raises(OutletError, match="已经批准"):
        outlet_approve(outlet=screen, user=outlets.chief)
    assert Outlet.objects.get(pk=screen.pk).approved_by == sec_a
    # a suspended outlet is resumed by the upper level only
    outlet_update(outlet=screen, user=sec_a1, status="suspended")
    with pytest.raises(OutletError, match="只有上级党组织可以恢复"):
        outlet_update(outlet=screen, user=sec_a1, status="active")
    outlet_update(outlet=screen, user=sec_a, status="active")
    assert Outlet.objects.get(pk=screen.pk).status == "active"


# --- publishing through outlets -------------------------------------------------------------
def test_each_publication_records_the_outlets_it_went_out_through(org, site, roles, outlets):
    # chosen outlets: the channel, the app and A's WeChat account
    chosen = [outlets.headline.pk, outlets.app.pk, outlets.wechat_a.pk]
    page = submit(roles.editor_a, site, org.a, org.a, "chosen", outlets=chosen)
    act(roles.reviewer_a, page, "approve", current_task_state(page), comment="同意")
    page.refresh_from_db()
    assert page.live
    publish = AuditEntry.objects.get(page_id=page.pk, action="publish")
    assert publish.revision_id == page.live_revision_id
    recorded = {r.outlet_id: (r.outlet_name, r.owner_name) for r in publish.outlet_rows.all()}
    assert set(recorded) == set(chosen)
    assert recorded[outlets.wechat_a.pk] == ("第一工程局党建", display_name(outlets.secretary_a))
    # the record stays when the outlet changes later
    outlet_update(
        outlet=outlets.wechat_a,
        user=outlets.secretary_a,
        name="改名后的公众号",
        owner=outlets.chief,
    )
    row = publish.outlet_rows.get(outlet=outlets.wechat_a)
    assert row.outlet_name == "第一工程局党建" and row.owner_id == outlets.secretary_a.pk

    # nothing chosen: the item's own channel and the app; stories and digests alike
    story_parent = site.stories
    for parent, expected in ((site.notice, outlets.notice), (story_parent, outlets.stories)):
        if parent is story_parent:
            from cms.models import ExemplarPage

            item = ExemplarPage(
                title="先进典型甲",
                slug="story-a",
                subject_name="张三",
                subject_unit=org.a1,
                date=timezone.localdate(),
                live=False,
                publishing_unit=org.a,
                audience_unit=org.a,
            )
            parent.add_child(instance=item)
            item.save_revision(user=roles.editor_a)
            item = page_review_run(
                page=item, submitted_by=roles.editor_a, reviewers=[roles.reviewer_a]
            )
            assert item.live
        else:
            item = publish_news(parent, title="通知甲", publishing_unit=org.a, audience_unit=org.a)
        entry = AuditEntry.objects.get(page_id=item.pk, action="publish")
        assert {r.outlet_id for r in entry.outlet_rows.all()} == {expected.pk, outlets.app.pk}


def test_publishing_into_a_suspended_outlet_is_refused_by_every_route(
    org, site, roles, outlets, client_for, members
):
    # submitted while the channel was active; then the channel is suspended
    page = submit(roles.editor_a, site, org.a, org.a, "suspended-route")
    live = publish_news(
        site.channel, title="已发布新闻", slug="live-a", publishing_unit=org.a, audience_unit=org.a
    )
    outlet_update(
        outlet=outlets.headline, user=outlets.chief, status="suspended", status_reason="整改"
    )
    revisions_before = page.revisions.count()

    # 1. the review approval: a message naming the outlet, nothing changed
    state = current_task_state(page)
    resp = login(roles.reviewer_a).post(
        reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", state.pk)),
        {"comment": "同意"},
        follow=True,
    )
    assert resp.status_code == 200
    shown = " ".join(str(m) for m in resp.context["messages"])
    assert "阵地“门户·要闻”已暂停（整改），不能通过它发布" in shown
    state.refresh_from_db()
    page.refresh_from_db()
    assert state.status == TaskState.STATUS_IN_PROGRESS and not page.live
    assert not AuditEntry.objects.filter(
        page_id=page.pk, action__in=["approve", "publish"]
    ).exists()
    assert not PageLogEntry.objects.filter(page=page, action="wagtail.workflow.approve").exists()

    # 2. approving in the edit form: refused on the field, nothing saved or approved
    edit = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    approve_in_form = {"action-workflow-action": "true", "workflow-action-name": "approve"}
    resp = login(roles.reviewer_a).post(
        edit, {**news_form(org.a, org.a, slug="suspended-route"), **approve_in_form}
    )
    assert resp.status_code == 200
    errors = resp.context["form"].errors["outlets"]
    assert "阵地“门户·要闻”已暂停（整改），不能通过它发布" in errors
    state.refresh_from_db()
    page.refresh_from_db()
    assert state.status == TaskState.STATUS_IN_PROGRESS and not page.live
    assert page.revisions.count() == revisions_before

    # 3. submitting for review: a new item into the suspended channel is refused on the
    # field, and nothing is created
    add = reverse("wagtailadmin_pages:add", args=("cms", "newspage", site.channel.pk))
    resp = login(roles.editor_a).post(
        add, {**news_form(org.a, org.a, slug="submitted-late"), "action-submit": "提交审核"}
    )
    assert resp.status_code == 200
    assert "阵地“门户·要闻”已暂停（整改），不能通过它发布" in resp.context["form"].errors["outlets"]
    assert not NewsPage.objects.filter(slug="submitted-late").exists()

    # 4. the operator path through review (page_review_run): refused, rolled back
    with pytest.raises(OutletUnavailable, match="门户·要闻"):
        page_review_run(
            page=NewsPage.objects.get(slug="live-a"),
            submitted_by=roles.editor_a,
            reviewers=[roles.reviewer_a],
        )
    assert not WorkflowState.objects.filter(object_id=str(live.pk)).exists()
    assert not AuditEntry.objects.filter(page_id=live.pk, action__in=["submit", "approve"]).exists()

    # routes that never publish unit content (no path around review), superusers included:
    # the publish button, bulk publish and a live copy are refused and change nothing
    admin = staff_with_role(org.root, "editor", "root_admin")
    admin.is_superuser = True
    admin.save()
    resp = login(admin).post(
        edit,
        {**news_form(org.a, org.a, slug="suspended-route"), "action-publish": "发布"},
        follow=True,
    )
    assert "不能直接发布" in " ".join(str(m) for m in resp.context["messages"])
    page.refresh_from_db()
    assert not page.live and page.revisions.count() == revisions_before

    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "publish"))
    resp = login(admin).post(f"{url}?id={page.pk}", {"include_descendants": ""}, follow=True)
    assert "不能批量直接发布" in " ".join(str(m) for m in resp.context["messages"])
    page.refresh_from_db()
    assert not page.live

    resp = login(admin).post(
        reverse("wagtailadmin_pages:copy", args=(live.pk,)),
        {
            "new_title": "复制的新闻",
            "new_slug": "copied",
            "new_parent_page": str(site.channel.pk),
            "publish_copies": "on",
        },
        follow=True,
    )
    assert "复制的内容不能直接发布" in " ".join(str(m) for m in resp.context["messages"])
    assert not NewsPage.objects.filter(slug="copied").exists()

    # 5. any publish in code, whoever asks
    with pytest.raises(OutletUnavailable, match="门户·要闻"):
        page.get_latest_revision().publish(user=admin)
    page.refresh_from_db()
    assert not page.live
    assert client_for(members.a1).get(f"/api/v1/news/{page.pk}/").status_code == 404

    # choosing another outlet is possible: the reviewer asks for changes, the editor
    # resubmits without the suspended channel (the app only), and after a fresh review
    # it goes out through the app alone
    assert act(roles.reviewer_a, page, "reject", state, comment="要闻栏目暂停，请改选阵地") == 302
    resp = login(roles.editor_a).post(
        edit,
        {
            **news_form(org.a, org.a, slug="suspended-route"),
            "outlets": [str(outlets.app.pk)],
            "action-submit": "提交审核",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:3000]
    assert act(roles.reviewer_a, page, "approve", current_task_state(page)) == 302
    page.refresh_from_db()
    assert page.live
    publish = AuditEntry.objects.get(page_id=page.pk, action="publish")
    assert [r.outlet_id for r in publish.outlet_rows.all()] == [outlets.app.pk]
    assert client_for(members.a1).get(f"/api/v1/news/{page.pk}/").status_code == 200


def test_a_schedule_into_a_suspended_outlet_does_not_go_out(org, site, roles, outlets):
    go_live = timezone.localtime(timezone.now() + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    page = submit(roles.editor_a, site, org.a, org.a, "sched", go_live_at=go_live)
    act(roles.reviewer_a, page, "approve", current_task_state(page))
    revision = NewsPage.objects.get(pk=page.pk).revisions.get(approved_go_live_at__isnull=False)
    outlet_update(outlet=outlets.app, user=outlets.chief, status="suspended", status_reason="停刊")
    past = timezone.now() - timedelta(seconds=1)
    revision.approved_go_live_at = past
    revision.content["go_live_at"] = past.isoformat()
    revision.save(update_fields=["approved_go_live_at", "content"])

    publish_scheduled_run.call()
    page.refresh_from_db()
    assert not page.live
    revision.refresh_from_db()
    assert revision.approved_go_live_at is None
    cancel = AuditEntry.objects.get(page_id=page.pk, action="unschedule")
    assert cancel.operator == roles.reviewer_a  # who scheduled it
    assert "党建e家 App" in cancel.comment and "已暂停（停刊）" in cancel.comment
    assert not AuditEntry.objects.filter(page_id=page.pk, action="publish").exists()


def test_an_editor_cannot_choose_another_units_outlet(org, site, roles, outlets):
    theirs = Outlet.objects.create(
        name="海外事业部党建",
        kind="wechat",
        owner_unit=org.b,
        owner=roles.editor_b,
        approved_at=timezone.now(),
    )
    c = login(roles.editor_a)
    url = reverse("wagtailadmin_pages:add", args=("cms", "newspage", site.channel.pk))
    form = c.get(url).context["form"]
    offered = set(form.fields["outlets"].queryset.values_list("pk", flat=True))
    assert {outlets.headline.pk, outlets.app.pk, outlets.wechat_a.pk} <= offered
    assert theirs.pk not in offered and outlets.notice.pk not in offered  # not this channel
    assert set(form.initial["outlets"]) == {outlets.headline.pk, outlets.app.pk}
    data = {
        **news_form(org.a, org.a, slug="forged-outlet"),
        "outlets": [str(theirs.pk)],
        "action-submit": "1",
    }
    resp = c.post(url, data)
    assert resp.status_code == 200 and "outlets" in resp.context["form"].errors
    assert not NewsPage.objects.filter(slug="forged-outlet").exists()


# --- what suspending stops ---------------------------------------------------------------------
def test_suspending_the_app_or_a_channel_stops_serving_through_it(
    org, site, roles, outlets, client_for, members
):
    page = publish_news(
        site.channel, title="集团要闻", publishing_unit=org.root, audience_unit=org.root
    )
    wechat_only = publish_news(
        site.channel,
        title="只发公众号",
        publishing_unit=org.a,
        audience_unit=org.a,
    )
    wechat_only.outlets.set([outlets.wechat_a])
    wechat_only.save_revision().publish()
    api = client_for(members.a1)
    web = login(members.a1)
    assert api.get(f"/api/v1/news/{page.pk}/").status_code == 200
    assert web.get(page.url).status_code == 200
    # went out through the WeChat account only: neither the app nor the portal serves it
    assert api.get(f"/api/v1/news/{wechat_only.pk}/").status_code == 404
    assert web.get(wechat_only.url).status_code == 404

    outlet_update(outlet=outlets.app, user=outlets.chief, status="suspended")
    assert api.get(f"/api/v1/news/{page.pk}/").status_code == 404
    assert page.pk not in [n["id"] for n in api.get("/api/v1/news/").json()["results"]]
    assert web.get(page.url).status_code == 200  # the portal channel still carries it

    outlet_update(outlet=outlets.headline, user=outlets.chief, status="closed")
    assert web.get(page.url).status_code == 404
    assert "集团要闻" not in web.get("/news/").content.decode()


def test_search_lists_only_what_an_active_app_or_portal_outlet_still_carries(
    org, site, roles, outlets, members, django_capture_on_commit_callbacks
):
    from search.query import search

    def found(query):
        return {h.id for h in search(query, user=members.a1, types=["news"]).hits}

    with django_capture_on_commit_callbacks(execute=True):
        both = publish_news(
            site.channel, title="党费收缴通知", publishing_unit=org.a, audience_unit=org.a
        )
        wechat_only = NewsPage(
            title="党费公众号专稿",
            slug="wechat-only",
            date=timezone.localdate(),
            live=False,
            publishing_unit=org.a,
            audience_unit=org.a,
        )
        site.channel.add_child(instance=wechat_only)
        wechat_only.outlets.set([outlets.wechat_a])
        wechat_only.save_revision(user=roles.editor_a)
        wechat_only = page_review_run(
            page=wechat_only, submitted_by=roles.editor_a, reviewers=[roles.reviewer_a]
        )
        assert wechat_only.live
    assert found("党费") == {both.pk}  # the WeChat-only item is not served by e-Home

    with django_capture_on_commit_callbacks(execute=True):
        outlet_update(outlet=outlets.app, user=outlets.chief, status="suspended")
    assert found("党费") == {both.pk}  # the portal channel still carries it
    with django_capture_on_commit_callbacks(execute=True):
        outlet_update(outlet=outlets.headline, user=outlets.chief, status="suspended")
    assert found("党费") == set()


def test_setup_registers_the_built_in_outlets_which_carry_nothing_until_owned(org):
    from django.core.management import call_command

    from cms.models import NewsIndexPage

    out = io.StringIO()
    call_command("ehome_setup", stdout=out)
    assert "outlets_created=7" in out.getvalue() and "outlets_without_owner=7" in out.getvalue()
    call_command("ehome_setup", stdout=io.StringIO())  # idempotent
    builtin = Outlet.objects.filter(code__isnull=False)
    assert sorted(builtin.values_list("name", flat=True)) == sorted(
        [
            "党建e家 App",
            "门户·要闻",
            "门户·基层动态",
            "门户·海外项目",
            "门户·通知公告",
            "门户·先进典型",
            "门户·手机报",
        ]
    )
    assert all(o.owner_unit == org.root and o.is_approved for o in builtin)

    channel = NewsIndexPage.objects.get(slug="headline")
    page = NewsPage(
        title="开通通知",
        slug="open",
        date=timezone.localdate(),
        live=False,
        publishing_unit=org.root,
        audience_unit=org.root,
    )
    channel.add_child(instance=page)
    with pytest.raises(OutletUnavailable, match="阵地“门户·要闻”尚未指定责任人"):
        page.save_revision().publish()
    page.refresh_from_db()
    assert not page.live and page.live_revision_id is None

    chief = staff_with_role(org.root, "secretary", "chief")
    for outlet in builtin:
        outlet_update(outlet=outlet, user=chief, owner=chief)
    page.save_revision(user=chief).publish()
    page.refresh_from_db()
    assert page.live


def test_a_unit_that_owns_an_outlet_is_not_deleted_and_says_why(org, outlets):
    from organizations.services import OrganizationError, unit_delete

    leaf = org.a1
    Outlet.objects.create(name="北京项目电子屏", kind="screen", owner_unit=leaf)
    with pytest.raises(OrganizationError, match="宣传阵地"):
        unit_delete(unit=leaf)
    assert Outlet.objects.filter(owner_unit=leaf).exists()
