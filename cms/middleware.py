"""Another unit's page answers 404 in every page admin view, like a missing page.

Wagtail's page views ask the page's permission tester (`cms.permissions`) and answer a
page outside the editor's scope with a redirect ("permission denied") or 403 — which
tells a prober that the id exists. The scope rule for admin views is "outside scope is
the same as missing", so before any Wagtail admin view that takes page ids runs
(edit, copy, move, history, revisions, usage, workflow actions, lock, privacy, …), every
page id in its URL is checked here: a unit-owned page (news, exemplar story, digest)
whose publishing unit lies outside the user's editor/reviewer subtree raises Http404.
Pages no unit owns (the home page, channels) keep Wagtail's own checks.
"""

from __future__ import annotations

from django.http import Http404
from wagtail.models import Page

#: URL keyword arguments of Wagtail's admin views that name a page
PAGE_ID_KWARGS = ("page_id", "parent_page_id", "page_to_move_id", "destination_id", "page_pk")


class PageAdminScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not view_kwargs or not request.path.startswith("/admin/"):
            return None
        ids = [view_kwargs[k] for k in PAGE_ID_KWARGS if k in view_kwargs]
        user = getattr(request, "user", None)
        if not ids or user is None or not user.is_authenticated or user.is_superuser:
            return None
        from cms.permissions import page_in_admin_scope

        for page in Page.objects.filter(pk__in=ids).specific(defer=True):
            if not page_in_admin_scope(user, page):
                raise Http404
        return None


class OutletRefusalMiddleware:
    """A publication refused because of an outlet (cms.outlets.OutletUnavailable, raised
    by `UnitScopedPage.publish` inside the transaction of e.g. a review approval, which
    is therefore rolled back) is shown in the admin as a message naming the outlet,
    not as an error page. The page editor's own form refuses it earlier (cms.outlet_forms)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from cms.outlets import OutletUnavailable

        if not isinstance(exception, OutletUnavailable) or not request.path.startswith("/admin/"):
            return None
        from django.http import HttpResponseRedirect
        from django.urls import reverse
        from django.utils.http import url_has_allowed_host_and_scheme
        from wagtail.admin import messages
        from wagtail.admin.modal_workflow import render_modal_workflow

        messages.error(request, f"未发布：{exception}")
        match = getattr(request, "resolver_match", None)
        page_id = (match.kwargs.get("page_id") if match else None) or None
        target = request.META.get("HTTP_REFERER", "")
        if page_id is not None:
            target = reverse("wagtailadmin_pages:edit", args=[page_id])
        elif not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("wagtailadmin_home")
        if request.headers.get("x-requested-with") == "XMLHttpRequest":
            return render_modal_workflow(
                request, "", None, {}, json_data={"step": "success", "redirect": target}
            )
        return HttpResponseRedirect(target)
