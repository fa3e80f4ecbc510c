"""The BOLA harness's world: the organisation tree, one user per role on unit A, and for
every registered model (organizations.registry) one object in B's subtree ("theirs") and
one in A's ("mine"), built once per module and rolled back at its end.

Objects are built generically from the model's fields (`build_generic`); a model whose
required fields say too little (an attempt is started by the exam service, a lesson
needs a kind, a file URL wants a file) has its factory in `FACTORIES` below.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.test import Client, TestCase, override_settings
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.fields import StreamField
from wagtail.models import Locale, Page, Site, Workflow

from cms.models import (
    Book,
    DigestIndexPage,
    ExemplarIndexPage,
    HomePage,
    NewsIndexPage,
    Periodical,
    PeriodicalIssue,
)
from cms.samples import pdf_bytes
from dues.orders import PaymentOrder
from elearning.exams.services import attempt_start
from elearning.models import Attempt, Contest, Course, Exam, ExamRule, Lesson
from interaction.models import Board, Comment
from media_pipeline.models import MediaAsset
from notifications.broadcasts import broadcast_create
from notifications.models import Broadcast, Notification
from notifications.services import notification_send
from organizations.models import Member, OrgUnit, Transfer, UnitRole
from organizations.registry import scoped_entry, scoped_models
from tests.factories import make_org_tree, member_in

#: the callers: a plain member of A1, and a member of A1 holding each role on A
ROLES = ("member", *UnitRole.Role.values)
THEIRS, MINE = "BOLATHEIRS", "BOLAMINE"


@dataclass
class World:
    org: object
    home: Page
    users: dict[str, object]  # role → user ("all": every role, for the in-scope controls)
    theirs: dict[type, models.Model] = field(default_factory=dict)
    mine: dict[type, models.Model] = field(default_factory=dict)
    build_errors: dict[type, str] = field(default_factory=dict)
    clients: dict[tuple[str, str], object] = field(default_factory=dict)
    missing: dict[tuple, tuple] = field(default_factory=dict)  # cache of "missing id" answers
    workflow_id: int | None = None
    tokens_at: dict[tuple[str, str], float | None] = field(default_factory=dict)

    def client(self, role: str, surface: str):
        """A logged-in client: JWT for the API, a session for the portal and the admin."""
        key = (role, "api" if surface == "api" else "web")
        if key not in self.clients:
            if key[1] == "api":
                from rest_framework.test import APIClient

                self.clients[key] = APIClient()
                self.tokens_at[key] = None
            else:
                self.clients[key] = Client()
                self.clients[key].force_login(self.users[role])
        if key[1] == "api" and (
            self.tokens_at[key] is None or time.monotonic() - self.tokens_at[key] > 300
        ):  # access tokens live 15 minutes; a slow run must not probe with an expired one
            token = RefreshToken.for_user(self.users[role]).access_token
            self.clients[key].credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            self.tokens_at[key] = time.monotonic()
        return self.clients[key]


# --- generic construction ---------------------------------------------------------------
class CannotBuild(Exception):
    pass


def _member(unit: OrgUnit, mark: str) -> Member:
    return member_in(unit, name=f"{mark}党员")


def _value(f: models.Field, unit: OrgUnit, mark: str, world: World, side: dict):
    if f.choices:
        return f.choices[0][0]
    if isinstance(f, models.ForeignKey):
        target = f.related_model
        if target is OrgUnit:
            return unit
        if target is Member:
            return _member(unit, mark)
        if target is get_user_model():
            return _member(unit, mark).user
        if scoped_entry(target) is not None:
            return build(target, unit, mark, world, side)
        raise CannotBuild(f"required foreign key {f.name} → {target._meta.label}")
    if isinstance(f, models.CharField | models.TextField):
        text = f"{mark}{f.verbose_name}"
        return text[: f.max_length] if f.max_length else text
    if isinstance(f, models.BooleanField):
        return False
    if isinstance(f, models.IntegerField | models.FloatField | models.DecimalField):
        return 1
    if isinstance(f, models.DateTimeField):
        return timezone.now()
    if isinstance(f, models.DateField):
        return dt.date.today()
    if isinstance(f, models.JSONField):
        return {}
    if isinstance(f, StreamField):
        return []
    raise CannotBuild(f"required field {f.name} ({type(f).__name__})")


def build_generic(model, unit: OrgUnit, mark: str, world: World, side: dict):
    """An instance of `model` owned by / addressed to `unit`, published where the model
    has a publication flag, from its required fields alone."""
    values = {}
    page_fields = {f.name for f in Page._meta.get_fields()} if issubclass(model, Page) else set()
    for f in model._meta.concrete_fields:
        if f.primary_key or f.name in page_fields or isinstance(f, models.FileField):
            continue
        if f.name in ("is_published", "is_active"):
            values[f.name] = True
            continue
        if isinstance(f, models.ForeignKey) and f.related_model is OrgUnit:
            values[f.name] = unit  # every unit of the row: the one it belongs to
            continue
        if f.has_default() or f.null or getattr(f, "auto_now", False):
            continue
        if getattr(f, "auto_now_add", False):
            continue
        if f.blank and isinstance(f, models.CharField | models.TextField):
            continue
        values[f.name] = _value(f, unit, mark, world, side)
    if issubclass(model, Page):
        parents = [m for m in model.allowed_parent_page_models() if m is not Page]
        parent = Page.objects.type(*parents).descendant_of(world.home, inclusive=True).first()
        if parent is None:
            raise CannotBuild("no parent page of an allowed type under the test site")
        page = model(
            title=f"{mark}{model._meta.verbose_name}",
            slug=f"{mark}-{model._meta.model_name}".lower(),
            **values,
        )
        parent.specific.add_child(instance=page)
        page.save_revision().publish()
        return model.objects.get(pk=page.pk)
    return model._default_manager.create(**values)


# --- models whose required fields do not say enough ----------------------------------------
def _book(unit, mark, world, side):
    book = build_generic(Book, unit, mark, world, side)
    book.file.save(f"{mark.lower()}.pdf", ContentFile(pdf_bytes(mark)), save=True)
    return book


def _issue(unit, mark, world, side):
    issue = PeriodicalIssue.objects.create(
        periodical=build(Periodical, unit, mark, world, side),
        label=f"{mark}期次",
        issue_date=dt.date.today(),
        is_published=True,
    )
    issue.file.save(f"{mark.lower()}-issue.pdf", ContentFile(pdf_bytes(mark)), save=True)
    return issue


def _lesson(unit, mark, world, side):
    course = build(Course, unit, mark, world, side)
    return Lesson.objects.create(
        course=course, title=f"{mark}课时", kind="article", body="<p>正文</p>"
    )


def _exam(unit, mark, world, side):
    from tests.elearning.conftest import make_questions

    make_questions(unit, category=f"{mark}题库")
    exam = Exam.objects.create(
        title=f"{mark}考试",
        course=build(Course, unit, mark, world, side),
        audience_unit=unit,
        time_limit_minutes=20,
        pass_mark=60,
        attempts_allowed=5,
        is_published=True,
    )
    ExamRule.objects.create(exam=exam, category=f"{mark}题库", count=2, points=50)
    return exam


def _attempt(unit, mark, world, side):
    """An attempt is one member's own: theirs belongs to a member of B's branch, mine to the
    control user (who holds every role on A)."""
    owner = Member.objects.get(user=world.users["all"]) if mark == MINE else _member(unit, mark)
    return attempt_start(exam=build(Exam, unit, mark, world, side), member=owner)


def _broadcast(unit, mark, world, side):
    """A broadcast to the unit's subtree (its fan-out is not run here)."""
    return broadcast_create(
        kind="announcement",
        audience_unit=unit,
        context={"title": f"{mark}群发", "body": f"{mark}内容"},
        idempotency_key=f"bola-broadcast-{mark}",
    )


