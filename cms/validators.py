"""Validators for the e-bookshelf: ISBN/ISSN checksums, 中图法 class codes, and book
files checked by their content (not their extension). Messages are Chinese and say what
is wrong so import reports and admin forms can show them as they are."""

from __future__ import annotations

import re
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError

# 中国图书馆分类法 (CLC) top-level classes: the 22 basic classes. The letters L, M, W
# and Y are unused; O is 数理科学和化学 (the standard's 22 classes include it).
CLC_CLASSES = {
    "A": "马克思主义、列宁主义、毛泽东思想、邓小平理论",
    "B": "哲学、宗教",
    "C": "社会科学总论",
    "D": "政治、法律",
    "E": "军事",
    "F": "经济",
    "G": "文化、科学、教育、体育",
    "H": "语言、文字",
    "I": "文学",
    "J": "艺术",
    "K": "历史、地理",
    "N": "自然科学总论",
    "O": "数理科学和化学",
    "P": "天文学、地球科学",
    "Q": "生物科学",
    "R": "医药、卫生",
    "S": "农业科学",
    "T": "工业技术",
    "U": "交通运输",
    "V": "航空、航天",
    "X": "环境科学、安全科学",
    "Z": "综合性图书",
}
assert len(CLC_CLASSES) == 22

# A top-level letter, an optional second letter (T classes), then digits with optional
# dot-separated groups, e.g. D26, D262.6, TU723.3, F407.9-53 (the "-" auxiliary tables).
_CLC_RE = re.compile(r"^([A-Z])([A-Z])?(\d+(\.\d+)*)?([-=/()<>:+][0-9A-Za-z.()\-]+)?$")


def normalize_isbn(value: str) -> str:
    return re.sub(r"[\s\-]", "", value or "").upper()


def isbn_is_valid(value: str) -> bool:
    v = normalize_isbn(value)
    if len(v) == 10 and re.fullmatch(r"\d{9}[\dX]", v):
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(v))
        return total % 11 == 0
    if len(v) == 13 and v.isdigit():
        digits = list(map(int, v))  # weights 1, 3, 1, 3, …
        return (sum(digits[0::2]) + 3 * sum(digits[1::2])) % 10 == 0
    return False


def validate_isbn(value: str) -> None:
    if not isbn_is_valid(value):
        raise ValidationError(f"ISBN“{value}”无效：应为 10 位或 13 位且校验位正确", code="isbn")


def normalize_issn(value: str) -> str:
    v = re.sub(r"[\s\-]", "", value or "").upper()
    return f"{v[:4]}-{v[4:]}" if len(v) == 8 else v


def issn_is_valid(value: str) -> bool:
    v = re.sub(r"[\s\-]", "", value or "").upper()
    if not re.fullmatch(r"\d{7}[\dX]", v):
        return False
    total = sum(int(c) * (8 - i) for i, c in enumerate(v[:7]))
    check = (11 - total % 11) % 11
    return v[7] == ("X" if check == 10 else str(check))


def validate_issn(value: str) -> None:
    if not issn_is_valid(value):
        raise ValidationError(
            f"ISSN“{value}”无效：应为 8 位（如 1000-0402）且校验位正确", code="issn"
        )


def clc_is_valid(value: str) -> bool:
    m = _CLC_RE.match((value or "").strip().upper())
    if not m:
        return False
    top = m.group(1)
    if top not in CLC_CLASSES:
        return False
    second = m.group(2)
    # only class T is subdivided by a second letter (TB…TV); other classes use digits
    return not (second and top != "T")


def validate_clc(value: str) -> None:
    if not clc_is_valid(value):
        raise ValidationError(
            f"中图法分类号“{value}”无效：应以 22 个基本大类字母之一开头（A–Z，不含 L、M、W、Y），如 D26、TU723",
            code="clc",
        )


# --- files, checked by content -----------------------------------------------------
PDF = "pdf"
EPUB = "epub"


def sniff_book_format(fileobj) -> str | None:
    """'pdf', 'epub' or None, judged by the bytes: a PDF starts with ``%PDF-``; an EPUB
    is a zip whose first entry is ``mimetype`` holding ``application/epub+zip``."""
    pos = fileobj.tell() if hasattr(fileobj, "tell") else 0
    try:
        fileobj.seek(0)
        head = fileobj.read(1024)
        if isinstance(head, str):
            return None
        if head.lstrip(b"\xef\xbb\xbf\r\n\t ")[:5] == b"%PDF-":
            return PDF
        if head[:4] == b"PK\x03\x04":
            fileobj.seek(0)
            try:
                with zipfile.ZipFile(fileobj) as zf:
                    infos = zf.infolist()
                    if not infos or infos[0].filename != "mimetype":
                        return None
                    if zf.read(infos[0]).strip() != b"application/epub+zip":
                        return None
                    return EPUB
            except (zipfile.BadZipFile, OSError, KeyError):
                return None
        return None
    finally:
        fileobj.seek(pos)


def book_max_bytes() -> int:
    return int(getattr(settings, "EHOME_BOOK_MAX_UPLOAD_BYTES", 200 * 1024 * 1024))


def _human(n: int) -> str:
    return f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{n / 1024:.1f} KB"


def validate_book_file(value) -> None:
    """Model-field validator for Book/PeriodicalIssue files (admin uploads and imports)."""
    size = getattr(value, "size", None)
    limit = book_max_bytes()
    if size is not None and size > limit:
        raise ValidationError(
            f"文件“{getattr(value, 'name', '')}”大小为 {_human(size)}，超过上限 {_human(limit)}",
            code="file_too_large",
        )
    f = getattr(value, "file", value)
    try:
        fmt = sniff_book_format(f)
    except (OSError, ValueError):
        fmt = None
    if fmt is None:
        raise ValidationError(
            f"文件“{getattr(value, 'name', '')}”不是有效的 PDF 或 EPUB（按文件内容检查，不看扩展名）",
            code="file_format",
        )
