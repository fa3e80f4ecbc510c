"""The academy's models, for Django and for `from elearning.models import …`.

Each domain keeps its models in its own sub-package (docs/architecture.md "The academy"):
`elearning.courses.models` (courses, lessons, assignments, progress),
`elearning.exams.models` (question bank, exams, attempts) and
`elearning.contests.models` (contests, study points). The app label stays `elearning`, so
tables and migrations are those of the one app.
"""

from elearning.contests.models import (
    Contest,
    ContestBest,
    ContestEntry,
    ContestUnitScore,
    PointBalance,
    PointLedger,
    PointRule,
)
from elearning.courses.fields import IntMultiRangeField
from elearning.courses.models import (
    Assignment,
    Course,
    CourseProgress,
    Lesson,
    LessonProgress,
    ProgressReceipt,
    WatchAllowance,
)
from elearning.exams.models import Attempt, Exam, ExamRule, Question

__all__ = [
    "Assignment",
    "Attempt",
    "Contest",
    "ContestBest",
    "ContestEntry",
    "ContestUnitScore",
    "Course",
    "CourseProgress",
    "Exam",
    "ExamRule",
    "IntMultiRangeField",
    "Lesson",
    "LessonProgress",
    "PointBalance",
    "PointLedger",
    "PointRule",
    "ProgressReceipt",
    "Question",
    "WatchAllowance",
]
