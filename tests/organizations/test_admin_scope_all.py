"""Every admin URL of every unit-owned model stops at the edge of the user's subtree.

Generic on purpose: the URL patterns come from Wagtail's viewset registry (snippets,
ModelViewSets, choosers) — a viewset added later is tried too — plus the project's own
admin views. One user holds every admin role on unit A; for each model there is one
object in A's subtree ("mine") and one in B's ("theirs"). Every URL that takes an id
answers 404 for theirs (GET and POST, nothing changes) and not 404 for mine; every
listing, chooser, export and add form shows mine and never theirs.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.viewsets import viewsets as viewset_registry
from wagtail.models import Page

from care.liaison.models import FamilyContact, LiaisonContact, LiaisonFile, LiaisonNeed
from cms.models import Book, Outlet, Periodical, PeriodicalIssue
from cms.services import content_setup_ensure, user_content_groups_sync
from elearning.models import Assignment, Contest, Course, Exam, Question
from media_pipeline.models import MediaAsset
from notifications.models import Notification
from notifications.services import notification_send
from organizations.models import AccessLog, Member, MemberRecord, OrgUnit
from organizations.permissions import UnitScopedViewSetMixin, policy_for
from organizations.services import unit_role_grant
from tests.cms.conftest import publish_news, site  # noqa: F401 - fixture
from tests.factories import member_in

pytestmark = pytest.mark.django_db

MINE, THEIRS = "MARKMINE", "MARKTHEIRS"
ROLES = ("instructor", "editor", "reviewer", "secretary", "unit_admin", "treasurer", "answerer")
#: list-like views: they show mine and never theirs
LISTINGS = {"index", "list", "index_results", "list_results", "choose", "choose_results"}


def _objects(unit: OrgUnit, mark: str) -> dict[type, models.Model]:
    """One object of every unit-owned admin model, owned by / addressed to `unit`."""
    now = timezone.now()
    course = Course.objects.create(title=f"{mark}课程", audience_unit=unit)
    periodical = Periodical.objects.create(
        title=f"{mark}期刊", owner_unit=unit, audience_unit=unit, is_published=True
    )
    member = member_in(unit, name=f"{mark}党员")
    notification_send(
        kind="announcement",
        recipients=[member],
        context={"title": f"{mark}消息", "body": f"{mark}内容"},
        link=("", ""),
        idempotency_key=f"scope-{mark}",
    )
    file = LiaisonFile.objects.create(member=member)
    from interaction.models import FaqEntry, ModerationRule, SensitiveWord
    from interaction.models import Question as MemberQuestion
    from notifications.models import Broadcast
    from publications.models import Document, Manuscript

    return {
        # the interaction platform's unit-owned admin models (#18)
        SensitiveWord: SensitiveWord.objects.create(unit=unit, word=f"{mark}词"),
        ModerationRule: ModerationRule.objects.create(unit=unit, target="news", channel_code=mark),
        MemberQuestion: MemberQuestion.objects.create(
            asker=member,
            asker_unit=unit,
            addressed_unit=unit,
            unit=unit,
            title=f"{mark}问题",
            body="问",
            due_at=now + dt.timedelta(days=3),
        ),
        FaqEntry: FaqEntry.objects.create(
            unit=unit, audience_unit=unit, question_text=f"{mark}问答", answer_text="答"
        ),
        # a broadcast to the unit's subtree and a document it issued (#17, #22)
        Broadcast: Broadcast.objects.create(
            kind="announcement",
            title=f"{mark}群发",
            audience_unit=unit,
            idempotency_key=f"scope-broadcast-{mark}-{unit.pk}",
        ),
        Manuscript: Manuscript.objects.create(
            title=f"{mark}稿件",
            body="正文",
            sender_unit=unit,
            receiver_unit=unit.get_parent(),
            status="adopted_bulletin",  # the bulletin's chooser lists it too
            submitted_at=now,
            decided_at=now,
        ),
        Document: Document.objects.create(
            title=f"{mark}文件",
            number=f"{mark}〔2026〕1号",
            issuing_unit=unit,
            audience_unit=unit,
            issued_on=dt.date.today(),
        ),
        # member records and family liaison files (#19)
        MemberRecord: MemberRecord.objects.create(member=member, occupation=f"{mark}职业"),
        AccessLog: AccessLog.objects.create(
            actor_name=f"{mark}操作人",
            member=member,
            member_name=member.name,
            unit=unit,
            action="reveal",
            purpose=f"{mark}用途",
        ),
        LiaisonFile: file,
        FamilyContact: FamilyContact.objects.create(file=file, relation=f"{mark}关系", name="甲"),
        LiaisonContact: LiaisonContact.objects.create(
            file=file, on=dt.date.today(), notes=f"{mark}记录"
        ),
        LiaisonNeed: LiaisonNeed.objects.create(
            file=file, raised_on=dt.date.today(), description=f"{mark}诉求"
        ),
        OrgUnit: unit,
        Member: member,
        Notification: Notification.objects.get(recipient=member, idempotency_key=f"scope-{mark}"),
        Course: course,
        Assignment: Assignment.objects.create(
            course=course, audience_unit=unit, due_date=dt.date.today(), note=f"{mark}任务"
        ),
        Question: Question.objects.create(
            type="true_false", stem=f"{mark}题目", answer=True, owner_unit=unit
        ),
        Exam: Exam.objects.create(title=f"{mark}考试", audience_unit=unit, course=course),
        Contest: Contest.objects.create(
            title=f"{mark}竞答",
            audience_unit=unit,
            starts_at=now,
            ends_at=now + dt.timedelta(days=1),
        ),
        Book: Book.objects.create(
            title=f"{mark}图书", owner_unit=unit, audience_unit=unit, is_published=True
        ),
        Periodical: periodical,
        PeriodicalIssue: PeriodicalIssue.objects.create(
            periodical=periodical, label=f"{mark}期次", issue_date=dt.date.today(), file="x.pdf"
        ),
        MediaAsset: MediaAsset.objects.create(
            kind="video", title=f"{mark}视频", owner_unit=unit, status="ready", duration=60
        ),
        Outlet: Outlet.objects.create(name=f"{mark}公众号", kind="wechat", owner_unit=unit),
        **_care_objects(unit, mark, member),
        **_dues_objects(unit, mark, member),
        **_supervision_objects(unit, mark, now),
    }


def _care_objects(unit: OrgUnit, mark: str, member) -> dict[type, models.Model]:
    """Transfers and the care app's records (issue 19)."""
    from care.assistance.models import AssistanceCase, AssistanceHelper, AssistanceVisit
    from care.greetings.models import GreetingTemplate
    from organizations.models import Transfer

    now = timezone.now()
    case = AssistanceCase.objects.create(
        unit=unit,
        member=member,
        category="illness",
        situation=f"{mark}困难",
        opened_on=dt.date.today(),
    )
    return {
        Transfer: Transfer.objects.create(
            member=member, from_unit=unit, to_unit=unit, started_at=now, reason=f"{mark}转接"
        ),
        AssistanceCase: case,
        AssistanceHelper: AssistanceHelper.objects.create(
            case=case, helper=member_in(unit, name=f"{mark}帮扶人"), paired_on=dt.date.today()
        ),
        AssistanceVisit: AssistanceVisit.objects.create(
            case=case, kind="visit", visited_on=dt.date.today(), notes=f"{mark}走访"
        ),
        GreetingTemplate: GreetingTemplate.objects.create(
            unit=unit, kind="birthday", title=f"{mark}生日", body="{name}"
        ),
    }


