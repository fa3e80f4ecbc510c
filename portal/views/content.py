"""Portal pages (being wired to the owning app's services)."""

from django.http import Http404

from portal.access import portal_view


@portal_view
def news_list(request, **kwargs):
    raise Http404("not yet available")


@portal_view
def news_detail(request, **kwargs):
    raise Http404("not yet available")


@portal_view
def story_list(request, **kwargs):
    raise Http404("not yet available")


@portal_view
def story_detail(request, **kwargs):
    raise Http404("not yet available")


@portal_view
def digest_latest(request, **kwargs):
    raise Http404("not yet available")


@portal_view
def digest_detail(request, **kwargs):
    raise Http404("not yet available")
