"""The digest archive: past issues by year and month, paged, only those the member may
read — in the portal (linked from the digest and the navigation) and in the API."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.portal import factories as f

pytestmark = pytest.mark.django_db
_n = iter(range(1, 10_000))


def _digest(unit, day: dt.date, *, note: str = ""):
    from cms.models import DigestIndexPage, DigestIssue

    index = DigestIndexPage.objects.first()
    if index is None:
        index = DigestIndexPage(title="手机报", slug="digest")
        f.site_home().add_child(instance=index)
    n = next(_n)
    issue = DigestIssue(
        title=f"手机报 第{n}期",
        slug=f"digest-{n}",
        issue_number=n,
        issue_date=day,
        editor_note=note,
        publishing_unit=unit,
        audience_unit=unit,
    )
    index.add_child(instance=issue)
    return issue


@pytest.fixture
def issues(org):
    return {
        "sep": _digest(org.root, dt.date(2026, 9, 6)),
        "oct": _digest(org.root, dt.date(2026, 10, 4), note="十月刊"),
        "nov1": _digest(org.root, dt.date(2026, 11, 1)),
        "nov2": _digest(org.a, dt.date(2026, 11, 8)),
        "b_only": _digest(org.b, dt.date(2026, 11, 15)),
        "last_year": _digest(org.root, dt.date(2025, 12, 28)),
    }


def test_archive_lists_past_issues_by_month_newest_first_in_scope_only(
    issues, member_a1, web_client
):
    resp = web_client(member_a1.user).get("/digest/archive/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "往期手机报" in html
    titles = [i.title for i in resp.context["page_obj"]]
    expected = ["nov2", "nov1", "oct", "sep", "last_year"]
    assert titles == [issues[k].title for k in expected]
    assert issues["b_only"].title not in html
    # the month list counts only the issues the member may read
    assert "2026 年（4 期）" in html and "11 月（2 期）" in html and "2025 年（1 期）" in html
    assert "2026 年 11 月" in html and "2026 年 10 月" in html

    october = web_client(member_a1.user).get("/digest/archive/?year=2026&month=10")
    assert [i.title for i in october.context["page_obj"]] == [issues["oct"].title]
    assert "十月刊" in october.content.decode()
    year = web_client(member_a1.user).get("/digest/archive/?year=2025")
    assert [i.title for i in year.context["page_obj"]] == [issues["last_year"].title]


def test_archive_pages_twenty_issues_at_a_time(org, member_a1, web_client):
    start = dt.date(2025, 1, 5)
    for week in range(25):
        _digest(org.root, start + dt.timedelta(weeks=week))
    client = web_client(member_a1.user)
    first = client.get("/digest/archive/")
    assert len(first.context["page_obj"]) == 20 and "1 / 2" in first.content.decode()
    second = client.get("/digest/archive/?page=2")
    assert len(second.context["page_obj"]) == 5


@pytest.mark.parametrize(
    "query, message",
    [
        ("year=2026&month=13", "月份应为 1 到 12 之间的数字"),
        ("month=5", "按月份查看时请同时指定年份"),
        ("year=abc", "年份应为四位数字"),
    ],
)
def test_bad_year_or_month_is_a_clear_400(issues, member_a1, web_client, query, message):
    resp = web_client(member_a1.user).get(f"/digest/archive/?{query}")
    assert resp.status_code == 400
    assert message in resp.content.decode()


def test_digest_page_and_navigation_link_to_the_archive(issues, member_a1, web_client):
    client = web_client(member_a1.user)
    page = client.get(issues["nov2"].url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/digest/archive/"' in html and "往期手机报" in html
    home = client.get("/").content.decode()
    assert 'href="/digest/archive/"' in home


def test_api_archive_months_and_month_filter(issues, member_a1, client_for):
    api = client_for(member_a1.user)
    months = api.get("/api/v1/digests/archive/")
    assert months.status_code == 200
    assert months.json()["results"] == [
        {"year": 2026, "month": 11, "count": 2},
        {"year": 2026, "month": 10, "count": 1},
        {"year": 2026, "month": 9, "count": 1},
        {"year": 2025, "month": 12, "count": 1},
    ]
    nov = api.get("/api/v1/digests/", {"year": 2026, "month": 11})
    assert [r["id"] for r in nov.json()["results"]] == [issues["nov2"].pk, issues["nov1"].pk]
    bad = api.get("/api/v1/digests/", {"month": 11})
    assert bad.status_code == 400 and "year" in bad.content.decode()
    assert api.get("/api/v1/digests/", {"year": 2026, "month": 0}).status_code == 400
