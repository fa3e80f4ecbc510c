"""The question types GIFT brought into the bank, beyond the import: how they are graded,
which of them exams and contests draw, how the admin edits them, the Excel round trip
and the safe HTML the API serves."""

from __future__ import annotations

import pytest
from django.urls import reverse

from elearning.exams import grading
from elearning.exams import services as exams
from elearning.exams.question_io import export_excel, parse_excel, parse_gift, questions_import
from elearning.models import Exam, Question
from tests.factories import member_in, user_with_role


@pytest.fixture
def instructor_a(org):
    from django.contrib.auth.models import Group, Permission

    user = user_with_role(org.a, "instructor")
    group, _ = Group.objects.get_or_create(name="academy-test")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="elearning"),
        Permission.objects.get(codename="access_admin"),
    )
    user.groups.add(group)
    return user


def q_from(text: str, org) -> Question:
    (q,) = questions_import(drafts=parse_gift(text), owner_unit=org.root)
    return q


@pytest.mark.parametrize(
    ("gift", "answer", "earned"),
    [
        ("π {#3.14:0.01}", "3.145", 10),
        ("π {#3.14:0.01}", "3,14", 10),  # a decimal comma
        ("π {#3.14:0.01}", "３.１４", 10),  # full-width digits
        ("π {#3.14:0.01}", 3.14, 10),  # a JSON number
        ("π {#3.14:0.01}", "3.2", 0),
        ("π {#3.14:0.01}", "三点一四", 0),
        ("1 到 5 {#1..5}", "5", 10),
        ("1 到 5 {#1..5}", "5.01", 0),
        ("建党 {#=1921:0 =%50%1921:2}", "1921", 10),
        ("建党 {#=1921:0 =%50%1921:2}", "1920", 5),
        ("建党 {#=1921:0 =%50%1921:2}", "1918", 0),
        ("二加二 {=四 =%50%五}", "五", 5),
        ("二加二 {=四 =%50%五}", " 四 ", 10),
        ("选 {=全对 ~%50%半对 ~错}", "B", 5),
        ("选 {=全对 ~%50%半对 ~%-50%扣分}", "C", 0),  # never below 0
        ("多选 {~%50%a ~%50%b ~%-50%c ~d}", ["A", "B"], 10),
        ("多选 {~%50%a ~%50%b ~%-50%c ~d}", ["A", "C"], 0),
        ("多选 {~%50%a ~%50%b ~%-25%c ~d}", ["A", "B", "C"], 7.5),  # a penalty subtracts
        ("多选 {~%50%a ~%50%b ~%-25%c ~d}", ["A", "B", "D"], 0),  # an unweighted wrong one: 0
    ],
)
def test_grading_of_gift_questions(org, gift, answer, earned):
    q = q_from(gift, org)
    grading.validate_answer(q, answer)
    assert grading.grade_question(q, answer, 10) == earned


BANK = """$CATEGORY: 安全
::s1:: 单选 {=对 ~错}

::n1:: 数值 {#119}

::e1:: 问答 {}

$CATEGORY: 安全/消防
::t1:: 判断 {T}

::m1:: 配对 {=a -> 1 =b -> 2}

::d1:: 说明文字。

$CATEGORY: 安全生产
::x1:: 别的分类 {T}
"""


def test_exams_draw_auto_graded_types_from_the_category_and_below(org):
    questions_import(drafts=parse_gift(BANK), owner_unit=org.root)
    exam = Exam.objects.create(title="安全考试", audience_unit=org.root, is_published=True)
    exam.rules.create(category="安全", count=3, points=10)
    member = member_in(org.a1)
    attempt = exams.attempt_start(exam=exam, member=member)
    drawn = Question.objects.filter(pk__in=[i["id"] for i in attempt.questions])
    # not the essay, the matching question or the description; not "安全生产"
    assert {q.title for q in drawn} == {"s1", "n1", "t1"}
    numerical = drawn.get(title="n1")
    done = exams.attempt_submit(
        attempt=attempt, answers={str(numerical.pk): "119"}, idempotency_key="k"
    )
    assert done.per_question[str(numerical.pk)] == 10


