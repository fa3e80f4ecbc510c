"""Moodle GIFT, fully: every question type and feature, every error of a broken file at
once (line and title) with nothing written, safe rendering of formatted texts, and
`manage.py import_questions`."""

from __future__ import annotations

import io
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from elearning.exams.question_io import ImportErrors, parse_gift, questions_import
from elearning.exams.text import question_text_html
from elearning.models import Question


def one(text: str):
    drafts = parse_gift(text)
    assert len(drafts) == 1, drafts
    return drafts[0]


SAMPLES = [
    pytest.param(
        "::单选:: 党的最高理想？ {=共产主义 #对 ~小康 #不对}",
        {
            "type": "single",
            "title": "单选",
            "answer": ["A"],
            "options": [
                {"key": "A", "text": "共产主义", "feedback": "对"},
                {"key": "B", "text": "小康", "feedback": "不对"},
            ],
        },
        id="single-choice-with-per-answer-feedback",
    ),
    pytest.param(
        "选一个 {=全对 ~%50%半对 ~%-25%扣分 ~错}",
        {
            "type": "single",
            "answer": ["A"],
            "options": [
                {"key": "A", "text": "全对"},
                {"key": "B", "text": "半对", "weight": 50.0},
                {"key": "C", "text": "扣分", "weight": -25.0},
                {"key": "D", "text": "错"},
            ],
        },
        id="single-choice-partial-and-negative-weights",
    ),
    pytest.param(
        "两个都对 {=甲 =乙 ~丙}",
        {"type": "single", "answer": ["A", "B"]},
        id="single-choice-two-full-marks-as-moodle",
    ),
    pytest.param(
        "基本要求包括 {\n~%50%路线\n~%50%实事求是\n~%-50%个人至上 # 扣一半\n}",
        {
            "type": "multiple",
            "answer": ["A", "B"],
            "options": [
                {"key": "A", "text": "路线", "weight": 50.0},
                {"key": "B", "text": "实事求是", "weight": 50.0},
                {"key": "C", "text": "个人至上", "weight": -50.0, "feedback": "扣一半"},
            ],
        },
        id="multiple-choice-weights-negative",
    ),
    pytest.param(
        "三选 {~%33.333%a ~%33.333%b ~%33.333%c ~d}",
        {"type": "multiple", "answer": ["A", "B", "C"]},
        id="multiple-choice-thirds",
    ),
    pytest.param("党员必须履行义务。{T}", {"type": "true_false", "answer": True}, id="true"),
    pytest.param("党员可以信教。{FALSE}", {"type": "true_false", "answer": False}, id="false"),
    pytest.param(
        "太阳从西边升起。{FALSE#答错的反馈#答对的反馈}",
        {
            "type": "true_false",
            "answer": False,
            "feedback": {"true": "答错的反馈", "false": "答对的反馈"},
        },
        id="true-false-feedback-wrong-then-right",
    ),
    pytest.param(
        "地球是圆的。{TRUE#不对哦}",
        {"type": "true_false", "answer": True, "feedback": {"false": "不对哦"}},
        id="true-false-wrong-feedback-only",
    ),
    pytest.param(
        "二加二等于几？{=四 =4 =%50%五#差一点}",
        {
            "type": "fill",
            "answer": ["四", "4", {"text": "五", "weight": 50.0, "feedback": "差一点"}],
        },
        id="short-answer-weights-feedback",
    ),
    pytest.param(
        "党员是中国工人阶级的有{=共产主义觉悟}的先锋战士。",
        {"type": "fill", "stem": "党员是中国工人阶级的有____的先锋战士。"},
        id="missing-word-short-answer",
    ),
    pytest.param(
        "党的纪律处分有{~三 =五 ~七}种。",
        {"type": "single", "stem": "党的纪律处分有____种。", "answer": ["B"]},
        id="missing-word-choice",
    ),
    pytest.param(
        "配对 {=加拿大 -> 渥太华 =意大利 -> 罗马 = -> 巴黎 ####首都}",
        {
            "type": "matching",
            "options": [{"key": "A", "text": "加拿大"}, {"key": "B", "text": "意大利"}],
            "answer": {"pairs": {"A": "渥太华", "B": "罗马"}, "extra": ["巴黎"]},
            "explanation": "首都",
        },
        id="matching-with-distractor",
    ),
    pytest.param(
        "π 保留两位？{#3.14:0.01}",
        {"type": "numerical", "answer": [{"value": 3.14, "tolerance": 0.01, "weight": 100.0}]},
        id="numerical-tolerance",
    ),
    pytest.param(
        "1 到 5 之间的数 {#1..5}",
        {"type": "numerical", "answer": [{"value": 3.0, "tolerance": 2.0, "weight": 100.0}]},
        id="numerical-range",
    ),
    pytest.param(
        "零下 {#-3..-1}",
        {"type": "numerical", "answer": [{"value": -2.0, "tolerance": 1.0, "weight": 100.0}]},
        id="numerical-negative-range",
    ),
    pytest.param(
        "建党年份？{#\n=1921:0 # 对\n=%50%1921:2 # 接近\n~# 再想想\n}",
        {
            "type": "numerical",
            "answer": [
                {"value": 1921.0, "tolerance": 0.0, "weight": 100.0, "feedback": "对"},
                {"value": 1921.0, "tolerance": 2.0, "weight": 50.0, "feedback": "接近"},
            ],
            "feedback": {"other": "再想想"},
        },
        id="numerical-several-weighted-answers",
    ),
    pytest.param(
        "::心得:: 谈谈学习体会。{}",
        {"type": "essay", "answer": [], "options": []},
        id="essay",
    ),
    pytest.param(
        "谈谈体会 {####要点：理论联系实际}",
        {"type": "essay", "explanation": "要点：理论联系实际"},
        id="essay-general-feedback",
    ),
    pytest.param(
        "::说明:: 以下各题考查党章。",
        {"type": "description", "stem": "以下各题考查党章。", "title": "说明"},
        id="description",
    ),
    pytest.param(
        "::a\\:b:: 1 \\= 2 \\~ \\# \\{ \\} \\: \\\\ 换\\n行 {=x\\=y\\#z}",
        {"type": "fill", "title": "a:b", "stem": "1 = 2 ~ # { } : \\ 换\n行", "answer": ["x=y#z"]},
        id="escapes",
    ),
    pytest.param(
        "// 注释\n::题:: 第一行\n// 题中注释\n第二行 {T}",
        {"type": "true_false", "stem": "第一行\n第二行"},
        id="comments",
    ),
    pytest.param(
        "问 {=a ~b ####见党章总纲}",
        {"explanation": "见党章总纲"},
        id="general-feedback",
    ),
    pytest.param(
        "$CATEGORY: $course$/top/安全/消防\n\n问 {T}",
        {"category": "安全/消防"},
        id="category-path",
    ),
    pytest.param(
        "$CATEGORY: $system$/top/Default for 党校/a//b\n问 {T}",
        {"category": "Default for 党校/a／b"},
        id="category-literal-slash",
    ),
    pytest.param(
        "[plain]<b>不加粗</b> & 保持原样 {T}",
        {"text_format": "plain", "stem": "<b>不加粗</b> & 保持原样"},
        id="format-plain",
    ),
    pytest.param(
        "[html]<p>加<b>粗</b></p> {=<i>斜</i> ~正}",
        {
            "text_format": "html",
            "stem": "<p>加<b>粗</b></p>",
            "options": [{"key": "A", "text": "<i>斜</i>"}, {"key": "B", "text": "正"}],
        },
        id="format-html-answers-inherit",
    ),
    pytest.param(
        "[markdown]**粗体** 和 `代码` {T}",
        {"text_format": "html", "stem": "<p><strong>粗体</strong> 和 <code>代码</code></p>"},
        id="format-markdown",
    ),
    pytest.param(
        "[moodle]第一行\n<b>第二行</b> {T}",
        {"text_format": "html", "stem": "第一行<br>\n<b>第二行</b>"},
        id="format-moodle",
    ),
    pytest.param(
        "普通 & 文本 {=a ~[html]<b>b</b>}",
        {"text_format": "html", "stem": "普通 &amp; 文本"},
        id="format-mixed-becomes-html",
    ),
]


