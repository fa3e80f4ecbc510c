"""Books, periodicals and periodical issues reach members only when a reviewer of the
owner unit — of the audience's level when the audience is wider — who did not write the
change ticks 已发布 (cms.review.catalogue_publication_refusal). Tried through the real
snippet admin forms: each refusal names the reviewer required and changes nothing."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from cms.models import Book, Periodical, PeriodicalIssue
from cms.samples import isbn13, pdf_bytes
from tests.admin_forms import admin_form
from tests.cms.conftest import staff_with_role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

A_REVIEWER = "第一工程局党委或其上级党组织的审核员"


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def post_form(user, url, changes: dict):
    """GET the admin form, change what a person would, POST it back → the response."""
    client = login(user)
    data = admin_form(client, url)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)  # an unticked checkbox is not sent
        else:
            data[key] = value
    clean = {key: values for key, values in data.lists() if "__prefix__" not in key}
    return client.post(url, clean)


def field_errors(resp, field="is_published") -> list[str]:
    assert resp.status_code == 200, resp.status_code  # the form comes back with errors
    return [str(e) for e in resp.context["form"].errors.get(field, [])]


@pytest.fixture
def book(org, roles):
    return Book.objects.create(
        title="党支部工作手册",
        isbn=isbn13(77),
        owner_unit=org.a,
        audience_unit=org.a,
        description="第一行\n第二行",  # imported text: LF, the browser posts CRLF
    )


def edit_url(obj) -> str:
    return reverse(f"wagtailsnippets_cms_{obj._meta.model_name}:edit", args=(obj.pk,))


def test_an_editor_cannot_publish_a_new_book(org, site, roles):
    resp = post_form(
        roles.editor_a,
        reverse("wagtailsnippets_cms_book:add"),
        {
            "title": "新书",
            "isbn": isbn13(78),
            "language": "zh",
            "owner_unit": str(org.a.pk),
            "audience_unit": str(org.a.pk),
            "is_published": "on",
        },
    )
    assert any("修改内容的同时不能发布" in e and A_REVIEWER in e for e in field_errors(resp))
    assert not Book.objects.filter(title="新书").exists()


def test_only_a_reviewer_of_the_owner_unit_who_did_not_edit_it_publishes(
    org, site, roles, book, members, client_for
):
    url = edit_url(book)
    errors = field_errors(post_form(roles.editor_a, url, {"is_published": "on"}))
    assert any(f"只有{A_REVIEWER}可以勾选" in e for e in errors)
    # B's reviewer, and the unit's secretary and unit admin, do not even see A's book
    others = [
        roles.reviewer_b,
        staff_with_role(org.a, "secretary", "secretary_a"),
        staff_with_role(org.a, "unit_admin", "unitadmin_a"),
    ]
    for user in others:
        assert login(user).get(url).status_code in (403, 404), user
        assert login(user).post(url, {"is_published": "on"}).status_code in (302, 403, 404)
    book.refresh_from_db()
    assert not book.is_published
    assert client_for(members.a1).get(f"/api/v1/books/{book.pk}/").status_code == 404

    resp = post_form(roles.reviewer_a, url, {"is_published": "on"})
    assert resp.status_code == 302
    book.refresh_from_db()
    assert book.is_published and book.reviewed_by == roles.reviewer_a
    assert book.edited_by is None  # ticking 已发布 is not an edit
    assert client_for(members.a1).get(f"/api/v1/books/{book.pk}/").status_code == 200


def test_the_last_editor_never_publishes_their_own_change(org, site, roles, book):
    url = edit_url(book)
    assert post_form(roles.reviewer_a, url, {"description": "审核员改写的简介"}).status_code == 302
    book.refresh_from_db()
    assert book.edited_by == roles.reviewer_a
    errors = field_errors(post_form(roles.reviewer_a, url, {"is_published": "on"}))
    assert any("不能发布自己修改的条目" in e for e in errors)
    # nor in one go: changing and publishing at once
    errors = field_errors(
        post_form(roles.reviewer_root, url, {"title": "改名", "is_published": "on"})
    )
    assert any("修改内容的同时不能发布" in e for e in errors)
    book.refresh_from_db()
    assert not book.is_published and book.title == "党支部工作手册"
    # a superuser is bound by the same rule
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    assert post_form(admin, url, {"description": "管理员改写的简介"}).status_code == 302
    errors = field_errors(post_form(admin, url, {"is_published": "on"}))
    assert any("不能发布自己修改的条目" in e for e in errors)


def test_a_published_book_is_not_changed_or_widened_in_place(
    org, site, roles, book, members, client_for
):
    Book.objects.filter(pk=book.pk).update(is_published=True, reviewed_by=roles.reviewer_a)
    url = edit_url(book)
    for user in (roles.editor_a, roles.reviewer_a, roles.reviewer_root):
        errors = field_errors(post_form(user, url, {"audience_unit": str(org.root.pk)}))
        assert any("已发布的条目不能直接修改" in e for e in errors)
    book.refresh_from_db()
    assert book.is_published and book.audience_unit == org.a
    assert client_for(members.b1).get(f"/api/v1/books/{book.pk}/").status_code == 404

    # withdrawing needs no review; widening is then a change a reviewer must publish —
    # the reviewer of the level that owns the new audience
    assert post_form(roles.editor_a, url, {"is_published": None}).status_code == 302
    assert post_form(roles.editor_a, url, {"audience_unit": str(org.root.pk)}).status_code == 302
    errors = field_errors(post_form(roles.reviewer_a, url, {"is_published": "on"}))
    assert any("只有集团党委或其上级党组织的审核员可以勾选" in e for e in errors)
    assert post_form(roles.reviewer_root, url, {"is_published": "on"}).status_code == 302
    book.refresh_from_db()
    assert book.is_published and book.reviewed_by == roles.reviewer_root
    assert client_for(members.b1).get(f"/api/v1/books/{book.pk}/").status_code == 200


def test_periodicals_and_issues_follow_the_same_rule(org, site, roles, members, client_for):
    journal = Periodical.objects.create(title="支部生活", owner_unit=org.a, audience_unit=org.a)
    issue = PeriodicalIssue(periodical=journal, label="第1期", issue_date="2026-11-01")
    issue.file.save("i.pdf", ContentFile(pdf_bytes("x")), save=True)
    for obj in (journal, issue):
        errors = field_errors(post_form(roles.editor_a, edit_url(obj), {"is_published": "on"}))
        assert any(f"只有{A_REVIEWER}可以勾选" in e for e in errors), obj
    journal.refresh_from_db()
    issue.refresh_from_db()
    assert not journal.is_published and not issue.is_published
    for obj in (journal, issue):
        assert post_form(roles.reviewer_a, edit_url(obj), {"is_published": "on"}).status_code == 302
    resp = client_for(members.a1).get(f"/api/v1/periodicals/{journal.pk}/")
    assert resp.status_code == 200 and "第1期" in resp.content.decode()
