"""GIFT and Excel import (all-or-nothing, errors with line/row numbers) and export."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from elearning.exams.question_io import (
    HEADERS,
    ImportErrors,
    export_excel,
    parse_excel,
    parse_gift,
    questions_import,
)
from elearning.models import Question

GIFT = """// 党章知识 GIFT 示例
$CATEGORY: $course$/top/党章/总纲

::Q1:: 中国共产党的最高理想和最终目标是什么？ {
  =实现共产主义 #正确
  ~实现小康社会
  ~实现现代化
  ####见党章总纲
}

::Q2:: 党员必须履行义务、行使权利。{T}

::Q3:: 入党誓词的宣誓对象是党组织。{FALSE}

::Q4:: 党的建设的基本要求包括 {
  ~%50%坚持党的基本路线
  ~%50%坚持解放思想，实事求是
  ~%-100%坚持个人利益至上
}

::Q5:: 中国共产党党员是中国工人阶级的有{=共产主义觉悟 =共产主义觉悟的}先锋战士。

$CATEGORY: 纪律
::Q6:: 党的纪律处分包括几种？{=五种 ~三种 ~四种}
"""


def test_gift_subset_is_parsed():
    drafts = parse_gift(GIFT)
    assert [d.type for d in drafts] == [
        "single",
        "true_false",
        "true_false",
        "multiple",
        "fill",
        "single",
    ]
    q1 = drafts[0]
    assert q1.title == "Q1" and q1.category == "党章/总纲"
    assert q1.answer == ["A"] and [o["text"] for o in q1.options][0] == "实现共产主义"
    assert q1.explanation == "见党章总纲"
    assert drafts[1].answer is True and drafts[2].answer is False
    multi = drafts[3]
    assert multi.answer == ["A", "B"] and multi.options[0]["weight"] == 50.0
    fill = drafts[4]
    assert fill.answer == ["共产主义觉悟", "共产主义觉悟的"]
    assert "____" in fill.stem and fill.stem.endswith("先锋战士。")
    assert drafts[5].category == "纪律"


@pytest.mark.parametrize(
    "text,line,fragment",
    [
        ("::a:: 题干 {=对 ~错", 1, "缺少结尾"),
        ("\n\n题干 {=}", 3, "内容为空"),
        ("// c\n::x:: 题干 {=a ~b}\n::y:: 题干 {T}", 3, "须空一行"),
        ("q {=a ~b}{T}", 1, "只能有一个答案块"),
        ("q {~%40%a ~%40%b ~c}", 1, "100%"),
        ("q {maybe}", 1, "无法识别"),
    ],
)
def test_gift_syntax_errors_name_the_line(text, line, fragment):
    with pytest.raises(ImportErrors) as exc:
        parse_gift(text)
    assert exc.value.errors[0].startswith(f"第 {line} 行")
    assert fragment in exc.value.errors[0]


def test_gift_error_anywhere_imports_nothing(org):
    bad = GIFT + "\n\n::bad:: 题干 {=a ~b\n"
    with pytest.raises(ImportErrors) as exc:
        parse_gift(bad)
    bad_line = len(GIFT.splitlines()) + 3
    assert exc.value.errors == [
        f"第 {bad_line} 行（“bad”）：答案块缺少结尾的“}}”（文字中的 {{ 须写成 \\{{）"
    ]
    assert Question.objects.count() == 0


def _xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD_ROW = [
    "单选",
    "党的根本宗旨是？",
    "全心全意为人民服务",
    "发展经济",
    "",
    "",
    "",
    "",
    "A",
    "",
    "党章",
    "易",
    "宗旨",
]


def test_excel_import_reports_each_bad_row_and_imports_nothing(org):
    data = _xlsx(
        [
            GOOD_ROW,
            ["多选", "题干", "甲", "乙", "", "", "", "", "AC", "", "党章", "中", ""],
            ["问答", "题干", "", "", "", "", "", "", "x", "", "", "", ""],
            ["判断", "题干", "", "", "", "", "", "", "也许", "", "", "", ""],
            ["填空", "", "", "", "", "", "", "", "x", "", "", "", ""],
        ]
    )
    with pytest.raises(ImportErrors) as exc:
        parse_excel(data, filename="题库.xlsx")
    errs = exc.value.errors
    assert [e.split("：")[0] for e in errs] == [
        "题库.xlsx 第 3 行",
        "题库.xlsx 第 4 行",
        "题库.xlsx 第 5 行",
        "题库.xlsx 第 6 行",
    ]
    assert Question.objects.count() == 0


def test_excel_roundtrip(org):
    data = _xlsx(
        [
            GOOD_ROW,
            [
                "多选",
                "四个意识包括？",
                "政治意识",
                "大局意识",
                "享乐意识",
                "",
                "",
                "",
                "AB",
                "解析",
                "理论",
                "难",
                "",
            ],
            ["判断", "党员可以信仰宗教。", "", "", "", "", "", "", "错误", "", "纪律", "中", ""],
            [
                "填空",
                "党的性质是____先锋队。",
                "",
                "",
                "",
                "",
                "",
                "",
                "工人阶级|中国工人阶级",
                "",
                "党章",
                "",
                "",
            ],
        ]
    )
    created = questions_import(drafts=parse_excel(data), owner_unit=org.root)
    assert len(created) == 4
    assert Question.objects.get(type="true_false").answer is False
    again = parse_excel(export_excel(Question.objects.order_by("id")))
    assert [(d.type, d.stem, d.answer) for d in again] == [
        (q.type, q.stem, q.answer) for q in Question.objects.order_by("id")
    ]
    ws = load_workbook(io.BytesIO(export_excel(Question.objects.all()))).active
    assert [c.value for c in ws[1]] == HEADERS


def test_not_an_excel_file():
    with pytest.raises(ImportErrors) as exc:
        parse_excel(b"not a zip", filename="x.xlsx")
    assert "x.xlsx" in exc.value.errors[0]


def test_admin_import_view_shows_errors_and_imports_nothing(org, client):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin = get_user_model().objects.create_superuser("boss", "b@example.com", "pw-x-12345")
    client.force_login(admin)
    bad = SimpleUploadedFile("bank.gift", "::a:: 题干 {=对 ~错".encode())
    r = client.post("/admin/academy/questions/import/", {"file": bad, "owner_unit": org.root.pk})
    assert r.status_code == 200 and "第 1 行" in r.content.decode()
    assert Question.objects.count() == 0
    good = SimpleUploadedFile("bank.gift", GIFT.encode())
    r = client.post("/admin/academy/questions/import/", {"file": good, "owner_unit": org.root.pk})
    assert r.status_code == 302 and Question.objects.count() == 6