@pytest.mark.parametrize(("text", "expected"), SAMPLES)
def test_gift_sample(text, expected):
    draft = one(text)
    for name, value in expected.items():
        assert getattr(draft, name) == value, name


def test_default_category_and_title_defaults():
    draft = one("问 {T}")
    assert draft.category == "默认" and draft.title == "" and draft.text_format == "plain"


BROKEN = """\
$CATEGORY: top/党章

::好题:: 党的宗旨？{=为人民服务 ~发财}

::缺括号:: 党的性质？{=先锋队 ~俱乐部

::权重错:: 选出正确的 {
  ~%50%甲
  ~%4O%乙
  ~丙
}

::权重和:: 选 {~%40%a ~%40%b ~c}

::数值:: 圆周率 {#abc}

::配对:: 配 {=a -> b =c}

::粘连一:: 题一 {T}
::粘连二:: 题二 {maybe}

::空选项:: 选 {=甲 ~ ~丙}
"""


def test_broken_file_reports_every_error_with_line_and_title():
    with pytest.raises(ImportErrors) as exc:
        parse_gift(BROKEN)
    assert exc.value.errors == [
        "第 5 行（“缺括号”）：答案块缺少结尾的“}”（文字中的 { 须写成 \\{）",
        "第 9 行（“权重错”）：权重格式错误“%4O%乙”（应为 %50% 或 %-50%）",
        "第 13 行（“权重和”）：多选题正确选项的权重之和须为 100%（现为 80%）",
        "第 15 行（“数值”）：数值题的答案“abc”不是数字（应为 3.14、3.14:0.01 或 1..5）",
        "第 17 行（“配对”）：配对题的每一项须写成“=子问题 -> 答案”：“c”",
        "第 20 行（“粘连一”）：一道题只能有一个答案块（两道题之间须空一行）",
        "第 20 行（“粘连二”）：无法识别的答案“maybe”（答案须以 = 或 ~ 开头）",
        "第 22 行（“空选项”）：选项 B 的内容为空",
    ]


