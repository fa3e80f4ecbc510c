"""Portal pages (being wired to the owning app's services)."""

from django.http import Http404

from portal.access import portal_view


@portal_view
def exam_detail(request, **kwargs):
    raise Http404("not yet available")


@portal_view
def exam_start(request, **kwargs):
    raise Http404("not yet available")


@portal_view
def attempt_take(request, **kwargs):
    raise Http404("not yet available")


@portal_view
def attempt_result(request, **kwargs):
    raise Http404("not yet available")


@portal_view
def contest_list(request, **kwargs):
    raise Http404("not yet available")


@portal_view
def contest_detail(request, **kwargs):
    raise Http404("not yet available")


@portal_view
def contest_play(request, **kwargs):
    raise Http404("not yet available")


@portal_view
def contest_leaderboard(request, **kwargs):
    raise Http404("not yet available")
