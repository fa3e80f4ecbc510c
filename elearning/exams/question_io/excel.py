"""The Excel template (import and export) and the admin form's text fields, which follow
the template's rules: one option a line, "ABD" / 正确 / "答案1|答案2" answers."""

from __future__ import annotations

import io
import re

from core.spreadsheet import safe_row, spreadsheet_unescape
from elearning.exams.question_io.drafts import (
    MAX_QUESTIONS,
    Draft,
    ImportErrors,
    QuestionValueError,
)

HEADERS = [
    "题型",
    "题干",
    "选项A",
    "选项B",
    "选项C",
    "选项D",
    "选项E",
    "选项F",
    "答案",
    "解析",
    "分类",
    "难度",
    "标签",
]
TYPE_NAMES = {
    "单选": "single",
    "单选题": "single",
    "多选": "multiple",
    "多选题": "multiple",
    "判断": "true_false",
    "判断题": "true_false",
    "填空": "fill",
    "填空题": "fill",
}
TYPE_LABEL = {"single": "单选题", "multiple": "多选题", "true_false": "判断题", "fill": "填空题"}
DIFFICULTY = {"易": 1, "简单": 1, "中": 2, "中等": 2, "难": 3, "困难": 3, "1": 1, "2": 2, "3": 3}
DIFFICULTY_LABEL = {1: "易", 2: "中", 3: "难"}
TRUE_WORDS = {"正确", "对", "是", "T", "TRUE", "√"}
FALSE_WORDS = {"错误", "错", "否", "F", "FALSE", "×"}


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
        where = f"{filename} 第 {n} 行"
        try:
            drafts.append(_row_to_draft(v))
        except ValueError as exc:
            errors.append(f"{where}：{exc}")
        if len(drafts) > MAX_QUESTIONS:
            errors.append(f"一次最多导入 {MAX_QUESTIONS} 道题")
            break
    if not drafts and not errors:
        errors.append(f"{filename}：没有题目")
    if errors:
        raise ImportErrors(errors)
    return drafts


def _row_to_draft(v: dict) -> Draft:
    qtype = TYPE_NAMES.get(v.get("题型", ""))
    if qtype is None:
        raise QuestionValueError(
            f"“题型”列的值“{v.get('题型', '')}”无效，应为单选/多选/判断/填空", field="type"
        )
    stem = v.get("题干", "")
    if not stem:
        raise QuestionValueError("“题干”为空", field="stem")
    ans = v.get("答案", "")
    if not ans:
        raise QuestionValueError("“答案”为空", field="answer")
    diff_raw = v.get("难度", "") or "中"
    if diff_raw not in DIFFICULTY:
        raise QuestionValueError(f"“难度”列的值“{diff_raw}”无效，应为易/中/难", field="difficulty")
    d = Draft(
        type=qtype,
        stem=stem,
        explanation=v.get("解析", ""),
        category=(v.get("分类", "") or "默认")[:100],
        difficulty=DIFFICULTY[diff_raw],
        tags=v.get("标签", "")[:200],
    )
    if qtype in ("single", "multiple"):
        opts = []
        for letter in "ABCDEF":
            text = v.get(f"选项{letter}", "")
            if text:
                opts.append({"key": letter, "text": text})
        keys = [o["key"] for o in opts]
        if len(opts) < 2:
            raise QuestionValueError("选择题至少需要两个选项", field="options")
        if keys != list("ABCDEF"[: len(keys)]):
            raise QuestionValueError("选项须从选项A起连续填写", field="options")
        letters = [c for c in ans.upper() if not c.isspace() and c not in ",，、"]
        if not letters or any(c not in keys for c in letters) or len(set(letters)) != len(letters):
            raise QuestionValueError(
                f"“答案”“{ans}”须为已填写选项的字母（如 A 或 ABD）", field="answer"
            )
        if qtype == "single" and len(letters) != 1:
            raise QuestionValueError("单选题的答案只能有一个字母", field="answer")
        d.options, d.answer = opts, letters
    elif qtype == "true_false":
        up = ans.upper()
        if up in {w.upper() for w in TRUE_WORDS}:
            d.answer = True
        elif up in {w.upper() for w in FALSE_WORDS}:
            d.answer = False
        else:
            raise QuestionValueError(f"判断题答案“{ans}”无效，应为 正确 或 错误", field="answer")
    else:
        accepted = [a.strip() for a in re.split(r"[|｜]", ans) if a.strip()]
        d.answer = accepted
    return d


