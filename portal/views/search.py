"""Portal pages (being wired to the owning app's services)."""

from django.http import Http404

from portal.access import portal_view


@portal_view
def search_page(request, **kwargs):
    raise Http404("not yet available")
