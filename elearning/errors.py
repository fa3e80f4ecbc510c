"""The academy's refusals: a stable `code` and an HTTP `status` for the API, a `message`
for people (Chinese). Services raise them; the API and the portal map them."""

from __future__ import annotations


class AcademyError(Exception):
    """A refused action; `code` and `status` map to the API error body."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class ProgressRejected(AcademyError):
    """A progress report the server refuses (nothing was recorded)."""
