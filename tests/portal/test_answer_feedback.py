"""What a member is told about questions: the paper labels each question's type
(单选题/多选题/判断题/填空题), and a missed contest question shows its right answer — after
it was answered, never before (neither in the portal nor in the API)."""

from __future__ import annotations

import re

import pytest

from elearning.models import ExamRule, Question
from tests.portal import factories as f

pytestmark = pytest.mark.django_db


def _mixed_exam(unit):
    course, exam = f.course_with_exam(unit, questions=1)
    category = f"mixed-{exam.pk}"
    Question.objects.create(
        type="multiple", stem="多选题干", category=category, owner_unit=unit, answer=["A", "B"],
        options=[{"key": "A", "text": "甲"}, {"key": "B", "text": "乙"}, {"key": "C", "text": "丙"}],
    )  # fmt: skip
    Question.objects.create(
        type="true_false", stem="判断题干", category=category, owner_unit=unit, answer=[True]
    )
    Question.objects.create(
        type="fill", stem="填空题干", category=category, owner_unit=unit, answer=["党章"]
    )
    ExamRule.objects.create(exam=exam, category=category, count=3, points=25)
    return exam


def test_the_exam_paper_labels_single_multiple_and_true_false(org, member_b1, web_client):
    exam = _mixed_exam(org.root)
    client = web_client(member_b1.user)
    start = client.post(f"/learn/exams/{exam.pk}/start/")
    paper = client.get(start["Location"]).content.decode()

    def label(stem: str) -> str:
        legend = paper[: paper.index(stem)].rsplit("<legend>", 1)[1]
        return re.sub(r"<[^>]+>", "", legend)

    assert "单选题" in label("第1题题干")
    assert "多选题" in label("多选题干")
    assert "判断题" in label("判断题干")
    assert "填空题" in label("填空题干")


def test_the_submit_button_comes_with_a_confirmation_dialog(org, member_b1, web_client):
    _, exam = f.course_with_exam(org.root, questions=2)
    client = web_client(member_b1.user)
    paper = client.get(client.post(f"/learn/exams/{exam.pk}/start/")["Location"]).content.decode()
    dialog = paper[paper.index('<dialog class="confirm-dialog"') :].split("</dialog>")[0]
    assert "确认交卷" in dialog and "题未作答" in dialog and "确定交卷" in dialog


def _play(client, contest, answer: str):
    page = client.get(f"/contests/{contest.pk}/play/").content.decode()
    qid = re.search(r'name="question" value="(\d+)"', page).group(1)
    response = client.post(
        f"/contests/{contest.pk}/play/", {"question": qid, "type": "single", f"q{qid}": answer}
    )
    return page, response


def _contest_with_distinct_answers(unit, *, mode="fixed"):
    """Each question's right option has a text of its own, with an explanation."""
    contest = f.contest(unit, questions=3, mode=mode)
    for q in contest.questions.all():
        q.options = [{"key": "A", "text": f"正确选项{q.pk}"}, {"key": "B", "text": "错的"}]
        q.explanation = f"竞答解析{q.pk}"
        q.save()
    return contest


def test_a_missed_contest_question_shows_its_right_answer_after_answering(
    org, member_b1, web_client
):
    contest = _contest_with_distinct_answers(org.root)
    client = web_client(member_b1.user)
    first, _ = _play(client, contest, "B")  # wrong
    # the question itself carries neither its answer's mark nor the explanation
    assert "竞答解析" not in first and "正确答案" not in first
    second, _ = _play(client, contest, "A")  # right
    missed = re.search(r'name="question" value="(\d+)"', first).group(1)
    reveal = second[second.index('data-testid="contest-reveal"') :].split("</div>")[0]
    assert f"正确选项{missed}" in reveal and f"竞答解析{missed}" in reveal
    # the next question's answer is not given away with it
    current = re.search(r'name="question" value="(\d+)"', second).group(1)
    assert f"竞答解析{current}" not in second
    third = client.get(f"/contests/{contest.pk}/play/").content.decode()
    assert 'data-testid="contest-reveal"' not in third  # after a right answer: no reveal
    last_page, done = _play(client, contest, "B")  # the last one, wrong: the run ends
    last = re.search(r'name="question" value="(\d+)"', last_page).group(1)
    detail = client.get(done["Location"]).content.decode()
    assert "本次答对 1 / 3 题" in detail
    final = detail[detail.index('data-testid="contest-reveal"') :].split("</div>")[0]
    assert f"正确选项{last}" in final and f"竞答解析{last}" in final


def test_a_challenge_run_ending_on_a_miss_shows_the_answer(org, member_b1, web_client):
    contest = _contest_with_distinct_answers(org.root, mode="challenge")
    client = web_client(member_b1.user)
    page, done = _play(client, contest, "B")
    qid = re.search(r'name="question" value="(\d+)"', page).group(1)
    assert done["Location"] == f"/contests/{contest.pk}/"
    detail = client.get(done["Location"]).content.decode()
    assert "最后一题回答错误" in detail and f"正确选项{qid}" in detail


def test_the_contest_api_sends_an_answer_only_after_its_question_is_answered(
    org, member_b1, client_for
):
    contest = _contest_with_distinct_answers(org.root)
    api = client_for(member_b1.user)
    state = api.post(f"/api/v1/contests/{contest.pk}/entries/").json()
    asked = state["question"]
    # the question as first sent: its text (plain and sanitised HTML), never its answer
    assert set(asked) == {"id", "type", "text_format", "stem", "stem_html", "options"}
    assert all(set(o) == {"key", "text", "html"} for o in asked["options"])
    answered = api.post(
        f"/api/v1/contests/{contest.pk}/answers/",
        {"question": asked["id"], "answer": "B"},
        format="json",
    ).json()
    assert answered["last"]["correct"] is False
    revealed = answered["last"]["question"]
    assert revealed["id"] == asked["id"]
    assert revealed["answer"] == ["A"] and revealed["explanation"] == f"竞答解析{asked['id']}"
    assert "answer" not in answered["question"] and "explanation" not in answered["question"]
