"""/api/v1/ resources for this domain (filled in by its issue; see docs/api.md)."""

urlpatterns: list = []
