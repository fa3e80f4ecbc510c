from core.errors import DomainError


class DuesError(DomainError):
    """A dues action refused (nothing due, already paid, an open order, a bad refund)."""

    code = "dues_invalid"
    status = 400


class AmountMismatch(DomainError):
    """A provider notification whose amount is not the order's."""

    code = "amount_mismatch"
    status = 400
