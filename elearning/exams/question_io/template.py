"""The import template's rules, shared by the Excel template and the admin form's text
fields: one option a line ("A. 内容", "[50%]" / "[-50%]" for a weight), "ABD" / 正确 /
"答案1|答案2[50%]" answers, "3.14:0.01|1..5" numerical answers and "子问题 -> 答案"
matching lines. Essays and descriptions have neither options nor answer."""

from __future__ import annotations

import re
import string

from elearning.exams.models import Question
from elearning.exams.question_io.drafts import Draft, QuestionValueError

T = Question.Type
TYPE_NAMES = {
    "单选": T.SINGLE,
    "单选题": T.SINGLE,
    "多选": T.MULTIPLE,
    "多选题": T.MULTIPLE,
    "判断": T.TRUE_FALSE,
    "判断题": T.TRUE_FALSE,
    "填空": T.FILL,
    "填空题": T.FILL,
    "数值": T.NUMERICAL,
    "数值题": T.NUMERICAL,
    "配对": T.MATCHING,
    "配对题": T.MATCHING,
    "问答": T.ESSAY,
    "问答题": T.ESSAY,
    "说明": T.DESCRIPTION,
}
TYPE_LABEL = {
    T.SINGLE: "单选题",
    T.MULTIPLE: "多选题",
    T.TRUE_FALSE: "判断题",
    T.FILL: "填空题",
    T.NUMERICAL: "数值题",
    T.MATCHING: "配对题",
    T.ESSAY: "问答题",
    T.DESCRIPTION: "说明",
}
DIFFICULTY = {"易": 1, "简单": 1, "中": 2, "中等": 2, "难": 3, "困难": 3, "1": 1, "2": 2, "3": 3}
DIFFICULTY_LABEL = {1: "易", 2: "中", 3: "难"}
TRUE_WORDS = {"正确", "对", "是", "T", "TRUE", "√"}
FALSE_WORDS = {"错误", "错", "否", "F", "FALSE", "×"}
LETTERS = string.ascii_uppercase
NO_ANSWER = (T.MATCHING, T.ESSAY, T.DESCRIPTION)

_WEIGHTED = re.compile(r"^(.*?)\s*[\[［]\s*(-?\d+(?:\.\d+)?)\s*[%％]?\s*[\]］]\s*$", re.S)
_OPTION_LINE = re.compile(r"^\s*([A-Za-z])\s*[.．、:：)）]?\s*(.*?)\s*$")


def _weighted(text: str) -> tuple[str, float | None]:
    m = _WEIGHTED.match(text)
    return (m.group(1).strip(), float(m.group(2))) if m else (text.strip(), None)


def _suffix(weight) -> str:
    return f"[{weight:g}%]" if isinstance(weight, (int, float)) and weight != 100 else ""


