"""Q&A: asking one's own unit or one above (never a sibling or below), answerers of the
subtree only, the asker notified, anonymity towards other members only, escalation of
overdue questions (idempotent, on the periodic schedule) and the FAQ's audience."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core import schedule
from interaction.qa.models import FaqEntry, Question
from interaction.qa.services import questions_escalate
from interaction.qa.tasks import questions_escalate_overdue
from notifications.models import Notification
from organizations.models import UnitRole
from tests.factories import member_in, user_with_role

pytestmark = pytest.mark.django_db
URL = "/api/v1/questions/"


def ask(client, **data):
    return client.post(URL, {"title": "党费问题", "body": "如何计算党费？", **data}, format="json")


def test_member_asks_own_unit_by_default_and_a_unit_above(client_for, org, m_a1):
    client = client_for(m_a1.user)
    own = ask(client)
    assert own.status_code == 201 and own.json()["unit"]["id"] == org.a1.pk
    up = ask(client, unit_id=org.root.pk)
    assert up.status_code == 201 and up.json()["addressed_unit"]["name"] == org.root.name
    units = client.get(f"{URL}units/").json()
    assert [u["id"] for u in units] == [org.a1.pk, org.a.pk, org.root.pk]


def test_sibling_or_lower_unit_is_400_and_nothing_written(client_for, org):
    member_a = member_in(org.a)
    client = client_for(member_a.user)
    for unit in (org.b, org.a1, org.b1, 99999999):
        resp = ask(client, unit_id=unit if isinstance(unit, int) else unit.pk)
        assert resp.status_code == 400, unit
        assert "本党组织或上级" in resp.json()["error"]["message"]
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"title": ""},
        {"body": "   "},
        {"body": "问" * 2001},
        {"title": "标" * 101},
        {"body": "控制\x1b字符"},
        {"title": "空\x00字符"},
    ],
)
def test_bad_questions_are_400(client_for, m_a1, data):
    resp = ask(client_for(m_a1.user), **data)
    assert resp.status_code == 400 and resp.json()["error"]["message"]
    assert not Question.objects.exists()


def test_answerers_see_their_subtree_and_the_asker_is_notified(
    client_for, org, m_a1, m_b1, answerer_a, answerer_b
):
    qa = ask(client_for(m_a1.user), anonymous=True).json()
    qb = ask(client_for(m_b1.user)).json()
    inbox = client_for(answerer_a).get(f"{URL}inbox/").json()["results"]
    assert [(q["id"], q["asker"]) for q in inbox] == [(qa["id"], "张三")]  # named, though anonymous
    assert client_for(answerer_a).get(f"{URL}{qb['id']}/").status_code == 404
    refused = client_for(answerer_b).post(
        f"{URL}{qa['id']}/answer/", {"answer": "越权答复"}, format="json"
    )
    assert refused.status_code == 404
    assert Question.objects.get(pk=qa["id"]).answer == ""
    resp = client_for(answerer_a).post(
        f"{URL}{qa['id']}/answer/", {"answer": "按月工资收入的比例计算。"}, format="json"
    )
    assert resp.status_code == 200 and resp.json()["status"] == "answered"
    note = Notification.objects.get(kind="question_answered")
    assert note.recipient_id == m_a1.pk and "党费问题" in note.title
    mine = client_for(m_a1.user).get(f"{URL}{qa['id']}/").json()
    assert mine["answer"] == "按月工资收入的比例计算。" and mine["answered_unit"] == org.a.name
    # another member of the same branch cannot open it
    other = member_in(org.a1)
    assert client_for(other.user).get(f"{URL}{qa['id']}/").status_code == 404


def test_answerers_of_the_unit_are_told_of_a_new_question(client_for, org, m_a1):
    on_a1 = user_with_role(org.a1, UnitRole.Role.ANSWERER, username="ans_a1")
    ask(client_for(m_a1.user))
    assert Notification.objects.filter(kind="question_assigned", recipient__user=on_a1).count() == 1


def test_overdue_question_escalates_once_per_period(client_for, org, m_a1, answerer_a):
    q = ask(client_for(m_a1.user)).json()
    assert questions_escalate() == 0  # not due yet
    past = timezone.now() - dt.timedelta(minutes=1)
    Question.objects.filter(pk=q["id"]).update(due_at=past)
    assert questions_escalate() == 1
    row = Question.objects.get(pk=q["id"])
    assert row.unit_id == org.a.pk and row.escalations == 1 and row.due_at > timezone.now()
    assert questions_escalate() == 0  # a second run finds nothing to move
    assert (
        Notification.objects.filter(kind="question_assigned", recipient__user=answerer_a).count()
        == 1
    )
    # the answerer of A now sees it
    assert [x["id"] for x in client_for(answerer_a).get(f"{URL}inbox/").json()["results"]] == [
        q["id"]
    ]
    # at the top it stays
    Question.objects.filter(pk=q["id"]).update(unit=org.root, due_at=past)
    assert questions_escalate() == 0


def test_escalation_is_on_the_periodic_schedule():
    job = schedule.get("interaction.questions_escalate")
    assert job.task == "interaction.qa.tasks.questions_escalate_overdue"
    assert job.every == dt.timedelta(minutes=15)
    assert questions_escalate_overdue.call() == 0


def test_faq_is_read_by_the_questions_audience(client_for, org, m_a1, m_b1, answerer_a):
    q = ask(client_for(m_a1.user), anonymous=True).json()
    a = client_for(answerer_a)
    early = a.post(f"{URL}{q['id']}/faq/", {}, format="json")
    assert early.status_code == 409 and not FaqEntry.objects.exists()
    a.post(f"{URL}{q['id']}/answer/", {"answer": "答复内容"}, format="json")
    resp = a.post(f"{URL}{q['id']}/faq/", {}, format="json")
    assert resp.status_code == 201
    entry = resp.json()
    assert entry["asker"] == "匿名党员" and entry["answer"] == "答复内容"
    peer = client_for(member_in(org.a1).user)
    assert [f["id"] for f in peer.get("/api/v1/faq/").json()["results"]] == [entry["id"]]
    assert client_for(m_b1.user).get(f"/api/v1/faq/{entry['id']}/").status_code == 404
    assert client_for(m_b1.user).get("/api/v1/faq/").json()["results"] == []


def test_admin_answer_goes_through_the_service_and_is_scoped(
    client_for, org, m_a1, m_b1, answerer_a
):
    from django.test import Client

    qa = ask(client_for(m_a1.user)).json()
    qb = ask(client_for(m_b1.user)).json()
    admin = Client()
    admin.force_login(answerer_a)
    listing = admin.get("/admin/interaction_questions/")
    assert listing.status_code == 200
    assert admin.get(f"/admin/interaction_questions/edit/{qb['id']}/").status_code == 404
    assert admin.get("/admin/interaction_questions/new/").status_code in (302, 403)
    empty = admin.post(f"/admin/interaction_questions/edit/{qa['id']}/", {"answer": "  "})
    assert empty.status_code == 200 and "不能为空" in empty.content.decode()
    done = admin.post(f"/admin/interaction_questions/edit/{qa['id']}/", {"answer": "已处理"})
    assert done.status_code == 302
    row = Question.objects.get(pk=qa["id"])
    assert (row.status, row.answer, row.answered_unit_id) == ("answered", "已处理", org.a.pk)
    assert Notification.objects.filter(kind="question_answered", recipient=m_a1).exists()
