"""Failed-login limits for every way in: the Wagtail admin (/admin/login/), the portal
(/accounts/login/), the Django admin (/django-admin/login/), the API's token endpoint and
its refresh endpoint.

Failures are counted per account (the username as typed, case-insensitive, from any
address) and per client address (`core.client_ip`: X-Forwarded-For only through the
trusted proxies, any account), each in a fixed window (`api.throttling.window_hit`, one
atomic counter per window). Once either count reaches its limit, further attempts of
that account or from that address are refused until the window ends — even with the
right password — without checking the password: a form shows a Chinese message with the
wait, the API answers 429 with `Retry-After`. A successful login clears its account's
count. Limits: `EHOME_LOGIN_LIMIT_ACCOUNT` and `EHOME_LOGIN_LIMIT_ADDRESS` (settings), as
"count/period", e.g. "5/5m". While Redis is unavailable the project's cache
(`core.cache`) keeps these counters in each process's memory, so the limits still hold,
per process; only a cache that raises (not the project's) makes them fail open, with a
warning logged, rather than locking everybody out.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm

from api.throttling import window_hit
from core.client_ip import client_ip

logger = logging.getLogger(__name__)

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "5/5m" → (5, 300); "10/min" → (10, 60)."""
    match = _RATE.match(rate or "")
    if not match:
        raise ImproperlyConfigured(f"登录限制格式应为“次数/时长”，如 5/5m，而不是 {rate!r}")
    count, mult, unit = match.groups()
    return int(count), int(mult or 1) * _UNIT[unit]


def _limits() -> list[tuple[str, int, int]]:
    acct = parse_rate(settings.EHOME_LOGIN_LIMIT_ACCOUNT)
    addr = parse_rate(settings.EHOME_LOGIN_LIMIT_ADDRESS)
    return [("acct", *acct), ("addr", *addr)]


def _idents(request, account) -> dict[str, str]:
    out = {}
    if isinstance(account, str) and account.strip():
        name = account.strip().lower()[:150].encode("utf-8", "surrogatepass")
        out["acct"] = hashlib.sha256(name).hexdigest()[:32]
    if request is not None:
        address = client_ip(request)
        if address:
            out["addr"] = address
    return out


def _key(kind: str, ident: str, duration: int, window: int) -> str:
    # "throttle_": while Redis is unavailable core.cache counts these in process memory
    return f"throttle_login:{kind}:{ident}:{duration}:{window}"


def login_wait(request, account) -> int | None:
    """Seconds this account or address must wait before trying again; None if it may."""
    idents = _idents(request, account)
    now = time.time()
    keys = {}
    for kind, limit, duration in _limits():
        if kind in idents:
            window = int(now // duration)
            keys[_key(kind, idents[kind], duration, window)] = (limit, (window + 1) * duration)
    if not keys:
        return None
    try:
        counts = cache.get_many(list(keys))
    except Exception:  # noqa: BLE001 - cache down: the limits fail open
        logger.warning("login limits: cache unavailable", exc_info=True)
        return None
    waits = [end - now for key, (limit, end) in keys.items() if int(counts.get(key) or 0) >= limit]
    return max(1, math.ceil(max(waits))) if waits else None


def login_failed(request, account) -> None:
    """Count one failed attempt against the account and the address."""
    idents = _idents(request, account)
    now = time.time()
    for kind, _limit, duration in _limits():
        if kind in idents:
            window = int(now // duration)
            try:
                window_hit(cache, _key(kind, idents[kind], duration, window), duration)
            except Exception:  # noqa: BLE001 - cache down: the limits fail open
                logger.warning("login limits: cache unavailable", exc_info=True)
                return


def login_succeeded(request, account) -> None:
    """The account's failures are forgiven (the address's are not)."""
    idents = _idents(request, account)
    if "acct" in idents:
        now = time.time()
        _kind, _limit, duration = _limits()[0]
        try:
            cache.delete(_key("acct", idents["acct"], duration, int(now // duration)))
        except Exception:  # noqa: BLE001 - nothing to forgive without a cache
            logger.warning("login limits: cache unavailable", exc_info=True)


def wait_message(wait: int) -> str:
    if wait < 60:
        return f"登录失败次数过多，请 {wait} 秒后再试"
    return f"登录失败次数过多，请 {math.ceil(wait / 60)} 分钟后再试"


# --- the login forms -----------------------------------------------------------------------
class ThrottledLoginFormMixin:
    """For Django's AuthenticationForm and its subclasses (Django admin, Wagtail admin,
    portal): refuse before checking the password while the account or address is
    blocked; count each refused login."""

    throttled_message = ""  # for templates that word other errors their own way

    def clean(self):
        account = self.cleaned_data.get("username")
        request = getattr(self, "request", None)
        wait = login_wait(request, account)
        if wait is not None:
            self.throttled_message = wait_message(wait)
            raise forms.ValidationError(self.throttled_message, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_failed(request, account)
            raise
        login_succeeded(request, account)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginFormMixin, AuthenticationForm):
    """The portal's /accounts/login/."""


class ThrottledAdminAuthenticationForm(ThrottledLoginFormMixin, AdminAuthenticationForm):
    """The Django admin's /django-admin/login/."""


class ThrottledWagtailLoginForm(ThrottledLoginFormMixin, WagtailLoginForm):
    """The Wagtail admin's /admin/login/ (settings.WAGTAILADMIN_USER_LOGIN_FORM)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Wagtail declares the field without a label: Django would show "Password"
        self.fields["password"].label = gettext_lazy("密码")