def _dues_objects(unit: OrgUnit, mark: str, member) -> dict:
    from dues.models import DuesBase, LedgerEntry, PaymentOrder, Refund

    now = timezone.now()
    order = PaymentOrder.objects.create(
        member=member,
        unit=unit,
        provider="sandbox",
        out_trade_no=f"SCOPE{mark}",
        amount_fen=500,
        status="paid",
        paid_at=now,
        expires_at=now,
    )
    return {
        DuesBase: DuesBase.objects.create(
            member=member, unit=unit, year=2026, category="employed", base_fen=100000
        ),
        LedgerEntry: LedgerEntry.objects.create(
            member=member, unit=unit, month=dt.date(2026, 12, 1), kind="obligation", amount_fen=500
        ),
        PaymentOrder: order,
        Refund: Refund.objects.create(
            order=order,
            out_refund_no=f"R{mark}",
            amount_fen=100,
            reason=f"{mark}退款",
            requested_by=member.user,
        ),
    }


def _supervision_objects(unit: OrgUnit, mark: str, now) -> dict:
    from supervision.models import LedgerItem, LedgerReport, Meeting, Rectification

    # the work items are group-wide: the report's text carries the mark
    item, _ = LedgerItem.objects.get_or_create(code="SCOPE", defaults={"title": "事项"})
    return {
        Meeting: Meeting.objects.create(
            unit=unit,
            kind="theme_day",
            title=f"{mark}会议",
            starts_at=now,
            ends_at=now + dt.timedelta(hours=1),
            place="会议室",
        ),
        LedgerReport: LedgerReport.objects.create(
            unit=unit, item=item, period="2026", text=f"{mark}报告", submitted_at=now
        ),
        Rectification: Rectification.objects.create(
            unit=unit,
            issued_by_unit=unit,
            title=f"{mark}问题",
            description="d",
            category="c",
            deadline=dt.date.today(),
            responsible_person="p",
        ),
    }


