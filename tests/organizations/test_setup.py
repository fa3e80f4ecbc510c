"""A production install without the demo: the steps of docs/operations.md (migrate,
`ehome_setup`, `import_org`, grant roles) give each role the admin rights it implies, and
an editor's news goes through the real admin and review workflow to members. Roles
granted before set-up are repaired by running set-up; revoking the last role takes the
rights away again."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from wagtail.models import Page, TaskState, WorkflowPage, WorkflowState
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from cms.models import HomePage, NewsIndexPage, NewsPage
from cms.services import EDITORS_GROUP, REVIEWERS_GROUP
from elearning.services import INSTRUCTOR_GROUP
from organizations.models import Member, OrgUnit, UnitRole
from organizations.services import ADMIN_GROUP_NAME, unit_role_grant, unit_role_revoke

pytestmark = pytest.mark.django_db

UNITS_CSV = """code,name,kind,parent_code,country,timezone
P,示范集团党委,committee,,CN,Asia/Shanghai
P1,示范一公司党委,committee,P,CN,Asia/Shanghai
P1-01,示范项目党支部,branch,P1,KE,Africa/Nairobi
"""
MEMBERS_CSV = """member_no,name,unit_code,gender,join_date,category
E001,钱编辑,P1,男,2010-07-01,正式党员
R001,孙审核,P1,女,2012-07-01,正式党员
R000,李上级,P,男,2008-07-01,正式党员
M001,周党员,P1-01,男,2015-07-01,正式党员
"""


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def setup(**kw):
    out = io.StringIO()
    call_command("ehome_setup", stdout=out, **kw)
    return out.getvalue()


def import_tree(tmp_path):
    for name, text in (("units.csv", UNITS_CSV), ("members.csv", MEMBERS_CSV)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8-sig")
        call_command("import_org", str(path), stdout=io.StringIO(), stderr=io.StringIO())


def user_of(member_no):
    return Member.objects.get(member_no=member_no).user


def grant(user, code, role, capture):
    with capture(execute=True):  # the role → group sync runs on commit
        unit_role_grant(user=user, unit=OrgUnit.objects.get(code=code), role=role)


def groups_of(user) -> set[str]:
    return set(get_user_model().objects.get(pk=user.pk).groups.values_list("name", flat=True))


def login(user) -> Client:
    c = Client()
    c.force_login(get_user_model().objects.get(pk=user.pk))
    return c


def news_form(pub, aud, slug):
    return nested_form_data(
        {
            "title": "示范一公司召开党建工作会",
            "slug": slug,
            "subtitle": "",
            "source": "宣传部",
            "author": "通讯员",
            "date": "2026-11-20",
            "summary": "会议部署了下一阶段工作",
            "tags": "党建",
            "publishing_unit": str(pub.pk),
            "audience_unit": str(aud.pk),
            "body": streamfield([("rich_text", rich_text("<p>正文</p>"))]),
            "comments": inline_formset([]),
        }
    )


def approve(user, page) -> int:
    ws = WorkflowState.objects.get(object_id=str(page.pk), status="in_progress")
    state = ws.current_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", state.pk))
    return login(user).post(url, {"comment": "同意"}).status_code


def test_production_steps_let_editor_and_reviewers_publish_through_review(
    tmp_path, django_capture_on_commit_callbacks, client_for
):
    assert not HomePage.objects.exists()  # a fresh install: Wagtail's placeholder only
    out = setup()
    assert "单位审核流程" in out
    setup()  # idempotent: nothing doubles
    home = HomePage.objects.get()
    assert Page.objects.filter(depth=2).count() == 1
    assert WorkflowPage.objects.get(page=home).workflow.workflow_tasks.count() == 2
    channel = NewsIndexPage.objects.get(slug="headline")
    assert channel.get_parent().pk == home.pk

    import_tree(tmp_path)
    editor, reviewer, upper, member = (user_of(n) for n in ("E001", "R001", "R000", "M001"))
    with django_capture_on_commit_callbacks(execute=True):  # the documented command
        call_command("grant_role", "E001", "P1", "editor", stdout=io.StringIO())
    grant(reviewer, "P1", "reviewer", django_capture_on_commit_callbacks)
    grant(upper, "P", "reviewer", django_capture_on_commit_callbacks)
    with pytest.raises(CommandError, match="未知角色"):
        call_command("grant_role", "M001", "P1", "boss", stdout=io.StringIO())
    with pytest.raises(CommandError, match="找不到组织代码"):
        call_command("grant_role", "M001", "NOPE", "editor", stdout=io.StringIO())
    assert not UnitRole.objects.filter(user=member).exists()
    assert groups_of(editor) == {ADMIN_GROUP_NAME, EDITORS_GROUP}
    assert groups_of(reviewer) == groups_of(upper) == {ADMIN_GROUP_NAME, REVIEWERS_GROUP}

    p, p1 = OrgUnit.objects.get(code="P"), OrgUnit.objects.get(code="P1")
    c = login(editor)
    explorer = c.get(reverse("wagtailadmin_explore", args=(channel.pk,)))
    assert explorer.status_code == 200 and "没有权限" not in explorer.content.decode()
    add = reverse("wagtailadmin_pages:add", args=("cms", "newspage", channel.pk))
    assert c.get(add).status_code == 200
    resp = c.post(add, {**news_form(p1, p, "group-wide"), "action-submit": "提交审核"})
    assert resp.status_code == 302, resp.content.decode()[:1500]
    page = NewsPage.objects.get(slug="group-wide")
    assert not page.live

    # the audience is the whole group: the unit's reviewer, then the upper level's
    assert approve(reviewer, page) in (200, 302)
    page.refresh_from_db()
    assert not page.live
    assert approve(upper, page) in (200, 302)
    page.refresh_from_db()
    assert page.live
    states = TaskState.objects.filter(workflow_state__object_id=str(page.pk))
    assert sorted(s.status for s in states) == ["approved", "approved"]
    assert client_for(member).get(f"/api/v1/news/{page.pk}/").status_code == 200


def test_roles_granted_before_setup_are_repaired_by_setup_and_revoke_removes_rights(
    tmp_path, django_capture_on_commit_callbacks
):
    import_tree(tmp_path)
    editor, reviewer, teacher = (user_of(n) for n in ("E001", "R001", "R000"))
    grant(editor, "P1", "editor", django_capture_on_commit_callbacks)
    grant(reviewer, "P1", "reviewer", django_capture_on_commit_callbacks)
    # not through the service: any route that writes a role counts (Django admin, scripts)
    with django_capture_on_commit_callbacks(execute=True):
        UnitRole.objects.create(user=teacher, unit=OrgUnit.objects.get(code="P"), role="instructor")
    assert not Group.objects.filter(name=EDITORS_GROUP).exists()  # no set-up yet

    setup()
    assert groups_of(editor) == {ADMIN_GROUP_NAME, EDITORS_GROUP}
    assert groups_of(reviewer) == {ADMIN_GROUP_NAME, REVIEWERS_GROUP}
    assert groups_of(teacher) == {ADMIN_GROUP_NAME, INSTRUCTOR_GROUP}
    channel = NewsIndexPage.objects.get(slug="headline")
    add = reverse("wagtailadmin_pages:add", args=("cms", "newspage", channel.pk))
    assert login(editor).get(add).status_code == 200
    assert login(teacher).get(reverse("elearning_question_import")).status_code == 200

    # a group membership that no role backs is removed by set-up (a broken install)
    reviewer.groups.add(Group.objects.get(name=EDITORS_GROUP))
    setup()
    assert groups_of(reviewer) == {ADMIN_GROUP_NAME, REVIEWERS_GROUP}

    # a second role, then revoking both: the rights go with the last one
    grant(editor, "P1-01", "editor", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        unit_role_revoke(user=editor, unit=OrgUnit.objects.get(code="P1"))
    assert groups_of(editor) == {ADMIN_GROUP_NAME, EDITORS_GROUP}
    with django_capture_on_commit_callbacks(execute=True):
        unit_role_revoke(user=editor, unit=OrgUnit.objects.get(code="P1-01"))
    assert groups_of(editor) == set()
    assert login(editor).get(add).status_code == 302  # to the login page
    with django_capture_on_commit_callbacks(execute=True):
        UnitRole.objects.filter(user=teacher).delete()
    assert groups_of(teacher) == set()
