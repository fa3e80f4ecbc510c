"""News, exemplar stories and the digest (the latest issue and the archive of past ones).
The lists come from cms.selectors (audience scope decided there); detail pages are the
Wagtail pages themselves, rendered in the portal layout by templates/cms/*.html (their
serve() answers 404 out of scope)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cms import selectors
from cms.selectors import PORTAL
from portal.access import portal_view

PAGE_SIZE = 20


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


@portal_view
def news_list(request):
    qs = selectors.news_visible_to(request.user, through=PORTAL).select_related("cover_image")
    channels = list(selectors.channels())
    channel = request.GET.get("channel") or ""
    current = next((c for c in channels if c.channel_code == channel), None)
    if current is not None:
        qs = qs.child_of(current)
    page = _page(request, qs.order_by("-pinned", "-date", "-id"))
    context = {"nav": "news", "page_obj": page, "channels": channels, "channel": current}
    return render(request, "portal/news_list.html", context)


@portal_view
def news_detail(request, pk: int):
    page = selectors.access_news_by_id(request.user, pk, through=PORTAL)
    return redirect(page.url)


@portal_view
def story_list(request):
    qs = selectors.exemplars_visible_to(request.user, through=PORTAL).select_related(
        "portrait", "subject_unit"
    )
    page = _page(request, qs.order_by("-date", "-id"))
    return render(request, "portal/story_list.html", {"nav": "news", "page_obj": page})


@portal_view
def story_detail(request, pk: int):
    page = selectors.access_exemplar_by_id(request.user, pk, through=PORTAL)
    return redirect(page.url)


@portal_view
def digest_latest(request):
    issue = (
        selectors.digests_visible_to(request.user, through=PORTAL)
        .order_by("-issue_date", "-id")
        .first()
    )
    if issue is None:
        return render(request, "portal/digest_none.html", {"nav": "digest"})
    return redirect(issue.url)


@portal_view
def digest_detail(request, pk: int):
    issue = selectors.access_digest_by_id(request.user, pk, through=PORTAL)
    return redirect(issue.url)


def _year_month(request) -> tuple[int | None, int | None, str]:
    """?year=2026&month=11 (month needs a year) → (year, month, error message)."""
    raw_year, raw_month = request.GET.get("year", ""), request.GET.get("month", "")
    year = month = None
    if raw_year:
        if not raw_year.isdigit() or not 1900 <= int(raw_year) <= 2999:
            return None, None, _("年份应为四位数字，如 2026")
        year = int(raw_year)
    if raw_month:
        if year is None:
            return None, None, _("按月份查看时请同时指定年份")
        if not raw_month.isdigit() or not 1 <= int(raw_month) <= 12:
            return None, None, _("月份应为 1 到 12 之间的数字")
        month = int(raw_month)
    return year, month, ""


@portal_view
def digest_archive(request):
    """Past issues by year and month (newest first), 20 a page, only those the member
    may read; the month list counts them per month."""
    visible = selectors.digests_visible_to(request.user, through=PORTAL)
    year, month, error = _year_month(request)
    months = selectors.digest_archive_months(visible)
    years: dict[int, list[dict]] = {}
    for m in months:
        years.setdefault(m["year"], []).append(m)
    issues = selectors.digests_in_month(visible, year=year, month=month)
    page = _page(request, issues.order_by("-issue_date", "-id"))
    context = {
        "nav": "digest_archive",
        "page_obj": page,
        "years": [
            {"year": y, "months": ms, "count": sum(m["count"] for m in ms)}
            for y, ms in years.items()
        ],
        "year": year,
        "month": month,
        "error": error,
    }
    return render(request, "portal/digest_archive.html", context, status=400 if error else 200)
