"""Models of the app, gathered from its sub-packages.

rules      DuesRate (the regulation's tiers as data), DuesBase (a member's yearly base
           and category, set by the unit)
ledger     LedgerEntry (append-only: obligation, payment, refund, adjustment, voluntary)
orders     PaymentOrder (+ OrderMonth: the months an open order covers), Refund,
           CallbackLog (every provider notification, accepted or rejected)
gateways   SandboxTrade (the embedded sandbox provider's own book of trades)
"""

from dues.gateways.sandbox_models import SandboxTrade  # noqa: F401
from dues.ledger import LedgerEntry  # noqa: F401
from dues.orders import (  # noqa: F401
    CallbackLog,
    OrderMonth,
    PaymentOrder,
    Reconciliation,
    Refund,
)
from dues.rules import DuesBase, DuesRate  # noqa: F401
