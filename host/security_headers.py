"""The security headers every response carries, API and pages, answers and errors alike.

Pages rendered by `render_page` already set them (host/pages.py); this fills in whatever a
response lacks, so error pages, redirects, JSON and plugin responses get them too. Responses may
carry secrets (a new token, a session), so nothing is cached unless the resource says otherwise
(static files do).
"""

from __future__ import annotations

from typing import Any

import falcon

from host.pages import CONTENT_SECURITY_POLICY

API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class SecurityHeadersMiddleware:
    """Adds the headers a response does not set itself; first in the stack, so it runs last."""

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        for name, value in HEADERS.items():
            if resp.get_header(name) is None:
                resp.set_header(name, value)
        if resp.get_header("Content-Security-Policy") is None:
            html = (resp.content_type or "").startswith(falcon.MEDIA_HTML)
            resp.set_header(
                "Content-Security-Policy", CONTENT_SECURITY_POLICY if html else API_CONTENT_SECURITY_POLICY
            )
