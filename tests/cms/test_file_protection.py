"""Files are served by audience, not by path (docs/operations.md "File protection").

A book whose audience is one branch is a PDF only that branch's members may read: the
guessable /media/ path that used to serve it to anyone answers 404, the API and portal
views serve it to the audience only (streamed, or as an X-Accel-Redirect / X-Sendfile for
the front server), new uploads get random names, covers and HLS outputs stay public, and
video originals are never public. With S3 the views hand out presigned URLs that expire
after EHOME_PROTECTED_URL_EXPIRE seconds (moto's server over HTTP; it does not verify
signatures, so nothing here claims a signature is checked)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from cms.models import Book, Periodical, PeriodicalIssue
from cms.samples import cover_png, isbn13, pdf_bytes, wagtail_image
from media_pipeline.services import asset_create
from media_pipeline.storage import LocalStore

pytestmark = pytest.mark.django_db

ISBN = isbn13(7)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_URL = "/media/"
    settings.EHOME_PROTECTED_FILES_SERVE = "stream"
    return settings.MEDIA_ROOT


def _branch_book(org, *, legacy: bool) -> Book:
    """A published PDF for branch B1 only. `legacy`: stored the way the importer named
    files before (bookshelf/book/<isbn>.pdf) — existing files must keep working."""
    book = Book(title="支部内部学习资料", isbn=ISBN, audience_unit=org.b1, is_published=True)
    data = ContentFile(pdf_bytes(book.title))
    if legacy:
        book.file.name = default_storage.save(f"bookshelf/book/{ISBN}.pdf", data)
    else:
        book.file.save(f"{ISBN}.pdf", data, save=False)
    book.save()
    return book


def _web(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.parametrize("legacy", [True, False], ids=["legacy-isbn-name", "new-upload"])
def test_branch_book_pdf_reaches_its_audience_only(org, members, client_for, media_root, legacy):
    book = _branch_book(org, legacy=legacy)
    assert (media_root / book.file.name).is_file()  # the file is there: 404s are refusals
    guessable = f"/media/{book.file.name}"

    # the public media path serves it to nobody, however it is asked
    assert _web().get(guessable).status_code == 404
    assert _web(members.b1).get(guessable).status_code == 404
    assert _web().get(f"/media/bookshelf/book/{ISBN}.pdf").status_code == 404
    assert _web().get("/media/bookshelf/book/").status_code == 404

    # anonymous: the views want a login and never hand out the file
    assert Client().get(f"/api/v1/books/{book.pk}/file/").status_code == 401
    anonymous_portal = _web().get(f"/books/{book.pk}/file/")
    assert anonymous_portal.status_code == 302 and "/login/" in anonymous_portal["Location"]

    # a member outside the audience: the same 404 as a missing book
    outside_api = client_for(members.a1).get(f"/api/v1/books/{book.pk}/file/")
    assert outside_api.status_code == 404
    assert _web(members.a1).get(f"/books/{book.pk}/file/").status_code == 404

    # a member of the branch: the file, as a PDF
    api = client_for(members.b1).get(f"/api/v1/books/{book.pk}/file/")
    assert api.status_code == 200
    assert api["Content-Type"] == "application/pdf"
    assert api["Cache-Control"] == "private, max-age=3600"
    assert _body(api).startswith(b"%PDF-")
    portal = _web(members.b1).get(f"/books/{book.pk}/file/")
    assert portal.status_code == 200 and portal["Content-Type"] == "application/pdf"
    assert portal["Content-Disposition"].startswith("inline")
    assert _body(portal).startswith(b"%PDF-")
    # and the app gets the protected URL, never a storage path
    detail = client_for(members.b1).get(f"/api/v1/books/{book.pk}/").json()
    assert detail["read_url"] == f"/api/v1/books/{book.pk}/file/"
    assert "/media/" not in str(detail)


@pytest.mark.parametrize(
    ("mode", "header"), [("x-accel-redirect", "X-Accel-Redirect"), ("x-sendfile", "X-Sendfile")]
)
def test_front_server_delivers_the_file_when_configured(
    org, members, client_for, media_root, settings, mode, header
):
    settings.EHOME_PROTECTED_FILES_SERVE = mode
    book = _branch_book(org, legacy=False)
    issue = PeriodicalIssue(
        periodical=Periodical.objects.create(
            title="支部通讯", audience_unit=org.b1, is_published=True
        ),
        label="第1期",
        issue_date="2026-01-01",
        is_published=True,
    )
    issue.file.save("tongxun.pdf", ContentFile(pdf_bytes("通讯")), save=True)

    expected = {
        "x-accel-redirect": f"/protected-media/{book.file.name}",
        "x-sendfile": str(media_root / book.file.name),
    }[mode]
    for response in (
        client_for(members.b1).get(f"/api/v1/books/{book.pk}/file/"),
        _web(members.b1).get(f"/books/{book.pk}/file/"),
    ):
        assert response.status_code == 200
        assert response[header] == expected
        assert response["Content-Type"] == "application/pdf"
        assert response.content == b""  # the front server sends the bytes
    issue_response = client_for(members.b1).get(f"/api/v1/periodical-issues/{issue.pk}/file/")
    assert issue_response.status_code == 200
    assert issue_response["Content-Type"] == "application/pdf"
    assert issue_response[header].endswith(issue.file.name)

    refused = client_for(members.a1).get(f"/api/v1/books/{book.pk}/file/")
    assert refused.status_code == 404 and header not in refused
    refused = client_for(members.a1).get(f"/api/v1/periodical-issues/{issue.pk}/file/")
    assert refused.status_code == 404 and header not in refused


def test_new_uploads_get_unguessable_names(org, media_root):
    first = _branch_book(org, legacy=False)
    again = Book(title="同名文件", isbn=isbn13(8), is_published=True)
    again.file.save(f"{ISBN}.pdf", ContentFile(pdf_bytes("x")), save=True)
    pattern = rf"^bookshelf/book/{ISBN}\.[A-Za-z0-9_-]{{22}}\.pdf$"
    assert re.match(pattern, first.file.name) and re.match(pattern, again.file.name)
    assert first.file.name != again.file.name


def test_covers_and_hls_outputs_stay_public_originals_never(
    org, members, media_root, tmp_path, admin_user
):
    cover = wagtail_image("封面", cover_png(1), "cover.png")
    rendition = cover.get_rendition("fill-300x400")
    for url in (cover.file.url, rendition.url):
        assert url.startswith("/media/")
        response = _web().get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"

    out = tmp_path / "hls"
    (out / "v360").mkdir(parents=True)
    (out / "master.m3u8").write_text("#EXTM3U\n")
    (out / "v360" / "seg_00000.ts").write_bytes(b"\x47" * 188)
    LocalStore().put_tree("media/" + "a" * 64, out)
    assert _web().get(f"/media/media/{'a' * 64}/master.m3u8").status_code == 200
    assert _web().get(f"/media/media/{'a' * 64}/v360/seg_00000.ts").status_code == 200

    source = tmp_path / "lesson.mp4"
    source.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    asset = asset_create(
        kind="video", title="原始视频", source=source, owner_unit=org.b1, enqueue=False
    )
    assert (media_root / asset.source.name).is_file()
    assert asset.checksum[:20] not in asset.source.name  # random, not derived from content
    for client in (_web(), _web(members.b1), _web(admin_user)):
        assert client.get(f"/media/{asset.source.name}").status_code == 404
    # no escape from the public prefixes either
    assert _web().get(f"/media/images/../{asset.source.name}").status_code == 404
    assert _web().get("/media/media/../media_sources/").status_code == 404
    assert _web().get("/media/images/a%00b.png").status_code == 404
    assert _web().get("/files/images/a%00b.png?t=x").status_code == 404


def test_admin_file_links_are_short_lived_signed_urls(org, media_root, settings):
    book = _branch_book(org, legacy=True)
    url = book.file.url  # what the admin's file widget links to
    assert url.startswith(f"/files/{book.file.name}?t=")
    response = _web().get(url)
    assert response.status_code == 200 and _body(response).startswith(b"%PDF-")
    assert response["Content-Type"] == "application/pdf"

    assert _web().get(url[:-3] + "AAA").status_code == 404  # tampered signature
    assert _web().get(f"/files/{book.file.name}").status_code == 404  # no signature
    other = _branch_book_other_name(org)
    assert _web().get(url.replace(book.file.name, other.file.name)).status_code == 404
    settings.EHOME_PROTECTED_URL_EXPIRE = -1  # every link issued so far has expired
    assert _web().get(url).status_code == 404


def _branch_book_other_name(org) -> Book:
    book = Book(title="另一本", isbn=isbn13(9), audience_unit=org.b1, is_published=True)
    book.file.save("other.pdf", ContentFile(pdf_bytes("o")), save=True)
    return book


# --- S3 ----------------------------------------------------------------------------------
BUCKET = "ehome-files-test"


@pytest.fixture(scope="module")
def moto_url():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_storage(moto_url, settings, monkeypatch):
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings.AWS_STORAGE_BUCKET_NAME = BUCKET
    settings.AWS_S3_ENDPOINT_URL = moto_url
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_QUERYSTRING_EXPIRE = 3600
    settings.EHOME_PROTECTED_URL_EXPIRE = 300
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "core.files.MediaS3Storage"},
    }
    client = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield client
    for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _expires(url: str) -> int:
    return int(parse_qs(urlparse(url).query)["X-Amz-Expires"][0])


def test_s3_protected_files_get_presigned_urls_that_expire_quickly(
    org, members, client_for, s3_storage
):
    book = _branch_book(org, legacy=False)
    keys = {o["Key"] for o in s3_storage.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert book.file.name in keys

    for response in (
        client_for(members.b1).get(f"/api/v1/books/{book.pk}/file/"),
        _web(members.b1).get(f"/books/{book.pk}/file/"),
    ):
        assert response.status_code == 302
        location = response["Location"]
        query = parse_qs(urlparse(location).query)
        assert urlparse(location).path == f"/{BUCKET}/{book.file.name}"
        assert _expires(location) == 300 and "X-Amz-Signature" in query
        assert query["response-content-type"] == ["application/pdf"]
        assert response["Cache-Control"] == "private, no-store"
        fetched = requests.get(location, timeout=10)
        assert fetched.status_code == 200 and fetched.content.startswith(b"%PDF-")
        assert fetched.headers["Content-Type"] == "application/pdf"

    assert client_for(members.a1).get(f"/api/v1/books/{book.pk}/file/").status_code == 404
    assert _web(members.a1).get(f"/books/{book.pk}/file/").status_code == 404
    # the admin's link to the file has the short lifetime too; covers keep the long one
    assert _expires(book.file.url) == 300
    cover = wagtail_image("封面", cover_png(1), "cover.png")
    assert _expires(cover.file.url) == 3600