def _notification(unit, mark, world, side):
    """A notification is one member's own: mine is the control user's."""
    owner = Member.objects.get(user=world.users["all"]) if mark == MINE else _member(unit, mark)
    notification_send(
        kind="announcement",
        recipients=[owner],
        context={"title": f"{mark}消息", "body": f"{mark}内容"},
        link=("", ""),
        idempotency_key=f"bola-{mark}",
    )
    return Notification.objects.get(recipient=owner, idempotency_key=f"bola-{mark}")


def _contest(unit, mark, world, side):
    now = timezone.now()
    return Contest.objects.create(
        title=f"{mark}竞赛",
        audience_unit=unit,
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=1),
        is_published=True,
    )


def _media(unit, mark, world, side):
    return MediaAsset.objects.create(
        kind="audio",
        title=f"{mark}音频",
        owner_unit=unit,
        audience_unit=unit,
        status="ready",
        duration=60,
    )


def _comment(unit, mark, world, side):
    """A comment is its author's to edit and delete: mine is the control user's, on the
    board of my unit."""
    owner = Member.objects.get(user=world.users["all"]) if mark == MINE else _member(unit, mark)
    board = build(Board, unit, mark, world, side)
    return Comment.objects.create(
        target_type="board",
        target_id=board.pk,
        unit=unit,
        audience_unit=unit,
        author=owner,
        body=f"{mark}评论",
    )


