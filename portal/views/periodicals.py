"""Periodicals (期刊): the list, a periodical with its published issues, an issue's page
and its file (read in the browser's own viewer or downloaded). Scope: cms.selectors —
what a member cannot see answers 404, as a missing id does."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.clickjacking import xframe_options_sameorigin

from cms import selectors
from core.files import content_type_for, protected_file_response
from portal.access import portal_view
from search.catalogue import catalogue_search

PAGE_SIZE = 24


@portal_view
def periodical_list(request):
    qs = selectors.periodicals_visible_to(request.user).select_related("cover")
    query = (request.GET.get("q") or "").strip()[:100]
    if query:
        qs = catalogue_search(qs, query)
    page = Paginator(qs.order_by("title", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"nav": "books", "page_obj": page, "q": query}
    return render(request, "portal/periodicals/list.html", context)


@portal_view
def periodical_detail(request, pk: int):
    periodical = get_object_or_404(
        selectors.periodicals_visible_to(request.user).select_related("cover"), pk=pk
    )
    issues = (
        selectors.periodical_issues_visible_to(request.user)
        .filter(periodical=periodical)
        .select_related("cover")
        .order_by("-issue_date", "-id")
    )
    context = {"nav": "books", "periodical": periodical, "issues": issues}
    return render(request, "portal/periodicals/detail.html", context)


def _issue(request, pk: int):
    return get_object_or_404(
        selectors.periodical_issues_visible_to(request.user).select_related("periodical", "cover"),
        pk=pk,
    )


def _file_format(issue) -> str:
    name = (issue.file.name or "").lower()
    return name.rsplit(".", 1)[-1] if "." in name else ""


@portal_view
def issue_detail(request, pk: int):
    issue = _issue(request, pk)
    context = {"nav": "books", "issue": issue, "file_format": _file_format(issue)}
    return render(request, "portal/periodicals/issue.html", context)


@xframe_options_sameorigin
@portal_view
def issue_file(request, pk: int):
    """The issue's file inline (the PDF viewer frame opens it), scope-checked here."""
    issue = _issue(request, pk)
    if not issue.file:
        raise Http404
    filename = f"issue-{issue.pk}.{_file_format(issue) or 'bin'}"
    return protected_file_response(
        issue.file, filename=filename, content_type=content_type_for(filename)
    )
