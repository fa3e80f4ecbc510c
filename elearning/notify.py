"""The academy's notification triggers (periodic jobs declared in core.schedule from
ElearningConfig.ready, kinds in notifications.kinds):

- `assignment_reminders` (every 15 minutes): for each unit time zone whose local clock
  has passed 09:00, remind members of an assignment's audience in units of that zone who
  have not completed the course — 3 days and 1 day before the due date and on the
  morning of the due date itself. The key names the assignment, the reminder and the
  local date, so every run after 09:00 that day (a late or repeated one) sends nothing
  more.
- `openings_announce` (every 5 minutes): a published exam or contest whose opening time
  has come (within the last day) is announced to its audience by a broadcast whose key
  names it and its opening time (moving the opening announces again, once).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from elearning.contests.models import Contest
from elearning.courses.models import Assignment, CourseProgress
from elearning.exams.models import Exam
from notifications.broadcasts import broadcast_create
from notifications.triggers import notify_members
from organizations.localtime import zones_past_local_hour
from organizations.models import Member
from organizations.scope import path_prefix_q

REMINDER_HOUR = 9
#: days before the due date → reminder name (in the idempotency key)
REMINDERS = {3: "3d", 1: "1d", 0: "last-day"}
OPENING_WINDOW = dt.timedelta(days=1)


def _not_done(assignment: Assignment, zone: str):
    done = CourseProgress.objects.filter(
        member=OuterRef("pk"), course_id=assignment.course_id, completed_at__isnull=False
    )
    return (
        Member.objects.filter(path_prefix_q([assignment.audience_unit.path], "unit__path"))
        .filter(status=Member.Status.ACTIVE, unit__timezone=zone)
        .exclude(Exists(done))
    )


def assignment_reminders(now: dt.datetime | None = None) -> dict:
    """Send the reminders due at `now` (see the module). Answers {key: rows written}."""
    now = now or timezone.now()
    sent: dict[str, int] = {}
    zones = zones_past_local_hour(hour=REMINDER_HOUR, now=now)
    if not zones:
        return sent
    dues = {today + dt.timedelta(days=d) for today in zones.values() for d in REMINDERS}
    assignments = list(
        Assignment.objects.filter(due_date__in=dues).select_related("course", "audience_unit")
    )
    for zone, today in zones.items():
        for assignment in assignments:
            days = (assignment.due_date - today).days
            if days not in REMINDERS:
                continue
            course = assignment.course
            key = f"assignment-{assignment.pk}:remind-{REMINDERS[days]}:{today.isoformat()}"
            written = notify_members(
                kind="course_reminder" if days else "course_last_day",
                members=_not_done(assignment, zone),
                context={
                    "course": course.title,
                    "due": assignment.due_date.isoformat(),
                    "days": days,
                },
                link=(
                    reverse("api:course-detail", args=[course.pk]),
                    reverse("portal:course", args=[course.pk]),
                ),
                idempotency_key=key,
            )
            if written:
                sent[key] = written
    return sent


def openings_announce(now: dt.datetime | None = None) -> dict:
    """Announce exams and contests that opened within the last day. Answers the keys of
    broadcasts recorded by this run."""
    now = now or timezone.now()
    since = now - OPENING_WINDOW
    made = []
    exams = Exam.objects.filter(is_published=True, opens_at__lte=now, opens_at__gt=since)
    for exam in exams.select_related("audience_unit"):
        key = f"exam-open-{exam.pk}-{exam.opens_at:%Y%m%d%H%M}"
        broadcast_create(
            kind="exam_open",
            audience_unit=exam.audience_unit,
            source=f"exam:{exam.pk}",
            context={"title": exam.title},
            link=("", reverse("portal:exam", args=[exam.pk])),
            idempotency_key=key,
        )
        made.append(key)
    contests = Contest.objects.filter(is_published=True, starts_at__lte=now, starts_at__gt=since)
    for contest in contests.select_related("audience_unit"):
        key = f"contest-open-{contest.pk}-{contest.starts_at:%Y%m%d%H%M}"
        broadcast_create(
            kind="contest_open",
            audience_unit=contest.audience_unit,
            source=f"contest:{contest.pk}",
            context={"title": contest.title},
            link=("", reverse("portal:contest", args=[contest.pk])),
            idempotency_key=key,
        )
        made.append(key)
    return {"announced": made}
