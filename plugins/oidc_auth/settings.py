"""`[plugins.oidc_auth]`: which OpenID provider, this host's client there, and how its claims become
a local user and roles; typed, parsed once by the host at startup (`register_settings`)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from host import PluginSettings

Seconds = Annotated[float, msgspec.Meta(gt=0)]
Name = Annotated[str, msgspec.Meta(min_length=1)]


class OidcSettings(PluginSettings, frozen=True):  # frozen restated for type checkers (msgspec inherits it)
    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""
    redirect_uri: str = ""
    provider_name: str = "OpenID Connect"
    scopes: tuple[Name, ...] = ("openid", "profile", "email", "groups")
    username_claim: str = "preferred_username"
    email_claim: str = "email"
    name_claim: str = "name"
    groups_claim: str = "groups"
    roles: dict[str, str] = {}
    default_roles: tuple[Name, ...] = ()
    algorithms: tuple[Name, ...] = ("RS256", "ES256")
    clock_skew: Annotated[int, msgspec.Meta(ge=0, le=600)] = 60
    timeout: Seconds = 10.0
    metadata_cache_seconds: Seconds = 3600.0
    jwks_refresh_min_seconds: Annotated[float, msgspec.Meta(ge=0)] = 60.0
    post_logout_redirect_uri: str = ""

    def __post_init__(self) -> None:
        """The rules between settings; a ValueError names the setting."""
        if not self.issuer.startswith(("https://", "http://")):
            raise ValueError(
                "issuer is required: the provider's URL, e.g. https://login.example.org/realms/x"
            )
        if not self.client_id:
            raise ValueError("client_id is required (the client registered at the provider)")
        if not self.client_secret:
            raise ValueError('client_secret is required; give it as {env = "NAME"}')
        if not self.redirect_uri.startswith(("https://", "http://")) or "?" in self.redirect_uri:
            raise ValueError(
                "redirect_uri is required: this host's https://HOST/oidc/callback "
                "(as registered at the provider)"
            )
        if self.post_logout_redirect_uri and not self.post_logout_redirect_uri.startswith(
            ("https://", "http://")
        ):
            raise ValueError(
                "post_logout_redirect_uri must be an absolute URL, e.g. https://HOST/login?logged_out=1"
            )
        if "openid" not in self.scopes:
            raise ValueError('scopes must include "openid"')
        unknown = sorted(set(self.algorithms) - {"RS256", "ES256", "PS256", "EdDSA"})
        if unknown:
            raise ValueError(f"algorithms: unsupported {', '.join(unknown)} (RS256, ES256, PS256, EdDSA)")

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"
