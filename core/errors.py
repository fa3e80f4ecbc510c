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
