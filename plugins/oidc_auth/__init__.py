"""OpenID Connect sign-in: external users sign in at an identity provider and get a local account
(source `external`) whose roles follow their groups. Only hook implementations live here; see
`flow.py` (the two pages), `provider.py` (Authlib, joserfc) and `accounts.py`.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from host import EXTERNAL, PUBLIC, LoginOption, Route, hookimpl
from plugins.oidc_auth.flow import Begin, Callback
from plugins.oidc_auth.provider import Provider, ProviderError
from plugins.oidc_auth.settings import OidcSettings

_providers: WeakKeyDictionary = WeakKeyDictionary()


def provider(host) -> Provider:
    """This process's view of the provider (metadata and keys cached here)."""
    found = _providers.get(host)
    if found is None:
        found = _providers[host] = Provider(host.settings("oidc_auth"))
    return found


@hookimpl
def register_settings(host):
    return OidcSettings


@hookimpl
def register_routes(host):
    return [
        Route(
            "/oidc/login",
            Begin(host, provider(host)),
            {"GET": PUBLIC},
            page=True,
            description="Start signing in at the OpenID provider",
        ),
        Route(
            "/oidc/callback",
            Callback(host, provider(host)),
            {"GET": PUBLIC},
            page=True,
            description="Where the OpenID provider sends the browser back",
        ),
    ]


@hookimpl
def login_options(host, req):
    name = host.settings("oidc_auth").provider_name
    return [LoginOption(label=f"Sign in with {name}", href="/oidc/login")]


@hookimpl
def logout_redirect(host, req, actor):
    """RP-initiated logout for external users: the provider's end-session page, which sends the
    browser back to `post_logout_redirect_uri` (when the provider offers one and it is set)."""
    settings = host.settings("oidc_auth")
    if actor.source != EXTERNAL or not settings.post_logout_redirect_uri:
        return None
    try:
        return provider(host).end_session_url()
    except ProviderError:
        return None
