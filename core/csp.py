"""The Content-Security-Policy middleware: django-csp with one exception for the admin.

The portal runs no inline script at all (`script-src 'self'`, nonces where a template
asks for one). Wagtail 7.4's admin still initialises InlinePanel, MultipleChooserPanel
and the date/time pickers with inline <script> elements rendered by widget templates
that have no request (so no nonce), so paths in `EHOME_CSP_INLINE_SCRIPT_PREFIXES`
get `script-src 'self' 'unsafe-inline'`; every other directive (no plugins, no other
origins to connect to or submit forms to, no framing by other sites) still applies.
"""

from __future__ import annotations

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from django.conf import settings


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        prefixes = tuple(getattr(settings, "EHOME_CSP_INLINE_SCRIPT_PREFIXES", ()))
        if prefixes and request.path_info.startswith(prefixes) and not parts.replace:
            parts.replace = {"script-src": [SELF, UNSAFE_INLINE]}
        return parts
