"""End to end on the demo data, in real Chromium: the Tanzanian demo member studies the
compulsory course (the video PLAYS through hls.js, progress is recorded by the server),
passes the exam, and the branch secretary's dashboard shows them as completed. Also: an
out-of-scope news URL is 404, the exam page source never contains the answers, the pages
fit a 360 px phone screen, and the English switch works."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.helpers import login, logout, play_media, wait_for
from tests.portal import factories as f

# serialized_rollback: start from the migrated database (Wagtail's root page and
# collection come from data migrations that an earlier transactional test's flush removed).
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("browser"),  # one Chromium per run (tests/e2e/conftest.py)
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MEMBER, SECRETARY = "member", "secretary_tz"


def _compulsory_assignment(member):
    from elearning.models import Assignment
    from organizations.selectors import audience_paths_for_member

    assignment = (
        Assignment.objects.select_related("course")
        .filter(
            course__kind="compulsory",
            course__is_published=True,
            audience_unit__path__in=audience_paths_for_member(member),
            course__lessons__kind="video",
        )
        .order_by("id")
        .first()
    )
    assert assignment is not None, (
        "seed_demo made no compulsory course with a video lesson assigned to the demo "
        "member's scope (elearning.demo)"
    )
    return assignment


def _exam_answers(attempt) -> dict[int, tuple[str, object]]:
    from elearning.models import Question

    qs = {q.pk: q for q in Question.objects.filter(pk__in=[i["id"] for i in attempt.questions])}
    return {pk: (q.type, q.answer) for pk, q in qs.items()}


def _answer(page, qid: int, qtype: str, answer) -> None:
    box = f'.question[data-qid="{qid}"]'
    values = answer if isinstance(answer, list) else [answer]
    if qtype == "single":
        page.check(f'{box} input[value="{values[0]}"]')
    elif qtype == "multiple":
        for key in values:
            page.check(f'{box} input[value="{key}"]')
    elif qtype == "true_false":
        page.check(f'{box} input[value="{"true" if values[0] else "false"}"]')
    else:
        page.fill(f"{box} input[type=text]", str(values[0]))


def _ensure_wagtail_tree() -> None:
    """The rows Wagtail's data migrations make (a flush by an earlier transactional test
    on a reused database removes them; serialized_rollback restores them otherwise)."""
    from wagtail.models import Collection, Locale, Page

    Locale.objects.get_or_create(language_code="zh-hans")
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root"))
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")


def _fits_phone(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_member_studies_passes_and_secretary_sees_completion(
    live_server, browser, screenshot, settings, monkeypatch
):
    from elearning.models import Attempt, CourseProgress, LessonProgress
    from media_pipeline import demo as media_demo
    from organizations.demo import demo_password
    from organizations.models import Member, OrgUnit

    _ensure_wagtail_tree()
    # The member plays each clip to the end at the fastest rate the server accepts (2x),
    # so the clips' length is the test's length: the demo's 30 s audio made as long as its
    # video, 20 s (a lesson completes at ceil(90 %) of its seconds: a shorter clip leaves
    # the player's first fraction of a second no room).
    monkeypatch.setattr(media_demo, "AUDIO_SECONDS", media_demo.VIDEO_SECONDS)
    call_command("seed_demo")
    settings.EHOME_PORTAL_READING_HEARTBEAT_SECONDS = 2
    password = demo_password()
    base = live_server.url
    member = Member.objects.select_related("unit").get(user__username=MEMBER)
    assignment = _compulsory_assignment(member)
    course = assignment.course
    lessons = list(course.lessons.order_by("sort_order", "id"))
    # The demo's articles ask for minutes of reading; the test shortens that (the server
    # still measures it between heartbeats) so the run stays short.
    for lesson in lessons:
        if not lesson.is_timed_media:
            lesson.min_seconds = 3
            lesson.save(update_fields=["min_seconds"])
    hidden_news = f.news(OrgUnit.objects.get(code="G01-01"), title="北京项目党支部内部通知")
    assert hidden_news.url, "the demo site root does not route the news channel"

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    login(page, base, MEMBER, password)
    expect(page.get_by_role("heading", name="我的学习任务")).to_be_visible()
    expect(page.locator("main")).to_contain_text(course.title)
    # the deadline in the member's local time: the unit is in Dar es Salaam (UTC+3)
    expect(page.locator("main")).to_contain_text("当地时间 UTC+3")
    screenshot(page, "01-home")

    # out of scope: the page exists, but not for this member
    response = page.goto(f"{base}{hidden_news.url}")
    assert response.status == 404
    assert page.goto(f"{base}/news/{hidden_news.pk}/").status == 404

    page.goto(f"{base}/learn/courses/{course.pk}/")
    codecs = page.evaluate(
        "() => window.MediaSource && MediaSource.isTypeSupported('video/mp4; codecs=\"avc1.64001f,mp4a.40.2\"')"
    )
    assert codecs, "this chromium cannot decode H.264/AAC through Media Source Extensions"
    screenshot(page, "02-course")
    for lesson in lessons:
        page.goto(f"{base}/learn/lessons/{lesson.pk}/")
        if lesson.is_timed_media:
            info = play_media(page, rate=2.0)
            assert info["engine"] == "hls.js" and info["levelsLoaded"] and info["frags"] > 0, info
            if lesson.kind == "video":
                screenshot(page, "03-video-lesson")
                if lesson.media.storyboard_key:
                    assert info["storyboardCues"], "the storyboard VTT was not loaded"
        wait_for(
            lambda lesson=lesson: LessonProgress.objects.filter(
                member=member, lesson=lesson, completed_at__isnull=False
            ).exists(),
            timeout=40,
            message=f"lesson {lesson.title} to complete on the server",
        )
    assert any(u.endswith(".m3u8") and "master" not in u for u in requests), "no variant playlist"
    assert any(u.split("?")[0].endswith((".ts", ".m4s")) for u in requests), "no media segment"
    cp = wait_for(
        lambda: CourseProgress.objects.filter(
            member=member, course=course, lessons_completed=len(lessons)
        ).first(),
        timeout=20,
        message="the course progress to count every lesson",
    )

    # the exam: the page source never carries answers; autosave; submit; result
    exam = next(e for e in course.exams.all() if e.is_published)
    page.goto(f"{base}/learn/exams/{exam.pk}/")
    page.get_by_role("button", name=re.compile("开始考试|继续答题")).click()
    page.wait_for_selector("#exam-form")
    attempt = Attempt.objects.filter(member=member, exam=exam, status="in_progress").latest("id")
    source = page.request.get(page.url).text()
    answers = _exam_answers(attempt)
    from elearning.models import Question

    drawn = list(Question.objects.filter(pk__in=answers))
    # what the paper legitimately shows: every drawn stem and option text
    visible = "".join(q.stem + "".join(o.get("text", "") for o in q.options) for q in drawn)
    # the paper itself (the site's navigation may name a word that is also an answer: 党费)
    paper = source[source.index('id="exam-form"') :]
    paper = paper[: paper.index("</form>")]
    for q in drawn:
        if q.explanation:
            assert q.explanation not in source
        if q.type == "fill":
            for accepted in q.answer:
                assert paper.count(accepted) <= visible.count(accepted), accepted
    assert '"answer"' not in source and "explanation" not in source
    screenshot(page, "04-exam")
    for qid, (qtype, answer) in answers.items():
        _answer(page, qid, qtype, answer)
    wait_for(
        lambda: len(Attempt.objects.get(pk=attempt.pk).answers) == len(answers),
        timeout=20,
        message="answers to autosave",
    )
    page.get_by_role("button", name="交卷").click()
    page.get_by_role("dialog").get_by_role("button", name="确定交卷").click()
    page.wait_for_url(re.compile(r"/result/$"))
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.passed
    screenshot(page, "05-exam-result")
    wait_for(
        lambda: CourseProgress.objects.filter(pk=cp.pk, completed_at__isnull=False).exists(),
        timeout=20,
        message="the course to complete after the exam",
    )

    # phone width: no horizontal scrolling
    phone = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    mobile = phone.new_page()
    login(mobile, base, MEMBER, password)
    assert _fits_phone(mobile)
    screenshot(mobile, "06-home-360px")
    for path in (
        f"/learn/courses/{course.pk}/",
        "/books/",
        f"/learn/attempts/{attempt.pk}/result/",
    ):
        mobile.goto(base + path)
        assert _fits_phone(mobile), path
    mobile.goto(f"{base}/books/")
    screenshot(mobile, "07-books-360px")
    # English switch
    mobile.select_option("#lang-select", "en")
    mobile.get_by_role("button", name="切换").click()
    expect(mobile.locator("nav.main-nav")).to_contain_text("Home")
    phone.close()

    # the branch secretary sees the member as completed
    logout(page)
    login(page, base, SECRETARY, password)
    page.goto(f"{base}/dashboard/?assignment={assignment.pk}")
    expect(page.get_by_test_id("report-table")).to_be_visible()
    screenshot(page, "08-dashboard")
    page.get_by_role("link", name="党员明细").click()
    row = page.locator(f'tr[data-member="{member.name}"]')
    expect(row).to_have_attribute("data-status", "completed")
    screenshot(page, "09-dashboard-members")
    context.close()
