"""Preference and assessment reports over the roll-ups: one SQL query each whatever the
subtree, scoped to the caller's secretary/editor units (404 outside), shown in the admin
(charts, the assessment formula) and exported to Excel."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import Page, Workflow, WorkflowState

from interaction.analytics import reports
from interaction.engagement.buffer import event_line
from interaction.engagement.fold import fold
from tests.cms.conftest import staff_with_role
from tests.factories import add_unit, user_with_role

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def data(org, site, news, buffer):
    """Two headline news (tag 党建 / 廉政) and one notice; members of A1, A (itself) and
    B1 read them; one share with two clicks."""
    a2 = add_unit(org.a, "A2", "上海项目党支部")
    h1 = news(title="头条一", publishing_unit=org.a, audience_unit=org.root, tags=["党建"])
    h2 = news(title="头条二", publishing_unit=org.a, audience_unit=org.root, tags=["廉政"])
    n1 = news(title="通知一", parent=site.notice, publishing_unit=org.b, audience_unit=org.root)
    events = []
    member = iter(range(1000, 2000))
    for unit, item, count in (
        (org.a1, h1, 6),
        (org.a1, n1, 2),
        (a2, h2, 3),
        (a2, n1, 1),
        (org.a, h1, 1),  # a member of A itself
        (org.b1, n1, 5),
    ):
        for _ in range(count):
            events.append(event_line("R", TODAY, next(member), unit.pk, "news", item.pk))
    events.append(event_line("S", TODAY, 1000, org.a1.pk, "news", h1.pk))
    events += [event_line("C", TODAY, 1000, org.a1.pk, "news", h1.pk)] * 2
    events.append(event_line("L", TODAY, 1001, org.a1.pk, "news", h2.pk))
    events.append(event_line("R", TODAY - dt.timedelta(days=40), 1999, org.a1.pk, "news", n1.pk))
    for line in events:
        buffer.append(line)
    fold()
    return type("Data", (), {"a2": a2, "h1": h1, "h2": h2, "n1": n1})


def test_preferences_one_query_per_child_unit_share_of_channels(
    org, data, django_assert_num_queries
):
    with django_assert_num_queries(1):
        rows = reports.preferences(
            unit=org.a, date_from=TODAY - dt.timedelta(days=29), date_to=TODAY
        )
    by_code = {r["code"]: r for r in rows["rows"]}
    assert set(by_code) == {"A", "A1", "A2"}
    assert by_code["A1"]["channels"] == {"headline": 6, "notice": 2}  # the day 40 ago is out
    assert by_code["A1"]["shares"] == {"headline": 0.75, "notice": 0.25}
    assert by_code["A2"]["shares"] == {"headline": 0.75, "notice": 0.25}
    assert by_code["A"]["is_unit_itself"] and by_code["A"]["reads"] == 1
    top = reports.preferences(unit=org.root, date_from=TODAY, date_to=TODAY)
    assert {r["code"]: r["reads"] for r in top["rows"]} == {"A": 13, "B": 5}


def test_top_items_channels_tags_one_query_each(org, data, django_assert_num_queries):
    args = {"unit": org.a, "date_from": TODAY, "date_to": TODAY}
    with django_assert_num_queries(1):
        items = reports.top_items(**args)
    assert [(i["title"], i["reads"]) for i in items] == [
        ("头条一", 7),
        ("头条二", 3),
        ("通知一", 3),
    ]
    assert (
        items[0]["shares"] == 1
        and items[0]["clicks"] == 2
        and items[0]["forward_rate"] == round(1 / 7, 4)
    )
    assert reports.top_items(**args, order="likes")[0]["title"] == "头条二"
    assert reports.top_items(**args, order="forward_rate")[0]["title"] == "头条一"
    with django_assert_num_queries(1):
        tags = reports.top_tags(**args)
    assert [(t["tag"], t["reads"]) for t in tags] == [("党建", 7), ("廉政", 3)]
    channels = reports.top_channels(**args)
    assert [(c["channel"], c["reads"]) for c in channels] == [("headline", 10), ("notice", 3)]


def _admin_user(unit, role):
    user = staff_with_role(unit, role, f"{role}_{unit.code}")
    group, _ = Group.objects.get_or_create(name="analytics-test")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    return user


def test_admin_preferences_page_export_and_scope(org, data, client):
    sec_a = _admin_user(org.a, "secretary")
    client.force_login(sec_a)
    url = "/admin/interaction/engagement/"
    page = client.get(url, {"unit": org.a.pk, "date_from": TODAY, "date_to": TODAY})
    assert page.status_code == 200
    html = page.content.decode()
    assert "上海项目党支部" in html and "头条一" in html and "<svg" in html
    assert client.get(url, {"unit": org.b.pk}).status_code == 404  # outside A's subtree
    assert client.get(url, {"unit": org.root.pk}).status_code == 404
    bad = client.get(url, {"unit": org.a.pk, "date_from": "2026-13-01"})
    assert bad.status_code == 400 and "日期格式" in bad.content.decode()
    xlsx = client.get(
        url, {"unit": org.a.pk, "date_from": TODAY, "date_to": TODAY, "format": "xlsx"}
    )
    wb = load_workbook(io.BytesIO(xlsx.content))
    rows = list(wb["阅读偏好"].iter_rows(values_only=True))
    assert rows[1][:3] == ("单位", "组织代码", "阅读数")
    assert ("北京项目党支部", "A1", 8, "75.0%", "25.0%") in [r[:5] for r in rows]
    # the dashboard panel on the admin home page
    home = client.get("/admin/")
    assert 'data-testid="engagement-panel"' in home.content.decode()


def test_assessment_ranks_editors_counts_first_time_passes_and_shows_formula(
    org, site, news, buffer, client, django_assert_num_queries
):
    editor_a = staff_with_role(org.a, "editor", "editor_a")
    editor_b = staff_with_role(org.b, "editor", "editor_b")
    now = timezone.now()
    month = timezone.localdate().replace(day=1)
    pages = [
        news(title="A 稿一", publishing_unit=org.a, audience_unit=org.root),
        news(title="A 稿二", publishing_unit=org.a, audience_unit=org.root),
        news(title="B 稿一", publishing_unit=org.b, audience_unit=org.root),
    ]
    Page.objects.filter(pk__in=[p.pk for p in pages[:2]]).update(owner=editor_a)
    Page.objects.filter(pk=pages[2].pk).update(owner=editor_b)
    workflow = Workflow.objects.create(name="审核")
    page_ct = pages[0].content_type  # the specific type; base_content_type is Page's
    from django.contrib.contenttypes.models import ContentType

    base = ContentType.objects.get_for_model(Page)
    for page, statuses in ((pages[0], ["approved"]), (pages[1], ["needs_changes", "approved"])):
        for status in statuses:
            WorkflowState.objects.create(
                content_type=page_ct,
                base_content_type=base,
                object_id=str(page.pk),
                workflow=workflow,
                status=status,
                requested_by=editor_a,
            )
    for i in range(10):
        buffer.append(
            event_line("R", timezone.localdate(), 5000 + i, org.b1.pk, "news", pages[2].pk)
        )
    buffer.append(event_line("S", timezone.localdate(), 5000, org.b1.pk, "news", pages[2].pk))
    fold()
    assert now  # published now: in this month
    # the page content type is cached; one query of the assessment's own, plus one per
    # figures provider of core.assessment (publications: the teams' manuscripts)
    from core.assessment import providers

    assert [p.code for p in providers()] == ["manuscripts"]
    with django_assert_num_queries(2):
        report = reports.assessment(unit=org.root, month=month)
    rows = {r["username"]: r for r in report["rows"]}
    assert rows["editor_a"]["published"] == 2 and rows["editor_a"]["first_pass"] == 1
    assert rows["editor_b"]["reads"] == 10 and rows["editor_b"]["forward_rate"] == 0.1
    assert rows["editor_a"]["rank"] == 1  # 2×10 + 1×5 = 25 against 10 + 1 + 2 = 13
    assert reports.assessment(unit=org.a, month=month)["rows"][0]["team"] == org.a.name
    assert len(reports.assessment(unit=org.a, month=month)["rows"]) == 1

    boss = user_with_role(org.root, "secretary")
    boss.groups.add(Group.objects.get_or_create(name="analytics-test")[0])
    Group.objects.get(name="analytics-test").permissions.add(
        Permission.objects.get(codename="access_admin")
    )
    client.force_login(boss)
    page = client.get(
        "/admin/interaction/engagement/assessment/",
        {"unit": org.root.pk, "month": f"{month:%Y-%m}"},
    )
    html = page.content.decode()

    assert (
        page.status_code == 200
        and "综合得分 = 发布数 × 10" in html
        and rows["editor_a"]["editor"] in html
    )
    xlsx = client.get(
        "/admin/interaction/engagement/assessment/",
        {"unit": org.root.pk, "month": f"{month:%Y-%m}", "format": "xlsx"},
    )
    sheet = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert sheet[1][0].startswith("综合得分") and sheet[3][:4] == (
        1,
        rows["editor_a"]["editor"],
        org.a.name,
        2,
    )
    bad = client.get(
        "/admin/interaction/engagement/assessment/", {"unit": org.root.pk, "month": "2026-13"}
    )
    assert bad.status_code == 400


def test_report_api_scope_etag_and_bad_input(org, data, client_for):
    sec_a = user_with_role(org.a, "secretary")
    client = client_for(sec_a)
    url = "/api/v1/engagement/reports/preferences/"
    q = {"unit": org.a.pk, "date_from": TODAY, "date_to": TODAY}
    first = client.get(url, q)
    assert first.status_code == 200 and first["ETag"]
    assert {r["code"] for r in first.json()["rows"]} == {"A", "A1", "A2"}
    assert client.get(url, q, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get(url, {**q, "unit": org.b.pk}).status_code == 404
    member = client_for(user_with_role(org.a1, "instructor"))
    assert member.get(url, q).status_code == 404
    bad = client.get(url, {**q, "date_from": "2026-12-01"})
    assert bad.status_code == 400 and "date_from" in bad.json()["error"]["fields"]
    assert client.get(url, {**q, "unit": "1\x00"}).status_code == 400
    assessment = client.get(
        "/api/v1/engagement/reports/assessment/", {"unit": org.a.pk, "month": "2026-11"}
    )
    assert assessment.status_code == 200 and "综合得分" in assessment.json()["formula"]
    assert (
        client.get(
            "/api/v1/engagement/reports/assessment/", {"unit": org.a.pk, "month": "11/2026"}
        ).status_code
        == 400
    )
