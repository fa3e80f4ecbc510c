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

import re

from elearning.exams.models import Question
from elearning.exams.question_io.drafts import MAX_QUESTIONS, Draft, ImportErrors
from elearning.exams.question_io.gift_answers import AnswerBlocks
from elearning.exams.question_io.gift_text import (
    COMMENT,
    TF_WORDS,
    WEIGHT,
    Refused,
    Rich,
    finalize,
    protect,
    restore,
    walk,
)
from elearning.exams.text import SOURCE_FORMATS, needs_html

_CONTEXTS = re.compile(r"^\$(course|system|module|coursecategory|cat\d*)\$/?")


class _QuestionParser(AnswerBlocks):
    """One question block: `parse()` returns a Draft or raises Refused after recording
    its problems in `errors` as (line, message)."""

    def __init__(self, text: str, start: int, category: str):
        self.src = protect(text)
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
        first = restore(text).strip().lstrip(":").strip().splitlines()
        snippet = first[0] if first else ""
        return f"“{snippet[:20]}{'…' if len(snippet) > 20 else ''}”"

    def rich(self, raw: str, default: str | None = None) -> Rich:
        """A text with its optional [format] prefix (Moodle's parse_text_with_format)."""
        raw = raw.strip()
        fmt = default or self.fmt
        m = re.match(r"\[(\w+)\]", raw)
        if m and m.group(1) in SOURCE_FORMATS:
            fmt, raw = m.group(1), raw[m.end() :]
        return Rich(restore(raw).strip(), fmt)

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
        m = WEIGHT.match(body)
        if m is None:
            shown = restore(body).strip().splitlines()[0][:20]
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
                raise Refused
            self.title = restore(src[body_at + 2 : end]).strip()
            body_at = end + 2
        body = src[body_at:]
        lb, rb = body.find("{"), body.find("}")
        if lb < 0 and rb < 0:
            return self.finish(self.stem(body), "", Question.Type.DESCRIPTION)
        if rb < 0:
            self.error(body_at + lb, "答案块缺少结尾的“}”（文字中的 { 须写成 \\{）")
            raise Refused
        if lb < 0 or rb < lb:
            self.error(body_at + rb, "答案块缺少开头的“{”（文字中的 } 须写成 \\}）")
            raise Refused
        inner_lb = body.find("{", lb + 1)
        if 0 <= inner_lb < rb:
            self.error(body_at + inner_lb, "答案块里不能再有“{”（文字中的 { 须写成 \\{）")
            raise Refused
        more = min(
            (i for i in (body.find("{", rb + 1), body.find("}", rb + 1)) if i >= 0), default=-1
        )
        if more >= 0:
            self.error(body_at + more, "一道题只能有一个答案块（两道题之间须空一行）")
            self.merged = True
            raise Refused
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
        if word in TF_WORDS:
            return self.finish(stem, general, *self.true_false(stripped))
        if stripped.startswith("="):
            return self.finish(stem, general, *self.short_answer(stripped, at))
        self.error(at, f"无法识别的答案“{restore(stripped)[:20]}”（答案须以 = 或 ~ 开头）")
        raise Refused

    def stem(self, raw: str) -> Rich:
        text = self.rich(raw, "moodle")
        self.fmt = text.fmt
        return text

    def finish(self, stem: Rich, general: str, qtype, options=(), answer=(), feedback=None):
        """The Draft, once the question's storage format is known: plain when every text
        shows the same as plain text, sanitised HTML otherwise."""
        if self.errors:
            raise Refused
        if not stem.text:
            self.error(0, "题干为空")
            raise Refused
        explanation = self.rich(general) if general.strip() else Rich("", self.fmt)
        parts = {
            "stem": stem,
            "options": list(options),
            "answer": answer if answer != () else [],
            "feedback": feedback or {},
            "exp": explanation,
        }
        as_html = any(needs_html(r.text, r.fmt) for r in walk(parts))
        done = finalize(parts, as_html)
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
        except Refused:
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
                block.append(COMMENT)  # keeps the line numbers of the rest of the question
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
