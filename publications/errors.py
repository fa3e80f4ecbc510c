from core.errors import DomainError


class PublicationError(DomainError):
    """A publications action refused (bad attachment, wrong audience …)."""