def _number(text: str, what: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise QuestionValueError(f"{what}“{text.strip()}”不是数字", field="answer") from None


def _numerical(ans: str) -> list[dict]:
    answers = []
    for part in re.split(r"[|｜]", ans):
        if not part.strip():
            continue
        spec, weight = _weighted(part)
        if (dots := spec.find("..", 1)) > 0:
            lo, hi = _number(spec[:dots], "范围"), _number(spec[dots + 2 :], "范围")
            if lo > hi:
                raise QuestionValueError(f"范围“{spec}”的最小值大于最大值", field="answer")
            value, tol = (lo + hi) / 2, (hi - lo) / 2
        else:
            value_s, _, tol_s = spec.partition(":") if spec.find(":", 1) > 0 else (spec, "", "0")
            value, tol = _number(value_s, "答案"), _number(tol_s, "误差")
            if tol < 0:
                raise QuestionValueError("误差不能为负数", field="answer")
        answers.append(
            {"value": value, "tolerance": tol, "weight": 100 if weight is None else weight}
        )
    if not any(a["weight"] == 100 for a in answers):
        raise QuestionValueError(
            "数值题至少要有一个满分答案，如“3.14:0.01”或“1..5”（多个用 | 分隔）", field="answer"
        )
    return answers


def _fill(ans: str) -> list:
    answers: list = []
    for part in re.split(r"[|｜]", ans):
        text, weight = _weighted(part)
        if not text:
            continue
        answers.append(text if weight in (None, 100) else {"text": text, "weight": weight})
    if not any(isinstance(a, str) for a in answers):
        raise QuestionValueError("填空题至少要有一个满分答案（多个答案用 | 分隔）", field="answer")
    return answers


def _choice(qtype, opts: list[dict], weights: dict, ans: str) -> list[str]:
    keys = [o["key"] for o in opts]
    if len(opts) < 2:
        raise QuestionValueError("选择题至少需要两个选项", field="options")
    if keys != list(LETTERS[: len(keys)]):
        raise QuestionValueError("选项须从选项A起连续填写", field="options")
    letters = [c for c in ans.upper() if not c.isspace() and c not in ",，、"]
    if not letters or any(c not in keys for c in letters) or len(set(letters)) != len(letters):
        raise QuestionValueError(
            f"“答案”“{ans}”须为已填写选项的字母（如 A 或 ABD）", field="answer"
        )
    if qtype == T.SINGLE and len(letters) != 1:
        raise QuestionValueError("单选题的答案只能有一个字母", field="answer")
    for key, w in weights.items():
        right = key in letters
        if qtype == T.MULTIPLE and right and w <= 0:
            raise QuestionValueError(f"正确选项 {key} 的权重须为正数", field="options")
        if qtype == T.MULTIPLE and not right and w > 0:
            raise QuestionValueError(
                f"正数权重只能设在正确选项上：{key} 不是正确答案（错误选项可设负数权重扣分）",
                field="options",
            )
        if qtype == T.SINGLE and right:
            raise QuestionValueError(
                f"单选题的正确选项 {key} 得满分，不能设置权重", field="options"
            )
        if not -100 <= w <= 100:
            raise QuestionValueError(f"选项 {key} 的权重须在 -100% 到 100% 之间", field="options")
    for o in opts:
        if o["key"] in weights:
            o["weight"] = weights[o["key"]]
    return letters


def _matching(lines: list[str]) -> tuple[list[dict], dict]:
    options, pairs, extra = [], {}, []
    for line in lines:
        sub, arrow, match = line.partition("->")
        if not arrow or not match.strip():
            raise QuestionValueError(
                f"配对题每行写成“子问题 -> 答案”：“{line.strip()}”", field="options"
            )
        if not sub.strip():
            extra.append(match.strip())
            continue
        key = LETTERS[len(options)]
        options.append({"key": key, "text": sub.strip()})
        pairs[key] = match.strip()
    if len(options) < 2:
        raise QuestionValueError("配对题至少需要两组“子问题 -> 答案”", field="options")
    return options, {"pairs": pairs, "extra": extra}


def row_to_draft(v: dict, *, option_lines: list[str] | None = None, weights=None) -> Draft:
    """A template row ({"题型": …, "题干": …, "选项A": …, "答案": …}) → a Draft; the
    admin form passes its option lines for matching questions."""
    qtype = TYPE_NAMES.get(v.get("题型", ""))
    if qtype is None:
        names = "/".join(dict.fromkeys(TYPE_LABEL.values()))
        raise QuestionValueError(
            f"“题型”列的值“{v.get('题型', '')}”无效，应为{names}", field="type"
        )
    stem = v.get("题干", "")
    if not stem:
        raise QuestionValueError("“题干”为空", field="stem")
    ans = v.get("答案", "")
    if not ans and qtype not in NO_ANSWER:
        raise QuestionValueError("“答案”为空", field="answer")
    if ans and qtype in NO_ANSWER:
        where = "写在选项里（子问题 -> 答案）" if qtype == T.MATCHING else "不需要"
        raise QuestionValueError(f"{TYPE_LABEL[qtype]}的答案{where}，“答案”须留空", field="answer")
    diff_raw = v.get("难度", "") or "中"
    if diff_raw not in DIFFICULTY:
        raise QuestionValueError(f"“难度”列的值“{diff_raw}”无效，应为易/中/难", field="difficulty")
    d = Draft(
        type=qtype,
        stem=stem,
        answer=[],
        explanation=v.get("解析", ""),
        category=category_path(v.get("分类", "")),
        difficulty=DIFFICULTY[diff_raw],
        tags=v.get("标签", "")[:200],
        text_format="html" if v.get("格式", "").lower() == "html" else "plain",
    )
    texts = [v.get(f"选项{k}", "") for k in LETTERS]
    if option_lines is None:
        option_lines = [t for t in texts if t]
    if qtype in (T.SINGLE, T.MULTIPLE):
        opts, w = [], dict(weights or {})
        for key, text in zip(LETTERS, texts, strict=True):
            if text:
                text, weight = (text, None) if weights is not None else _weighted(text)
                opts.append({"key": key, "text": text})
                if weight is not None:
                    w[key] = weight
        d.options, d.answer = opts, _choice(qtype, opts, w, ans)
    elif qtype == T.TRUE_FALSE:
        up = ans.upper()
        if up in {x.upper() for x in TRUE_WORDS}:
            d.answer = True
        elif up in {x.upper() for x in FALSE_WORDS}:
            d.answer = False
        else:
            raise QuestionValueError(f"判断题答案“{ans}”无效，应为 正确 或 错误", field="answer")
    elif qtype == T.FILL:
        d.answer = _fill(ans)
    elif qtype == T.NUMERICAL:
        d.answer = _numerical(ans)
    elif qtype == T.MATCHING:
        d.options, d.answer = _matching(option_lines)
    elif option_lines:
        raise QuestionValueError(f"{TYPE_LABEL[qtype]}没有选项，“选项”须留空", field="options")
    return d


def category_path(raw: str) -> str:
    """ "安全 / 消防" → "安全/消防" (at most 255 characters; empty → 默认)."""
    parts = [p.strip() for p in re.split(r"[/／]", raw or "") if p.strip()]
    path = "/".join(parts) or "默认"
    if len(path) > 255:
        raise QuestionValueError("“分类”超过 255 个字符", field="category")
    return path


# --- the admin form's text fields --------------------------------------------------------


def answer_as_text(qtype: str, answer) -> str:
    """How the template and the admin form write an answer (see the module docstring)."""
    if qtype in (T.SINGLE, T.MULTIPLE):
        return "".join(answer or [])
    if qtype == T.TRUE_FALSE:
        val = answer[0] if isinstance(answer, list) and answer else answer
        return "正确" if val else "错误"
    if qtype == T.FILL:
        return "|".join(
            f"{a['text']}{_suffix(a.get('weight'))}" if isinstance(a, dict) else str(a)
            for a in answer or []
        )
    if qtype == T.NUMERICAL:
        return "|".join(
            f"{a['value']:g}"
            + (f":{a['tolerance']:g}" if a.get("tolerance") else "")
            + _suffix(a.get("weight"))
            for a in answer or []
        )
    return ""


def option_lines(qtype: str, options: list, answer=None) -> list[str]:
    """One line per option: "A. 内容 [50%]", or "子问题 -> 答案" for matching."""
    if qtype == T.MATCHING:
        pairs = (answer or {}).get("pairs", {}) if isinstance(answer, dict) else {}
        extra = (answer or {}).get("extra", []) if isinstance(answer, dict) else []
        return [f"{o['text']} -> {pairs.get(o['key'], '')}" for o in options or []] + [
            f"-> {e}" for e in extra
        ]
    lines = []
    for o in options or []:
        weight = o.get("weight")
        suffix = f" [{weight:g}%]" if isinstance(weight, (int, float)) else ""
        lines.append(f"{o['key']}. {o['text']}{suffix}")
    return lines


def options_as_text(options: list, qtype: str = T.MULTIPLE, answer=None) -> str:
    return "\n".join(option_lines(qtype, options, answer))


def question_fields_from_text(
    *, qtype: str, stem: str, options_text: str, answer_text: str, previous=None
):
    """(options, answer) from the admin form's text fields, checked by the template's
    rules; a QuestionValueError names what is wrong and which field. Feedback imported
    with the question (GIFT ``#…``) stays on options and answers that keep their text."""
    cells = {
        "题型": TYPE_LABEL.get(qtype, qtype),
        "题干": stem.strip(),
        "答案": answer_text.strip(),
    }
    lines = [x for x in (options_text or "").splitlines() if x.strip()]
    weights: dict[str, float] = {}
    if qtype in (T.SINGLE, T.MULTIPLE):
        for n, line in enumerate((options_text or "").splitlines(), 1):
            if not line.strip():
                continue
            m = _OPTION_LINE.match(line)
            text, weight = _weighted(m.group(2)) if m else ("", None)
            if m is None or not text:
                raise QuestionValueError(
                    f"选项第 {n} 行“{line.strip()}”应写成“A. 选项内容”", field="options"
                )
            key = m.group(1).upper()
            if f"选项{key}" in cells:
                raise QuestionValueError(f"选项 {key} 写了两次", field="options")
            cells[f"选项{key}"] = text
            if weight is not None:
                weights[key] = weight
    draft = row_to_draft(cells, option_lines=lines, weights=weights)
    if previous is not None and previous.type == draft.type:
        _keep_feedback(previous, draft)
    return draft.options, draft.answer


def _keep_feedback(previous, draft: Draft) -> None:
    old = {(o.get("key"), o.get("text")): o.get("feedback") for o in previous.options or []}
    for o in draft.options:
        if old.get((o["key"], o["text"])):
            o["feedback"] = old[(o["key"], o["text"])]
    if isinstance(previous.answer, list) and isinstance(draft.answer, list):
        fb = {
            (a.get("text"), a.get("value")): a["feedback"]
            for a in previous.answer
            if isinstance(a, dict) and a.get("feedback")
        }
        for i, a in enumerate(draft.answer):
            key = (a, None) if isinstance(a, str) else (a.get("text"), a.get("value"))
            if key in fb:
                entry = {"text": a, "weight": 100} if isinstance(a, str) else a
                draft.answer[i] = {**entry, "feedback": fb[key]}
