"""The academy's refusals: a stable `code` and an HTTP `status` for the API, a `message`
for people (Chinese). Services raise them; the API and the portal map them."""

from __future__ import annotations

from core.errors import DomainError


class AcademyError(DomainError):
    """An action the academy refuses (api.errors maps `code` and `status`)."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message, code=code, status=status)


class ProgressRejected(AcademyError):
    """A progress report the server refuses (nothing was recorded)."""
