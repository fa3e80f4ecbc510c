"""Portal pages (being wired to the owning app's services)."""

from django.http import Http404

from portal.access import portal_view


@portal_view
def dashboard(request, **kwargs):
    raise Http404("not yet available")


@portal_view
def dashboard_members(request, **kwargs):
    raise Http404("not yet available")


@portal_view
def dashboard_export(request, **kwargs):
    raise Http404("not yet available")