def test_an_exam_asking_for_more_than_the_graded_questions_is_refused(org):
    from elearning.errors import AcademyError

    questions_import(drafts=parse_gift(BANK), owner_unit=org.root)
    exam = Exam.objects.create(title="安全考试", audience_unit=org.root, is_published=True)
    exam.rules.create(category="安全", count=4, points=10)
    with pytest.raises(AcademyError) as exc:
        exams.attempt_start(exam=exam, member=member_in(org.a1))
    assert exc.value.code == "bank_too_small"


def test_contests_offer_and_ask_only_auto_graded_questions(org):
    import datetime as dt

    from django.utils import timezone

    from elearning.contests.services import contest_enter
    from elearning.models import Contest

    qs = questions_import(drafts=parse_gift(BANK), owner_unit=org.root)
    now = timezone.now()
    contest = Contest.objects.create(
        title="竞答",
        audience_unit=org.root,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=1),
        is_published=True,
    )
    contest.questions.set(qs)  # an essay slipped in by hand is never asked
    state = contest_enter(contest=contest, member=member_in(org.a1))
    assert state["total"] == 4


def test_the_contest_form_offers_only_auto_graded_questions(org, admin_client):
    questions_import(drafts=parse_gift(BANK), owner_unit=org.root)
    r = admin_client.get(reverse("elearning_contests:add"))
    offered = {q.type for q in r.context["form"].fields["questions"].queryset}
    assert offered == {"single", "numerical", "true_false"}


GIFT_ALL = """$CATEGORY: 党章/总纲
::单选:: 最高理想？{=共产主义 #对 ~小康 ~%-50%发财}

::多选:: 要求 {~%50%甲 ~%50%乙 ~%-100%丙}

::判断:: 党员必须履行义务。{TRUE#错了#对了}

::填空:: 二加二 {=四 =%50%五}

::数值:: 建党 {#=1921:0 =%50%1921:2}

::配对:: 配对 {=加拿大 -> 渥太华 =意大利 -> 罗马 = -> 巴黎}

::问答:: 谈谈体会 {}

::说明:: 以下为说明。

::格式:: [html]<p>加<b>粗</b></p>{T}
"""


def _carried(q) -> tuple:
    """What the Excel template carries (not per-answer feedback)."""
    options = [{k: v for k, v in o.items() if k != "feedback"} for o in q.options]
    answer = q.answer
    if isinstance(answer, list):
        answer = [
            {k: v for k, v in a.items() if k != "feedback"} if isinstance(a, dict) else a
            for a in answer
        ]
    return (q.type, q.stem, options, answer, q.category, q.text_format)


def test_every_type_survives_the_excel_round_trip(org):
    questions_import(drafts=parse_gift(GIFT_ALL), owner_unit=org.root)
    bank = list(Question.objects.order_by("id"))
    assert len(bank) == 9
    again = questions_import(drafts=parse_excel(export_excel(bank)), owner_unit=org.a)
    assert [_carried(q) for q in again] == [_carried(q) for q in bank]


@pytest.mark.parametrize("title", ["单选", "多选", "判断", "填空", "数值", "配对", "问答", "说明"])
def test_imported_questions_open_and_save_in_the_admin(org, instructor_a, client, title):
    questions_import(drafts=parse_gift(GIFT_ALL), owner_unit=org.a)
    q = Question.objects.get(title=title)
    before = (q.type, q.options, q.answer, q.feedback)
    client.force_login(instructor_a)
    url = reverse("elearning_questions:edit", args=[q.pk])
    r = client.get(url)
    assert r.status_code == 200
    form = r.context["form"]
    data = {
        "type": q.type,
        "difficulty": str(q.difficulty),
        "category": q.category,
        "title": q.title,
        "stem": q.stem,
        "options_text": form.initial.get("options_text", ""),
        "answer_text": form.initial.get("answer_text", ""),
        "explanation": q.explanation,
        "tags": q.tags,
        "owner_unit": str(org.a.pk),
    }
    r = client.post(url, data)
    assert r.status_code == 302, r.context["form"].errors if r.context else r
    q.refresh_from_db()
    assert (q.type, q.options, q.answer, q.feedback) == before  # feedback kept too


