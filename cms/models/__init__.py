"""Content models: pages (news, exemplar stories, digests), the e-bookshelf snippets,
the review-workflow tasks and a read counter.

How they relate: HomePage → NewsIndexPage (one per channel) → NewsPage;
HomePage → ExemplarIndexPage → ExemplarPage; HomePage → DigestIndexPage → DigestIssue,
whose ordered `items` point at NewsPages. Every content page carries a publishing unit
(who answers for it; decides who may edit and review it) and an audience unit (who may
read it). Books, periodicals and their issues are snippets (a 100k catalogue is not a
page tree) with the same audience rule. The outlet registry (`Outlet`, 阵地备案) lists
every channel content goes out through; content pages choose theirs, and the append-only
audit log (`AuditEntry`) records every action with its operator and, for each
publication, the outlets it went out through.
"""

from cms.models.audit import AuditEntry, AuditEntryOutlet, AuditLogImmutable
from cms.models.bookshelf import Book, Periodical, PeriodicalIssue
from cms.models.outlets import Outlet
from cms.models.pages import (
    DigestIndexPage,
    DigestIssue,
    DigestItem,
    ExemplarIndexPage,
    ExemplarPage,
    HomePage,
    NewsIndexPage,
    NewsPage,
    NewsPageTag,
    PageReadCount,
    UnitScopedPage,
)
from cms.models.workflow import ReviewPush, UnitReviewTask, UpperReviewTask

__all__ = [
    "AuditEntry",
    "AuditEntryOutlet",
    "AuditLogImmutable",
    "Outlet",
    "Book",
    "DigestIndexPage",
    "DigestIssue",
    "DigestItem",
    "ExemplarIndexPage",
    "ExemplarPage",
    "HomePage",
    "NewsIndexPage",
    "NewsPage",
    "NewsPageTag",
    "PageReadCount",
    "ReviewPush",
    "Periodical",
    "PeriodicalIssue",
    "UnitReviewTask",
    "UnitScopedPage",
    "UpperReviewTask",
]
