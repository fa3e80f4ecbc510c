"""Member records over the API (docs/api.md "Member records and privacy").

The member's own: `me/record/` (their record in full, consents, policy version),
`me/record/download/` (everything, as a JSON file), `me/consents/` (give or withdraw an
optional consent), `me/access-log/` (who looked at or changed their record), `me/record/photo/`.

For organizers, secretaries and unit admins of the member's subtree: `members/` (masked
list), `members/<id>/record/` (masked; PATCH edits), `members/<id>/record/reveal/` (POST
with a purpose: plaintext, one access-log entry), `members/<id>/record/photo/`. Unit
admins: `access-log/` (search). Anyone else — editors, instructors, reviewers — and any
member outside the subtree: 404, the same as a missing id.

The shapes are in `shapes`, the member's own views in `me`, the managers' in `managers`;
the rules are in organizations.records.
"""

from django.urls import path

from api.records.managers import (
    AccessLogApi,
    MemberListApi,
    MemberPhotoApi,
    MemberRecordApi,
    MemberRecordRevealApi,
)
from api.records.me import (
    MeAccessLogApi,
    MeConsentsApi,
    MePhotoApi,
    MeRecordApi,
    MeRecordDownloadApi,
)

urlpatterns = [
    path("me/record/", MeRecordApi.as_view(), name="me-record"),
    path("me/record/download/", MeRecordDownloadApi.as_view(), name="me-record-download"),
    path("me/record/photo/", MePhotoApi.as_view(), name="me-record-photo"),
    path("me/consents/", MeConsentsApi.as_view(), name="me-consents"),
    path("me/access-log/", MeAccessLogApi.as_view(), name="me-access-log"),
    path("members/", MemberListApi.as_view(), name="member-list"),
    path("members/<int:pk>/record/", MemberRecordApi.as_view(), name="member-record"),
    path(
        "members/<int:pk>/record/reveal/",
        MemberRecordRevealApi.as_view(),
        name="member-record-reveal",
    ),
    path("members/<int:pk>/record/photo/", MemberPhotoApi.as_view(), name="member-record-photo"),
    path("access-log/", AccessLogApi.as_view(), name="access-log"),
]
