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


def _page_ids(request, view_kwargs) -> list:
    """The page ids in an admin URL. BOLA harness fixes (tests/security/test_bola.py):
    the admin API's page detail names its page `pk`, and a user without admin access
    gets Wagtail's login redirect for any id (answering 404 here told them the id exists)."""
    ids = [view_kwargs[k] for k in PAGE_ID_KWARGS if k in view_kwargs]
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name.startswith("wagtailadmin_api:pages:"):
        ids += [view_kwargs["pk"]] if "pk" in view_kwargs else []
    user = getattr(request, "user", None)
    if ids and user is not None and not user.has_perm("wagtailadmin.access_admin"):
        return []
    return ids


class PageAdminScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not view_kwargs or not request.path.startswith("/admin/"):
            return None
        ids = _page_ids(request, view_kwargs)
        user = getattr(request, "user", None)
        if not ids or user is None or not user.is_authenticated:
            return None
        from cms.permissions import page_in_admin_scope
        from organizations.selectors import scope_for

        if scope_for(user).is_global:
            return None

        pages = list(Page.objects.filter(pk__in=ids).specific(defer=True))
        if len(pages) < len({str(i) for i in ids}):
            raise Http404  # a missing page: the same answer as another unit's (BOLA harness)
        for page in pages:
            if not page_in_admin_scope(user, page):
                raise Http404
        return None


