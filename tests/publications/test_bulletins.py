"""The bulletin 《政工情况》: composed in the admin, reviewed through the workflow (an
editor cannot publish it; a reviewer of the issuing unit approves), published → printed
to PDF (checked with poppler: pages rendered to images, the Chinese title found in its
text) and delivered to its audience's inboxes; a failed print keeps the previous PDF and
says why; bad input is refused with a clear message and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.models import TaskState, WorkflowState
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from notifications.models import Broadcast, Notification
from publications.bulletins.models import BulletinIssuePage, BulletinPdf
from publications.errors import PublicationError
from tests.publications.conftest import (
    compose,
    editorial,
    make_image,
    non_blank,
    pdf_pages_as_images,
    pdf_text,
    sections_of,
)

pytestmark = pytest.mark.django_db
TITLE = "集团党委部署年终党建考核"


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def issue_form(unit, audience, *, number=1, title=TITLE, item_title="第一工程局召开党建推进会"):
    item = {
        "title": item_title,
        "author": "组织部",
        "body": rich_text("<p>会议传达学习了集团党委工作要求。</p>"),
        "images": {"count": "0"},
    }
    section = {"heading": "工作动态", "items": streamfield([("editorial", item)])}
    return nested_form_data(
        {
            "title": title,
            "slug": "",
            "publishing_unit": str(unit.pk),
            "audience_unit": str(audience.pk),
            "issue_number": str(number),
            "issue_date": "2026-12-01",
            "sections": streamfield([("section", section)]),
        }
    )


def add_url(index) -> str:
    return reverse("wagtailadmin_pages:add", args=("publications", "bulletinissuepage", index.pk))


def task_state_of(page) -> TaskState:
    ws = WorkflowState.objects.get(object_id=str(page.pk), status="in_progress")
    return ws.current_task_state


def approve(user, page, state):
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, "approve", state.pk))
    return login(user).post(url, {"comment": "同意"})


def test_issue_goes_through_review_then_is_printed_and_delivered(
    org, roles, members, bulletin_index, client_for, tmp_path, django_capture_on_commit_callbacks
):
    editor = login(roles.editor_a)
    # the editor cannot publish: the publish action is refused and nothing goes live
    editor.post(add_url(bulletin_index), {**issue_form(org.a, org.a), "action-publish": "1"})
    assert not BulletinIssuePage.objects.live().exists()
    # submitted for review, it waits for the unit's reviewer
    resp = editor.post(add_url(bulletin_index), {**issue_form(org.a, org.a), "action-submit": "1"})
    assert resp.status_code == 302, resp.content.decode()[:3000]
    page = BulletinIssuePage.objects.get(issue_number=1)
    assert not page.live
    edit = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    state = task_state_of(page)
    assert state.task.specific.__class__.__name__ == "UnitReviewTask"
    approve(roles.reviewer_b, page, state)  # another unit's reviewer: nothing happens
    approve(roles.editor_a, page, state)  # the author: nothing happens
    state.refresh_from_db()
    assert state.status == TaskState.STATUS_IN_PROGRESS
    assert client_for(members.a1).get(f"/api/v1/bulletins/{page.pk}/").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        assert approve(roles.reviewer_a, page, state).status_code in (200, 302)
    page.refresh_from_db()
    assert page.live

    pdf = BulletinPdf.objects.get(issue=page)
    assert pdf.status == BulletinPdf.Status.READY, pdf.error
    assert pdf.pages >= 2 and pdf.revision_id == page.live_revision_id
    data = pdf.file.read()
    assert data.startswith(b"%PDF")
    pngs = pdf_pages_as_images(data, tmp_path)
    assert len(pngs) == pdf.pages
    assert all(non_blank(p) for p in pngs)
    text = pdf_text(data, tmp_path)
    assert "政工情况" in text and TITLE in text
    assert "第一工程局召开党建推进会" in text and "2026年第1期" in text

    # delivered: one broadcast to the audience, fanned out to its members' inboxes
    broadcast = Broadcast.objects.get(kind="bulletin_published")
    assert broadcast.audience_unit == org.a
    inbox = Notification.objects.filter(recipient__user=members.a1, kind="bulletin_published")
    assert inbox.count() == 1 and "2026年第1期" in inbox.get().title
    assert not Notification.objects.filter(recipient__user=members.b1).exists()

    # the reader downloads it; the editor's panel shows what was made
    resp = client_for(members.a1).get(f"/api/v1/bulletins/{page.pk}/pdf/")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    panel = editor.get(edit).content.decode()
    assert "已生成" in panel and f"{pdf.pages} 页" in panel


def test_images_are_printed_and_page_numbers_run(
    org, roles, bulletin_index, tmp_path, django_capture_on_commit_callbacks
):
    from publications.bulletins.services import bulletin_pdf_make

    photos = [make_image(f"照片{i}") for i in range(3)]
    items = [editorial(f"基层风采之{i}", "党员突击队奋战一线。" * 120, photos) for i in range(3)]
    page = compose(roles.editor_a, bulletin_index, org.a, sections=sections_of(("基层风采", items)))
    page.get_latest_revision().publish()
    pdf = bulletin_pdf_make(issue_id=page.pk)
    assert pdf.status == BulletinPdf.Status.READY
    data = pdf.file.read()
    assert data.count(b"/Subtype /Image") >= 3  # the photos are in the file
    text = "".join(pdf_text(data, tmp_path).split())
    assert "—2—" in text and f"—{pdf.pages}—" in text  # the footer numbers the pages
    assert "本期目录" in text and "基层风采之2" in text


def test_a_failed_print_keeps_the_previous_pdf_and_says_why(
    org, roles, bulletin_index, django_capture_on_commit_callbacks
):
    from publications.bulletins.services import bulletin_pdf_make

    photo = make_image("会场")
    page = compose(
        roles.editor_a,
        bulletin_index,
        org.a,
        sections=sections_of(("工作动态", [editorial("会议", images=[photo])])),
    )
    with django_capture_on_commit_callbacks(execute=True):
        page.get_latest_revision().publish()
    first = BulletinPdf.objects.get(issue=page)
    assert first.status == BulletinPdf.Status.READY
    old_name = first.file.name
    # the photo's original file is lost from storage: the next print cannot be made
    photo.renditions.all().delete()
    photo.file.storage.delete(photo.file.name)
    pdf = bulletin_pdf_make(issue_id=page.pk)
    assert pdf.status == BulletinPdf.Status.FAILED
    assert pdf.error  # says why
    assert pdf.file.name == old_name and pdf.file.storage.exists(old_name)
    panel = login(roles.editor_a).get(reverse("wagtailadmin_pages:edit", args=(page.pk,)))
    assert "生成失败" in panel.content.decode()


# --- bad input ---------------------------------------------------------------------------------
def test_duplicate_number_in_the_same_year_is_refused_and_nothing_written(
    org, roles, bulletin_index
):
    compose(roles.editor_a, bulletin_index, org.a, number=7)
    before = BulletinIssuePage.objects.count()
    with pytest.raises(PublicationError) as exc:
        compose(roles.editor_a, bulletin_index, org.a, number=7, title="另一期")
    assert "2026年第7期已经存在" in exc.value.message
    assert BulletinIssuePage.objects.count() == before
    # the admin form says the same, on the number field, and writes nothing
    resp = login(roles.editor_a).post(
        add_url(bulletin_index), {**issue_form(org.a, org.a, number=7), "action-submit": "1"}
    )
    assert resp.status_code == 200
    assert "2026年第7期已经存在" in resp.content.decode()
    assert BulletinIssuePage.objects.count() == before
    # another year, or another issuing unit, may use the number
    compose(roles.editor_a, bulletin_index, org.a, number=7, day=dt.date(2027, 1, 5))
    compose(roles.editor_b, bulletin_index, org.b, number=7)


def test_an_editor_cannot_issue_in_another_units_name(org, roles, bulletin_index):
    with pytest.raises(PublicationError):
        compose(roles.editor_b, bulletin_index, org.a)
    resp = login(roles.editor_b).post(
        add_url(bulletin_index), {**issue_form(org.a, org.a), "action-submit": "1"}
    )
    assert resp.status_code == 200
    assert not BulletinIssuePage.objects.exists()
