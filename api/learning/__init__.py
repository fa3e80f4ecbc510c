"""/api/v1/ academy resources (docs/api.md "Academy"), one module per resource family:
`courses` (courses, assignments), `progress` (lesson progress, the busiest endpoint),
`exams` (attempts), `contests` (entries, answers, leaderboards), `points`, `reports`.

Views validate input and map the academy's refusals (elearning.errors); the rules live in
the elearning sub-packages' services and selectors, the response shapes in their
representations."""

from django.urls import path

from api.learning.contests import (
    ContestAnswerApi,
    ContestEntryApi,
    ContestLeaderboardApi,
    ContestListApi,
)
from api.learning.courses import (
    AssignmentListApi,
    CourseDetailApi,
    CourseListApi,
    LessonDetailApi,
)
from api.learning.exams import AttemptApi, AttemptSubmitApi, ExamAttemptStartApi
from api.learning.points import PointsApi, PointsHistoryApi
from api.learning.progress import lesson_progress
from api.learning.reports import CompletionReportApi

urlpatterns = [
    path("courses/", CourseListApi.as_view(), name="course-list"),
    path("courses/<int:pk>/", CourseDetailApi.as_view(), name="course-detail"),
    path("assignments/", AssignmentListApi.as_view(), name="assignment-list"),
    path("lessons/<int:pk>/", LessonDetailApi.as_view(), name="lesson-detail"),
    path("lessons/<int:pk>/progress/", lesson_progress, name="lesson-progress"),
    path("exams/<int:pk>/attempts/", ExamAttemptStartApi.as_view(), name="exam-attempts"),
    path("attempts/<int:pk>/", AttemptApi.as_view(), name="attempt-detail"),
    path("attempts/<int:pk>/submit/", AttemptSubmitApi.as_view(), name="attempt-submit"),
    path("contests/", ContestListApi.as_view(), name="contest-list"),
    path("contests/<int:pk>/entries/", ContestEntryApi.as_view(), name="contest-entries"),
    path("contests/<int:pk>/answers/", ContestAnswerApi.as_view(), name="contest-answers"),
    path(
        "contests/<int:pk>/leaderboard/",
        ContestLeaderboardApi.as_view(),
        name="contest-leaderboard",
    ),
    path("points/", PointsApi.as_view(), name="points"),
    path("points/history/", PointsHistoryApi.as_view(), name="points-history"),
    path("reports/completion/", CompletionReportApi.as_view(), name="report-completion"),
]