class ReviewGateMiddleware:
    """Every admin route that could put unit content in front of members without the
    review its audience requires is refused here, with a message naming the required
    step (cms.review decides; Wagtail's own permission checks in cms.permissions and the
    workflow tasks refuse the same things again, without a message):

    - the publish button of the edit/add/revert forms (nobody publishes directly);
    - approving a step one may not approve (not the step's level, own item, second step of
      the same revision) — by the workflow modal, its URL, or the edit form;
    - copying with "publish copies" or as an alias; moving a live item; bulk publish and
      bulk move.
    """

    EDIT_VIEWS = ("wagtailadmin_pages:edit", "wagtailadmin_pages:revisions_revert")
    WORKFLOW_VIEWS = (
        "wagtailadmin_pages:workflow_action",
        "wagtailadmin_pages:collect_workflow_action_data",
    )
    MOVE_VIEWS = ("wagtailadmin_pages:move", "wagtailadmin_pages:move_confirm")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        if match is None or user is None or not user.is_authenticated:
            return None
        if not request.path.startswith("/admin/"):
            return None
        if not user.has_perm("wagtailadmin.access_admin"):
            # Wagtail's login redirect answers them, whatever the id (BOLA harness: the
            # move refusal told a member that another unit's page id exists)
            return None
        name = match.view_name
        if name in self.EDIT_VIEWS and request.method == "POST":
            return self._edit(request, view_kwargs)
        if name == "wagtailadmin_pages:add" and request.method == "POST":
            return self._add(request, view_kwargs)
        if name in self.WORKFLOW_VIEWS:
            return self._workflow_action(request, view_kwargs)
        if name == "wagtailadmin_pages:copy" and request.method == "POST":
            return self._copy(request, view_kwargs)
        if name in self.MOVE_VIEWS:
            return self._move(request, view_kwargs)
        if name == "wagtail_bulk_action" and view_kwargs.get("model_name") == "page":
            return self._bulk(request, view_kwargs)
        return None

    def process_exception(self, request, exception):
        from cms.review import ReviewRefused

        if isinstance(exception, ReviewRefused):
            kwargs = getattr(getattr(request, "resolver_match", None), "kwargs", {}) or {}
            return self._refuse(request, str(exception), page_id=kwargs.get("page_id"))
        return None

    # --- the routes ----------------------------------------------------------------------
    @staticmethod
    def _publish_refusal(request, page=None) -> str:
        """The refusal of a publish button, naming the chain the POSTed units (what would
        be published) need — or, without them, the page's latest revision."""
        from cms.review import chain_text, direct_publish_refusal, review_chain
        from organizations.models import OrgUnit

        ids = [request.POST.get("publishing_unit", ""), request.POST.get("audience_unit", "")]
        ids = [int(v) if v.isdigit() else None for v in ids]
        units = OrgUnit.objects.in_bulk([i for i in ids if i is not None])
        pub, aud = (units.get(i) for i in ids)
        if pub is not None and aud is not None:
            steps = chain_text(review_chain(pub, aud))
            return f"不能直接发布：须经{steps}。请点击“提交审核”，审核通过后自动发布。"
        if page is not None:
            return direct_publish_refusal(page)
        return "不能直接发布：须经本单位审核（发布单位或其上级党组织的审核员）。请点击“提交审核”。"

    def _edit(self, request, kwargs):
        from cms.review import is_reviewed_content

        page = Page.objects.filter(pk=kwargs.get("page_id")).first()
        if page is None or not is_reviewed_content(page.specific_deferred):
            return None
        page = page.specific
        if request.POST.get("action-publish"):
            return self._refuse(request, self._publish_refusal(request, page), page_id=page.pk)
        if (
            request.POST.get("action-workflow-action")
            and request.POST.get("workflow-action-name") == "approve"
        ):
            task_state = page.current_workflow_task_state
            message = self._approval_refusal(task_state, request.user)
            if message:
                return self._refuse(request, message, page_id=page.pk)
        return None

    def _add(self, request, kwargs):
        from django.contrib.contenttypes.models import ContentType

        from cms.models.pages import UnitScopedPage

        if not request.POST.get("action-publish"):
            return None
        try:
            model = ContentType.objects.get_by_natural_key(
                kwargs["content_type_app_name"], kwargs["content_type_model_name"]
            ).model_class()
        except (ContentType.DoesNotExist, KeyError):
            return None
        if model is None or not issubclass(model, UnitScopedPage):
            return None
        return self._refuse(request, self._publish_refusal(request), url=request.path)

    def _approval_refusal(self, task_state, user) -> str | None:
        if task_state is None:
            return None
        task = task_state.task.specific
        refusal = getattr(task, "refusal_for", None)
        if refusal is None:
            return None
        return refusal(task_state.workflow_state.content_object, user, task_state)

    def _workflow_action(self, request, kwargs):
        from wagtail.models import TaskState

        task_state = (
            TaskState.objects.select_related("workflow_state", "revision")
            .filter(pk=kwargs.get("task_state_id"))
            .first()
        )
        if task_state is None or task_state.workflow_state.object_id != str(kwargs.get("page_id")):
            raise Http404  # a step of another item: as if it did not exist
        if kwargs.get("action_name") != "approve" or request.method != "POST":
            return None
        message = self._approval_refusal(task_state, request.user)
        if message:
            return self._refuse(request, message, page_id=kwargs.get("page_id"))
        return None

    def _copy(self, request, kwargs):
        from cms.review import direct_publish_refusal, is_reviewed_content

        publishing = request.POST.get("publish_copies") or request.POST.get("alias")
        if not publishing:
            return None
        page = Page.objects.filter(pk=kwargs.get("page_id")).first()
        if page is None:
            return None
        for p in page.get_descendants(inclusive=True).live().specific(defer=True):
            if is_reviewed_content(p):
                what = "复制的内容不能直接发布（副本或别名）"
                return self._refuse(
                    request, direct_publish_refusal(p.specific, what=what), page_id=page.pk
                )
        return None

    def _move(self, request, kwargs):
        from cms.review import direct_publish_refusal, is_reviewed_content

        page = Page.objects.filter(pk=kwargs.get("page_to_move_id")).first()
        if page is None:
            return None
        for p in page.get_descendants(inclusive=True).live().specific(defer=True):
            if is_reviewed_content(p):
                what = "已发布的内容不能直接移到其他栏目：请先撤下，移动后重新提交审核"
                return self._refuse(
                    request, direct_publish_refusal(p.specific, what=what), page_id=page.pk
                )
        return None

    def _bulk(self, request, kwargs):
        from cms.permissions import page_in_admin_scope
        from cms.review import direct_publish_refusal, is_reviewed_content

        action = kwargs.get("action")
        if action not in ("publish", "move"):
            return None
        ids = request.GET.getlist("id")
        if "all" in ids:
            parent_id = request.GET.get("childOf", "")
            parent = Page.objects.filter(pk=parent_id).first() if parent_id.isdigit() else None
            pages = Page.objects.child_of(parent) if parent else Page.objects.none()
        else:
            pages = Page.objects.filter(pk__in=[i for i in ids if i.isdigit()])
        candidates = Page.objects.none()
        for page in pages:
            if not page_in_admin_scope(request.user, page.specific_deferred):
                raise Http404  # another unit's page: as if it did not exist
            candidates |= page.get_descendants(inclusive=True)
        if action == "move":
            candidates = candidates.live()
        for p in candidates.specific(defer=True):
            if is_reviewed_content(p):
                what = (
                    f"不能批量直接发布“{p.title}”"
                    if action == "publish"
                    else f"已发布的“{p.title}”不能批量移动：请先撤下，移动后重新提交审核"
                )
                return self._refuse(request, direct_publish_refusal(p.specific, what=what))
        return None

    # --- the answer ------------------------------------------------------------------------
    def _refuse(self, request, message: str, *, page_id=None, url: str | None = None):
        from django.contrib import messages
        from django.http import JsonResponse
        from django.shortcuts import redirect
        from django.urls import reverse

        if url is None:
            url = (
                reverse("wagtailadmin_pages:edit", args=(page_id,))
                if page_id
                else reverse("wagtailadmin_home")
            )
        if request.headers.get("x-requested-with") == "XMLHttpRequest":
            if getattr(request.resolver_match, "view_name", "") in self.WORKFLOW_VIEWS:
                from wagtail.admin.modal_workflow import render_modal_workflow

                messages.error(request, message)
                return render_modal_workflow(
                    request, "", None, {}, json_data={"step": "success", "redirect": url}
                )
            return JsonResponse(
                {"success": False, "error_code": "review_required", "error_message": message},
                status=400,
            )
        messages.error(request, message)
        return redirect(url)


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
