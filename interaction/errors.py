"""The interaction platform's refusals: each a `core.errors.DomainError` with a Chinese
message, a stable code and the HTTP status the API answers with."""

from __future__ import annotations

from core.errors import DomainError


class InteractionError(DomainError):
    code = "invalid"
    status = 400


class RateLimited(InteractionError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
