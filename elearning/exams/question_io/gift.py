"""Moodle GIFT import (https://docs.moodle.org/en/GIFT_format), following Moodle's own
parser (question/format/gift/format.php) where the documentation is silent.

- Questions are separated by blank lines; ``// comment`` lines are ignored;
  ``::title::`` is optional.
- ``$CATEGORY: $course$/top/安全/消防`` puts what follows in the category *path*
  "安全/消防" (the context prefix and "top" are dropped; "//" in a name is a literal
  slash). An exam rule on "安全" draws from "安全/消防" too.
- Types, by the answer block: none → description; ``{}`` → essay; ``{#…}`` → numerical
  (``{#3.14:0.01}`` tolerance, ``{#1..5}`` range, ``{#=%100%1822:0 =%50%1822:2 ~#fb}``
  several weighted answers and feedback for anything else); a ``~`` → multiple choice
  (single answer when some answer is ``=``, any ``=`` answer scoring in full; several
  answers otherwise, the positive weights ``~%50%`` adding up to 100 %, negative ones
  ``~%-50%`` subtracting); ``=a -> b`` → matching; ``{T}``/``{FALSE#wrong#right}`` →
  true/false with feedback; ``{=a =%50%b}`` → short answer. Text after the block makes a
  missing-word question (the block becomes "____").
- ``#feedback`` after an answer, ``####general feedback`` at the end of the block;
  ``[html]``/``[markdown]``/``[plain]``/``[moodle]`` before a text set its format
  (answers and feedback inherit the question's), sanitised by `elearning.exams.text`.
- Escapes ``\\~ \\= \\# \\{ \\} \\: \\\\`` and ``\\n`` (a line break).

Where Moodle guesses, this importer refuses with a message: an answer without ``=``/``~``
(``{maybe}``), a malformed weight, two answer blocks in one question (usually a missing
blank line), choices whose weights do not add up. Every problem in the file is reported
at once — line number and question title — and a file with any problem imports nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from elearning.exams.models import Question
from elearning.exams.question_io.drafts import MAX_QUESTIONS, Draft, ImportErrors
from elearning.exams.text import SOURCE_FORMATS, needs_html, source_to_html

# An escaped special character becomes two private-use characters, so offsets (and line
# numbers) stay those of the file while the parser no longer sees it as special.
_MARK = "\ue000"
_ESCAPES = {
    ":": "\ue03a",
    "#": "\ue023",
    "=": "\ue03d",
    "{": "\ue07b",
    "}": "\ue07d",
    "~": "\ue07e",
    "\\": "\ue05c",
    "n": "\ue00a",
}
_RESTORE = str.maketrans({v: ("\n" if k == "n" else k) for k, v in _ESCAPES.items()} | {_MARK: ""})
_WEIGHT = re.compile(r"%(-?\d+(?:\.\d+)?)%")
_CONTEXTS = re.compile(r"^\$(course|system|module|coursecategory|cat\d*)\$/?")
_TF = {"T": True, "TRUE": True, "F": False, "FALSE": False}


def _protect(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPES:
            out.append(_MARK + _ESCAPES[text[i + 1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


_COMMENT = "\ue001"  # a comment line inside a question (kept for the line numbers)


def _restore(text: str) -> str:
    return text.replace("\n" + _COMMENT, "").replace(_COMMENT, "").translate(_RESTORE)


class _Refused(Exception):
    """Ends the parsing of one question (its problems are already recorded)."""


@dataclass
class _Rich:
    """A text in a GIFT format, converted once the question's storage format is known."""

    text: str
    fmt: str


def _finalize(value, as_html: bool):
    if isinstance(value, _Rich):
        return source_to_html(value.text, value.fmt) if as_html else value.text
    if isinstance(value, dict):
        return {k: _finalize(v, as_html) for k, v in value.items()}
    if isinstance(value, list):
        return [_finalize(v, as_html) for v in value]
    return value


def _walk(value):
    if isinstance(value, _Rich):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


