"""The bulletin's manuscript items (adopted for the bulletin, received by the issuing
subtree — anything else refused with its reason, nothing written), and its scope: the
API, the portal and the admin answer 404 (or refuse) outside the audience; the list and
the detail answer 304 to a matching ETag."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from publications.bulletins.models import BulletinIssuePage, BulletinPdf
from publications.errors import PublicationError
from tests.cms.conftest import staff_with_role
from tests.publications.conftest import (
    adopted_manuscript,
    compose,
    editorial,
    pdf_text,
    sections_of,
)

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def published(org, roles, bulletin_index, django_capture_on_commit_callbacks):
    """An issue of unit A for A's subtree: an editorial item and a manuscript from A1."""
    sender = staff_with_role(org.a, "secretary", "secretary_a_ms")
    m = adopted_manuscript(sender, org.a1, org.a)
    page = compose(
        roles.editor_a,
        bulletin_index,
        org.a,
        sections=sections_of(
            ("工作动态", [editorial("第一工程局召开党建推进会")]),
            ("基层风采", [("manuscript", m.pk)]),
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        page.get_latest_revision().publish()
    return type("Published", (), {"page": BulletinIssuePage.objects.get(pk=page.pk), "m": m})


def test_a_manuscript_item_shows_its_title_body_image_and_sender(
    published, members, client_for, tmp_path
):
    page, m = published.page, published.m
    pdf = BulletinPdf.objects.get(issue=page)
    assert pdf.status == BulletinPdf.Status.READY, pdf.error
    data = pdf.file.read()
    text = "".join(pdf_text(data, tmp_path).split())
    assert m.title in text and "北京项目党支部" in text and "党员先锋岗" in text
    assert data.count(b"/Subtype /Image") >= 1  # the manuscript's photo

    body = client_for(members.a1).get(f"/api/v1/bulletins/{page.pk}/").json()
    item = body["sections"][1]["items"][0]
    assert item["kind"] == "manuscript" and item["manuscript_id"] == m.pk
    assert item["byline"].startswith("北京项目党支部") and "先锋岗" in item["body"]
    image_url = item["images"][0]["url"]
    assert client_for(members.a1).get(image_url).status_code == 200
    assert client_for(members.b1).get(image_url).status_code == 404
    portal = login(members.a1).get(reverse("portal:bulletin_detail", args=[page.pk]))
    assert m.title in portal.content.decode()
    assert (
        login(members.a1).get(reverse("portal:bulletin_image", args=[page.pk, 1])).status_code
        == 200
    )


def test_scope_api_portal_admin(published, org, roles, members, client_for):
    page = published.page
    inside, outside = client_for(members.a1), client_for(members.b1)
    assert [r["id"] for r in inside.get("/api/v1/bulletins/").json()["results"]] == [page.pk]
    assert outside.get("/api/v1/bulletins/").json()["results"] == []
    for url in (f"/api/v1/bulletins/{page.pk}/", f"/api/v1/bulletins/{page.pk}/pdf/"):
        assert inside.get(url).status_code == 200
        assert outside.get(url).status_code == 404
        assert outside.get(url.replace(str(page.pk), "999999")).status_code == 404
    a1, b1 = login(members.a1), login(members.b1)
    for name in ("portal:bulletin_detail", "portal:bulletin_pdf"):
        url = reverse(name, args=[page.pk])
        assert a1.get(url).status_code == 200
        assert b1.get(url).status_code == 404
    assert page.title not in b1.get(reverse("portal:bulletins")).content.decode()
    # the admin: another unit's editor neither edits nor reads its history
    for name in ("wagtailadmin_pages:edit", "wagtailadmin_pages:history"):
        resp = login(roles.editor_b).get(reverse(name, args=[page.pk]))
        assert resp.status_code in (302, 403, 404)
        assert page.title not in resp.content.decode()
    assert (
        login(roles.editor_a).get(reverse("wagtailadmin_pages:edit", args=[page.pk])).status_code
        == 200
    )


def test_list_and_detail_answer_304_to_their_etag(published, members, client_for):
    client = client_for(members.a1)
    for url in ("/api/v1/bulletins/", f"/api/v1/bulletins/{published.page.pk}/"):
        first = client.get(url)
        assert first.status_code == 200 and first["ETag"]
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304


# --- bad manuscript items ----------------------------------------------------------------------
def test_items_that_may_not_be_in_the_issue_are_refused_with_their_reason(
    org, roles, bulletin_index
):
    secretary_a = staff_with_role(org.a, "secretary", "sec_a")
    secretary_b = staff_with_role(org.b, "secretary", "sec_b")
    registered = adopted_manuscript(secretary_a, org.a1, org.a, title="尚未采用", decision=None)
    as_news = adopted_manuscript(
        secretary_a, org.a1, org.a, title="新闻采用稿", decision="not_adopted", image=False
    )
    elsewhere = adopted_manuscript(secretary_b, org.b1, org.b, title="海外来稿", image=False)
    cases = [
        (registered, "只有“简报采用”的稿件可以编入简报"),
        (as_news, "只有“简报采用”的稿件可以编入简报"),
        (elsewhere, "不在第一工程局党委及其下级收稿范围内"),
    ]
    for m, message in cases:
        with pytest.raises(PublicationError) as exc:
            compose(
                roles.editor_a,
                bulletin_index,
                org.a,
                sections=sections_of(("基层风采", [("manuscript", m.pk)])),
            )
        assert message in exc.value.message and m.title in exc.value.message
    with pytest.raises(PublicationError) as exc:
        compose(
            roles.editor_a,
            bulletin_index,
            org.a,
            sections=sections_of(("基层风采", [("manuscript", 987654)])),
        )
    assert "所选稿件不存在或已被删除" in exc.value.message
    assert not BulletinIssuePage.objects.exists()


def test_the_chooser_offers_only_the_issuing_subtrees_adopted_manuscripts(org, roles):
    secretary_a = staff_with_role(org.a, "secretary", "sec_a2")
    secretary_b = staff_with_role(org.b, "secretary", "sec_b2")
    ours = adopted_manuscript(secretary_a, org.a1, org.a, title="本单位采用稿", image=False)
    pending = adopted_manuscript(
        secretary_a, org.a1, org.a, title="待处理稿", decision=None, image=False
    )
    theirs = adopted_manuscript(secretary_b, org.b1, org.b, title="外单位采用稿", image=False)
    editor = login(roles.editor_a)
    listing = editor.get(reverse("manuscript_bulletin_chooser:choose")).json()["html"]
    assert ours.title in listing
    assert pending.title not in listing and theirs.title not in listing
    chosen = "manuscript_bulletin_chooser:chosen"
    assert editor.get(reverse(chosen, args=[ours.pk])).status_code == 200
    assert editor.get(reverse(chosen, args=[theirs.pk])).status_code == 404
    assert editor.get(reverse(chosen, args=[pending.pk])).status_code == 404