def test_broken_file_writes_nothing_through_the_admin(org, client):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin = get_user_model().objects.create_superuser("boss", "b@example.com", "pw-x-12345")
    client.force_login(admin)
    upload = SimpleUploadedFile("bank.gift", BROKEN.encode())
    r = client.post("/admin/academy/questions/import/", {"file": upload, "owner_unit": org.root.pk})
    page = r.content.decode()
    assert r.status_code == 200 and "共 8 处错误" in page
    for line, title in ((5, "缺括号"), (9, "权重错"), (15, "数值"), (20, "粘连二"), (22, "空选项")):
        assert f"第 {line} 行（“{title}”）" in page
    assert Question.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("::t 题 {T}", "题目名称缺少结尾"),
        ("题 } 后 {T}", "缺少开头的“{”"),
        ("题 {=a {b} ~c}", "不能再有“{”"),
        ("题 {~a}", "至少需要两个选项"),
        ("题 {=%50%a ~b}", "不能再写权重"),
        ("题 {~%150%a ~b}", "超出 -100% 到 100%"),
        ("题 {~a ~b}", "没有权重为正的正确选项"),
        ("题 {=a -> b}", "至少需要两组"),
        ("题 {=a -> }", "“->”后须有内容"),
        ("题 {=%50%a}", "满分"),
        ("题 {#5..1}", "最小值大于最大值"),
        ("题 {#3:-1}", "不能为负数"),
        ("题 {#=%50%3}", "满分"),
        ("::只有标题::", "题干为空"),
        ("$CATEGORY:\n\n题 {T}", "$CATEGORY 后缺少分类名称"),
        ("// 只有注释", "没有题目"),
    ],
)
def test_each_refusal_names_the_problem(text, fragment):
    with pytest.raises(ImportErrors) as exc:
        parse_gift(text)
    assert any(fragment in e for e in exc.value.errors), exc.value.errors


XSS = [
    "[html]<script>alert(1)</script>题 {T}",
    '[html]<img src="x" onerror="alert(1)">题 {T}',
    '[html]<a href="javascript:alert(1)">点我</a> {T}',
    '[html]<svg onload="alert(1)"></svg><iframe src="javascript:alert(1)"></iframe>题 {T}',
    "[markdown][点我](javascript:alert(1)) <script>alert(1)</script> {T}",
    "[markdown]![x](javascript:alert(1)) <img src=x onerror=alert(1)> {T}",
    '<b onmouseover="alert(1)">默认格式</b><script>alert(1)</script> {T}',
    '[moodle]<a href="JaVaScRiPt:alert(1)">x</a> {T}',
    "html 选项 {=[html]<img src\\=x onerror\\=alert(1)>甲 #[html]<script>alert(1)</script> ~乙}",
    '反馈 {T#[html]<a href="javascript:alert(1)">x</a>####[html]<script>alert(1)</script>}',
]


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.bad: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "svg", "object", "embed", "style"):
            self.bad.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.bad.append(name)
            if (value or "").strip().lower().startswith(("javascript:", "data:", "vbscript:")):
                self.bad.append(f"{name}={value}")


