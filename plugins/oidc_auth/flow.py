"""The two pages of the Authorization Code flow: `/oidc/login` sends the browser to the provider,
`/oidc/callback` takes it back and signs it in with the host's own session.

State, nonce and PKCE verifier are all derived (keyed digests) from one random value held in a
short-lived HttpOnly cookie of this browser, so the flow needs no table, no process memory, and
works whichever worker serves each step; a callback without the cookie that began it (another
browser, a replay, login CSRF) matches no state and is refused before any request to the provider
or any database write. The client secret only travels in the token request's Basic header.
"""

from __future__ import annotations

import logging
import re
import secrets

import falcon

from host import Host, actor_for, render_page, same, start_session
from plugins.oidc_auth.accounts import Refused, sign_in
from plugins.oidc_auth.provider import CodeRefused, Provider, ProviderError, TokenRefused

log = logging.getLogger("release_host.oidc_auth")

COOKIE = "release_host_oidc"
FLOW_MINUTES = 10
_FLOW = re.compile(r"[A-Za-z0-9_-]{40,64}")
_ERROR_CODE = re.compile(r"[a-z_]{1,40}")
LOGIN_PERMISSION = "login"
NO_LOGIN = (
    "You signed in at {provider}, but none of your groups gives you access to Release Host. "
    "Ask an administrator to map one of your groups to a role that may log in."
)
EXPIRED = "This sign-in expired or was started in another browser. Go back to the login page and try again."


def cookie_name(host: Host) -> str:
    return f"__Host-{COOKIE}" if host.config.secure_cookies else COOKIE


def derived(host: Host, flow: str) -> tuple[str, str, str]:
    """(state, nonce, PKCE code verifier) of one flow; hex, so valid for each (RFC 7636: 43-128)."""
    return tuple(host.secrets.digest(flow, f"oidc-{what}") for what in ("state", "nonce", "pkce"))  # type: ignore[return-value]


def refuse(host: Host, req: falcon.Request, resp: falcon.Response, message: str, status: str) -> None:
    resp.unset_cookie(cookie_name(host), path="/", same_site="Lax")
    render_page(host, req, resp, "host/error.html", status=status, title="Sign-in refused", message=message)


class Begin:
    """`GET /oidc/login`: a new flow cookie, then 303 to the provider's authorization endpoint."""

    def __init__(self, host: Host, provider: Provider) -> None:
        self.host = host
        self.provider = provider

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        flow = secrets.token_urlsafe(32)
        state, nonce, verifier = derived(self.host, flow)
        try:
            url = self.provider.authorization_url(state=state, nonce=nonce, code_verifier=verifier)
        except ProviderError as exc:
            log.warning("OIDC provider unavailable: %s", exc)
            message = f"{self.provider.settings.provider_name} cannot be reached just now; try again later."
            render_page(
                self.host,
                req,
                resp,
                "host/error.html",
                status=falcon.HTTP_503,
                title="Sign-in unavailable",
                message=message,
            )
            return
        resp.set_cookie(
            cookie_name(self.host),
            flow,
            path="/",
            max_age=FLOW_MINUTES * 60,
            http_only=True,
            secure=self.host.config.secure_cookies,
            same_site="Lax",
        )
        resp.set_header("Cache-Control", "no-store")
        resp.status = falcon.HTTP_303
        resp.location = url


class Callback:
    """`GET /oidc/callback?code&state`: check the state, exchange the code, verify the ID token,
    update the local user, and start a session (or say on a page why not)."""

    def __init__(self, host: Host, provider: Provider) -> None:
        self.host = host
        self.provider = provider

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        settings = self.provider.settings
        values = req.get_cookie_values(cookie_name(self.host)) or []
        flow = values[0] if values and _FLOW.fullmatch(values[0]) else None
        if flow is None:
            refuse(self.host, req, resp, EXPIRED, falcon.HTTP_400)
            return
        state, nonce, verifier = derived(self.host, flow)
        if not same(req.get_param("state") or "", state):
            log.warning("OIDC callback refused: the state does not match this browser's flow")
            refuse(self.host, req, resp, EXPIRED, falcon.HTTP_400)
            return
        issuer = req.get_param("iss")
        if issuer is not None and issuer != settings.issuer:  # RFC 9207: an answer of another provider
            log.warning("OIDC callback refused: it names another issuer")
            refuse(self.host, req, resp, EXPIRED, falcon.HTTP_400)
            return
        error = req.get_param("error") or ""
        if error:
            code = error if _ERROR_CODE.fullmatch(error) else "unknown"
            refuse(
                self.host,
                req,
                resp,
                f"{settings.provider_name} did not sign you in ({code}).",
                falcon.HTTP_403,
            )
            return
        code = req.get_param("code") or ""
        if not code or len(code) > 2000:
            refuse(self.host, req, resp, EXPIRED, falcon.HTTP_400)
            return
        try:
            claims = self.provider.verify(
                self.provider.exchange(code, verifier), nonce=nonce, now=self.host.now()
            )
            user = sign_in(self.host, settings, claims)
        except TokenRefused as exc:
            log.warning("OIDC sign-in refused: %s", exc)
            refuse(
                self.host,
                req,
                resp,
                f"The answer of {settings.provider_name} was refused: {exc}.",
                falcon.HTTP_403,
            )
            return
        except CodeRefused as exc:  # a callback used twice (double submit, back button) or too late
            log.warning("OIDC sign-in refused: %s", exc)
            refuse(self.host, req, resp, EXPIRED, falcon.HTTP_400)
            return
        except ProviderError as exc:
            log.warning("OIDC sign-in failed: %s", exc)
            refuse(
                self.host,
                req,
                resp,
                f"Signing in with {settings.provider_name} failed: {exc}.",
                falcon.HTTP_502,
            )
            return
        except Refused as exc:
            refuse(self.host, req, resp, str(exc), falcon.HTTP_403)
            return
        if not self.host.allowed(actor_for(user, via="session"), LOGIN_PERMISSION):
            log.info("OIDC sign-in of %s refused: no role grants login", user.username)
            refuse(self.host, req, resp, NO_LOGIN.format(provider=settings.provider_name), falcon.HTTP_403)
            return
        start_session(self.host, req, resp, user)
        resp.unset_cookie(cookie_name(self.host), path="/", same_site="Lax")
        resp.set_header("Cache-Control", "no-store")
        resp.status = falcon.HTTP_303
        resp.location = "/"
        log.info("OIDC sign-in of %s", user.username)
