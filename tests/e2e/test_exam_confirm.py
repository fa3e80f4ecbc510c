"""Handing in an exam asks first, in real Chromium on a phone: the dialog says how many
questions are still unanswered; "继续答题" goes back to the paper with nothing handed
in; "确定交卷" hands it in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import login, wait_for
from tests.factories import PASSWORD, make_org_tree, member_in
from tests.portal import factories as f

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("browser"),  # one Chromium per run (tests/e2e/conftest.py)
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_submitting_an_exam_asks_for_confirmation_naming_unanswered_questions(
    live_server, browser, screenshot
):
    from elearning.models import Attempt

    org = make_org_tree()
    member = member_in(org.b1, username="exam_taker")
    _, exam = f.course_with_exam(org.root, questions=3)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    login(page, live_server.url, "exam_taker", PASSWORD)
    page.goto(f"{live_server.url}/learn/exams/{exam.pk}/")
    page.get_by_role("button", name="开始考试").click()
    page.wait_for_selector("#exam-form")
    expect(page.get_by_test_id("question-type").first).to_have_text("单选题")
    attempt = Attempt.objects.get(member=member, exam=exam)

    boxes = page.locator(".question[data-qid]")
    boxes.nth(0).locator('input[value="A"]').check()
    page.get_by_role("button", name="交卷").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("还有 2 题未作答")
    screenshot(page, "phone-exam-confirm")
    dialog.get_by_role("button", name="继续答题").click()
    expect(dialog).to_be_hidden()
    page.wait_for_timeout(500)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.IN_PROGRESS
    assert "/result/" not in page.url

    for i in (1, 2):
        boxes.nth(i).locator('input[value="A"]').check()
    page.get_by_role("button", name="交卷").click()
    expect(dialog).to_contain_text("所有题目均已作答")
    dialog.get_by_role("button", name="确定交卷").click()
    page.wait_for_url(re.compile(r"/result/$"))
    wait_for(
        lambda: Attempt.objects.get(pk=attempt.pk).status == Attempt.Status.SUBMITTED,
        timeout=10,
        message="the attempt to be submitted",
    )
    attempt.refresh_from_db()
    assert attempt.passed
    context.close()
