"""The audit log you can rely on: one entry per action with its operator (unpublish,
widening the audience, outlet changes included), filters by unit subtree, person, outlet
and date, an Excel export, entries that cannot be changed or deleted; and the trace of a
published item — in one admin screen and in the auditor API — naming its outlets and
their accountable owners, the author, every reviewer with time and comment, and every
later change. Out of scope is not-found; non-auditors get no API."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Workflow, WorkflowState

from cms.models import AuditEntry, AuditLogImmutable, NewsPage
from cms.models.outlets import display_name
from cms.outlet_services import outlet_update
from cms.services import page_review_run
from tests.cms.conftest import staff_with_role
from tests.cms.test_outlets import submit
from tests.cms.test_workflow import act, current_task_state, login

pytestmark = pytest.mark.django_db


def entries(page) -> list[tuple[str, str]]:
    return sorted(
        (e.action, e.operator.username)
        for e in AuditEntry.objects.filter(page_id=page.pk).select_related("operator")
    )


def export_rows(user, query="") -> list[dict]:
    resp = login(user).get(reverse("cms_content_audit") + "?export=xlsx" + query)
    assert resp.status_code == 200
    body = b"".join(resp.streaming_content) if resp.streaming else resp.content
    rows = list(openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.fixture
def published(org, site, roles, outlets):
    """A's news, submitted by editor_a, approved with a comment by reviewer_a, published
    through the headline channel, the app and A's WeChat account."""
    chosen = [outlets.headline.pk, outlets.app.pk, outlets.wechat_a.pk]
    page = submit(roles.editor_a, site, org.a, org.a, "traced", outlets=chosen)
    act(roles.reviewer_a, page, "approve", current_task_state(page), comment="内容属实，同意发布")
    page.refresh_from_db()
    assert page.live
    return page


def test_one_entry_per_action_with_its_operator(org, site, roles, outlets, published):
    page = published
    # unpublish by the reviewer, then a wider audience submitted and approved upstairs
    assert login(roles.reviewer_a).post(
        reverse("wagtailadmin_pages:unpublish", args=(page.pk,))
    ).status_code in (200, 302)
    page.refresh_from_db()
    assert not page.live
    # published again: nobody publishes directly, the editor resubmits and the reviewer
    # approves (the operator path, through the same workflow and rules as the admin)
    page.specific.save_revision(user=roles.editor_a)
    page_review_run(page=page.specific, submitted_by=roles.editor_a, reviewers=[roles.reviewer_a])
    page.refresh_from_db()
    assert page.live
    draft = page.get_latest_revision_as_object()
    draft.audience_unit = org.root
    draft.save_revision(user=roles.editor_a)
    Workflow.objects.get(name="单位审核流程").start(page, roles.editor_a)
    act(roles.reviewer_a, page, "approve", current_task_state(page))
    upper = []
    if WorkflowState.objects.filter(object_id=str(page.pk), status="in_progress").exists():
        # the upper level's step, where the review chain asks for it for a wider audience
        act(roles.reviewer_root, page, "approve", current_task_state(page), comment="同意")
        upper = [("approve", "reviewer_root")]
    page.refresh_from_db()
    assert page.live and page.audience_unit == org.root
    publisher = upper[0][1] if upper else "reviewer_a"

    assert entries(page) == sorted(
        [
            ("submit", "editor_a"),
            ("approve", "reviewer_a"),
            ("publish", "reviewer_a"),
            ("unpublish", "reviewer_a"),
            ("submit", "editor_a"),
            ("approve", "reviewer_a"),
            ("publish", "reviewer_a"),
            ("submit", "editor_a"),
            ("widen_audience", "editor_a"),  # once: at submission, not again at publication
            ("approve", "reviewer_a"),
            *upper,
            ("publish", publisher),
        ]
    )
    widen = AuditEntry.objects.get(page_id=page.pk, action="widen_audience")
    assert widen.comment == f"可见范围由“{org.a.name}”扩大到“{org.root.name}”"
    assert AuditEntry.objects.filter(operator__isnull=True).count() == 0
    # an outlet change is an entry too, by the person who made it
    outlet_update(outlet=outlets.wechat_a, user=outlets.secretary_a, address="gh_a_new")
    change = AuditEntry.objects.get(action="outlet_change", object_label="第一工程局党建")
    assert change.operator == outlets.secretary_a and change.comment == "网址/账号：gh_a → gh_a_new"


