"""Party dues online (一键交党费): dues rules, each member's monthly obligation, the
append-only ledger, payments through gateways (`gateways/`: WeChat Pay, Alipay, sandbox)
and reconciliation against the provider's statements."""
