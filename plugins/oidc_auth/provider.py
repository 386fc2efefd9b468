"""The OpenID provider as this host sees it: discovery, the signing keys, and verified ID tokens.

The protocol is Authlib's (`OAuth2Session`: the authorization URL with PKCE, the code exchange
with client_secret_basic) and the JOSE work is joserfc's; nothing here parses a JWT by hand.
Metadata and keys are cached per process (they are public, and every worker may fetch its own
copy); an ID token signed with a key id this process does not know refetches the key set once,
at most every `jwks_refresh_min_seconds`, so a key rotation at the provider is followed and a
stream of forged key ids cannot make us hammer it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import requests

from host import StartupError

try:
    from authlib.integrations.base_client.errors import OAuthError
    from authlib.integrations.requests_client import OAuth2Session
    from authlib.oauth2.rfc6749.errors import OAuth2Error
    from joserfc import jws, jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet
except ImportError as exc:  # an optional dependency: the `oidc` extra
    raise StartupError(
        f"plugin 'oidc_auth' needs the Authlib library, which is not installed ({exc}): "
        "python3 -m pip install 'release-host[oidc]'"
    ) from None

from plugins.oidc_auth.settings import OidcSettings

log = logging.getLogger("release_host.oidc_auth")


class ProviderError(Exception):
    """The provider could not be asked, or answered something unusable (the message is safe to show)."""


class CodeRefused(ProviderError):
    """The token endpoint refused the code (used already, expired): the browser's fault, a 4xx."""


class TokenRefused(Exception):
    """The ID token is not one this host accepts (the message names the check, never the token)."""


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


class Provider:
    """One provider's metadata and keys for this process, and the two protocol steps."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._metadata: Metadata | None = None
        self._metadata_until = 0.0
        self._keys: KeySet | None = None
        self._keys_at: datetime | None = None

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            answer = requests.get(url, timeout=self.settings.timeout, headers={"Accept": "application/json"})
            answer.raise_for_status()
            found = answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderError(f"the provider did not answer {url} ({type(exc).__name__})") from None
        if not isinstance(found, dict):
            raise ProviderError(f"the provider's {url} is not a JSON object")
        return found

    def metadata(self) -> Metadata:
        """`/.well-known/openid-configuration`, cached; its issuer must be the configured one."""
        with self._lock:
            if self._metadata is not None and time.monotonic() < self._metadata_until:
                return self._metadata
        found = self._get_json(self.settings.discovery_url)
        try:
            metadata = Metadata(
                issuer=str(found["issuer"]),
                authorization_endpoint=str(found["authorization_endpoint"]),
                token_endpoint=str(found["token_endpoint"]),
                jwks_uri=str(found["jwks_uri"]),
                end_session_endpoint=found.get("end_session_endpoint"),
            )
        except KeyError as exc:
            raise ProviderError(f"the provider's discovery document lacks {exc.args[0]}") from None
        if metadata.issuer != self.settings.issuer:
            raise ProviderError("the provider's discovery document names another issuer")
        with self._lock:
            self._metadata, self._metadata_until = (
                metadata,
                time.monotonic() + self.settings.metadata_cache_seconds,
            )
        return metadata

    def _key_set(self, now: datetime, kid: str | None) -> KeySet:
        """The cached keys; refetched when there are none yet, or once (rate-limited) for an unknown kid."""
        with self._lock:
            keys, fetched_at = self._keys, self._keys_at
        known = keys is not None and (kid is None or any(k.kid == kid for k in keys.keys))
        if known:
            assert keys is not None
            return keys
        recently = (
            fetched_at is not None
            and (now - fetched_at).total_seconds() < self.settings.jwks_refresh_min_seconds
        )
        if keys is not None and recently:
            return keys  # the unknown kid is refused below; no second fetch inside the interval
        try:
            fresh = KeySet.import_key_set(self._get_json(self.metadata().jwks_uri))  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError) as exc:
            raise ProviderError(f"the provider's key set is unusable ({type(exc).__name__})") from None
        with self._lock:
            self._keys, self._keys_at = fresh, now
        if keys is not None:
            log.info("OIDC key set refetched for an unknown key id")
        return fresh

    def session(self, **extra: Any) -> OAuth2Session:
        s = self.settings
        return OAuth2Session(
            client_id=s.client_id,
            client_secret=s.client_secret,
            scope=" ".join(s.scopes),
            redirect_uri=s.redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
            **extra,
        )

    def authorization_url(self, *, state: str, nonce: str, code_verifier: str) -> str:
        url, _ = self.session().create_authorization_url(
            self.metadata().authorization_endpoint, state=state, nonce=nonce, code_verifier=code_verifier
        )
        return str(url)

    def end_session_url(self) -> str | None:
        """The provider's end-session page for this client (no ID token is kept to hint with)."""
        endpoint = self.metadata().end_session_endpoint
        if not endpoint:
            return None
        query = urlencode(
            {
                "client_id": self.settings.client_id,
                "post_logout_redirect_uri": self.settings.post_logout_redirect_uri,
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    def exchange(self, code: str, code_verifier: str) -> str:
        """The ID token the token endpoint gives for this code (PKCE verifier, client secret in Basic)."""
        try:
            token = self.session().fetch_token(
                self.metadata().token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                timeout=self.settings.timeout,
            )
        except (OAuth2Error, OAuthError) as exc:  # the requests client raises the latter
            raise CodeRefused(f"the provider refused the code ({exc.error})") from None
        except requests.RequestException as exc:
            raise ProviderError(
                f"the provider's token endpoint did not answer ({type(exc).__name__})"
            ) from None
        id_token = token.get("id_token") if isinstance(token, dict) else None
        if not isinstance(id_token, str):
            raise ProviderError("the provider's token response has no ID token")
        return id_token

    def verify(self, id_token: str, *, nonce: str, now: datetime) -> dict[str, Any]:
        """The claims of a valid ID token: signature (allowed algorithms, the provider's keys), iss,
        aud, exp and iat with the configured clock skew, and the nonce of this browser's flow."""
        s = self.settings
        try:
            header = jws.extract_compact(id_token.encode("ascii")).headers()
        except (JoseError, ValueError, UnicodeError):
            raise TokenRefused("the ID token is malformed") from None
        if header.get("alg") not in s.algorithms:
            raise TokenRefused("the ID token is signed with an algorithm this host does not accept")
        keys = self._key_set(now, header.get("kid"))
        try:
            token = jwt.decode(id_token, keys, algorithms=list(s.algorithms))
        except JoseError as exc:
            raise TokenRefused(f"the ID token's signature does not verify ({exc.error})") from None
        registry = jwt.JWTClaimsRegistry(
            now=int(now.timestamp()),
            leeway=s.clock_skew,
            iss={"essential": True, "value": s.issuer},
            aud={"essential": True, "value": s.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(token.claims)
        except JoseError as exc:
            raise TokenRefused(f"the ID token was refused ({exc.error}: {exc.description})") from None
        aud = token.claims.get("aud")
        if isinstance(aud, list) and len(aud) > 1 and token.claims.get("azp") != s.client_id:
            raise TokenRefused("the ID token is meant for several clients and not authorized for this one")
        return dict(token.claims)
