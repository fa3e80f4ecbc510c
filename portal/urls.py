"""Portal routes, mounted at the site root before the Wagtail catch-all."""

from django.urls import path

from portal.views import (
    books,
    content,
    dashboard,
    exams,
    home,
    inbox,
    learning,
    periodicals,
    search,
    transfers,
)

app_name = "portal"

urlpatterns = [
    path("", home.home, name="home"),
    path("news/", content.news_list, name="news_list"),
    path("news/<int:pk>/", content.news_detail, name="news_detail"),
    path("stories/", content.story_list, name="story_list"),
    path("stories/<int:pk>/", content.story_detail, name="story_detail"),
    path("digest/", content.digest_latest, name="digest"),
    path("digest/<int:pk>/", content.digest_detail, name="digest_detail"),
    path("digest/archive/", content.digest_archive, name="digest_archive"),
    path("books/", books.book_list, name="books"),
    path("books/<int:pk>/", books.book_detail, name="book_detail"),
    path("books/<int:pk>/cover.svg", books.book_cover, name="book_cover"),
    path("books/<int:pk>/read/", books.book_read, name="book_read"),
    path("books/<int:pk>/file/", books.book_file, name="book_file"),
    path("periodicals/", periodicals.periodical_list, name="periodicals"),
    path("periodicals/<int:pk>/", periodicals.periodical_detail, name="periodical_detail"),
    path("periodicals/issues/<int:pk>/", periodicals.issue_detail, name="periodical_issue"),
    path(
        "periodicals/issues/<int:pk>/file/",
        periodicals.issue_file,
        name="periodical_issue_file",
    ),
    path("search/", search.search_page, name="search"),
    path("learn/", learning.course_list, name="courses"),
    path("learn/courses/<int:pk>/", learning.course_detail, name="course"),
    path("learn/lessons/<int:pk>/", learning.lesson_detail, name="lesson"),
    path("learn/points/", learning.points_history, name="points"),
    path("learn/exams/<int:pk>/", exams.exam_detail, name="exam"),
    path("learn/exams/<int:pk>/start/", exams.exam_start, name="exam_start"),
    path("learn/attempts/<int:pk>/", exams.attempt_take, name="attempt"),
    path("learn/attempts/<int:pk>/result/", exams.attempt_result, name="attempt_result"),
    path("contests/", exams.contest_list, name="contests"),
    path("contests/<int:pk>/", exams.contest_detail, name="contest"),
    path("contests/<int:pk>/play/", exams.contest_play, name="contest_play"),
    path("contests/<int:pk>/leaderboard/", exams.contest_leaderboard, name="leaderboard"),
    path("notifications/", inbox.inbox, name="notifications"),
    path("notifications/read-all/", inbox.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/open/", inbox.notification_open, name="notification_open"),
    path("notifications/<int:pk>/read/", inbox.notification_read, name="notification_read"),
    path("notifications/<int:pk>/delete/", inbox.notification_delete, name="notification_delete"),
    path("me/transfers/", transfers.my_transfers, name="my_transfers"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/members/", dashboard.dashboard_members, name="dashboard_members"),
    path(
        "dashboard/members.xlsx",
        dashboard.dashboard_members_export,
        name="dashboard_members_export",
    ),
    path("dashboard/export.xlsx", dashboard.dashboard_export, name="dashboard_export"),
]
