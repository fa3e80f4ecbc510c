"""What a document attachment may be: a real PDF, a Word or Excel file without macros.

The name's extension says what the file claims to be; the bytes must agree:
- .pdf  starts with "%PDF-";
- .docx/.xlsx  an Office Open XML zip ([Content_Types].xml inside) with no VBA project
  (vbaProject.bin) — a macro-enabled file renamed to .docx is refused;
- .doc/.xls  an OLE2 compound file without a VBA storage ("_VBA_PROJECT", "Macros");
- .docm/.xlsm and anything else are refused.
"""

from __future__ import annotations

import io
import zipfile

from django.conf import settings

from publications.errors import PublicationError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ALLOWED = {"pdf", "docx", "xlsx", "doc", "xls"}


def max_bytes() -> int:
    return int(getattr(settings, "EHOME_DOCUMENT_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024))


def check_attachment(name: str, data: bytes) -> str:
    """The attachment's kind ("pdf", "docx", …), or PublicationError naming what is wrong."""
    kind = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if kind in {"docm", "xlsm", "dotm", "xltm"}:
        raise PublicationError(f"附件“{name}”是启用宏的 Office 文件，不能上传", code="macro")
    if kind not in ALLOWED:
        raise PublicationError(
            f"附件“{name}”的格式不支持：只能上传 PDF、Word（doc/docx）或 Excel（xls/xlsx）",
            code="unsupported_type",
        )
    if not data:
        raise PublicationError(f"附件“{name}”是空文件", code="empty")
    if len(data) > max_bytes():
        raise PublicationError(
            f"附件“{name}”超过 {max_bytes() // (1024 * 1024)} MB", code="too_large", status=413
        )
    if kind == "pdf":
        if not data.startswith(b"%PDF-"):
            raise PublicationError(f"附件“{name}”不是 PDF 文件", code="not_what_it_claims")
    elif kind in {"docx", "xlsx"}:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = {n.lower() for n in z.namelist()}
        except zipfile.BadZipFile:
            raise PublicationError(
                f"附件“{name}”不是有效的 {kind} 文件", code="not_what_it_claims"
            ) from None
        if "[content_types].xml" not in names:
            raise PublicationError(f"附件“{name}”不是有效的 {kind} 文件", code="not_what_it_claims")
        if any(n.endswith("vbaproject.bin") for n in names):
            raise PublicationError(f"附件“{name}”含有宏，不能上传", code="macro")
    else:  # doc, xls
        if not data.startswith(OLE_MAGIC):
            raise PublicationError(f"附件“{name}”不是有效的 {kind} 文件", code="not_what_it_claims")
        if b"_\x00V\x00B\x00A\x00_\x00P\x00R\x00O\x00J\x00E\x00C\x00T" in data or (
            b"M\x00a\x00c\x00r\x00o\x00s\x00" in data
        ):
            raise PublicationError(f"附件“{name}”含有宏，不能上传", code="macro")
    return kind