class _QuestionParser:
    """One question block: `parse()` returns a Draft or raises _Refused after recording
    its problems in `errors` as (line, message)."""

    def __init__(self, text: str, start: int, category: str):
        self.src = _protect(text)
        self.start = start
        self.category = category
        self.errors: list[tuple[int, str]] = []
        self.title = ""
        self.fmt = "moodle"
        self.merged = False  # several questions without the blank line between them

    # --- helpers -------------------------------------------------------------------------
    def line(self, offset: int) -> int:
        return self.start + self.src.count("\n", 0, max(0, offset))

    def error(self, offset: int, message: str) -> None:
        self.errors.append((self.line(offset), message))

    def label(self) -> str:
        if self.title:
            return f"“{self.title}”"
        text = self.src.split("{", 1)[0]
        first = _restore(text).strip().lstrip(":").strip().splitlines()
        snippet = first[0] if first else ""
        return f"“{snippet[:20]}{'…' if len(snippet) > 20 else ''}”"

    def rich(self, raw: str, default: str | None = None) -> _Rich:
        """A text with its optional [format] prefix (Moodle's parse_text_with_format)."""
        raw = raw.strip()
        fmt = default or self.fmt
        m = re.match(r"\[(\w+)\]", raw)
        if m and m.group(1) in SOURCE_FORMATS:
            fmt, raw = m.group(1), raw[m.end() :]
        return _Rich(_restore(raw).strip(), fmt)

    def plain(self, raw: str) -> str:
        return self.rich(raw).text

    @staticmethod
    def split(text: str, offset: int, markers: str) -> tuple[str, list[tuple[str, str, int]]]:
        """Text before the first marker, and (marker, segment, offset) for each marker."""
        parts: list[tuple[str, str, int]] = []
        lead_end = len(text)
        cur = None
        for i, c in enumerate(text):
            if c in markers:
                if cur is None:
                    lead_end = i
                else:
                    parts.append((cur[0], text[cur[1] : i], offset + cur[1]))
                cur = (c, i + 1)
        if cur is not None:
            parts.append((cur[0], text[cur[1] :], offset + cur[1]))
        return text[:lead_end], parts

    def weight(self, seg: str, offset: int, default: float) -> tuple[float, str]:
        """(weight, rest) of an answer that may start with %50%."""
        body = seg.lstrip()
        if not body.startswith("%"):
            return default, seg
        m = _WEIGHT.match(body)
        if m is None:
            shown = _restore(body).strip().splitlines()[0][:20]
            self.error(offset, f"权重格式错误“{shown}”（应为 %50% 或 %-50%）")
            return default, body
        w = float(m.group(1))
        if not -100 <= w <= 100:
            self.error(offset, f"权重 {w:g}% 超出 -100% 到 100% 的范围")
        return w, body[m.end() :]

    def feedback_split(self, seg: str) -> tuple[str, str]:
        i = seg.find("#")
        return (seg, "") if i < 0 else (seg[:i], seg[i + 1 :])

    # --- the question ------------------------------------------------------------------
    def parse(self) -> Draft:
        src = self.src
        body_at = len(src) - len(src.lstrip())
        if src.startswith("::", body_at):
            end = src.find("::", body_at + 2)
            if end < 0:
                self.error(body_at, "题目名称缺少结尾的“::”")
                raise _Refused
            self.title = _restore(src[body_at + 2 : end]).strip()
            body_at = end + 2
        body = src[body_at:]
        lb, rb = body.find("{"), body.find("}")
        if lb < 0 and rb < 0:
            return self.finish(self.stem(body), "", Question.Type.DESCRIPTION)
        if rb < 0:
            self.error(body_at + lb, "答案块缺少结尾的“}”（文字中的 { 须写成 \\{）")
            raise _Refused
        if lb < 0 or rb < lb:
            self.error(body_at + rb, "答案块缺少开头的“{”（文字中的 } 须写成 \\}）")
            raise _Refused
        inner_lb = body.find("{", lb + 1)
        if 0 <= inner_lb < rb:
            self.error(body_at + inner_lb, "答案块里不能再有“{”（文字中的 { 须写成 \\{）")
            raise _Refused
        more = min(
            (i for i in (body.find("{", rb + 1), body.find("}", rb + 1)) if i >= 0), default=-1
        )
        if more >= 0:
            self.error(body_at + more, "一道题只能有一个答案块（两道题之间须空一行）")
            self.merged = True
            raise _Refused
        after = body[rb + 1 :]
        stem_src = body[:lb] + ("" if not after.strip() else "____" + after)
        stem = self.stem(stem_src)
        inner, inner_at = body[lb + 1 : rb], body_at + lb + 1
        general = ""
        g = inner.rfind("####")
        if g >= 0:
            inner, general = inner[:g], inner[g + 4 :]
        stripped = inner.strip()
        at = inner_at + len(inner) - len(inner.lstrip())
        if stripped == "":
            return self.finish(stem, general, Question.Type.ESSAY)
        if stripped.startswith("#"):
            return self.finish(stem, general, *self.numerical(stripped[1:], at + 1))
        if "~" in stripped:
            return self.finish(stem, general, *self.choice(stripped, at))
        if "=" in stripped and "->" in stripped:
            return self.finish(stem, general, *self.matching(stripped, at))
        word = self.feedback_split(stripped)[0].strip().upper()
        if word in _TF:
            return self.finish(stem, general, *self.true_false(stripped))
        if stripped.startswith("="):
            return self.finish(stem, general, *self.short_answer(stripped, at))
        self.error(at, f"无法识别的答案“{_restore(stripped)[:20]}”（答案须以 = 或 ~ 开头）")
        raise _Refused

    def stem(self, raw: str) -> _Rich:
        text = self.rich(raw, "moodle")
        self.fmt = text.fmt
        return text

    def finish(self, stem: _Rich, general: str, qtype, options=(), answer=(), feedback=None):
        """The Draft, once the question's storage format is known: plain when every text
        shows the same as plain text, sanitised HTML otherwise."""
        if self.errors:
            raise _Refused
        if not stem.text:
            self.error(0, "题干为空")
            raise _Refused
        explanation = self.rich(general) if general.strip() else _Rich("", self.fmt)
        parts = {
            "stem": stem,
            "options": list(options),
            "answer": answer if answer != () else [],
            "feedback": feedback or {},
            "exp": explanation,
        }
        as_html = any(needs_html(r.text, r.fmt) for r in _walk(parts))
        done = _finalize(parts, as_html)
        return Draft(
            type=qtype,
            stem=done["stem"],
            options=done["options"],
            answer=done["answer"],
            explanation=done["exp"],
            category=self.category,
            title=self.title[:200],
            text_format="html" if as_html else "plain",
            feedback={k: v for k, v in done["feedback"].items() if v},
        )

    # --- answer blocks -------------------------------------------------------------------
    def _lead(self, lead: str, at: int) -> None:
        if lead.strip():
            self.error(at, f"答案块开头有无法识别的内容“{_restore(lead.strip())[:20]}”")

    def choice(self, text: str, at: int):
        lead, parts = self.split(text, at, "~=")
        self._lead(lead, at)
        single = any(m == "=" for m, _, _ in parts)
        keys = [chr(ord("A") + i) for i in range(len(parts))]
        if len(parts) < 2:
            self.error(at, "选择题至少需要两个选项")
        if len(parts) > 26:
            self.error(at, "选项不能超过 26 个")
            raise _Refused
        options, correct = [], []
        for key, (marker, seg, off) in zip(keys, parts, strict=True):
            if marker == "=":
                w, seg = 100.0, seg
                if seg.lstrip().startswith("%"):
                    self.error(off, "“=”表示满分答案，不能再写权重（部分得分请写 ~%50%）")
            else:
                w, seg = self.weight(seg, off, 0.0)
            answer, fb = self.feedback_split(seg)
            text = self.rich(answer)
            if not text.text:
                self.error(off, f"选项 {key} 的内容为空")
            option = {"key": key, "text": text}
            if marker == "~" and w:
                option["weight"] = w
            if fb.strip():
                option["feedback"] = self.rich(fb)
            options.append(option)
            if w >= 100 or (not single and w > 0):
                correct.append(key)
        if not single and not self.errors:
            total = sum(o.get("weight", 0) for o in options if o.get("weight", 0) > 0)
            if not correct:
                self.error(at, "多选题没有权重为正的正确选项（单选题请用 = 标出正确答案）")
            elif abs(total - 100) > 0.6:
                self.error(at, f"多选题正确选项的权重之和须为 100%（现为 {total:g}%）")
        qtype = Question.Type.SINGLE if single else Question.Type.MULTIPLE
        return qtype, options, correct

    def matching(self, text: str, at: int):
        lead, parts = self.split(text, at, "=")
        self._lead(lead, at)
        options, pairs, extra = [], {}, []
        for _marker, seg, off in parts:
            arrow = seg.find("->")
            if arrow < 0:
                self.error(
                    off, f"配对题的每一项须写成“=子问题 -> 答案”：“{_restore(seg.strip())[:20]}”"
                )
                continue
            sub, match = self.rich(seg[:arrow]), self.plain(seg[arrow + 2 :])
            if not match:
                self.error(off, "配对题的答案为空（“->”后须有内容）")
                continue
            if not sub.text:
                extra.append(match)  # an answer matching no sub-question: a distractor
                continue
            key = chr(ord("A") + len(options))
            options.append({"key": key, "text": sub})
            pairs[key] = match
        if len(options) < 2 and not self.errors:
            self.error(at, "配对题至少需要两组“子问题 -> 答案”")
        return Question.Type.MATCHING, options, {"pairs": pairs, "extra": extra}

    def true_false(self, text: str):
        bits = text.split("#", 2)
        value = _TF[bits[0].strip().upper()]
        wrong = self.rich(bits[1]) if len(bits) > 1 else None
        right = self.rich(bits[2]) if len(bits) > 2 else None
        feedback = {"true": right, "false": wrong} if value else {"true": wrong, "false": right}
        feedback = {k: v for k, v in feedback.items() if v is not None and v.text}
        return Question.Type.TRUE_FALSE, [], value, feedback

    def short_answer(self, text: str, at: int):
        _lead, parts = self.split(text, at, "=")
        answers = []
        for _m, seg, off in parts:
            w, seg = self.weight(seg, off, 100.0)
            answer, fb = self.feedback_split(seg)
            value = self.plain(answer)
            if not value:
                self.error(off, "存在内容为空的答案")
                continue
            if len(value) > 500:
                self.error(off, "答案不能超过 500 字")
            if w == 100 and not fb.strip():
                answers.append(value)
            else:
                entry = {"text": value, "weight": w}
                if fb.strip():
                    entry["feedback"] = self.rich(fb)
                answers.append(entry)
        if answers and not any(isinstance(a, str) or a["weight"] == 100 for a in answers):
            self.error(at, "填空题至少要有一个得满分（100%）的答案")
        return Question.Type.FILL, [], answers

    def numerical(self, text: str, at: int):
        other = ""
        tilde = text.find("~")
        if tilde >= 0:
            text, other = text[:tilde], text[tilde + 1 :]
        lead, parts = self.split(text, at, "=")
        if lead.strip():
            parts.insert(0, ("=", lead, at))
        answers = []
        for _m, seg, off in parts:
            w, seg = self.weight(seg, off, 100.0)
            spec, fb = self.feedback_split(seg)
            spec = _restore(spec).strip()
            value, tolerance = self._number_spec(spec, off)
            if value is None:
                continue
            entry = {"value": value, "tolerance": tolerance, "weight": w}
            if fb.strip():
                entry["feedback"] = self.rich(fb)
            answers.append(entry)
        if not parts:
            self.error(at, "数值题缺少答案（如 {#3.14:0.01} 或 {#1..5}）")
        elif answers and not any(a["weight"] == 100 for a in answers):
            self.error(at, "数值题至少要有一个得满分（100%）的答案")
        feedback = {}
        if other.strip():
            feedback["other"] = self.rich(self.feedback_split(other)[1] or other)
        return Question.Type.NUMERICAL, [], answers, feedback

    def _number_spec(self, spec: str, off: int) -> tuple[float | None, float]:
        def num(s: str) -> float | None:
            try:
                v = float(s.strip())
            except ValueError:
                return None
            return v if math.isfinite(v) else None

        if (dots := spec.find("..", 1)) > 0:
            lo, hi = num(spec[:dots]), num(spec[dots + 2 :])
            if lo is None or hi is None:
                self.error(off, f"数值题的范围“{spec}”须为“最小值..最大值”")
                return None, 0.0
            if lo > hi:
                self.error(off, f"数值题的范围“{spec}”的最小值大于最大值")
                return None, 0.0
            return (lo + hi) / 2, (hi - lo) / 2
        value_s, _, tol_s = spec.partition(":") if spec.find(":", 1) > 0 else (spec, "", "0")
        value, tol = num(value_s), num(tol_s)
        if value is None or tol is None:
            self.error(off, f"数值题的答案“{spec}”不是数字（应为 3.14、3.14:0.01 或 1..5）")
            return None, 0.0
        if tol < 0:
            self.error(off, f"数值题的误差“{tol_s}”不能为负数")
            return None, 0.0
        return value, tol


