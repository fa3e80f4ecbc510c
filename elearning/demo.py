"""Demo academy for `manage.py seed_demo` (idempotent: matched by titles/codes).

A compulsory course "新时代党员必修课（2026）" (video/audio lessons from the media demo
when their assets exist, plus an article), its exam drawing from a 24-question bank on
party rules (pass mark 60), an assignment to the whole group (unit "G") due in 30 days,
a challenge contest, point rules, and progress for some members so the reports show
something. The login "member" is deliberately left untouched (the portal's end-to-end
test completes the course as that member)."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from elearning.contests.services import points_award, rules_ensure
from elearning.models import (
    Assignment,
    Contest,
    Course,
    CourseProgress,
    Exam,
    ExamRule,
    Lesson,
    LessonProgress,
    Question,
)
from media_pipeline.models import MediaAsset
from organizations.models import Member, OrgUnit

COURSE_TITLE = "新时代党员必修课（2026）"
VIDEO_TITLE = "微党课：新时代的建设者"
AUDIO_TITLE = "微听党章：总纲"
CATEGORY = "党章党规"
PROTECTED_LOGINS = {"member"}

ARTICLE = """<h3>学习贯彻党章，做合格党员</h3>
<p>党章是党的根本大法，是全党必须共同遵守的根本行为规范。每一名党员都要认真学习党章、严格遵守党章、
自觉维护党章，把党章作为加强党性修养的根本标准。</p>
<p>海外项目党员远离祖国，更要坚定理想信念，严守政治纪律和政治规矩，在“一带一路”建设中展现共产党员的
先锋模范作用。</p>"""

# (type, stem, options, answer, explanation, difficulty)
QUESTIONS = [
    (
        "single",
        "中国共产党的最高理想和最终目标是什么？",
        ["实现共产主义", "全面建成小康社会", "实现四个现代化", "实现共同富裕"],
        ["A"],
        "党章总纲：党的最高理想和最终目标是实现共产主义。",
        1,
    ),
    (
        "single",
        "中国共产党的根本宗旨是什么？",
        ["全心全意为人民服务", "实事求是", "艰苦奋斗", "解放思想"],
        ["A"],
        "党章总纲规定党的根本宗旨是全心全意为人民服务。",
        1,
    ),
    (
        "single",
        "预备党员的预备期为多长时间？",
        ["一年", "半年", "两年", "三个月"],
        ["A"],
        "党章第七条：预备党员的预备期为一年。",
        1,
    ),
    (
        "single",
        "党的最高领导机关是？",
        ["党的全国代表大会和它所产生的中央委员会", "中央政治局", "中央书记处", "中央军事委员会"],
        ["A"],
        "党章第十条。",
        2,
    ),
    (
        "single",
        "党员如果没有正当理由，连续几个月不参加党的组织生活、不交纳党费，就被认为是自行脱党？",
        ["六个月", "三个月", "一年", "两个月"],
        ["A"],
        "党章第九条。",
        2,
    ),
    (
        "single",
        "党的纪律处分有几种？",
        ["五种", "三种", "四种", "六种"],
        ["A"],
        "警告、严重警告、撤销党内职务、留党察看、开除党籍。",
        2,
    ),
    (
        "single",
        "留党察看最长不超过多长时间？",
        ["两年", "一年", "三年", "六个月"],
        ["A"],
        "党章第四十一条。",
        2,
    ),
    (
        "single",
        "党的基层组织每届任期一般为？",
        ["三年至五年", "两年", "一年", "十年"],
        ["A"],
        "党章第三十条。",
        3,
    ),
    (
        "single",
        "党支部党员大会一般每季度召开几次？",
        ["一次", "两次", "三次", "每月一次"],
        ["A"],
        "“三会一课”制度。",
        2,
    ),
    (
        "single",
        "年满多少岁的中国工人、农民、军人、知识分子和其他社会阶层的先进分子可以申请加入中国共产党？",
        ["十八岁", "十六岁", "二十岁", "二十二岁"],
        ["A"],
        "党章第一条。",
        1,
    ),
    (
        "multiple",
        "党的纪律主要包括哪些？",
        ["政治纪律", "组织纪律", "廉洁纪律", "娱乐纪律"],
        ["A", "B", "C"],
        "还包括群众纪律、工作纪律和生活纪律。",
        2,
    ),
    (
        "multiple",
        "“三会一课”中的“三会”是指？",
        ["支部党员大会", "支部委员会", "党小组会", "职工代表大会"],
        ["A", "B", "C"],
        "“一课”是按时上好党课。",
        1,
    ),
    (
        "multiple",
        "党员的权利包括？",
        ["参加党的有关会议", "在党的会议上参加讨论", "行使表决权、选举权", "要求特殊待遇"],
        ["A", "B", "C"],
        "党章第四条。",
        2,
    ),
    (
        "multiple",
        "党的建设必须坚决实现的基本要求包括？",
        [
            "坚持党的基本路线",
            "坚持解放思想，实事求是，与时俱进",
            "坚持全心全意为人民服务",
            "坚持民主集中制",
        ],
        ["A", "B", "C", "D"],
        "党章总纲。",
        3,
    ),
    ("true_false", "党员必须履行党员义务，行使党员权利。", [], True, "党章第二条。", 1),
    (
        "true_false",
        "预备党员享有表决权、选举权和被选举权。",
        [],
        False,
        "预备党员除没有表决权、选举权和被选举权以外，享有同正式党员一样的权利。",
        2,
    ),
    ("true_false", "党员有退党的自由。", [], True, "党章第九条。", 2),
    (
        "true_false",
        "海外党员可以不参加组织生活。",
        [],
        False,
        "海外党员同样要参加组织生活，可通过线上方式参加。",
        1,
    ),
    ("true_false", "党组织讨论决定问题，必须执行少数服从多数的原则。", [], True, "党章第十条。", 1),
    (
        "fill",
        "中国共产党党员是中国工人阶级的有____觉悟的先锋战士。",
        [],
        ["共产主义"],
        "党章第二条。",
        2,
    ),
    (
        "fill",
        "党的思想路线是一切从实际出发，理论联系实际，____，在实践中检验真理和发展真理。",
        [],
        ["实事求是"],
        "党章总纲。",
        2,
    ),
    ("fill", "党的根本组织原则是____。", [], ["民主集中制"], "党章第十条。", 1),
    ("fill", "党员应当按照规定交纳____。", [], ["党费"], "党章第八条。", 1),
    (
        "single",
        "党的各级组织和全体党员必须坚持以什么为中心开展工作？",
        ["经济建设", "阶级斗争", "文化建设", "外交工作"],
        ["A"],
        "党的基本路线。",
        3,
    ),
]


def _questions(root: OrgUnit) -> list[Question]:
    out = []
    for qtype, stem, opts, answer, expl, diff in QUESTIONS:
        options = [{"key": chr(65 + i), "text": t} for i, t in enumerate(opts)]
        q, _ = Question.objects.update_or_create(
            stem=stem,
            defaults={
                "type": qtype,
                "options": options,
                "answer": answer,
                "explanation": expl,
                "category": CATEGORY,
                "difficulty": diff,
                "tags": "党章",
                "owner_unit": root,
            },
        )
        out.append(q)
    return out


def _demo_progress(course: Course, lessons: list[Lesson], exam: Exam, seed_salt: str) -> int:
    """Completions for ~40% and partial progress for ~25% of the demo members (never the
    protected logins). Written directly: this is fixture data, not a client report."""
    members = list(
        Member.objects.filter(unit__path__startswith=course.audience_unit.path)
        .exclude(user__username__in=PROTECTED_LOGINS)
        .select_related("unit")
        .order_by("member_no")
    )
    now = timezone.now()
    touched = 0
    for m in members:
        # one generator per member: a re-run makes the same choice for each member
        rng = random.Random(f"{seed_salt}:{m.member_no}")
        roll = rng.random()
        if roll > 0.65:
            continue
        if CourseProgress.objects.filter(member=m, course=course).exists():
            touched += 1
            continue
        done = roll < 0.4
        started = now - dt.timedelta(days=rng.randint(1, 10), minutes=rng.randint(0, 600))
        n_done = len(lessons) if done else rng.randint(0, len(lessons) - 1)
        for lesson in lessons[: max(1, n_done)]:
            complete = lesson in lessons[:n_done]
            secs = lesson.duration_seconds
            covered = secs if complete else secs // 3
            LessonProgress.objects.get_or_create(
                member=m,
                lesson=lesson,
                defaults={
                    "course": course,
                    "intervals": [[0, covered * 1000]] if lesson.is_timed_media and covered else [],
                    "unique_seconds": covered if lesson.is_timed_media else 0,
                    "seconds_spent": lesson.min_seconds if complete else 0,
                    "opened_at": started,
                    "last_report_at": started + dt.timedelta(minutes=20),
                    "completed_at": started + dt.timedelta(minutes=20) if complete else None,
                },
            )
        score = float(rng.choice([60, 70, 80, 90, 100])) if done else None
        CourseProgress.objects.create(
            member=m,
            course=course,
            started_at=started,
            lessons_completed=n_done,
            lessons_done_at=started + dt.timedelta(hours=1) if done else None,
            best_score=score,
            exam_passed_at=started + dt.timedelta(hours=2) if done else None,
            completed_at=started + dt.timedelta(hours=2) if done else None,
        )
        if done:
            points_award(member=m, rule="quiz_pass", event_key=f"demo-exam:{exam.pk}:{m.pk}")
            points_award(member=m, rule="lesson_complete", event_key=f"demo-course:{m.pk}")
        touched += 1
    return touched


@transaction.atomic
def seed(stdout=None) -> dict:
    root = OrgUnit.objects.filter(code="G").first()
    if root is None:
        return {"skipped": "no unit G"}
    rules_ensure()
    course, _ = Course.objects.update_or_create(
        title=COURSE_TITLE,
        defaults={
            "description": "学习党章党规，筑牢理想信念。包含微党课视频、党章音频和专题图文，结业考试 60 分及格。",
            "category": "党章党规",
            "credit_hours": 4,
            "kind": Course.Kind.COMPULSORY,
            "audience_unit": root,
            "is_published": True,
        },
    )
    wanted = []
    video = MediaAsset.objects.filter(title=VIDEO_TITLE, kind="video").order_by("-id").first()
    if video is not None:
        wanted.append(("微党课：新时代的建设者", Lesson.Kind.VIDEO, {"media": video}))
    audio = MediaAsset.objects.filter(title=AUDIO_TITLE, kind="audio").order_by("-id").first()
    if audio is not None:
        wanted.append(("微听党章：总纲", Lesson.Kind.AUDIO, {"media": audio}))
    wanted.append(
        ("专题图文：学习贯彻党章", Lesson.Kind.ARTICLE, {"body": ARTICLE, "min_seconds": 60})
    )
    lessons = []
    for order, (title, kind, extra) in enumerate(wanted):
        lesson, _ = Lesson.objects.update_or_create(
            course=course, title=title, defaults={"kind": kind, "sort_order": order, **extra}
        )
        lessons.append(lesson)
    questions = _questions(root)
    exam, _ = Exam.objects.update_or_create(
        title="新时代党员必修课结业考试",
        defaults={
            "course": course,
            "audience_unit": root,
            "time_limit_minutes": 30,
            "pass_mark": 60,
            "attempts_allowed": 3,
            "review_show": Exam.ReviewShow.ANSWERS,
            "review_when": Exam.ReviewWhen.AFTER_LAST,
            "is_published": True,
        },
    )
    if not exam.rules.exists():
        ExamRule.objects.create(exam=exam, category=CATEGORY, count=20, points=5)
    today = timezone.localdate()
    assignment = Assignment.objects.filter(course=course, audience_unit=root).first()
    if assignment is None:
        assignment = Assignment.objects.create(
            course=course,
            audience_unit=root,
            due_date=today + dt.timedelta(days=30),
            note="全体党员必修，请在截止日期前完成全部课时并通过结业考试。",
        )
    contest, created = Contest.objects.get_or_create(
        title="党纪党规知识竞答（2026 春季赛）",
        defaults={
            "description": "挑战答题：每题 20 秒，答错即止。",
            "audience_unit": root,
            "starts_at": timezone.now() - dt.timedelta(days=1),
            "ends_at": timezone.now() + dt.timedelta(days=60),
            "mode": Contest.Mode.CHALLENGE,
            "seconds_per_question": 20,
            "entries_allowed": 5,
            "is_published": True,
        },
    )
    if created:
        contest.questions.set([q for q in questions if q.type != "fill"])
    touched = _demo_progress(course, lessons, exam, "2026")
    counts = {
        "courses": 1,
        "lessons": len(lessons),
        "questions": len(questions),
        "assignments": 1,
        "contests": 1,
        "members_with_progress": touched,
    }
    if stdout is not None:
        stdout.write(f"  网络学院：{counts}\n")
    return counts
