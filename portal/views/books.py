"""Portal pages (being wired to the owning app's services)."""

from django.http import Http404

from portal.access import portal_view


@portal_view
def book_list(request, **kwargs):
    raise Http404("not yet available")


@portal_view
def book_detail(request, **kwargs):
    raise Http404("not yet available")


@portal_view
def book_read(request, **kwargs):
    raise Http404("not yet available")


@portal_view
def book_file(request, **kwargs):
    raise Http404("not yet available")
