"""Manuscripts: who sees what (the sender's subtree and the receiver's subtree; out of
scope is a 404 in the API, the portal and the admin), the portal pages and the admin
processing view going through the services, the report per unit and period (one query,
ranked, Excel), the default scoring rules of `ehome_setup` and the manuscript figures in
the content-team assessment."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from publications.manuscripts import reports, services
from publications.manuscripts.models import Manuscript, ManuscriptScoreRule
from publications.manuscripts.scoring import setup_ensure as rules_ensure
from tests.factories import add_unit, user_with_role

pytestmark = pytest.mark.django_db
S = Manuscript.Status
BASE = "/api/v1/manuscripts/"


def _item(user, sender, receiver, *, title="稿件", body="正文" * 300, submit=True, **extra):
    return services.manuscript_create(
        user=user,
        sender_unit_id=sender.pk,
        receiver_unit_id=receiver.pk,
        title=title,
        body=body,
        submit=submit,
        **extra,
    )


def _adopt(user, m, decision=S.ADOPTED_BULLETIN, score=True):
    services.manuscript_register(user=user, manuscript_id=m.pk)
    services.manuscript_decide(user=user, manuscript_id=m.pk, decision=decision)
    if score:
        services.manuscript_score(user=user, manuscript_id=m.pk)


@pytest.fixture
def world(org):
    rules_ensure()
    editors = {
        "a1": user_with_role(org.a1, "editor"),
        "a": user_with_role(org.a, "editor"),
        "b1": user_with_role(org.b1, "editor"),
        "b": user_with_role(org.b, "secretary"),
    }
    mine = _item(editors["a1"], org.a1, org.a, title="A1 投往 A")
    theirs = _item(editors["b1"], org.b1, org.b, title="B1 投往 B")
    return type("World", (), {"editors": editors, "mine": mine, "theirs": theirs})


def test_api_each_side_sees_its_own_and_the_other_subtree_is_not_found(org, world, client_for):
    a1, a, b = (client_for(world.editors[k]) for k in ("a1", "a", "b"))
    sent = a1.get(BASE, {"box": "sent"}).json()["results"]
    assert [x["id"] for x in sent] == [world.mine.pk]
    assert a1.get(BASE, {"box": "received"}).json()["results"] == []
    received = a.get(BASE, {"box": "received"}).json()["results"]
    assert [x["id"] for x in received] == [world.mine.pk]
    assert [x["id"] for x in b.get(BASE).json()["results"]] == [world.theirs.pk]
    for url in (f"{BASE}{world.theirs.pk}/", f"{BASE}999999/"):
        assert a.get(url).status_code == 404
        assert a.post(url + "register/", {}, format="json").status_code == 404
        assert a.patch(url, {"title": "改"}, format="json").status_code == 404
    # the sender side may not take the receiver's steps, nor the other way round
    assert a1.post(f"{BASE}{world.mine.pk}/register/", {}, format="json").status_code == 404
    assert Manuscript.objects.get(pk=world.mine.pk).status == S.SUBMITTED
    # a plain member sees nothing
    from tests.factories import member_in

    plain = client_for(member_in(org.a1).user)
    assert plain.get(BASE).json()["results"] == []
    assert plain.get(f"{BASE}{world.mine.pk}/").status_code == 404


def test_portal_pages_are_scoped_and_run_the_services(org, world):
    c = Client()
    c.force_login(world.editors["a"])
    assert c.get(f"/manuscripts/{world.theirs.pk}/").status_code == 404
    assert c.post(f"/manuscripts/{world.theirs.pk}/register/").status_code == 404
    queue = c.get("/manuscripts/queue/")
    assert queue.status_code == 200 and "A1 投往 A" in queue.content.decode()
    assert "B1 投往 B" not in queue.content.decode()
    page = c.get(f"/manuscripts/{world.mine.pk}/").content.decode()
    assert "登记" in page
    c.post(f"/manuscripts/{world.mine.pk}/register/")
    c.post(f"/manuscripts/{world.mine.pk}/return/", {"comment": "  "})
    m = Manuscript.objects.get(pk=world.mine.pk)
    assert m.status == S.REGISTERED  # an empty comment returned nothing
    shown = c.get(f"/manuscripts/{world.mine.pk}/").content.decode()
    assert "退回修改须填写意见" in shown and m.register_number in shown
    c.post(f"/manuscripts/{world.mine.pk}/decide/", {"decision": "adopted_bulletin"})
    c.post(f"/manuscripts/{world.mine.pk}/score/")
    c.post(f"/manuscripts/{world.mine.pk}/score/")
    assert "该稿件已计分，不能重复计分" in c.get(f"/manuscripts/{world.mine.pk}/").content.decode()
    assert Manuscript.objects.get(pk=world.mine.pk).score.points == 5


def test_portal_submit_form_sends_to_an_upper_unit_with_files_or_writes_nothing(org, world):
    c = Client()
    c.force_login(world.editors["a1"])
    form = c.get("/manuscripts/new/").content.decode()
    assert org.a.name in form and org.root.name in form
    before = Manuscript.objects.count()
    bad = c.post(
        "/manuscripts/new/",
        {
            "sender_unit": org.a1.pk,
            "receiver_unit": org.b.pk,
            "target_kind": "bulletin",
            "title": "投错了",
        },
    )
    assert bad.status_code == 400 and "只能向上级组织投稿" in bad.content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = c.post(
        "/manuscripts/new/",
        {
            "sender_unit": org.a1.pk,
            "receiver_unit": org.root.pk,
            "target_kind": "news",
            "title": "附件不对",
            "files": [SimpleUploadedFile("稿件.pdf", b"not a pdf")],
        },
    )
    assert fake.status_code == 400 and "不是 PDF 文件" in fake.content.decode()
    assert Manuscript.objects.count() == before  # the item went with its bad file
    good = c.post(
        "/manuscripts/new/",
        {
            "sender_unit": org.a1.pk,
            "receiver_unit": org.root.pk,
            "target_kind": "news",
            "title": "项目部开展安全月活动",
            "body": "正文",
            "files": [SimpleUploadedFile("现场.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 16)],
        },
    )
    assert good.status_code == 302
    m = Manuscript.objects.latest("pk")
    assert (m.status, m.receiver_unit_id, m.attachments.get().is_image) == (
        S.SUBMITTED,
        org.root.pk,
        True,
    )
    mine = c.get("/manuscripts/").content.decode()
    assert "项目部开展安全月活动" in mine and "B1 投往 B" not in mine


def test_admin_list_edit_history_and_processing_are_scoped(org, world):
    c = Client()
    c.force_login(world.editors["a"])
    listing = c.get("/admin/publications_manuscripts/")
    assert listing.status_code == 200
    assert "A1 投往 A" in listing.content.decode()
    assert "B1 投往 B" not in listing.content.decode()
    for view in ("edit", "history", "process", "inspect", "delete"):
        assert (
            c.get(f"/admin/publications_manuscripts/{view}/{world.theirs.pk}/").status_code == 404
        )
    export = c.get("/admin/publications_manuscripts/?export=xlsx")
    assert export.status_code == 200
    data = b"".join(export.streaming_content) if export.streaming else export.content
    rows = list(load_workbook(io.BytesIO(data)).active.values)
    assert [r[1] for r in rows[1:]] == ["A1 投往 A"]
    # a submitted item is a record: not even its sender side deletes it
    c.post(f"/admin/publications_manuscripts/delete/{world.mine.pk}/")
    assert Manuscript.objects.filter(pk=world.mine.pk).exists()
    url = f"/admin/publications_manuscripts/process/{world.mine.pk}/"
    c.post(url, {"step": "register"})
    c.post(url, {"step": "decide", "decision": "adopted_news"})  # no news channel here
    m = Manuscript.objects.get(pk=world.mine.pk)
    assert m.status == S.REGISTERED and m.news_page_id is None
    assert "没有新闻频道" in c.get(url).content.decode()
    c.post(url, {"step": "decide", "decision": "adopted_bulletin"})
    c.post(url, {"step": "score"})
    assert Manuscript.objects.get(pk=world.mine.pk).score.points == 5
    # the out-of-scope item: nothing changes
    assert c.post(f"/admin/publications_manuscripts/process/{world.theirs.pk}/",
                  {"step": "register"}).status_code == 404  # fmt: skip
    assert Manuscript.objects.get(pk=world.theirs.pk).status == S.SUBMITTED


def test_admin_create_goes_through_the_service_and_refuses_a_non_upper_receiver(org, world):
    c = Client()
    c.force_login(world.editors["a1"])
    data = {
        "sender_unit": org.a1.pk,
        "receiver_unit": org.b.pk,
        "target_kind": "bulletin",
        "column": "",
        "title": "后台写稿",
        "body_format": "plain",
        "body": "正文",
    }
    before = Manuscript.objects.count()
    bad = c.post("/admin/publications_manuscripts/new/", data)
    assert bad.status_code == 200 and "只能向上级组织投稿" in bad.content.decode()
    assert Manuscript.objects.count() == before
    good = c.post("/admin/publications_manuscripts/new/", {**data, "receiver_unit": org.a.pk})
    assert good.status_code == 302, good.content.decode()[:2000]
    m = Manuscript.objects.get(title="后台写稿")
    assert (m.sender_unit_id, m.receiver_unit_id, m.status) == (org.a1.pk, org.a.pk, S.DRAFT)
    # a unit outside the editor's subtree cannot be the sender
    other = c.post("/admin/publications_manuscripts/new/", {**data, "sender_unit": org.b1.pk,
                                                             "receiver_unit": org.b.pk})  # fmt: skip
    assert other.status_code == 200 and Manuscript.objects.count() == before + 1


# --- the report ---------------------------------------------------------------------------
def test_report_is_one_query_ranked_by_score_and_exports_to_excel(org, world, client_for):
    a2 = add_unit(org.a, "A2", "上海项目党支部")
    e_a2 = user_with_role(a2, "editor")
    receiver = world.editors["a"]
    _adopt(receiver, world.mine)  # A1: 1 submitted, 1 adopted, 5 points
    for i in range(3):  # A2: 3 submitted, 2 adopted (bulletin 5 + news 2 points), 1 not
        m = _item(e_a2, a2, org.a, title=f"A2 稿件{i}", target_kind="news", body="字" * 100)
        decision = [S.ADOPTED_BULLETIN, S.ADOPTED_NEWS, S.NOT_ADOPTED][i]
        if decision == S.ADOPTED_NEWS:
            from cms.services import setup_ensure

            setup_ensure()
        _adopt(receiver, m, decision, score=decision != S.NOT_ADOPTED)
    _item(e_a2, a2, org.a, title="草稿", submit=False)  # drafts do not count
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as q:
        report = reports.unit_report(unit=org.root, date_from=today, date_to=today)
    assert len(q.captured_queries) == 1
    rows = [(r["rank"], r["unit_name"], r["submitted"], r["adopted"], r["score"])
            for r in report["rows"]]  # fmt: skip
    assert rows == [
        (1, "上海项目党支部", 3, 2, 5.0),  # 3 (bulletin, 100 characters) + 2 (news)
        (2, "北京项目党支部", 1, 1, 5.0),
        (3, "坦桑尼亚项目党支部", 1, 0, 0.0),
    ]
    assert report["rows"][0]["adoption_rate"] == pytest.approx(0.6667)
    # a subtree: only its units
    assert [r["unit_name"] for r in reports.unit_report(
        unit=org.b, date_from=today, date_to=today)["rows"]] == ["坦桑尼亚项目党支部"]  # fmt: skip
    # a period without items
    old = reports.unit_report(
        unit=org.root, date_from=dt.date(2020, 1, 1), date_to=dt.date(2020, 12, 31)
    )
    assert old["rows"] == []
    api = client_for(receiver)
    got = api.get(f"{BASE}report/", {"unit": org.a.pk, "date_from": today, "date_to": today})
    assert got.status_code == 200 and [r["unit_name"] for r in got.json()["rows"]] == [
        "上海项目党支部",
        "北京项目党支部",
    ]
    assert api.get(f"{BASE}report/", {"unit": org.b.pk}).status_code == 404
    bad = api.get(f"{BASE}report/", {"date_from": "2026-12-31", "date_to": "2026-01-01"})
    assert bad.status_code == 400
    xlsx = api.get(f"{BASE}report/", {"unit": org.a.pk, "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.values)
    assert values[1][:4] == ("排名", "投稿单位", "投稿数", "采用数")
    assert values[2][1] == "上海项目党支部" and values[2][6] == "66.7%"
    c = Client()
    c.force_login(receiver)
    page = c.get("/manuscripts/report/", {"unit": org.a.pk})
    assert page.status_code == 200 and "上海项目党支部" in page.content.decode()
    assert c.get("/manuscripts/report/", {"unit": org.b.pk}).status_code == 404


def test_the_score_rules_are_loaded_by_the_setup_once(org):
    from django.core.management import call_command

    ManuscriptScoreRule.objects.all().delete()
    assert rules_ensure()["manuscript_rules_created"] == 5
    assert rules_ensure()["manuscript_rules_created"] == 0
    call_command("ehome_setup", stdout=io.StringIO())
    assert ManuscriptScoreRule.objects.count() == 5


def test_the_content_team_assessment_shows_each_teams_manuscripts(org, world):
    from interaction.analytics import reports as analytics

    _adopt(world.editors["a"], world.mine)
    month = timezone.localdate().replace(day=1)
    report = analytics.assessment(unit=org.root, month=month)
    (figures,) = report["team_figures"]
    assert figures["code"] == "manuscripts"
    assert [c["label"] for c in figures["columns"]] == ["投稿", "采用", "稿件得分"]
    assert {r["team"]: r["values"] for r in figures["rows"]} == {
        "北京项目党支部": [1, 1, 5.0],
        "坦桑尼亚项目党支部": [1, 0, 0.0],
    }
    c = Client()
    c.force_login(user_with_role(org.root, "secretary"))
    page = c.get(
        "/admin/interaction/engagement/assessment/",
        {"unit": org.root.pk, "month": f"{month:%Y-%m}"},
    )
    assert page.status_code == 200
    assert 'data-testid="team-figures-manuscripts"' in page.content.decode()