def _document_attachment(unit, mark, world, side):
    from publications.models import Document, DocumentAttachment

    document = build(Document, unit, mark, world, side)
    attachment = DocumentAttachment(document=document, name=f"{mark}.pdf", kind="pdf", size=9)
    attachment.file.save(f"{mark.lower()}.pdf", ContentFile(pdf_bytes(mark)), save=False)
    attachment.save()
    return attachment


def _document(unit, mark, world, side):
    from publications.models import Document

    return Document.objects.create(
        title=f"{mark}文件",
        number=f"{mark}〔2026〕1号",
        issuing_unit=unit,
        audience_unit=unit,
        issued_on=dt.date.today(),
        is_published=True,
    )


def _manuscript(unit, mark, world, side):
    """A submitted manuscript of `unit` (sent and received there: the harness needs both
    sides of the row in the same subtree)."""
    from publications.models import Manuscript

    return Manuscript.objects.create(
        title=f"{mark}稿件",
        sender_unit=unit,
        receiver_unit=unit,
        body=f"{mark}正文",
        status=Manuscript.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )


def _manuscript_attachment(unit, mark, world, side):
    from publications.models import Manuscript, ManuscriptAttachment

    attachment = ManuscriptAttachment(
        manuscript=build(Manuscript, unit, mark, world, side),
        name=f"{mark}.pdf",
        kind="pdf",
        size=9,
    )
    attachment.file.save(f"{mark.lower()}-ms.pdf", ContentFile(pdf_bytes(mark)), save=False)
    attachment.save()
    return attachment


