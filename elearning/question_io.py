"""Question bank import/export: Moodle GIFT (a documented subset) and the Excel template.

GIFT subset understood here (https://docs.moodle.org/en/GIFT_format):

- ``// comment`` lines; ``$CATEGORY: top/党章/总纲`` sets the category of what follows
  (the last path segment; ``$course$/`` and ``top/`` are dropped);
- questions are separated by blank lines; ``::title::`` is optional;
- ``{T}`` / ``{F}`` / ``{TRUE}`` / ``{FALSE}``: true/false;
- ``{=right ~wrong ~wrong}``: single choice (exactly one ``=``);
- ``{~%50%a ~%50%b ~%-100%c}``: multiple choice with weights (positive = correct);
- ``{=answer =another}``: fill-in-the-blank (short answer; any listed answer counts);
  text after ``}`` continues the stem (the blank is shown as ``____``);
- ``#feedback`` after an answer is ignored; ``####general feedback`` becomes the
  explanation; ``\\=``, ``\\~``, ``\\#``, ``\\{``, ``\\}``, ``\\:`` escape specials.

Anything else is a syntax error reported with its line number; an import with any error
imports nothing.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from django.db import transaction

from core.errors import DomainError
from core.spreadsheet import safe_row, spreadsheet_unescape
from elearning.models import Question
from organizations.models import OrgUnit

MAX_QUESTIONS = 5000


@dataclass
class Draft:
    type: str
    stem: str
    options: list = field(default_factory=list)
    answer: object = None
    explanation: str = ""
    category: str = "默认"
    difficulty: int = 2
    tags: str = ""
    title: str = ""


class ImportErrors(DomainError):
    """All problems found in a file; nothing was imported."""

    code = "import_refused"

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors[:5]))
        self.errors = errors


# --- GIFT -------------------------------------------------------------------------------

_SPECIAL = set("=~#{}:")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text).strip()


def _find_unescaped(text: str, ch: str, start: int = 0) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == ch:
            return i
        i += 1
    return -1


def _tokens(block: str) -> tuple[list[tuple[str, str]], str]:
    """Split an answer block into (marker, text) tokens and the general feedback."""
    general = ""
    gi = block.find("####")
    if gi >= 0:
        block, general = block[:gi], block[gi + 4 :]
    toks: list[tuple[str, str]] = []
    cur: list[str] | None = None
    marker = ""
    i = 0
    lead: list[str] = []
    while i < len(block):
        c = block[i]
        if c == "\\" and i + 1 < len(block):
            (cur if cur is not None else lead).append(block[i : i + 2])
            i += 2
            continue
        if c in "=~":
            if cur is not None:
                toks.append((marker, "".join(cur)))
            cur, marker = [], c
        else:
            (cur if cur is not None else lead).append(c)
        i += 1
    if cur is not None:
        toks.append((marker, "".join(cur)))
    rest = "".join(lead).strip()
    if rest and toks:
        raise ValueError(f"答案块开头有无法识别的内容“{rest[:20]}”")
    if not toks:
        toks = [("", rest)]
    # drop per-answer feedback (#…)
    clean = []
    for m, t in toks:
        j = _find_unescaped(t, "#")
        clean.append((m, t[:j] if j >= 0 else t))
    return clean, _unescape(general)


def _parse_block(text: str) -> Draft:
    title = ""
    body = text.strip()
    if body.startswith("::"):
        end = body.find("::", 2)
        if end < 0:
            raise ValueError("题目名称缺少结尾的“::”")
        title, body = body[2:end].strip(), body[end + 2 :].strip()
    lb = _find_unescaped(body, "{")
    if lb < 0:
        raise ValueError("缺少答案块“{…}”")
    rb = _find_unescaped(body, "}", lb + 1)
    if rb < 0:
        raise ValueError("答案块缺少结尾的“}”")
    if _find_unescaped(body, "{", rb + 1) >= 0:
        raise ValueError("一道题只能有一个答案块")
    before, inner, after = body[:lb], body[lb + 1 : rb], body[rb + 1 :]
    stem = _unescape(before) + (" ____ " + _unescape(after) if after.strip() else "")
    stem = stem.strip()
    if not stem:
        raise ValueError("题干为空")
    if inner.strip() == "":
        raise ValueError("答案块为空")
    toks, general = _tokens(inner.strip())
    d = Draft(type="", stem=stem, title=_unescape(title), explanation=general)
    if len(toks) == 1 and toks[0][0] == "":
        word = toks[0][1].strip().upper()
        if word in ("T", "TRUE"):
            d.type, d.answer = Question.Type.TRUE_FALSE, True
            return d
        if word in ("F", "FALSE"):
            d.type, d.answer = Question.Type.TRUE_FALSE, False
            return d
        raise ValueError(f"无法识别的答案“{toks[0][1].strip()[:20]}”（答案须以 = 或 ~ 开头）")
    weights = []
    for m, t in toks:
        wm = re.match(r"\s*%(-?\d+(?:\.\d+)?)%", t)
        if wm:
            weights.append(float(wm.group(1)))
        elif m == "~" and "%" in t[:2]:
            raise ValueError(f"选项权重格式错误“{t.strip()[:20]}”（应为 ~%50%选项）")
        else:
            weights.append(None)
    texts = [_unescape(re.sub(r"^\s*%-?\d+(?:\.\d+)?%", "", t)) for _, t in toks]
    if any(not t for t in texts):
        raise ValueError("存在内容为空的选项或答案")
    markers = [m for m, _ in toks]
    if all(m == "=" for m in markers):
        d.type, d.answer = Question.Type.FILL, texts
        return d
    keys = [chr(ord("A") + i) for i in range(len(texts))]
    if len(keys) > 10:
        raise ValueError("选项不能超过 10 个")
    if any(w is not None for w in weights):
        correct = [k for k, w in zip(keys, weights, strict=True) if w is not None and w > 0]
        if not correct:
            raise ValueError("多选题没有权重为正的正确选项")
        total = sum(w for w in weights if w and w > 0)
        if abs(total - 100) > 0.6:
            raise ValueError(f"多选题正确选项的权重之和须为 100%（现为 {total:g}%）")
        if any(m == "=" for m in markers):
            raise ValueError("带权重的多选题请全部使用 ~%权重% 形式")
        d.type = Question.Type.MULTIPLE
        d.options = [
            {"key": k, "text": t, **({"weight": w} if w and w > 0 else {})}
            for k, t, w in zip(keys, texts, weights, strict=True)
        ]
        d.answer = correct
        return d
    right = [k for k, m in zip(keys, markers, strict=True) if m == "="]
    if len(right) != 1:
        raise ValueError("单选题须有且只有一个“=”正确选项（多选题请用 ~%权重%）")
    if len(keys) < 2:
        raise QuestionValueError("选择题至少需要两个选项", field="options")
    d.type = Question.Type.SINGLE
    d.options = [{"key": k, "text": t} for k, t in zip(keys, texts, strict=True)]
    d.answer = right
    return d


def parse_gift(text: str) -> list[Draft]:
    """Parse GIFT text; raises ImportErrors with every problem (line numbers)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    drafts: list[Draft] = []
    errors: list[str] = []
    category = "默认"
    block: list[str] = []
    start = 0

    def flush():
        nonlocal block
        if block:
            try:
                d = _parse_block("\n".join(block))
                d.category = category
                drafts.append(d)
            except ValueError as exc:
                errors.append(f"第 {start} 行：{exc}")
        block = []

    depth = 0
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        if not block and stripped.startswith("$CATEGORY:"):
            path = stripped[len("$CATEGORY:") :].strip()
            path = re.sub(r"^\$(course|system|module)\$/", "", path)
            parts = [p for p in path.split("/") if p and p != "top"]
            if not parts:
                errors.append(f"第 {n} 行：$CATEGORY 后缺少分类名称")
            else:
                category = parts[-1][:100]
            continue
        if stripped == "" and depth == 0:
            flush()
            continue
        if not block:
            start = n
        block.append(line)
        depth = max(
            0, depth + line.count("{") - line.count("\\{") - line.count("}") + line.count("\\}")
        )
    flush()
    if not drafts and not errors:
        errors.append("文件中没有题目")
    if len(drafts) > MAX_QUESTIONS:
        errors.append(f"一次最多导入 {MAX_QUESTIONS} 道题")
    if errors:
        raise ImportErrors(errors)
    return drafts


# --- Excel ------------------------------------------------------------------------------

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


class QuestionValueError(DomainError, ValueError):
    """A question that breaks the template's rules; `field` says which part: "type",
    "stem", "answer", "difficulty" or "options" (the admin form puts the message there)."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


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
    options of a multiple-choice question (partial credit, see elearning.exams)."""
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


@transaction.atomic
def questions_import(*, drafts: list[Draft], owner_unit: OrgUnit) -> list[Question]:
    """All-or-nothing insert of validated drafts."""
    return Question.objects.bulk_create(
        [
            Question(
                type=d.type,
                title=d.title[:200],
                stem=d.stem,
                options=d.options,
                answer=d.answer,
                explanation=d.explanation,
                category=d.category,
                difficulty=d.difficulty,
                tags=d.tags,
                owner_unit=owner_unit,
            )
            for d in drafts
        ]
    )
