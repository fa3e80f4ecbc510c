"""What a manuscript attachment may be: an image (JPEG, PNG, GIF, WebP) whose bytes are
that image, or a document under the documents' rules (a real PDF, Word or Excel without
macros — publications.documents.attachments)."""

from __future__ import annotations

from publications.documents.attachments import check_attachment, max_bytes
from publications.errors import PublicationError

IMAGE_MAGIC = {
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "gif": (b"GIF87a", b"GIF89a"),
}


def _is_webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def check_manuscript_file(name: str, data: bytes) -> tuple[str, bool]:
    """(kind, is_image), or PublicationError naming what is wrong with the file."""
    kind = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if kind not in IMAGE_MAGIC and kind != "webp":
        return check_attachment(name, data), False
    if not data:
        raise PublicationError(f"附件“{name}”是空文件", code="empty")
    if len(data) > max_bytes():
        raise PublicationError(
            f"附件“{name}”超过 {max_bytes() // (1024 * 1024)} MB", code="too_large", status=413
        )
    ok = _is_webp(data) if kind == "webp" else data.startswith(IMAGE_MAGIC[kind])
    if not ok:
        raise PublicationError(f"附件“{name}”不是 {kind} 图片", code="not_what_it_claims")
    return ("jpg" if kind == "jpeg" else kind), True
