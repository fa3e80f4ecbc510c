"""Stored files: which are public, and how the protected ones are served.

Public (anyone with the URL, cacheable): what `EHOME_PUBLIC_MEDIA_PREFIXES` names —
Wagtail images and their renditions (covers, pictures in articles) and the media
pipeline's HLS outputs, whose keys carry the SHA-256 of the source and so cannot be
guessed. Everything else in storage is protected: book and periodical files
(`bookshelf/`), uploaded video/audio originals (`media_sources/`), Wagtail documents.

- `/media/<name>` (local storage) serves public names only; any other name answers 404,
  even when the file exists.
- A protected file is delivered by a view that has already decided the caller may have it
  (the book/issue file views ask `cms.selectors`, i.e. the audience scope rule) through
  `protected_file_response`: X-Accel-Redirect (nginx) or X-Sendfile (Apache, lighttpd)
  when `EHOME_PROTECTED_FILES_SERVE` says so, a streamed FileResponse otherwise, and a
  redirect to a presigned URL valid for `EHOME_PROTECTED_URL_EXPIRE` seconds on S3.
- `FieldFile.url` of a protected name (what the admin's file widgets link to) is a signed
  `/files/<name>?t=…` URL on local storage and a presigned URL on S3, both with that short
  lifetime: whoever renders the URL has made the access decision, the URL only carries it
  for a few minutes.
"""

from __future__ import annotations

import mimetypes
import posixpath
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.static import serve
from storages.backends.s3 import S3Storage

_SIGNER_SALT = "config.files.protected"  # unchanged: links already handed out stay valid
CONTENT_TYPES = {".pdf": "application/pdf", ".epub": "application/epub+zip"}


def clean_name(name: str) -> str | None:
    """The storage name without a leading slash, or None when it leaves the root."""
    name = (name or "").replace("\\", "/").lstrip("/")
    if not name or "\x00" in name or any(part in ("", ".", "..") for part in name.split("/")):
        return None
    return posixpath.normpath(name)


def is_public(name: str) -> bool:
    cleaned = clean_name(name)
    if cleaned is None:
        return False
    return any(cleaned.startswith(p.strip("/") + "/") for p in settings.EHOME_PUBLIC_MEDIA_PREFIXES)


def content_type_for(name: str) -> str:
    ext = posixpath.splitext(name)[1].lower()
    return CONTENT_TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"


# --- signed links for protected names on local storage -----------------------------------
def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=_SIGNER_SALT)


def signed_file_url(name: str) -> str:
    signed = _signer().sign(name)
    return reverse("protected-file", kwargs={"name": name}) + "?t=" + signed[len(name) + 1 :]


def _signature_valid(name: str, token: str) -> bool:
    try:
        _signer().unsign(f"{name}:{token}", max_age=settings.EHOME_PROTECTED_URL_EXPIRE)
    except signing.BadSignature:  # also SignatureExpired
        return False
    return True


class MediaFileSystemStorage(FileSystemStorage):
    """Local storage: public names under MEDIA_URL, protected names as short signed links."""

    def url(self, name):
        if name is None or is_public(name):
            return super().url(name)
        cleaned = clean_name(name)
        if cleaned is None:
            raise ValueError(f"invalid file name {name!r}")
        return signed_file_url(cleaned)


class MediaS3Storage(S3Storage):
    """S3: every URL is presigned (AWS_QUERYSTRING_AUTH); protected names get the short
    EHOME_PROTECTED_URL_EXPIRE instead of AWS_QUERYSTRING_EXPIRE. The bucket must not be
    publicly readable, or the lifetime means nothing."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        if expire is None and not is_public(name):
            expire = settings.EHOME_PROTECTED_URL_EXPIRE
        return super().url(name, parameters=parameters, expire=expire, http_method=http_method)


# --- responses ---------------------------------------------------------------------------
def protected_file_response(
    field_file, *, filename: str, content_type: str | None = None, inline: bool = True
) -> HttpResponse:
    """Deliver a stored file the caller has been found entitled to (the view decided)."""
    if not field_file:
        raise Http404
    storage, name = field_file.storage, field_file.name
    content_type = content_type or content_type_for(name)
    if not isinstance(storage, FileSystemStorage):
        if isinstance(storage, S3Storage):
            disposition = content_disposition_header(not inline, filename)
            url = storage.url(
                name,
                parameters={
                    "ResponseContentType": content_type,
                    "ResponseContentDisposition": disposition,
                },
                expire=settings.EHOME_PROTECTED_URL_EXPIRE,
            )
        else:
            url = storage.url(name)
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"  # the link expires: never cache it
        return response
    mode = settings.EHOME_PROTECTED_FILES_SERVE
    if mode == "stream":
        try:
            handle = storage.open(name, "rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        response = FileResponse(
            handle, content_type=content_type, filename=filename, as_attachment=not inline
        )
    else:
        if not storage.exists(name):
            raise Http404
        response = HttpResponse(content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(not inline, filename)
        if mode == "x-accel-redirect":
            prefix = settings.EHOME_PROTECTED_FILES_ACCEL_PREFIX.rstrip("/")
            response["X-Accel-Redirect"] = f"{prefix}/{quote(name)}"
        else:
            response["X-Sendfile"] = storage.path(name)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- views -------------------------------------------------------------------------------
def public_media(request, path: str):
    """/media/<path> on local storage: public names only; anything else is 404."""
    cleaned = clean_name(path)
    if cleaned is None or not is_public(cleaned):
        raise Http404
    return serve(request, cleaned, document_root=settings.MEDIA_ROOT)


def protected_file(request, name: str):
    """/files/<name>?t=…: a protected file behind a short-lived signed link."""
    cleaned = clean_name(name)
    token = request.GET.get("t", "")
    if cleaned is None or cleaned != name or not _signature_valid(cleaned, token):
        raise Http404
    return protected_file_response(
        _Stored(default_storage, cleaned),
        filename=posixpath.basename(cleaned),
    )


class _Stored:
    """The bits of a FieldFile `protected_file_response` uses, for a bare storage name."""

    def __init__(self, storage, name: str) -> None:
        self.storage, self.name = storage, name

    def __bool__(self) -> bool:
        return bool(self.name)