def _model_of(viewset):
    model = getattr(viewset, "model", None)
    if isinstance(model, str):
        model = apps.get_model(model)
    return model


def _unit_owned(model) -> bool:
    """A model whose rows belong to a unit: OrgUnit itself, a foreign key to it, or a
    foreign key to such a model (a periodical's issue)."""
    if model is None or issubclass(model, Page):
        return False  # pages: the page permission tester (cms.permissions)
    if model is OrgUnit:
        return True

    def fks(m):
        return [f.related_model for f in m._meta.get_fields() if f.many_to_one and f.concrete]

    return any(r is OrgUnit or (r is not None and OrgUnit in fks(r)) for r in fks(model))


def scoped_viewsets():
    reverse("wagtailadmin_home")  # the admin URLconf (and the viewset registry) is loaded
    return [vs for vs in viewset_registry.viewsets if _unit_owned(_model_of(vs))]


@pytest.fixture
def setup(org, site):  # noqa: F811 - the cms site fixture
    content_setup_ensure(home=site.home)
    user = member_in(org.a, username="all_roles_a").user
    for role in ROLES:
        unit_role_grant(user=user, unit=org.a, role=role)
    user_content_groups_sync(user=user)  # what the roles-changed signal does on commit
    academy, _ = Group.objects.get_or_create(name="教员-test")
    academy.permissions.add(*Permission.objects.filter(content_type__app_label="elearning"))
    user.groups.add(academy)
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    mine, theirs = _objects(org.a1, MINE), _objects(org.b1, THEIRS)
    return client, mine, theirs


def test_every_unit_owned_admin_viewset_uses_the_scope_policy():
    found = scoped_viewsets()
    models_found = {_model_of(vs) for vs in found}
    assert {Course, Question, Book, MediaAsset, Member, OrgUnit, Outlet} <= models_found
    for vs in found:
        model = _model_of(vs)
        assert isinstance(vs, UnitScopedViewSetMixin), f"{vs.name} ({model}) is not scoped"
        assert vs.scope_policy is policy_for(model)


def _text(resp) -> str:
    body = b"".join(resp.streaming_content) if resp.streaming else resp.content
    if resp.get("Content-Type", "").startswith("application/vnd.openxml"):
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(body))
        return " ".join(
            str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row
        )
    return body.decode()


def test_every_admin_url_of_a_unit_owned_model_is_scoped(setup, org):
    client, mine, theirs = setup
    tried, refused, allowed = 0, 0, 0
    for vs in scoped_viewsets():
        model = _model_of(vs)
        for pattern in vs.get_urlpatterns():
            name = vs.get_url_name(pattern.name)
            params = set(pattern.pattern.converters)
            if "pk" in params:
                assert params == {"pk"}, f"{name}: extra URL parameters {params} not covered"
                url_theirs = reverse(name, args=[theirs[model].pk])
                # a view answers one method or both; the other may say 405, nothing else
                statuses = {client.get(url_theirs).status_code, client.post(url_theirs).status_code}
                tried += 1
                assert 404 in statuses and statuses <= {404, 405}, f"{url_theirs} → {statuses}"
                refused += 1
                url_mine = reverse(name, args=[mine[model].pk])
                status = client.get(url_mine).status_code
                assert status in (200, 302, 405), f"GET {url_mine} (in scope) → {status}"
                allowed += status == 200
                continue
            assert not params, f"{name}: URL parameters {params} not covered"
            url = reverse(name)
            queries = [""]
            exports = getattr(vs, "list_export", None)
            if pattern.pattern.name in ("index", "list") and exports and exports != vs.UNDEFINED:
                queries += ["?export=xlsx", "?export=csv"]
            if pattern.pattern.name == "chosen_multiple":
                queries = [f"?id={theirs[model].pk}"]
            for query in queries:
                resp = client.get(url + query)
                tried += 1
                assert resp.status_code in (200, 302, 405), f"GET {url}{query} → {resp.status_code}"
                text = _text(resp)
                assert THEIRS not in text, f"GET {url}{query} shows another unit's object"
                if pattern.pattern.name in LISTINGS or query.startswith("?export"):
                    assert resp.status_code == 200, f"GET {url}{query} → {resp.status_code}"
                    if model is OrgUnit:
                        assert org.b1.name not in text, f"GET {url}{query} shows unit B1"
                        assert org.a1.name in text, f"GET {url}{query} lists nothing"
                    else:
                        assert MINE in text, f"GET {url}{query} lists nothing (vacuous)"
                    allowed += 1
    assert refused >= 40 and allowed >= 40, (tried, refused, allowed)
    # nothing of theirs was changed or deleted by the POSTs
    for model, obj in theirs.items():
        assert model._default_manager.filter(pk=obj.pk).exists(), model
    assert Course.objects.get(pk=theirs[Course].pk).title == f"{THEIRS}课程"


