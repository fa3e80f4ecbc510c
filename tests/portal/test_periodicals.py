"""The portal's periodicals section: the list, a periodical with its published issues and
an issue's page and file, each scoped by audience like the rest of the portal (what a
member may not see answers 404, as a missing id does)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile

from cms.models import Periodical, PeriodicalIssue
from cms.samples import pdf_bytes

pytestmark = pytest.mark.django_db


def _periodical(unit, title, *, published=True):
    return Periodical.objects.create(
        title=title,
        issn="",
        publisher=f"{title}杂志社",
        audience_unit=unit,
        owner_unit=unit,
        is_published=published,
    )


def _issue(periodical, label, *, published=True, day=1):
    issue = PeriodicalIssue(
        periodical=periodical,
        label=label,
        issue_date=dt.date(2026, 1, day),
        is_published=published,
    )
    issue.file.save(f"{label}.pdf", ContentFile(pdf_bytes(periodical.title)), save=False)
    issue.save()
    return issue


@pytest.fixture
def shelf(org):
    group = _periodical(org.root, "求是")
    overseas = _periodical(org.b, "海外党建")
    draft = _periodical(org.root, "未发布期刊", published=False)
    return {
        "group": group,
        "overseas": overseas,
        "draft": draft,
        "issue1": _issue(group, "2026年第1期", day=1),
        "issue2": _issue(group, "2026年第2期", day=15),
        "hidden_issue": _issue(group, "2026年第3期", published=False, day=28),
        "overseas_issue": _issue(overseas, "2026年第1期"),
    }


def test_the_list_shows_what_the_member_may_read(web_client, member_a1, shelf):
    page = web_client(member_a1.user).get("/periodicals/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "求是" in html and "<h1>期刊</h1>" in html
    assert "海外党建" not in html and "未发布期刊" not in html


def test_a_periodical_lists_its_published_issues_newest_first(web_client, member_a1, shelf):
    html = web_client(member_a1.user).get(f"/periodicals/{shelf['group'].pk}/").content.decode()
    assert html.index("2026年第2期") < html.index("2026年第1期")
    assert "2026年第3期" not in html
    assert f"/periodicals/issues/{shelf['issue2'].pk}/" in html


def test_an_issue_page_and_its_file(web_client, member_a1, shelf):
    client = web_client(member_a1.user)
    page = client.get(f"/periodicals/issues/{shelf['issue1'].pk}/")
    assert page.status_code == 200
    assert "在线阅读" in page.content.decode()
    file = client.get(f"/periodicals/issues/{shelf['issue1'].pk}/file/")
    assert file.status_code == 200
    assert b"".join(file.streaming_content if file.streaming else [file.content])[:4] == b"%PDF"


def test_out_of_scope_unpublished_and_missing_answer_404(web_client, member_a1, shelf):
    client = web_client(member_a1.user)
    for url in (
        f"/periodicals/{shelf['overseas'].pk}/",
        f"/periodicals/{shelf['draft'].pk}/",
        "/periodicals/999999/",
        f"/periodicals/issues/{shelf['overseas_issue'].pk}/",
        f"/periodicals/issues/{shelf['overseas_issue'].pk}/file/",
        f"/periodicals/issues/{shelf['hidden_issue'].pk}/",
        f"/periodicals/issues/{shelf['hidden_issue'].pk}/file/",
    ):
        assert client.get(url).status_code == 404, url


def test_the_overseas_member_sees_the_overseas_periodical(web_client, member_b1, shelf):
    client = web_client(member_b1.user)
    assert client.get(f"/periodicals/{shelf['overseas'].pk}/").status_code == 200
    assert client.get(f"/periodicals/issues/{shelf['overseas_issue'].pk}/").status_code == 200


def test_the_section_needs_a_login(client, shelf):
    assert client.get("/periodicals/").status_code == 302