def _bulletin(unit, mark, world, side):
    """A live issue of the bulletin with an editorial item and an adopted manuscript with
    a photo (its image URL answers), printed to PDF (its download answers)."""
    from publications.bulletins.printing import bulletin_pdf_make
    from publications.models import (
        BulletinIndexPage,
        BulletinIssuePage,
        Manuscript,
        ManuscriptAttachment,
    )

    index = BulletinIndexPage.objects.descendant_of(world.home).first()
    if index is None:
        index = BulletinIndexPage(title="政工情况", slug="bulletin")
        world.home.add_child(instance=index)
        index.save_revision().publish()
    manuscript = Manuscript.objects.create(
        title=f"{mark}稿件", sender_unit=unit, receiver_unit=unit, body=f"{mark}正文",
        status="adopted_bulletin", submitted_at=timezone.now(),
    )  # fmt: skip
    photo = ManuscriptAttachment(manuscript=manuscript, name="photo.png", kind="png", size=0)
    photo.is_image = True
    data = _png_bytes()
    photo.size = len(data)
    photo.file.save(f"{mark.lower()}-photo.png", ContentFile(data), save=False)
    photo.save()
    item = {"title": f"{mark}条目", "author": "", "body": "<p>正文</p>", "images": []}
    items = [{"type": "editorial", "value": item}, {"type": "manuscript", "value": manuscript.pk}]
    issue = BulletinIssuePage(
        title=f"{mark}政工情况", slug=f"{mark}-bulletin".lower(), issue_number=1,
        issue_date=dt.date.today(), publishing_unit=unit, audience_unit=unit,
        sections=[{"type": "section", "value": {"heading": "工作动态", "items": items}}],
    )  # fmt: skip
    index.add_child(instance=issue)
    issue.save_revision().publish()
    bulletin_pdf_make(issue_id=issue.pk)
    return BulletinIssuePage.objects.get(pk=issue.pk)


def _png_bytes() -> bytes:
    import io

    from PIL import Image as PILImage

    buf = io.BytesIO()
    PILImage.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def _bulletin_pdf(unit, mark, world, side):
    from publications.models import BulletinIssuePage

    return build(BulletinIssuePage, unit, mark, world, side).pdf


def _ledger_report(unit, mark, world, side):
    from supervision.models import LedgerItem, LedgerReport

    item, _ = LedgerItem.objects.get_or_create(
        code="BOLA", defaults={"title": "BOLA事项", "period": "year", "for_branch": True}
    )
    return LedgerReport.objects.create(
        unit=unit, item=item, period="2026", text=f"{mark}报告", submitted_at=timezone.now()
    )


def _supervision_file(model, parent_model, parent_field):
    """A minutes/evidence file (supervision) with real content, so its download answers."""

    def make(unit, mark, world, side):
        obj = model(**{parent_field: build(parent_model, unit, mark, world, side)}, name="x.pdf")
        obj.file.save(
            f"{mark.lower()}-{model._meta.model_name}.pdf", ContentFile(b"%PDF-1.4"), save=True
        )
        return obj

    return make


def _supervision_factories() -> dict:
    from supervision.models import (
        LedgerEvidence,
        LedgerReport,
        Meeting,
        MeetingFile,
        Rectification,
        RectificationEvidence,
    )

    return {
        LedgerReport: _ledger_report,
        LedgerEvidence: _supervision_file(LedgerEvidence, LedgerReport, "report"),
        MeetingFile: _supervision_file(MeetingFile, Meeting, "meeting"),
        RectificationEvidence: _supervision_file(
            RectificationEvidence, Rectification, "rectification"
        ),
    }


#: model → factory(unit, mark, world, side) for models `build_generic` cannot build well
def _transfer(unit, mark, world, side):
    """A pending transfer with an introduction letter, started by nobody on this side (so
    the "all roles" caller may decide it)."""
    now = timezone.now()
    return Transfer.objects.create(
        member=_member(unit, mark),
        from_unit=unit,
        to_unit=unit,
        reason=f"{mark}转接",
        started_at=now,
        expires_at=now + dt.timedelta(days=30),
        letter_year=2000,
        letter_seq=1 if mark == MINE else 2,
    )


def _dues_order(unit, mark, world, side):
    """A paid dues order (its receipt exists); mine is the control user's own."""
    owner = Member.objects.get(user=world.users["all"]) if mark == MINE else _member(unit, mark)
    return PaymentOrder.objects.create(
        member=owner,
        unit=unit,
        provider="sandbox",
        out_trade_no=f"BOLA{mark}{unit.pk}",
        amount_fen=9750,
        months=["2026-12"],
        status="paid",
        paid_at=timezone.now(),
        expires_at=timezone.now(),
    )


