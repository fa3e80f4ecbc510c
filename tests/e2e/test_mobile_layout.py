"""The portal's main pages on a phone (390×844, Chromium) on the demo data: nothing
scrolls sideways, the header leaves the screen to the content (≤ 100 px), no visible
text is smaller than 11 px, numbers in statistics and charts stay on one line, and
leaderboard names are never broken one character per line (on a desktop either).
Screenshots of every page go to test-artifacts/screenshots/ (git-ignored)."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.helpers import login

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("browser"),  # one Chromium per run (tests/e2e/conftest.py)
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}
HEADER_MAX_PX = 100
MIN_FONT_PX = 11
# elements holding one number (a count, a percentage, a score): one line each
NUMBERS = "td.num, th.num, .bars-value, .points, [data-testid=score]"
NAMES = "section[aria-labelledby=lb-m] tbody td:nth-child(2)"  # the people's board: names

# What a reader sees, measured in the page: sideways overflow, the header's height, text
# under the minimum size (SVG text by its on-screen scale), and the elements above that
# wrap onto more than one line.
MEASURE = """
([numbers, names, minFont]) => {
  const lines = (el) => {
    const r = document.createRange(); r.selectNodeContents(el);
    const tops = [];
    for (const rect of r.getClientRects()) {
      if (rect.width < 1 || rect.height < 1) continue;
      if (!tops.some((t) => Math.abs(t - rect.top) < 3)) tops.push(rect.top);
    }
    return tops.length;
  };
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode; const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || el.closest('.visually-hidden, script, style, noscript, option')) continue;
    const r = document.createRange(); r.selectNodeContents(node);
    const box = r.getBoundingClientRect();
    if (box.width < 1 || box.height < 1) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    if (el instanceof SVGElement && el.getScreenCTM()) {
      const m = el.getScreenCTM(); size *= Math.hypot(m.a, m.b);
    }
    if (size < minFont) small.push(`${text.slice(0, 24)} (${size.toFixed(1)}px)`);
  }
  const wrapped = (selector) => [...document.querySelectorAll(selector)]
    .filter((el) => el.textContent.trim() && lines(el) > 1)
    .map((el) => `${el.textContent.trim().slice(0, 24)} (${lines(el)} lines)`);
  const header = document.querySelector('.site-header');
  return {
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth: window.innerWidth,
    header: header ? Math.round(header.getBoundingClientRect().height) : 0,
    small: small.slice(0, 8),
    numbers: wrapped(numbers).slice(0, 8),
    names: wrapped(names).slice(0, 8),
    numberCount: document.querySelectorAll(numbers).length,
    nameCount: document.querySelectorAll(names).length,
  };
}
"""


def _problems(page) -> list[str]:
    m = page.evaluate(MEASURE, [NUMBERS, NAMES, MIN_FONT_PX])
    out = []
    if m["scrollWidth"] > m["innerWidth"]:
        out.append(f"scrolls sideways: {m['scrollWidth']} px wide at {m['innerWidth']} px")
    if m["header"] > HEADER_MAX_PX:
        out.append(f"header {m['header']} px high (at most {HEADER_MAX_PX})")
    if m["small"]:
        out.append(f"text under {MIN_FONT_PX} px: {m['small']}")
    if m["numbers"]:
        out.append(f"numbers wrap: {m['numbers']}")
    if m["names"]:
        out.append(f"leaderboard names wrap: {m['names']}")
    return out


def _settle(page) -> None:
    """Scroll through once so lazy covers load into the screenshot, then back up."""
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")


def _ensure_wagtail_tree() -> None:
    from wagtail.models import Collection, Locale, Page

    Locale.objects.get_or_create(language_code="zh-hans")
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root"))
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")


def _play_contest(contest, members) -> None:
    """Finished entries for the leaderboards: each member gets a different number right
    (through the contest service, as a member's answers would)."""
    from elearning.contests import services as contests
    from elearning.models import Question

    for i, member in enumerate(members):
        state = contests.contest_enter(contest=contest, member=member)
        while state["question"]:
            q = Question.objects.get(pk=state["question"]["id"])
            right = state["answered"] < 2 + i % 4
            if q.type == "true_false":
                truth = bool(q.answer[0] if isinstance(q.answer, list) else q.answer)
                answer = truth if right else not truth
            elif q.type == "multiple":
                others = [o["key"] for o in q.options if o["key"] not in q.answer]
                answer = q.answer if right else others[:1]
            else:
                others = [o["key"] for o in q.options if o["key"] not in q.answer]
                answer = q.answer[0] if right else others[0]
            state = contests.contest_answer(
                contest=contest, member=member, question_id=q.pk, answer=answer
            )


def test_main_pages_fit_a_phone(live_server, browser, screenshot):
    from cms.models import Book
    from elearning.models import Contest, Course, Exam, Lesson
    from organizations.demo import demo_password
    from organizations.models import Member

    _ensure_wagtail_tree()
    call_command("seed_demo")
    password = demo_password()
    base = live_server.url
    contest = Contest.objects.order_by("id").first()
    _play_contest(contest, list(Member.objects.select_related("unit").order_by("id")[:12]))
    course = Course.objects.filter(is_published=True).order_by("id").first()
    lesson = Lesson.objects.filter(course=course).order_by("sort_order", "id").first()
    exam = Exam.objects.filter(course=course, is_published=True).order_by("id").first()
    plain_book = Book.objects.filter(is_published=True, cover__isnull=True).order_by("id").first()

    problems: dict[str, list[str]] = {}

    def check(page, name: str) -> None:
        _settle(page)
        screenshot(page, f"phone-{name}")
        found = _problems(page)
        if found:
            problems[name] = found

    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=2)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    check(page, "login")
    login(page, base, "member", password)
    pages = {
        "home": "/",
        "news-list": "/news/",
        "bookshelf": "/books/",
        "book": f"/books/{plain_book.pk}/",
        "course": f"/learn/courses/{course.pk}/",
        "lesson": f"/learn/lessons/{lesson.pk}/",
        "exam": f"/learn/exams/{exam.pk}/",
        "contest": f"/contests/{contest.pk}/",
        "leaderboard": f"/contests/{contest.pk}/leaderboard/",
        "search": "/search/?q=党员",
    }
    for name, path in pages.items():
        assert page.goto(base + path).status == 200, path
        check(page, name)
        if name == "news-list":
            first = page.locator("[data-testid=news-list] a.item-title").first
            first.click()
            page.wait_for_load_state()
            check(page, "news-detail")
        if name == "bookshelf":
            # the demo's books are by many authors, not all by 本书编写组
            authors = set(page.locator(".book-card-authors").all_inner_texts())
            assert len(authors) >= 8, authors
        if name == "leaderboard":
            assert page.locator(NAMES).count() >= 10

    page.goto(f"{base}/learn/exams/{exam.pk}/")
    page.get_by_role("button", name=re.compile("开始考试|继续答题")).click()
    page.wait_for_selector("#exam-form")
    check(page, "exam-paper")
    context.close()

    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=2)
    page = context.new_page()
    login(page, base, "secretary_g01", password)
    page.goto(f"{base}/dashboard/")
    expect(page.get_by_test_id("report-table")).to_be_visible()
    check(page, "dashboard")
    context.close()

    # the leaderboard on a desktop: the names column is wide enough for a name
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    login(page, base, "member", password)
    page.goto(f"{base}/contests/{contest.pk}/leaderboard/")
    screenshot(page, "desktop-leaderboard")
    found = [p for p in _problems(page) if "names" in p]
    if found:
        problems["desktop-leaderboard"] = found
    context.close()

    assert not problems, "\n".join(f"{name}: {'; '.join(p)}" for name, p in problems.items())