def _dangerous(html: str) -> list[str]:
    """Executable parts a browser would find in this HTML (escaped text is harmless)."""
    parser = _Tags()
    parser.feed(html)
    return parser.bad


@pytest.mark.parametrize("text", XSS)
def test_formatted_texts_are_sanitised(text, org):
    draft = one(text)
    (q,) = questions_import(drafts=[draft], owner_unit=org.root)
    q.refresh_from_db()
    texts = [q.stem, q.explanation, *q.feedback.values()]
    texts += [o[k] for o in q.options for k in ("text", "feedback") if k in o]
    shown = [question_text_html(t, q.text_format) for t in texts]
    assert not any(_dangerous(s) for s in shown), shown
    if q.text_format == "html":  # the stored HTML is already clean
        assert not any(_dangerous(t) for t in texts), texts


def test_plain_text_is_escaped_when_shown():
    assert question_text_html("<script>x</script>\n行", "plain") == (
        "&lt;script&gt;x&lt;/script&gt;<br>\n行"
    )


def test_html_edited_by_hand_is_cleaned_on_save_and_when_shown(org):
    q = Question.objects.create(
        type="true_false",
        stem='<p onclick="x()">题</p><script>alert(1)</script>',
        text_format="html",
        answer=True,
        owner_unit=org.root,
        options=[],
    )
    q.refresh_from_db()
    assert q.stem == "<p>题</p>"
    Question.objects.filter(pk=q.pk).update(stem="<img src=x onerror=alert(1)>")
    q.refresh_from_db()
    assert not _dangerous(question_text_html(q.stem, q.text_format))


# --- manage.py import_questions ------------------------------------------------------------

GOOD = """$CATEGORY: $course$/top/安全/消防

::灭火器:: 干粉灭火器适用于电器火灾。{T}

::电话:: 火警电话是 {#119}

::要点:: 谈谈消防要点。{}
"""


def _file(tmp_path: Path, text: str, name: str = "bank.gift") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_command_dry_run_writes_nothing(org, tmp_path):
    out = io.StringIO()
    call_command("import_questions", _file(tmp_path, GOOD), "--unit", "A", "--dry-run", stdout=out)
    assert "校验通过" in out.getvalue() and "3 道题" in out.getvalue()
    assert Question.objects.count() == 0


def test_command_imports_into_the_unit(org, tmp_path):
    out = io.StringIO()
    call_command("import_questions", _file(tmp_path, GOOD), "--unit", "A", stdout=out)
    assert "导入完成：3 道试题" in out.getvalue()
    qs = Question.objects.order_by("id")
    assert [q.type for q in qs] == ["true_false", "numerical", "essay"]
    assert {q.owner_unit_id for q in qs} == {org.a.pk}
    assert {q.category for q in qs} == {"安全/消防"}


def test_command_lists_every_error_and_writes_nothing(org, tmp_path):
    err = io.StringIO()
    with pytest.raises(CommandError, match="8 处错误，未导入任何试题"):
        call_command("import_questions", _file(tmp_path, BROKEN), "--unit", "A", stderr=err)
    assert "第 5 行（“缺括号”）" in err.getvalue() and "第 22 行（“空选项”）" in err.getvalue()
    assert Question.objects.count() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--unit", "NOPE"], "党组织代码“NOPE”不存在"),
        (["--unit", "A", "--dry-run"], "找不到文件"),
    ],
)
def test_command_bad_arguments(org, tmp_path, args, message):
    path = _file(tmp_path, GOOD) if "NOPE" in args else str(tmp_path / "missing.gift")
    with pytest.raises(CommandError, match=message):
        call_command("import_questions", path, *args)
    assert Question.objects.count() == 0


def test_command_refuses_non_utf8_with_the_line(org, tmp_path):
    path = tmp_path / "gbk.gift"
    path.write_bytes("第一题 {T}\n\n第二题 {F}".encode("gbk"))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_questions", str(path), "--unit", "A", stderr=err)
    assert "gbk.gift 第 1 行：不是 UTF-8 编码" in err.getvalue()
