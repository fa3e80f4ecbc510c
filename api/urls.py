"""/api/v1/: each domain's resources live in their own module and are included here."""

from django.urls import include, path

from api.auth import LoginApi, LogoutApi, RefreshApi
from api.me import MeApi

app_name = "api"

urlpatterns = [
    path("auth/token/", LoginApi.as_view(), name="token"),
    path("auth/token/refresh/", RefreshApi.as_view(), name="token-refresh"),
    path("auth/logout/", LogoutApi.as_view(), name="logout"),
    path("me/", MeApi.as_view(), name="me"),
    path("", include("api.content")),
    path("", include("api.periodical_issues")),
    path("", include("api.digests_api")),
    path("", include("api.media")),
    path("", include("api.learning")),
    path("", include("api.search_api")),
    path("", include("api.sync_api")),
    path("", include("api.audit_api")),
    path("", include("api.notifications_api")),
    path("", include("api.devices_api")),
    path("", include("api.notification_preferences_api")),
    path("", include("api.comments_api")),
    path("", include("api.qa_api")),
    path("", include("api.service_api")),  # transfers, pairing assistance
    path("", include("api.documents_api")),
    path("", include("api.bulletins_api")),
    path("", include("api.manuscripts_api")),
    path("", include("api.engagement_api")),
    path("", include("api.dues_api")),
    path("", include("api.records")),
    path("", include("api.liaison_api")),
    path("", include("api.supervision")),
]
