"""Where a state-changing request may come from.

A browser adds a session cookie or a cached Basic password to any request a foreign page makes
it send, so such a request must come from this server's own origin. It tells us where it comes
from in `Sec-Fetch-Site` and `Origin`; a client that sends neither (curl, scripts) is no browser
and is let through. A request carrying only the `x-release-personal-token` header needs no
check: a browser never adds that header on its own, and a page cannot add it cross-origin
without this server's CORS consent, which it never gives.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import falcon

from host.credentials import presented

CROSS_SITE = "Cross-site requests may not change anything here."
FOREIGN = CROSS_SITE[:-1] + " (this one comes from {origin})."
_DEFAULT_PORTS = {"http": 80, "https": 443}


def refuse_foreign_origin(req: falcon.Request) -> None:
    """403 for a state-changing browser request from another origin, unless only the token header
    authenticates it."""
    found = presented(req)
    if found.token_in_header and not found.authorization:
        return
    site = (req.get_header("Sec-Fetch-Site") or "").strip().lower()
    if site and site not in ("same-origin", "none"):
        raise falcon.HTTPForbidden(title="Forbidden", description=CROSS_SITE)
    origin = req.get_header("Origin")
    if origin is not None and not same_origin(origin, req):
        raise falcon.HTTPForbidden(title="Forbidden", description=FOREIGN.format(origin=origin[:200]))


def same_origin(origin: str, req: falcon.Request) -> bool:
    """Whether `origin` names the host and port this request was sent to.

    The port is compared as the browser saw it: behind a TLS-terminating proxy the server sees
    http while the page was https, so a Host header without a port means the origin's default.
    """
    try:
        parts = urlsplit(origin.strip())
        origin_port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return False
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path or parts.query:
        return False
    host_header = req.get_header("Host") or ""
    try:
        target = urlsplit(f"//{host_header.strip()}")
        target_port = target.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return False
    return (target.hostname or "") == parts.hostname and target_port == origin_port
