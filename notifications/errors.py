from core.errors import DomainError


class NotificationError(DomainError):
    """A send that cannot be made as asked (unknown kind, a template field missing)."""

    code = "invalid"
    status = 400
