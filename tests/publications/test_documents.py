"""Documents (文件): who may open one (audience × confidentiality), read receipts, the
receipt report per child unit, reminders to unread members, attachments that are what
they claim. Out of scope answers 404 like a missing id; bad input changes nothing."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from publications.documents import selectors
from publications.documents.models import Document, DocumentAttachment, DocumentReceipt
from tests.factories import member_in, user_with_role

pytestmark = pytest.mark.django_db
C = Document.Confidentiality
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _doc(
    org, *, number="中建党〔2026〕1号", issuer=None, audience=None, level=C.INTERNAL, units=()
):
    d = Document.objects.create(
        title="关于开展主题教育的通知",
        number=number,
        issuing_unit=issuer or org.root,
        audience_unit=audience or org.root,
        issued_on=dt.date(2026, 12, 1),
        confidentiality=level,
        body="各党支部：\n请认真组织学习。",
        is_published=True,
    )
    d.restricted_units.set(units)
    return d


def _ids(client):
    r = client.get("/api/v1/documents/")
    assert r.status_code == 200, r.content
    return [x["id"] for x in r.json()["results"]]


def test_internal_document_reaches_its_audience_subtree_only(org, client_for):
    doc = _doc(org, audience=org.a)
    inside, outside = member_in(org.a1), member_in(org.b1)
    assert _ids(client_for(inside.user)) == [doc.pk]
    assert _ids(client_for(outside.user)) == []
    assert client_for(outside.user).get(f"/api/v1/documents/{doc.pk}/").status_code == 404
    assert client_for(outside.user).get("/api/v1/documents/999999/").status_code == 404


def test_restricted_document_only_for_named_units_and_secretaries_only_for_secretaries(
    org, client_for
):
    restricted = _doc(org, number="R1", level=C.RESTRICTED, units=[org.a1])
    secret = _doc(org, number="S1", level=C.SECRETARIES, audience=org.a)
    in_a1, in_b1 = member_in(org.a1), member_in(org.b1)
    secretary_a1 = user_with_role(org.a1, "secretary")
    secretary_b1 = user_with_role(org.b1, "secretary")
    editor_a1 = user_with_role(org.a1, "editor")
    assert _ids(client_for(in_a1.user)) == [restricted.pk]
    assert _ids(client_for(in_b1.user)) == []
    assert set(_ids(client_for(secretary_a1))) == {restricted.pk, secret.pk}
    assert secret.pk not in _ids(client_for(secretary_b1))
    assert secret.pk not in _ids(client_for(editor_a1))
    assert client_for(in_a1.user).get(f"/api/v1/documents/{secret.pk}/").status_code == 404
    assert client_for(editor_a1).get(f"/api/v1/documents/{secret.pk}/").status_code == 404


def test_unpublished_document_is_not_found_for_readers(org, client_for):
    doc = _doc(org)
    Document.objects.filter(pk=doc.pk).update(is_published=False)
    reader = member_in(org.a1)
    assert client_for(reader.user).get(f"/api/v1/documents/{doc.pk}/").status_code == 404
    assert _ids(client_for(reader.user)) == []


def test_opening_writes_one_receipt_and_the_report_counts_per_child_unit(org, client_for):
    doc = _doc(org)
    readers = [member_in(org.a1) for _ in range(3)]
    others = [member_in(org.b1) for _ in range(2)]
    for m in readers[:2] + others[:1]:
        client = client_for(m.user)
        assert client.get(f"/api/v1/documents/{doc.pk}/").status_code == 200
        assert client.get(f"/api/v1/documents/{doc.pk}/").status_code == 200  # twice: one receipt
    assert DocumentReceipt.objects.filter(document=doc).count() == 3

    secretary = user_with_role(org.root, "secretary")  # a member of root itself
    r = client_for(secretary).get(f"/api/v1/documents/{doc.pk}/receipts/")
    assert r.status_code == 200, r.content
    rows = {row["unit_name"]: row for row in r.json()["rows"]}
    assert rows[org.a.name]["members"] == 3 and rows[org.a.name]["read"] == 2
    assert rows[org.b.name]["members"] == 2 and rows[org.b.name]["read"] == 1
    assert rows[org.b.name]["unread"] == 1 and rows[org.a.name]["rate"] == pytest.approx(0.6667)

    # a branch secretary of A1 sees A1 only, and who has not read it
    branch = user_with_role(org.a1, "secretary")
    r = client_for(branch).get(f"/api/v1/documents/{doc.pk}/unread/")
    names = {m["name"] for m in r.json()}
    assert readers[2].name in names and others[1].name not in names
    # …and not B1's numbers
    assert (
        client_for(branch).get(f"/api/v1/documents/{doc.pk}/receipts/?unit={org.b1.pk}").status_code
        == 404
    )
    # a plain member has no report
    assert (
        client_for(readers[0].user).get(f"/api/v1/documents/{doc.pk}/receipts/").status_code == 404
    )


def test_receipt_report_is_one_query_whatever_the_tree(org):
    doc = _doc(org)
    for unit in (org.a1, org.b1, org.a, org.b):
        for _ in range(3):
            member_in(unit)
    with CaptureQueriesContext(connection) as ctx:
        rows = selectors.receipt_report(doc, org.root)
    # the report itself, then the child units' names
    assert len(ctx.captured_queries) == 2
    assert sum(r["members"] for r in rows) == 12


def test_reminder_reaches_unread_members_of_the_subtree_once_a_day(org, client_for):
    doc = _doc(org)
    read, unread, elsewhere = member_in(org.a1), member_in(org.a1), member_in(org.b1)
    client_for(read.user).get(f"/api/v1/documents/{doc.pk}/")
    secretary = user_with_role(org.a, "secretary")
    client = client_for(secretary)
    r = client.post(f"/api/v1/documents/{doc.pk}/remind/", {}, format="json")
    assert r.status_code == 200 and r.json()["reminded"] >= 1
    got = set(
        Notification.objects.filter(kind="document_unread").values_list("recipient_id", flat=True)
    )
    assert unread.pk in got and read.pk not in got and elsewhere.pk not in got
    again = client.post(f"/api/v1/documents/{doc.pk}/remind/", {}, format="json")
    assert again.json()["reminded"] == 0
    to_a = _doc(org, number="A1", audience=org.a)
    outsider = user_with_role(org.b1, "secretary")  # B1 is in doc's audience, not in to_a's
    assert (
        client_for(outsider)
        .post(f"/api/v1/documents/{to_a.pk}/remind/", {}, format="json")
        .status_code
        == 404
    )


def _docx(*, macro=False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        if macro:
            z.writestr("word/vbaProject.bin", b"\x00VBA")
    return buf.getvalue()


@pytest.mark.parametrize(
    "name,data,status,code",
    [
        ("通知.pdf", b"MZ\x90\x00 not a pdf", 400, "not_what_it_claims"),
        ("通知.docx", b"plain text", 400, "not_what_it_claims"),
        ("通知.docx", _docx(macro=True), 400, "macro"),
        ("通知.docm", _docx(macro=True), 400, "macro"),
        ("通知.exe", b"MZ", 400, "unsupported_type"),
        ("通知.pdf", b"", 400, None),
    ],
)
def test_bad_attachments_are_refused_and_nothing_is_written(
    org, client_for, name, data, status, code
):
    doc = _doc(org, issuer=org.a, audience=org.a)
    editor = user_with_role(org.a, "editor")
    r = client_for(editor).post(
        f"/api/v1/documents/{doc.pk}/attachments/",
        {"file": SimpleUploadedFile(name, data)},
        format="multipart",
    )
    assert r.status_code == status, r.content
    if code:
        assert r.json()["error"]["code"] == code
    assert not DocumentAttachment.objects.exists()


def test_oversize_attachment_is_413(org, client_for, settings):
    settings.EHOME_DOCUMENT_ATTACHMENT_MAX_BYTES = 1024
    doc = _doc(org, issuer=org.a, audience=org.a)
    editor = user_with_role(org.a, "editor")
    r = client_for(editor).post(
        f"/api/v1/documents/{doc.pk}/attachments/",
        {"file": SimpleUploadedFile("大.pdf", PDF + b"0" * 2048)},
        format="multipart",
    )
    assert r.status_code == 413
    assert "1 MB" in r.json()["error"]["message"] or "MB" in r.json()["error"]["message"]
    assert not DocumentAttachment.objects.exists()


def test_attachment_upload_by_issuers_download_by_readers_only(org, client_for):
    doc = _doc(org, issuer=org.a, audience=org.a)
    editor_a, editor_b = user_with_role(org.a, "editor"), user_with_role(org.b, "editor")
    upload = {"file": SimpleUploadedFile("通知.pdf", PDF)}
    assert (
        client_for(editor_b)
        .post(f"/api/v1/documents/{doc.pk}/attachments/", upload, format="multipart")
        .status_code
        == 404
    )
    r = client_for(editor_a).post(
        f"/api/v1/documents/{doc.pk}/attachments/",
        {"file": SimpleUploadedFile("通知.pdf", PDF), "x": "1"},
        format="multipart",
    )
    assert r.status_code == 201, r.content
    url = r.json()["url"]
    reader, outsider = member_in(org.a1), member_in(org.b1)
    got = client_for(reader.user).get(url)
    assert got.status_code == 200
    assert b"".join(got.streaming_content if got.streaming else [got.content]).startswith(b"%PDF-")
    assert client_for(outsider.user).get(url).status_code == 404
    detail = client_for(reader.user).get(f"/api/v1/documents/{doc.pk}/").json()
    assert [a["name"] for a in detail["attachments"]] == ["通知.pdf"]


def test_superseded_document_links_its_successor(org, client_for):
    old = _doc(org, number="旧1")
    new = _doc(org, number="新1")
    old.superseded_by = new
    old.save()
    reader = member_in(org.a1)
    body = client_for(reader.user).get(f"/api/v1/documents/{old.pk}/").json()
    assert body["superseded_by"] == {"id": new.pk, "number": "新1", "title": new.title}
    assert (
        client_for(reader.user).get(f"/api/v1/documents/{new.pk}/").json()["supersedes"][0]["id"]
        == old.pk
    )


def test_portal_document_page_writes_the_receipt_and_hides_other_subtrees(org, client):
    doc = _doc(org, audience=org.a)
    reader, outsider = member_in(org.a1), member_in(org.b1)
    client.force_login(reader.user)
    page = client.get(f"/docs/{doc.pk}/")
    assert page.status_code == 200, page.content.decode()[:3000]
    assert doc.title in page.content.decode()
    assert DocumentReceipt.objects.filter(document=doc, member=reader).exists()
    assert doc.title in client.get("/docs/").content.decode()
    client.force_login(outsider.user)
    assert client.get(f"/docs/{doc.pk}/").status_code == 404
    assert doc.title not in client.get("/docs/").content.decode()


def test_publish_refuses_an_audience_outside_the_issuer(org):
    from publications.documents.services import document_publish
    from publications.errors import PublicationError

    doc = _doc(org, issuer=org.a, audience=org.b)
    Document.objects.filter(pk=doc.pk).update(is_published=False)
    editor = user_with_role(org.a, "editor")
    with pytest.raises(PublicationError, match="发送范围"):
        document_publish(user=editor, document_id=doc.pk)
    assert not Document.objects.get(pk=doc.pk).is_published


def test_documents_list_search_finds_restricted_ones_only_for_those_allowed(org, client_for):
    restricted = _doc(org, number="R9", level=C.RESTRICTED, units=[org.a1])
    restricted.title = "關於黨費收繳的通知"
    restricted.save()
    in_a1, in_b1 = member_in(org.a1), member_in(org.b1)
    for q in ("党费", "黨費"):
        r = client_for(in_a1.user).get("/api/v1/documents/", {"q": q})
        assert [x["id"] for x in r.json()["results"]] == [restricted.pk]
        assert client_for(in_b1.user).get("/api/v1/documents/", {"q": q}).json()["results"] == []
    assert client_for(in_a1.user).get("/api/v1/documents/", {"q": "x" * 201}).status_code == 400


def test_only_internal_documents_are_declared_for_the_shared_search_index(org):
    from core import content

    ct = content.get("document")
    internal = _doc(org, number="I1")
    restricted = _doc(org, number="R2", level=C.RESTRICTED, units=[org.a1])
    assert ct.is_published(internal) and not ct.is_published(restricted)
    assert list(Document.objects.filter(ct.published)) == [internal]
