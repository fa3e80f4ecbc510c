"""Decoding an uploaded CSV file: UTF-8 or the Chinese GB encodings, or a clear refusal.

Excel writes CSV as UTF-8 (with a BOM: "CSV UTF-8") or, on Chinese Windows, as GBK —
gb18030 is its strict superset. Anything else (Latin-1/Windows-1252 from a Western
Excel, Big5, Shift-JIS …) is refused rather than guessed: a wrong guess stores mojibake
in thousands of rows. GBK is the hard case, because it decodes many Latin-1 byte runs
without an error ("Müller" → "M黮ler"): an accented Latin-1 letter followed by an ASCII
letter forms a two-byte GBK character whose second byte is that letter. Real Chinese
text almost never puts such a character (a rare one, outside GB2312) between ASCII
letters or digits, so a GB decoding that does is refused, as is one that lands in the
private-use area or on unassigned code points.
"""

from __future__ import annotations

import re
import unicodedata

EXPECTED = "UTF-8（含或不含 BOM）或 GBK/GB18030"
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
# a non-ASCII character with an ASCII letter or digit right before or after it
_SANDWICH = re.compile(r"(?<=[A-Za-z0-9])[^\x00-\x7f]|[^\x00-\x7f](?=[A-Za-z0-9])")


class UnsupportedEncoding(ValueError):
    """The bytes are not UTF-8 or GBK/GB18030 text; `line` is where it first shows."""

    def __init__(self, line: int | None = None):
        self.line = line
        super().__init__(f"not {EXPECTED} (line {line})")

    def message(self, name: str) -> str:
        where = f"第 {self.line} 行起" if self.line else "文件中"
        return (
            f"文件“{name}”的文字编码不受支持：{where}的内容既不是 UTF-8 也不是 GBK/GB18030"
            f"（例如西文 Excel 保存的 Latin-1/Windows-1252 文件）。"
            f"请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后重新导入；本次未导入任何数据"
        )


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _implausible_gb(text: str) -> int | None:
    """Index of the first character that shows `text` is not really GBK, else None."""
    for i, ch in enumerate(text):
        if ch >= "\x80" and unicodedata.category(ch) in ("Co", "Cn", "Cc"):
            return i
    for m in _SANDWICH.finditer(text):
        raw = m.group().encode("gb18030")
        if len(raw) == 2 and _ASCII_ALNUM.match(chr(raw[1])):
            return m.start()
    return None


def decode_csv_bytes(data: bytes) -> tuple[str, str]:
    """(text, encoding label) of a CSV upload; raises `UnsupportedEncoding`."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8 (BOM)"
        except UnicodeDecodeError as exc:
            raise UnsupportedEncoding(_line_of(data, exc.start + 3)) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise UnsupportedEncoding() from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc.start
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise UnsupportedEncoding(_line_of(data, utf8_error)) from None
    bad = _implausible_gb(text)
    if bad is not None:
        raise UnsupportedEncoding(text.count("\n", 0, bad) + 1)
    return text, "GBK/GB18030"