def test_filters_by_unit_person_outlet_and_date_and_the_excel_export(
    org, site, roles, outlets, published
):
    page_b = NewsPage(
        title="海外新闻",
        slug="overseas",
        date=timezone.localdate(),
        live=False,
        publishing_unit=org.b,
        audience_unit=org.b,
    )
    site.channel.add_child(instance=page_b)
    page_b.save_revision(user=roles.editor_b)
    page_b = page_review_run(page=page_b, submitted_by=roles.editor_b, reviewers=[roles.reviewer_b])
    assert page_b.live
    root = roles.reviewer_root

    rows = export_rows(root)
    assert {published.title, "海外新闻"} <= {r["内容"] for r in rows}
    approve = next(r for r in rows if r["操作"] == "审核通过" and r["内容"] == published.title)
    assert approve["操作人"] == display_name(roles.reviewer_a)
    assert approve["意见"] == "内容属实，同意发布"
    assert approve["单位"] == org.a.name
    assert set(approve["阵地"].split("、")) == {"门户·要闻", "党建e家 App", "第一工程局党建"}
    assert display_name(outlets.secretary_a) in approve["阵地责任人"]

    def titles(query):
        return {r["内容"] for r in export_rows(root, query)}

    assert titles("&unit=B") == {"海外新闻"}
    assert titles("&unit=A") == {published.title, "第一工程局党建"}  # content and the outlet
    assert titles("&person=reviewer_b") == {"海外新闻"}
    assert titles(f"&outlet={outlets.wechat_a.pk}") == {published.title, "第一工程局党建"}
    today = timezone.localdate()
    assert published.title in titles(f"&timestamp_from={today}&timestamp_to={today}")
    tomorrow = today + timedelta(days=1)
    assert titles(f"&timestamp_from={tomorrow}") == set()
    # the unit's own reviewer sees A's subtree only
    assert "海外新闻" not in {r["内容"] for r in export_rows(roles.reviewer_a)}


def test_entries_cannot_be_changed_or_deleted(org, site, roles, outlets, published):
    entry = AuditEntry.objects.filter(page_id=published.pk).first()
    entry.comment = "改过"
    with pytest.raises(AuditLogImmutable, match="审核发布记录只能追加，不能修改或删除"):
        entry.save()
    with pytest.raises(AuditLogImmutable):
        entry.delete()
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(comment="改过")
    with pytest.raises(AuditLogImmutable):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    # past the application: the database refuses an UPDATE (and on PostgreSQL a DELETE)
    statements = ["UPDATE cms_auditentry SET comment = 'x' WHERE id = %s"]
    if connection.vendor == "postgresql":
        statements += [
            "DELETE FROM cms_auditentry WHERE id = %s",
            "DELETE FROM cms_auditentryoutlet WHERE entry_id = %s",
        ]
    for sql in statements:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [entry.pk])
    # the admin report is read-only
    assert login(roles.reviewer_a).post(reverse("cms_content_audit")).status_code == 405
    assert not AuditEntry.objects.filter(comment__in=["改过", "x"]).exists()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def _trace_checks(trace: dict, roles, outlets, page) -> None:
    names = {o["name"]: o for o in trace["outlets"]}
    assert set(names) == {"门户·要闻", "党建e家 App", "第一工程局党建"}
    assert names["第一工程局党建"]["owner"]["name"] == display_name(outlets.secretary_a)
    assert names["党建e家 App"]["owner"]["name"] == display_name(outlets.chief)
    assert trace["author"]["username"] == "editor_a"
    review = next(r for r in trace["reviews"] if r["status"] == "approved")
    assert review["reviewer"]["username"] == "reviewer_a"
    assert review["comment"] == "内容属实，同意发布" and review["finished_at"] is not None
    assert [c["by"]["username"] for c in trace["later_changes"]] == ["editor_a"]


def test_trace_screen_and_auditor_api_name_everyone_responsible(
    org, site, roles, outlets, published, client_for
):
    # a later change after publication (a draft by the editor)
    draft = published.get_latest_revision_as_object()
    draft.title = "修改后的标题"
    draft.save_revision(user=roles.editor_a)

    auditor = staff_with_role(org.a, "auditor", "auditor_a")
    html = login(auditor).get(reverse("cms_content_trace", args=[published.pk])).content.decode()
    for text in (
        "门户·要闻",
        "第一工程局党建",
        display_name(outlets.secretary_a),
        display_name(roles.editor_a),
        display_name(roles.reviewer_a),
        "内容属实，同意发布",
        "首次发布后的修改",
    ):
        assert text in html, text

    resp = client_for(auditor).get(f"/api/v1/audit/content/{published.pk}/")
    assert resp.status_code == 200
    trace = resp.json()
    _trace_checks(trace, roles, outlets, published)
    assert [e["action"] for e in trace["history"]] == ["submit", "approve", "publish"]

    # the same entries through the auditor's log API, with its filters
    api = client_for(auditor)
    body = api.get("/api/v1/audit/entries/", {"content": published.pk}).json()
    assert body["count"] == 3
    assert api.get("/api/v1/audit/entries/", {"unit": "B"}).json()["count"] == 0
    bad = api.get("/api/v1/audit/entries/", {"unit": "NOPE"})
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["unit"] == ["找不到组织代码“NOPE”"]
    assert api.get("/api/v1/audit/entries/", {"date_from": "x"}).status_code == 400
    outlets_api = api.get("/api/v1/audit/outlets/").json()
    assert {o["name"] for o in outlets_api["results"]} >= {"第一工程局党建", "党建e家 App"}

    # out of scope: B's auditor gets not-found for A's item, in the admin and the API
    auditor_b = staff_with_role(org.b, "auditor", "auditor_b")
    assert (
        login(auditor_b).get(reverse("cms_content_trace", args=[published.pk])).status_code == 404
    )
    assert client_for(auditor_b).get(f"/api/v1/audit/content/{published.pk}/").status_code == 404
    assert client_for(auditor_b).get("/api/v1/audit/content/999999/").status_code == 404
    assert client_for(auditor_b).get("/api/v1/audit/entries/").json()["count"] == 0
    # members and editors are not auditors in the API
    member = staff_with_role(org.a1, "editor", "editor_a1")
    resp = client_for(member).get("/api/v1/audit/entries/")
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "permission_denied"
