"""The client's address, trusting only the proxies this deployment put in front of us.

`X-Forwarded-For` is written by whoever sent the request: a client can put any address
in it. Only the entries appended by our own proxies are trustworthy, and each proxy
appends the address it received the connection from. With `EHOME_TRUSTED_PROXY_COUNT`
= N (settings; DRF's `NUM_PROXIES` is set to the same number), the client is the N-th
address from the right of `X-Forwarded-For`; with 0 (the default, Django serving
directly) the header is ignored and `REMOTE_ADDR` is the client. Every per-address limit
(the API's throttles, the login limits of every login form) asks this one function.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _valid(addr: str) -> str | None:
    addr = addr.strip()
    if addr.startswith("[") and "]" in addr:  # "[2001:db8::1]:443"
        addr = addr[1 : addr.index("]")]
    elif addr.count(":") == 1:  # "203.0.113.7:5123"
        addr = addr.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(addr))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The client's address for rate limits and logs (never a value the client chose
    unless no trusted proxy is configured and the client connects directly)."""
    meta = getattr(request, "META", request)
    remote = meta.get("REMOTE_ADDR") or ""
    trusted = getattr(settings, "EHOME_TRUSTED_PROXY_COUNT", 0)
    xff = meta.get("HTTP_X_FORWARDED_FOR")
    if trusted <= 0 or not xff:
        return remote
    hops = [h for h in xff.split(",") if h.strip()]
    if not hops:
        return remote
    # fewer entries than proxies: the leftmost was still written by a trusted proxy
    picked = _valid(hops[-min(trusted, len(hops))])
    return picked or remote