def _category_path(raw: str) -> str:
    path = _CONTEXTS.sub("", raw.strip())
    segments = [s.strip().replace("/", "／") for s in path.replace("//", "\0").split("/")]
    segments = [s.replace("\0", "／") for s in segments if s]
    if segments and segments[0] == "top":
        segments = segments[1:]
    return "/".join(segments)


def parse_gift(text: str) -> list[Draft]:
    """Parse GIFT text into drafts; ImportErrors lists every problem in the file."""
    if text.startswith("\ufeff"):
        text = text[1:]
    drafts: list[Draft] = []
    errors: list[tuple[int, str]] = []
    category = "默认"
    block: list[str] = []
    start = 0

    def parse(lines: list[str], first: int, *, recover: bool = True) -> None:
        parser = _QuestionParser("\n".join(lines), first, category)
        try:
            draft = parser.parse()
        except _Refused:
            label = parser.label()
            errors.extend((n, f"第 {n} 行（{label}）：{msg}") for n, msg in parser.errors)
            if parser.merged and recover:
                # questions run together: report their own problems too, splitting where a
                # line starts with a ::title:: (the file is refused anyway)
                cuts = [i for i, x in enumerate(lines) if i and x.lstrip().startswith("::")]
                for a, b in zip([0, *cuts], [*cuts, len(lines)], strict=True):
                    if cuts:
                        parse(lines[a:b], first + a, recover=False)
        else:
            draft.line = first
            if recover:
                drafts.append(draft)

    def flush():
        nonlocal block
        if any(line.strip() for line in block):
            parse(block, start)
        block = []

    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("//"):
            if block:
                block.append(_COMMENT)  # keeps the line numbers of the rest of the question
            continue
        if stripped.startswith("$CATEGORY:"):
            flush()
            path = _category_path(stripped[len("$CATEGORY:") :])
            if not path:
                errors.append((n, f"第 {n} 行：$CATEGORY 后缺少分类名称"))
            elif len(path) > 255:
                errors.append((n, f"第 {n} 行：分类路径超过 255 个字符"))
            else:
                category = path
            continue
        if not stripped:
            flush()
            continue
        if not block:
            start = n
        block.append(line)
    flush()
    # in file order, once each (a recovered question may repeat a message)
    messages = list(dict.fromkeys(msg for _n, msg in sorted(errors, key=lambda e: e[0])))
    if not drafts and not messages:
        messages.append("文件中没有题目")
    if len(drafts) > MAX_QUESTIONS:
        messages.append(f"一次最多导入 {MAX_QUESTIONS} 道题（文件中有 {len(drafts)} 道）")
    if messages:
        raise ImportErrors(messages)
    return drafts