# --- the admin form's text format (the same rules as the Excel template) -----------------

_OPTION_LINE = re.compile(
    r"^\s*([A-Fa-f])\s*[.．、:：)）]?\s*(.*?)\s*(?:[\[［](\d+(?:\.\d+)?)\s*%?[\]］])?\s*$"
)


def answer_as_text(qtype: str, answer) -> str:
    """How the Excel template and the admin form write an answer: "ABD", 正确/错误,
    or accepted fill-in answers separated by "|"."""
    if qtype in ("single", "multiple"):
        return "".join(answer or [])
    if qtype == "true_false":
        val = answer[0] if isinstance(answer, list) and answer else answer
        return "正确" if val else "错误"
    return "|".join(answer or [])


def options_as_text(options: list) -> str:
    """One option a line, "A. text", with " [50%]" when the option carries a weight."""
    lines = []
    for o in options or []:
        weight = o.get("weight")
        suffix = f" [{weight:g}%]" if isinstance(weight, (int, float)) else ""
        lines.append(f"{o['key']}. {o['text']}{suffix}")
    return "\n".join(lines)


def question_fields_from_text(*, qtype: str, stem: str, options_text: str, answer_text: str):
    """(options, answer) from the admin form's text fields, checked by the Excel import's
    rules; a QuestionValueError names what is wrong and which field. Weights ("[50%]") are allowed on correct
    options of a multiple-choice question (partial credit, see elearning.exams.grading)."""
    cells = {
        "题型": TYPE_LABEL.get(qtype, qtype),
        "题干": stem.strip(),
        "答案": answer_text.strip(),
    }
    weights = {}
    if qtype in ("single", "multiple"):
        for n, line in enumerate((options_text or "").splitlines(), 1):
            if not line.strip():
                continue
            m = _OPTION_LINE.match(line)
            if m is None or not m.group(2):
                raise QuestionValueError(
                    f"选项第 {n} 行“{line.strip()}”应写成“A. 选项内容”", field="options"
                )
            key = m.group(1).upper()
            if f"选项{key}" in cells:
                raise QuestionValueError(f"选项 {key} 写了两次", field="options")
            cells[f"选项{key}"] = m.group(2)
            if m.group(3) is not None:
                weights[key] = float(m.group(3))
    draft = _row_to_draft(cells)
    if weights:
        if qtype != "multiple":
            raise QuestionValueError(
                "只有多选题的正确选项可以设置权重（如 [50%]）", field="options"
            )
        wrong = sorted(set(weights) - set(draft.answer))
        if wrong:
            raise QuestionValueError(
                f"权重只能设在正确选项上：{'、'.join(wrong)} 不是正确答案", field="options"
            )
        for o in draft.options:
            if o["key"] in weights:
                o["weight"] = weights[o["key"]]
    return draft.options, draft.answer


def export_excel(questions) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "题库"
    ws.append(HEADERS)
    for q in questions:
        opts = {o["key"]: o["text"] for o in q.options}
        ans = answer_as_text(q.type, q.answer)
        ws.append(
            safe_row(
                [
                    TYPE_LABEL[q.type],
                    q.stem,
                    *[opts.get(k, "") for k in "ABCDEF"],
                    ans,
                    q.explanation,
                    q.category,
                    DIFFICULTY_LABEL.get(q.difficulty, "中"),
                    q.tags,
                ]
            )
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_excel() -> bytes:
    return export_excel([])
