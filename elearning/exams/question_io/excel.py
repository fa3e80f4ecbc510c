"""The Excel template: import and export. Its rules (one question a row, "ABD" / 正确 /
"答案1|答案2" answers, …) live in `template`, shared with the admin form."""

from __future__ import annotations

import io

from core.spreadsheet import safe_row, spreadsheet_unescape
from elearning.exams.question_io.drafts import MAX_QUESTIONS, Draft, ImportErrors
from elearning.exams.question_io.template import (
    DIFFICULTY_LABEL,
    LETTERS,
    TYPE_LABEL,
    answer_as_text,
    option_lines,
    row_to_draft,
)

OPTION_HEADERS = [f"选项{k}" for k in "ABCDEF"]
HEADERS = ["题型", "题干", *OPTION_HEADERS, "答案", "解析", "分类", "难度", "标签", "格式"]
FORMAT_LABEL = {"plain": "", "html": "HTML"}


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    # a cell our own export protected against formula injection ('=…, '-3) reads back as typed
    return spreadsheet_unescape(str(v).strip()).strip()


def parse_excel(data: bytes, *, filename: str = "题库.xlsx") -> list[Draft]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's input error
        raise ImportErrors(
            [f"{filename}：不是有效的 Excel (.xlsx) 文件（{exc.__class__.__name__}）"]
        ) from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [_cell(v) for v in next(rows, [])]
    missing = [h for h in ("题型", "题干", "答案") if h not in header]
    if missing:
        raise ImportErrors([f"{filename} 第 1 行：缺少列 {'、'.join(missing)}（请使用导入模板）"])
    col = {h: i for i, h in enumerate(header)}
    drafts: list[Draft] = []
    errors: list[str] = []
    for n, values in enumerate(rows, 2):
        v = {h: _cell(values[i]) if i < len(values) else "" for h, i in col.items()}
        if not any(v.values()):
            continue
        try:
            drafts.append(row_to_draft(v))
        except ValueError as exc:
            errors.append(f"{filename} 第 {n} 行：{exc}")
        if len(drafts) > MAX_QUESTIONS:
            errors.append(f"一次最多导入 {MAX_QUESTIONS} 道题")
            break
    if not drafts and not errors:
        errors.append(f"{filename}：没有题目")
    if errors:
        raise ImportErrors(errors)
    return drafts


def export_excel(questions) -> bytes:
    """Every question of the bank, in the template's columns (more option columns when a
    question has more than six options or matching pairs): the import reads it back."""
    from openpyxl import Workbook

    questions = list(questions)
    rows, widest = [], len(OPTION_HEADERS)
    for q in questions:
        lines = option_lines(q.type, q.options, q.answer)
        if q.type in ("single", "multiple"):
            lines = [line.split(". ", 1)[1] for line in lines]
        widest = max(widest, len(lines))
        rows.append((q, lines))
    option_headers = [f"选项{k}" for k in LETTERS[:widest]]
    wb = Workbook()
    ws = wb.active
    ws.title = "题库"
    ws.append(["题型", "题干", *option_headers, *HEADERS[2 + len(OPTION_HEADERS) :]])
    for q, lines in rows:
        ws.append(
            safe_row(
                [
                    TYPE_LABEL.get(q.type, q.type),
                    q.stem,
                    *[lines[i] if i < len(lines) else "" for i in range(widest)],
                    answer_as_text(q.type, q.answer),
                    q.explanation,
                    q.category,
                    DIFFICULTY_LABEL.get(q.difficulty, "中"),
                    q.tags,
                    FORMAT_LABEL.get(q.text_format, ""),
                ]
            )
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_excel() -> bytes:
    return export_excel([])
