"""`[plugins.ldap_auth]`: where the directory is and how a username becomes a DN; typed, parsed once
by the host at startup (`register_settings`)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from host import PluginSettings

PLACEHOLDER = "{username}"
Seconds = Annotated[float, msgspec.Meta(gt=0)]


class LdapSettings(PluginSettings, frozen=True):  # frozen restated for type checkers (msgspec inherits it)
    url: str = ""
    user_dn_template: str | None = None
    search_base: str | None = None
    search_filter: str | None = None
    bind_dn: str | None = None
    bind_password: str | None = None
    start_tls: bool = False
    ca_file: str | None = None
    connect_timeout: Seconds = 5.0
    timeout: Seconds = 10.0
    username_attribute: str = "uid"
    display_name_attribute: str = "cn"
    email_attribute: str = "mail"
    default_roles: tuple[Annotated[str, msgspec.Meta(min_length=1)], ...] = ()
    # deprovisioning (docs/ldap.md): how old a directory check of a user may be when they use a
    # session or a token, how often the worker re-checks everyone, and what an active entry matches
    recheck_minutes: Annotated[float, msgspec.Meta(gt=0, le=1440)] = 5.0
    sync_minutes: Annotated[float, msgspec.Meta(ge=0, le=1440)] = 5.0
    account_filter: str | None = None

    def __post_init__(self) -> None:
        """The rules between settings; a ValueError names the setting."""
        if not self.url.startswith(("ldap://", "ldaps://")):
            raise ValueError("url is required: ldap://host:port or ldaps://host:port")
        template = self.user_dn_template
        if template is not None and PLACEHOLDER not in template:
            raise ValueError(
                f"user_dn_template must contain {PLACEHOLDER}, "
                f"e.g. uid={PLACEHOLDER},ou=people,dc=example,dc=org"
            )
        searchable = self.search_base and self.search_filter and PLACEHOLDER in self.search_filter
        if template is None and not searchable:
            raise ValueError(
                f"give user_dn_template, or search_base with a search_filter containing {PLACEHOLDER} "
                f"such as (uid={PLACEHOLDER})"
            )
        filtered = self.account_filter
        if filtered is not None and not (filtered.startswith("(") and filtered.endswith(")")):
            raise ValueError(
                "account_filter must be an LDAP filter in parentheses, e.g. (!(nsAccountLock=TRUE))"
            )
        if self.bind_dn and not self.bind_password:
            raise ValueError('bind_dn needs bind_password (it may be {env = "NAME"})')

    @property
    def uses_search(self) -> bool:
        return self.user_dn_template is None
