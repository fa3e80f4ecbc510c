"""The answer blocks of GIFT questions, one method per kind (a mixin of the question
parser in `gift`, whose helpers — `split`, `weight`, `rich`, `error` — they use)."""

from __future__ import annotations

import math

from elearning.exams.models import Question
from elearning.exams.question_io.gift_text import TF_WORDS, Refused, restore


class AnswerBlocks:
    def _lead(self, lead: str, at: int) -> None:
        if lead.strip():
            self.error(at, f"答案块开头有无法识别的内容“{restore(lead.strip())[:20]}”")

    def choice(self, text: str, at: int):
        lead, parts = self.split(text, at, "~=")
        self._lead(lead, at)
        single = any(m == "=" for m, _, _ in parts)
        keys = [chr(ord("A") + i) for i in range(len(parts))]
        if len(parts) < 2:
            self.error(at, "选择题至少需要两个选项")
        if len(parts) > 26:
            self.error(at, "选项不能超过 26 个")
            raise Refused
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
                    off, f"配对题的每一项须写成“=子问题 -> 答案”：“{restore(seg.strip())[:20]}”"
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
        value = TF_WORDS[bits[0].strip().upper()]
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
            spec = restore(spec).strip()
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
