"""The Content-Security-Policy middleware: django-csp with one exception for the admin,
and the policy text kept instead of rebuilt for every response.

The portal runs no inline script at all (`script-src 'self'`, nonces where a template
asks for one). Wagtail 7.4's admin still initialises InlinePanel, MultipleChooserPanel
and the date/time pickers with inline <script> elements rendered by widget templates
that have no request (so no nonce), so paths in `EHOME_CSP_INLINE_SCRIPT_PREFIXES`
get `script-src 'self' 'unsafe-inline'`; every other directive (no plugins, no other
origins to connect to or submit forms to, no framing by other sites) still applies.

django-csp builds the header from the settings on every response (`build_policy` over
the dataclass of the parts): ~60 µs, about 4 % of the CPU of a progress report. Without a
nonce or a per-response override the text depends only on the settings, whether it is
the report-only header and whether the admin exception applies, so it is built once per
process for each of those and forgotten when a CSP setting changes (tests override them).
"""

from __future__ import annotations

from dataclasses import asdict

from csp.constants import HEADER, HEADER_REPORT_ONLY, SELF, UNSAFE_INLINE
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

#: the admin's exception (one object, so that the kept text can be keyed on it)
ADMIN_SCRIPT_SRC = {"script-src": [SELF, UNSAFE_INLINE]}

#: (report_only, admin exception applies) → header text
_KEPT: dict[tuple[bool, bool], str] = {}


@receiver(setting_changed)
def _forget(setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting.startswith("EHOME_CSP"):
        _KEPT.clear()


def policy_text(parts, report_only: bool) -> str:
    """`build_policy` for `parts`, kept when nothing in them belongs to one response."""
    plain = parts.nonce is None and parts.config is None and parts.update is None
    if not plain or parts.replace not in (None, ADMIN_SCRIPT_SRC):
        return build_policy(**asdict(parts), report_only=report_only)
    key = (report_only, parts.replace is not None)
    text = _KEPT.get(key)
    if text is None:
        text = _KEPT[key] = build_policy(**asdict(parts), report_only=report_only)
    return text


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        prefixes = tuple(getattr(settings, "EHOME_CSP_INLINE_SCRIPT_PREFIXES", ()))
        if prefixes and request.path_info.startswith(prefixes) and not parts.replace:
            parts.replace = ADMIN_SCRIPT_SRC
        return parts

    def process_response(self, request, response):
        """django-csp 4.0's `process_response` with `policy_text` for `build_policy`."""
        if response.status_code in (404, 500) and settings.DEBUG:
            return response  # the debug pages
        for header, report_only, exempt, setting in (
            (HEADER, False, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (HEADER_REPORT_ONLY, True, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            text = policy_text(self.get_policy_parts(request, response, report_only), report_only)
            if not text or header in response or getattr(response, exempt, False) is not False:
                continue
            excluded = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES")
            if not request.path_info.startswith(tuple(excluded or ())):
                response[header] = text
        if getattr(request, "_csp_nonce", None) is None:
            # a nonce asked for after the header is written would not be in it
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
