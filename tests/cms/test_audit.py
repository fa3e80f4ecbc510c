"""The content audit report (审核发布记录): one row per action — submit, approve, schedule,
publish — and the operator (操作人) is always named, including for a publication that
went live on schedule (the person who scheduled it)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cms.models import NewsPage
from cms.tasks import publish_scheduled_run
from tests.cms.test_workflow import act, create_and_submit, current_task_state, login

pytestmark = pytest.mark.django_db


def report_rows(user, page) -> list[dict]:
    resp = login(user).get(reverse("cms_content_audit") + "?export=csv")
    assert resp.status_code == 200
    body = b"".join(resp.streaming_content) if resp.streaming else resp.content
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    # the time column names the viewer's zone: 时间（Asia/Shanghai，UTC+8）
    assert "时间（Asia/Shanghai，UTC+8）" in rows[0]
    rows = [{**r, "时间": r["时间（Asia/Shanghai，UTC+8）"]} for r in rows]
    return sorted(
        (r for r in rows if r["内容"] == page.title), key=lambda r: (r["时间"], r["操作"])
    )


def login_of(operator: str) -> str:
    """The operator column names the person and their login: "党员3（editor_a）"."""
    match = re.search(r"（([^（）]+)）$", operator)
    return match.group(1) if match else operator


def actions(rows) -> list[tuple[str, str]]:
    return sorted((r["操作"], login_of(r["操作人"])) for r in rows)


def test_each_action_is_listed_once_with_its_operator(org, site, roles):
    page = create_and_submit(roles.editor_a, site, org.a, org.a, slug="audited")
    act(roles.reviewer_a, page, "approve", current_task_state(page), comment="同意")
    page.refresh_from_db()
    assert page.live
    rows = report_rows(roles.reviewer_a, page)
    assert actions(rows) == sorted(
        [("提交审核", "editor_a"), ("审核通过", "reviewer_a"), ("发布", "reviewer_a")]
    )
    assert [r["意见"] for r in rows if r["操作"] == "审核通过"] == ["同意"]


def test_scheduled_publication_names_who_scheduled_it_and_is_listed_once(org, site, roles):
    go_live = timezone.localtime(timezone.now() + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    page = create_and_submit(
        roles.editor_a, site, org.a, org.a, slug="scheduled", go_live_at=go_live
    )
    act(roles.reviewer_a, page, "approve", current_task_state(page))
    page = NewsPage.objects.get(pk=page.pk)
    assert not page.live
    revision = page.revisions.get(approved_go_live_at__isnull=False)
    # two hours pass: move the schedule into the past instead of sleeping
    past = timezone.now() - timedelta(seconds=1)
    revision.approved_go_live_at = past
    revision.content["go_live_at"] = past.isoformat()
    revision.save(update_fields=["approved_go_live_at", "content"])
    publish_scheduled_run.call()
    page.refresh_from_db()
    assert page.live

    rows = report_rows(roles.reviewer_a, page)
    assert all(r["操作人"] for r in rows), rows
    assert actions(rows) == sorted(
        [
            ("提交审核", "editor_a"),
            ("审核通过", "reviewer_a"),
            ("定时发布", "reviewer_a"),
            ("发布", "reviewer_a"),
        ]
    )
