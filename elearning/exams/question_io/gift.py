"""Moodle GIFT import (a documented subset).

Understood here (https://docs.moodle.org/en/GIFT_format):

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

import re

from elearning.exams.models import Question
from elearning.exams.question_io.drafts import (
    MAX_QUESTIONS,
    Draft,
    ImportErrors,
    QuestionValueError,
)

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
