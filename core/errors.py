"""The one base for an action the domain refuses.

A service raises a subclass of `DomainError` (organizations' `OrganizationError`, the
academy's `AcademyError` and `ProgressRejected`, the media pipeline's `AssetInputError`,
…) with a Chinese `message` for people, a stable machine `code` and the HTTP `status` the
API answers with. `api.errors` maps every one of them, once, to the API's error body
``{"error": {"code", "message", "fields": {}}}``; the admin, the portal and management
commands show `message`. A subclass sets its usual `code`/`status` as class attributes; a
raise may override them.
"""

from __future__ import annotations


class DomainError(Exception):
    code: str = "invalid"
    status: int = 400

    def __init__(self, message: str = "", *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class ObjectNotFound(DomainError):
    """No such object — or one outside the caller's scope: the same answer, so that a
    prober learns nothing from an id. Each app's `access_<entity>_by_id(user, id, *,
    action)` raises it; the API answers it as its usual 404 ``not_found`` (api.errors),
    the portal as Http404 (portal.access)."""

    code = "not_found"
    status = 404