def test_admin_adds_a_numerical_and_a_matching_question(org, instructor_a, client):
    client.force_login(instructor_a)
    base = {"difficulty": "2", "category": "数学", "title": "", "explanation": "", "tags": ""}
    base["owner_unit"] = str(org.a.pk)
    r = client.post(
        reverse("elearning_questions:add"),
        {**base, "type": "numerical", "stem": "π", "options_text": "", "answer_text": "3.14:0.01"},
    )
    assert r.status_code == 302
    r = client.post(
        reverse("elearning_questions:add"),
        {
            **base,
            "type": "matching",
            "stem": "配对",
            "options_text": "中国 -> 北京\n日本 -> 东京\n-> 首尔",
            "answer_text": "",
        },
    )
    assert r.status_code == 302
    assert Question.objects.get(type="numerical").answer == [
        {"value": 3.14, "tolerance": 0.01, "weight": 100}
    ]
    assert Question.objects.get(type="matching").answer == {
        "pairs": {"A": "北京", "B": "东京"},
        "extra": ["首尔"],
    }


def test_attempts_serve_safe_html_for_formatted_questions(org, client_for):
    q = q_from('[html]<p onclick="x()">加<b>粗</b></p><script>alert(1)</script>{T}', org)
    Question.objects.filter(pk=q.pk).update(category="格式")
    from elearning.models import ExamRule

    exam = Exam.objects.create(title="格式", audience_unit=org.root, is_published=True)
    ExamRule.objects.create(exam=exam, category="格式", count=1, points=10)
    c = client_for(member_in(org.a1).user)
    r = c.post(f"/api/v1/exams/{exam.pk}/attempts/")
    assert r.status_code == 201, r.json()
    (served,) = r.json()["questions"]
    assert served["text_format"] == "html"
    assert served["stem_html"] == "<p>加<b>粗</b></p>"


PORTAL_BANK = """$CATEGORY: 格式
::html:: [html]<p>加<b>粗</b><img src\\=x onerror\\=alert(1)></p>{=[html]<i>斜体</i> ~正体}

::num:: 建党年份？{#1921:0}
"""


def test_the_portal_shows_formatted_texts_safely_and_numerical_answers(org):
    from django.test import Client

    from elearning.models import Attempt, ExamRule

    questions_import(drafts=parse_gift(PORTAL_BANK), owner_unit=org.root)
    exam = Exam.objects.create(
        title="格式考试", audience_unit=org.root, is_published=True, attempts_allowed=1
    )
    ExamRule.objects.create(exam=exam, category="格式", count=2, points=50)
    client = Client()
    client.force_login(member_in(org.a1).user)
    url = client.post(f"/learn/exams/{exam.pk}/start/")["Location"]
    page = client.get(url).content.decode()
    assert "加<b>粗</b>" in page and "<i>斜体</i>" in page  # rendered, not escaped
    assert "onerror" not in page and "&lt;b&gt;" not in page
    attempt = Attempt.objects.get(pk=int(url.rstrip("/").split("/")[-1]))
    html_q = Question.objects.get(title="html")
    num_q = Question.objects.get(title="num")
    data = {"idempotency_key": "k", f"q{html_q.pk}": "A", f"q{num_q.pk}": "1921"}
    result = client.post(url, data)
    assert result.status_code == 302
    attempt.refresh_from_db()
    assert attempt.percent == 100.0
    review = client.get(result["Location"]).content.decode()
    assert "1921" in review and "斜体" in review and "{&#x27;value" not in review
