"""Reads for the API and the portal, already scoped to what a user may see.

Visibility = published (live pages / `is_published` snippets) AND the audience unit is
visible to the user (`organizations.selectors.audience_q`: the audience path is one of
the member's ≤ 64 ancestor paths — one indexed IN — plus, for editors/secretaries, the
subtree they manage). Anything outside answers 404 in the API, like a missing object.

Pages are also served only through an outlet that still carries them
(`cms.outlets.served_q`): the API is the app (`through="app"`, the default), the web
portal asks with `through="portal"`. An item whose live version went out through a
suspended or closed outlet of that kind is not served there any more.

`access_<entity>_by_id(user, id, *, action)` fetch one item for the API and the portal:
the item, or `ObjectNotFound` — the same for a missing id and one the user may not read
(readers' actions — view, read the file — all follow the visibility above; editors
change items in the admin, under its unit-scoped permission policy).
"""

from __future__ import annotations

import functools

from django.db.models import Count, QuerySet
from django.db.models.functions import ExtractMonth, ExtractYear

from cms.models import (
    Book,
    DigestIssue,
    ExemplarPage,
    NewsIndexPage,
    NewsPage,
    Outlet,
    Periodical,
    PeriodicalIssue,
)
from cms.outlets import served_q
from organizations.scope import audience_paths_q
from organizations.selectors import audience_q, object_or_not_found, scope_for

APP, PORTAL = Outlet.Kind.APP, Outlet.Kind.PORTAL


@functools.cache
def _served(model, through: str) -> QuerySet:
    """Live pages of `model` served through outlets of kind `through`: built once per
    process (resolving the outlet subqueries cost more than the rest of a list's filter
    building) and only ever chained from, never evaluated, so it holds no rows."""
    return model.objects.live().filter(served_q(through))


def news_visible_to(user, *, through: str = APP) -> QuerySet[NewsPage]:
    return _served(NewsPage, through).filter(audience_q(user))


def news_feed_of(user, fields: tuple[str, ...], *, through: str = APP):
    """`news_visible_to(user).values(*fields)` as (shape, base, args) for a query compiled
    once per shape (`api.pagination.KeysetCursorPagination.paginate_prebuilt`):
    `base(*args)` is that queryset, built by the same rule (`Scope.audience_q`) from the
    reader's paths, and `shape` names what changes its SQL text — superuser or not, how
    many audience and managed paths."""
    scope = scope_for(user)
    if scope.is_global:
        return (through, fields, None), lambda: _served(NewsPage, through).values(*fields), ()
    audience, managed = scope.audience_paths, scope.managed_paths
    n = len(audience)

    def base(*paths):
        q = audience_paths_q(paths[:n], paths[n:])
        return _served(NewsPage, through).filter(q).values(*fields)

    return (through, fields, n, len(managed)), base, (*audience, *managed)


def exemplars_visible_to(user, *, through: str = APP) -> QuerySet[ExemplarPage]:
    return _served(ExemplarPage, through).filter(audience_q(user))


def digests_visible_to(user, *, through: str = APP) -> QuerySet[DigestIssue]:
    return _served(DigestIssue, through).filter(audience_q(user))


def digest_archive_months(issues: QuerySet[DigestIssue]) -> list[dict]:
    """The months of `issues` (already scoped) that have an issue, newest first:
    ``[{"year": 2026, "month": 11, "count": 4}, …]`` — one GROUP BY query."""
    return list(
        issues.order_by()
        .annotate(year=ExtractYear("issue_date"), month=ExtractMonth("issue_date"))
        .values("year", "month")
        .annotate(count=Count("pk"))
        .order_by("-year", "-month")
    )


def digests_in_month(issues: QuerySet[DigestIssue], *, year: int | None, month: int | None):
    """`issues` of one year (and month), when given."""
    if year is not None:
        issues = issues.filter(issue_date__year=year)
        if month is not None:
            issues = issues.filter(issue_date__month=month)
    return issues


def books_visible_to(user) -> QuerySet[Book]:
    return Book.objects.filter(is_published=True).filter(audience_q(user))


def periodicals_visible_to(user) -> QuerySet[Periodical]:
    return Periodical.objects.filter(is_published=True).filter(audience_q(user))


def periodical_issues_visible_to(user) -> QuerySet[PeriodicalIssue]:
    return PeriodicalIssue.objects.filter(is_published=True, periodical__is_published=True).filter(
        audience_q(user, field="periodical__audience_unit__path")
    )


def access_news_by_id(user, news_id, *, action: str = "view", through: str = APP) -> NewsPage:
    qs = news_visible_to(user, through=through).select_related("publishing_unit", "audience_unit")
    return object_or_not_found(qs, news_id)


def access_exemplar_by_id(
    user, exemplar_id, *, action: str = "view", through: str = APP
) -> ExemplarPage:
    qs = exemplars_visible_to(user, through=through).select_related("subject_unit", "related_video")
    return object_or_not_found(qs, exemplar_id)


def access_digest_by_id(
    user, digest_id, *, action: str = "view", through: str = APP
) -> DigestIssue:
    return object_or_not_found(digests_visible_to(user, through=through), digest_id)


def access_book_by_id(user, book_id, *, action: str = "view") -> Book:
    return object_or_not_found(books_visible_to(user).select_related("cover"), book_id)


def access_periodical_by_id(user, periodical_id, *, action: str = "view") -> Periodical:
    return object_or_not_found(periodicals_visible_to(user), periodical_id)


def access_periodical_issue_by_id(user, issue_id, *, action: str = "view") -> PeriodicalIssue:
    return object_or_not_found(periodical_issues_visible_to(user), issue_id)


def channels() -> QuerySet[NewsIndexPage]:
    return NewsIndexPage.objects.live().order_by("path")
