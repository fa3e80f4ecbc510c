"""/api/v1/supervision/: meetings and lessons (三会一课), the work ledger (电子台账), problem
transfer lists (问题移交单) and the supervision dashboard (docs/api.md "Supervision"), one
module per resource: `meetings` (with the compliance report), `ledger`, `rectification`,
`dashboard`; what they share (the list and report view bases, report parameters,
uploads) in `common`.

Every rule lives in supervision's services/selectors; the JSON shapes in
supervision.representations. An id outside the caller's scope answers 404 like a
missing one."""

from django.urls import path

from api.supervision.dashboard import DashboardApi
from api.supervision.ledger import (
    LedgerEvidenceApi,
    LedgerGridApi,
    LedgerItemListApi,
    LedgerReportDetailApi,
    LedgerReportListApi,
    LedgerReportReviewApi,
    LedgerReportUploadApi,
)
from api.supervision.meetings import (
    ComplianceApi,
    MeetingAttendanceApi,
    MeetingCancelApi,
    MeetingCheckInApi,
    MeetingDetailApi,
    MeetingFileApi,
    MeetingLeaveApi,
    MeetingListApi,
    MeetingMinutesApi,
    MeetingUploadApi,
)
from api.supervision.rectification import (
    RectificationDetailApi,
    RectificationEvidenceApi,
    RectificationListApi,
    RectificationReplyApi,
    RectificationReportApi,
    RectificationUploadApi,
    RectificationVerifyApi,
)

P = "supervision/"
urlpatterns = [
    path(P + "meetings/", MeetingListApi.as_view(), name="meeting-list"),
    path(P + "meetings/<int:pk>/", MeetingDetailApi.as_view(), name="meeting-detail"),
    path(P + "meetings/<int:pk>/check-in/", MeetingCheckInApi.as_view(), name="meeting-check-in"),
    path(P + "meetings/<int:pk>/leave/", MeetingLeaveApi.as_view(), name="meeting-leave"),
    path(
        P + "meetings/<int:pk>/attendance/",
        MeetingAttendanceApi.as_view(),
        name="meeting-mark-attendance",
    ),
    path(P + "meetings/<int:pk>/minutes/", MeetingMinutesApi.as_view(), name="meeting-minutes"),
    path(P + "meetings/<int:pk>/cancel/", MeetingCancelApi.as_view(), name="meeting-cancel"),
    path(P + "meetings/<int:pk>/files/", MeetingUploadApi.as_view(), name="meeting-upload"),
    path(P + "meetings/files/<int:pk>/", MeetingFileApi.as_view(), name="meeting-file"),
    path(P + "compliance/", ComplianceApi.as_view(), name="supervision-compliance"),
    path(P + "ledger/items/", LedgerItemListApi.as_view(), name="ledger-items"),
    path(P + "ledger/reports/", LedgerReportListApi.as_view(), name="ledger-report-list"),
    path(
        P + "ledger/reports/<int:pk>/",
        LedgerReportDetailApi.as_view(),
        name="ledger-report-detail",
    ),
    path(
        P + "ledger/reports/<int:pk>/review/",
        LedgerReportReviewApi.as_view(),
        name="ledger-report-review",
    ),
    path(
        P + "ledger/reports/<int:pk>/files/",
        LedgerReportUploadApi.as_view(),
        name="ledger-report-upload",
    ),
    path(P + "ledger/evidence/<int:pk>/", LedgerEvidenceApi.as_view(), name="ledger-evidence"),
    path(P + "ledger/grid/", LedgerGridApi.as_view(), name="supervision-ledger-grid"),
    path(P + "rectifications/", RectificationListApi.as_view(), name="rectification-list"),
    path(
        P + "rectifications/<int:pk>/",
        RectificationDetailApi.as_view(),
        name="rectification-detail",
    ),
    path(
        P + "rectifications/<int:pk>/reply/",
        RectificationReplyApi.as_view(),
        name="rectification-reply",
    ),
    path(
        P + "rectifications/<int:pk>/verify/",
        RectificationVerifyApi.as_view(),
        name="rectification-verify",
    ),
    path(
        P + "rectifications/<int:pk>/files/",
        RectificationUploadApi.as_view(),
        name="rectification-upload",
    ),
    path(
        P + "rectifications/evidence/<int:pk>/",
        RectificationEvidenceApi.as_view(),
        name="rectification-evidence",
    ),
    path(
        P + "rectifications/report/",
        RectificationReportApi.as_view(),
        name="supervision-rectification-report",
    ),
    path(P + "dashboard/", DashboardApi.as_view(), name="supervision-dashboard"),
]