def test_snippet_bulk_delete_of_another_units_item_is_refused(setup):
    client, mine, theirs = setup
    url = reverse("wagtail_bulk_action", args=("cms", "book", "delete"))
    assert client.get(f"{url}?id={theirs[Book].pk}").status_code == 404
    assert client.post(f"{url}?id={theirs[Book].pk}").status_code == 404
    assert client.post(f"{url}?id={mine[Book].pk}&id={theirs[Book].pk}").status_code == 404
    assert Book.objects.filter(pk=theirs[Book].pk).exists()
    assert client.get(f"{url}?id={mine[Book].pk}").status_code == 200


def test_project_admin_views_are_scoped(setup, org, site):  # noqa: F811
    client, mine, theirs = setup
    # media library: list, live status, detail, re-transcode
    html = client.get(reverse("media_pipeline_admin:index")).content.decode()
    assert f"{MINE}视频" in html and THEIRS not in html
    ids = f"{mine[MediaAsset].pk},{theirs[MediaAsset].pk}"
    rows = client.get(reverse("media_pipeline_admin:status") + f"?ids={ids}").json()["assets"]
    assert [r["id"] for r in rows] == [mine[MediaAsset].pk]
    detail = "media_pipeline_admin:detail"
    assert client.get(reverse(detail, args=[theirs[MediaAsset].pk])).status_code == 404
    assert client.get(reverse(detail, args=[mine[MediaAsset].pk])).status_code == 200
    retranscode = reverse("media_pipeline_admin:retranscode", args=[theirs[MediaAsset].pk])
    assert client.post(retranscode).status_code == 404
    # question bank export and import
    resp = client.get(reverse("elearning_question_export"))
    text = _text(resp)
    assert f"{MINE}题目" in text and THEIRS not in text
    html = client.get(reverse("elearning_question_import")).content.decode()
    assert org.a1.name in html and org.b.name not in html and org.b1.name not in html
    # page preview token and the review audit report
    theirs_page = publish_news(
        site.channel, title=f"{THEIRS}新闻", publishing_unit=org.b, audience_unit=org.b
    )
    mine_page = publish_news(
        site.channel, title=f"{MINE}新闻", publishing_unit=org.a, audience_unit=org.a
    )
    assert client.get(reverse("cms_preview_token", args=[theirs_page.pk])).status_code == 404
    assert client.get(reverse("cms_preview_token", args=[mine_page.pk])).status_code == 200
    html = client.get(reverse("cms_content_audit")).content.decode()
    assert THEIRS not in html
    # the page chooser (digest items, related content): browsing and searching
    for url in (
        reverse("wagtailadmin_choose_page_child", args=[site.channel.pk]),
        reverse("wagtailadmin_choose_page_search") + "?q=MARK",
    ):
        resp = client.get(url)
        html = resp.json()["html"] if "json" in resp["Content-Type"] else _text(resp)
        assert f"{MINE}新闻" in html and THEIRS not in html, url


def test_another_units_page_is_refused_by_every_page_admin_view(setup, org, site):  # noqa: F811
    """Every page admin view that takes a page id answers another unit's page with 404,
    like a missing page (cms.middleware), and shows nothing of it."""
    from wagtail.admin.urls import pages as page_urls

    client, _, _ = setup
    page = publish_news(
        site.channel, title=f"{THEIRS}新闻", publishing_unit=org.b, audience_unit=org.b
    )
    tried = 0
    for pattern in page_urls.urlpatterns:
        if set(pattern.pattern.converters) != {"page_id"}:
            continue
        url = reverse(f"wagtailadmin_pages:{pattern.name}", args=[page.pk])
        for resp in (client.get(url), client.post(url)):
            tried += 1
            assert THEIRS not in _text(resp), url
            assert resp.status_code == 404, (url, resp.status_code)
    assert tried >= 20
    page.refresh_from_db()
    assert page.live and page.title == f"{THEIRS}新闻"