FACTORIES = {
    OrgUnit: lambda unit, mark, world, side: unit,
    Member: lambda unit, mark, world, side: _member(unit, mark),
    Book: _book,
    PeriodicalIssue: _issue,
    Lesson: _lesson,
    Exam: _exam,
    Attempt: _attempt,
    Notification: _notification,
    Broadcast: _broadcast,
    Contest: _contest,
    MediaAsset: _media,
    Comment: _comment,
    Transfer: _transfer,
    "publications.Document": _document,
    "publications.DocumentAttachment": _document_attachment,
    "publications.BulletinIssuePage": _bulletin,
    "publications.BulletinPdf": _bulletin_pdf,
    "publications.Manuscript": _manuscript,
    "publications.ManuscriptAttachment": _manuscript_attachment,
    PaymentOrder: _dues_order,
    **_supervision_factories(),
}


def build(model, unit: OrgUnit, mark: str, world: World, side: dict):
    """The one object of `model` on this side (built once; others refer to it)."""
    if model not in side:
        factory = FACTORIES.get(model) or FACTORIES.get(model._meta.label)
        if factory is None:
            side[model] = build_generic(model, unit, mark, world, side)
        else:
            side[model] = factory(unit, mark, world, side)
    return side[model]


# --- the world ------------------------------------------------------------------------------
def _site() -> HomePage:
    root = Page.get_first_root_node()
    if root is None:  # a transactional test flushed what Wagtail's migrations created
        locale, _ = Locale.objects.get_or_create(
            language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
        )
        root = Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
    home = HomePage(title="党建e家", slug="bola-home")
    root.add_child(instance=home)
    home.save_revision().publish()
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "root_page": home}
    )
    for page in (
        NewsIndexPage(title="要闻", slug="headline", channel_code="headline"),
        ExemplarIndexPage(title="先进典型", slug="stories"),
        DigestIndexPage(title="手机报", slug="digest"),
    ):
        home.add_child(instance=page)
        page.save_revision().publish()
    return home


def _world() -> World:
    from cms.services import content_setup_ensure
    from elearning.services import academy_setup_ensure
    from organizations.services import setup_ensure, unit_role_grant

    org = make_org_tree()
    home = _site()
    setup_ensure()
    content_setup_ensure(home=home)
    academy_setup_ensure()
    users = {"member": member_in(org.a1, username="bola_member").user}
    # the groups follow the roles when the grant commits (organizations.services)
    with TestCase.captureOnCommitCallbacks(execute=True):
        for role in UnitRole.Role.values:
            users[role] = member_in(org.a1, username=f"bola_{role}").user
            unit_role_grant(user=users[role], unit=org.a, role=role)
        users["all"] = member_in(org.a1, username="bola_all").user
        for role in UnitRole.Role.values:
            unit_role_grant(user=users["all"], unit=org.a, role=role)
    world = World(org=org, home=home, users=users)
    world.workflow_id = Workflow.objects.values_list("pk", flat=True).first()
    theirs, mine = {}, {}
    for entry in scoped_models():
        try:
            build(entry.model, org.b1, THEIRS, world, theirs)
            build(entry.model, org.a1, MINE, world, mine)
        except CannotBuild as exc:
            world.build_errors[entry.model] = str(exc)
    world.theirs, world.mine = theirs, mine
    # log in now: a session saved inside a test's savepoint would be rolled back with it
    for role in users:
        for surface in ("api", "web"):
            world.client(role, surface)
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once per module (per xdist worker) inside a transaction that is rolled back
    at the end; each test (marked django_db) runs in a savepoint inside it, so whatever a
    request changed is undone before the next test."""
    # PBKDF2 with production iterations costs ~0.7 s per user on a 2-core box
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast:
        with transaction.atomic():
            yield _world()
            transaction.set_rollback(True)
