"""`[plugins.ldap_auth]`: where the directory is and how a username becomes a DN, checked at startup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from host import StartupError

PLACEHOLDER = "{username}"
KNOWN = {
    "url",
    "user_dn_template",
    "search_base",
    "search_filter",
    "bind_dn",
    "bind_password",
    "start_tls",
    "ca_file",
    "connect_timeout",
    "timeout",
    "username_attribute",
    "display_name_attribute",
    "email_attribute",
    "default_roles",
}


@dataclass(frozen=True)
class LdapSettings:
    url: str
    user_dn_template: str | None = None
    search_base: str | None = None
    search_filter: str | None = None
    bind_dn: str | None = None
    bind_password: str | None = None
    start_tls: bool = False
    ca_file: str | None = None
    connect_timeout: float = 5.0
    timeout: float = 10.0
    username_attribute: str = "uid"
    display_name_attribute: str = "cn"
    email_attribute: str = "mail"
    default_roles: tuple[str, ...] = ()

    @property
    def uses_search(self) -> bool:
        return self.user_dn_template is None


def _fail(message: str) -> StartupError:
    return StartupError(f"[plugins.ldap_auth] {message}")


def load_settings(raw: dict[str, Any]) -> LdapSettings:
    """Validate the table; a mistake stops the startup with a message naming the setting."""
    unknown = sorted(set(raw) - KNOWN)
    if unknown:
        raise _fail(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN))}")
    url = raw.get("url")
    if not isinstance(url, str) or not url.startswith(("ldap://", "ldaps://")):
        raise _fail("url is required: ldap://host:port or ldaps://host:port")
    template = raw.get("user_dn_template")
    if template is not None and (not isinstance(template, str) or PLACEHOLDER not in template):
        raise _fail(
            f"user_dn_template must contain {PLACEHOLDER}, e.g. uid={PLACEHOLDER},ou=people,dc=example,dc=org"
        )
    search_filter = raw.get("search_filter")
    searchable = raw.get("search_base") and isinstance(search_filter, str) and PLACEHOLDER in search_filter
    if template is None and not searchable:
        raise _fail(
            f"give user_dn_template, or search_base with a search_filter containing {PLACEHOLDER} "
            f"such as (uid={PLACEHOLDER})"
        )
    if raw.get("bind_dn") and not raw.get("bind_password"):
        raise _fail('bind_dn needs bind_password (it may be {env = "NAME"})')
    roles = raw.get("default_roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
        raise _fail("default_roles must be a list of role names")
    try:
        connect_timeout = float(raw.get("connect_timeout", LdapSettings.connect_timeout))
        timeout = float(raw.get("timeout", LdapSettings.timeout))
    except (TypeError, ValueError):
        raise _fail("connect_timeout and timeout are numbers of seconds") from None
    if connect_timeout <= 0 or timeout <= 0:
        raise _fail("connect_timeout and timeout must be positive")
    return LdapSettings(
        url=url,
        user_dn_template=template,
        search_base=raw.get("search_base"),
        search_filter=search_filter,
        bind_dn=raw.get("bind_dn"),
        bind_password=raw.get("bind_password"),
        start_tls=bool(raw.get("start_tls", False)),
        ca_file=raw.get("ca_file"),
        connect_timeout=connect_timeout,
        timeout=timeout,
        username_attribute=raw.get("username_attribute", LdapSettings.username_attribute),
        display_name_attribute=raw.get("display_name_attribute", LdapSettings.display_name_attribute),
        email_attribute=raw.get("email_attribute", LdapSettings.email_attribute),
        default_roles=tuple(roles),
    )
