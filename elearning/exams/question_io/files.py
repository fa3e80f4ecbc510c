"""A question file as uploaded or named on the command line: Excel (.xlsx, the import
template) or GIFT (.gift/.txt, UTF-8). The admin import and `manage.py import_questions`
read files the same way and refuse them with the same messages."""

from __future__ import annotations

from elearning.exams.question_io.drafts import Draft, ImportErrors
from elearning.exams.question_io.excel import parse_excel
from elearning.exams.question_io.gift import parse_gift

MAX_FILE_BYTES = 20 * 1024 * 1024


def parse_question_file(*, name: str, data: bytes) -> list[Draft]:
    """Drafts of every question in the file; ImportErrors lists every problem found."""
    lower = name.lower()
    if len(data) > MAX_FILE_BYTES:
        raise ImportErrors([f"{name}：文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB"])
    if lower.endswith(".xlsx"):
        return parse_excel(data, filename=name)
    if lower.endswith((".gift", ".txt")):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ImportErrors(
                [f"{name} 第 {line} 行：不是 UTF-8 编码（请用 UTF-8 保存 GIFT 文件）"]
            ) from None
        return parse_gift(text)
    raise ImportErrors([f"{name}：只支持 .xlsx（导入模板）和 .gift/.txt（GIFT 格式）"])
