"""Talking to the directory with ldap3: bind as the user to check a password, read a few attributes.

Every value typed by a user is escaped before it reaches a DN (RFC 4514) or a filter (RFC 4515),
and every network call has a timeout, so a slow directory cannot hold a worker for long.
"""

from __future__ import annotations

import logging
import math
import ssl
from dataclasses import dataclass
from typing import Any

from host import StartupError

try:
    from ldap3 import BASE, SIMPLE, SUBTREE, Connection, Server, Tls
    from ldap3.core.exceptions import LDAPException
    from ldap3.utils.conv import escape_filter_chars
    from ldap3.utils.dn import escape_rdn
except ImportError:  # an optional dependency: the `ldap` extra
    raise StartupError(
        "plugin 'ldap_auth' needs the ldap3 library, which is not installed: "
        "python3 -m pip install 'release-host[ldap]'"
    ) from None

from plugins.ldap_auth.settings import PLACEHOLDER, LdapSettings

log = logging.getLogger("release_host.ldap_auth")
INVALID_CREDENTIALS = 49
NO_SUCH_OBJECT = 32


class DirectoryUnavailable(Exception):
    """The directory could not be asked (down, timeout, TLS, refused service account)."""


@dataclass(frozen=True)
class Entry:
    """The directory's answer for a user whose password it accepted."""

    dn: str
    username: str | None
    display_name: str
    email: str


def _first(attributes: dict[str, Any], name: str) -> str:
    value = attributes.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value is not None else ""


class Directory:
    def __init__(self, settings: LdapSettings) -> None:
        self.settings = settings
        tls = None
        if settings.url.startswith("ldaps://") or settings.start_tls:
            tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=settings.ca_file)
        self.server = Server(settings.url, connect_timeout=settings.connect_timeout, tls=tls, get_info=None)

    def _attributes(self) -> list[str]:
        s = self.settings
        return [s.username_attribute, s.display_name_attribute, s.email_attribute]

    def _bind(self, dn: str | None, password: str | None) -> Connection | None:
        """A bound connection, None when the directory refuses these credentials."""
        conn = Connection(
            self.server,
            user=dn,
            password=password,
            authentication=SIMPLE if dn else None,
            receive_timeout=max(1, math.ceil(self.settings.timeout)),  # ldap3 needs whole seconds
            read_only=True,
            raise_exceptions=False,
        )
        try:
            conn.open()
            if self.settings.start_tls:
                conn.start_tls()
            if conn.bind():
                return conn
        except (LDAPException, OSError) as exc:
            raise DirectoryUnavailable(type(exc).__name__) from None
        if conn.result and conn.result.get("result") != INVALID_CREDENTIALS:
            log.info("LDAP bind refused: %s", conn.result.get("description"))
        conn.unbind()
        return None

    def _entry(self, dn: str, attributes: dict[str, Any]) -> Entry:
        s = self.settings
        return Entry(
            dn=dn,
            username=_first(attributes, s.username_attribute) or None,
            display_name=_first(attributes, s.display_name_attribute),
            email=_first(attributes, s.email_attribute),
        )

    def _read(self, conn: Connection, dn: str) -> dict[str, Any]:
        try:
            if conn.search(dn, "(objectClass=*)", search_scope=BASE, attributes=self._attributes()):
                return dict(conn.response[0].get("attributes", {}))
        except LDAPException as exc:
            log.info("LDAP attributes of a user unreadable: %s", type(exc).__name__)
        return {}

    def _find(self, username: str) -> tuple[str, dict[str, Any]] | None:
        """Search mode: the single entry matching the filter, as the service account sees it."""
        s = self.settings
        service = self._bind(s.bind_dn, s.bind_password)
        if service is None:
            raise DirectoryUnavailable("the service account (bind_dn) was refused")
        try:
            assert s.search_filter is not None  # load_settings requires it in search mode
            query = s.search_filter.replace(PLACEHOLDER, escape_filter_chars(username))
            service.search(
                s.search_base, query, search_scope=SUBTREE, attributes=self._attributes(), size_limit=2
            )
            found = [r for r in service.response or [] if r.get("type") == "searchResEntry"]
        except LDAPException as exc:
            raise DirectoryUnavailable(type(exc).__name__) from None
        finally:
            service.unbind()
        if len(found) != 1:
            return None
        return found[0]["dn"], dict(found[0].get("attributes", {}))

    def active(self, username: str) -> bool:
        """Whether the directory still has this user and their entry matches `account_filter`
        (asked as the service account, or anonymously without one). Raises `DirectoryUnavailable`."""
        s = self.settings
        if s.uses_search:
            found = self._find(username)
            if found is None:
                return False
            dn = found[0]
            if s.account_filter is None:
                return True
        else:
            assert s.user_dn_template is not None  # not search mode
            dn = s.user_dn_template.replace(PLACEHOLDER, escape_rdn(username))
        conn = self._bind(s.bind_dn, s.bind_password)
        if conn is None:
            raise DirectoryUnavailable("the service account (bind_dn) was refused")
        try:
            conn.search(dn, s.account_filter or "(objectClass=*)", search_scope=BASE, attributes=[])
            result = (conn.result or {}).get("result")
            if result not in (0, NO_SUCH_OBJECT):
                raise DirectoryUnavailable(f"search answered {(conn.result or {}).get('description')}")
            return any(r.get("type") == "searchResEntry" for r in conn.response or [])
        except LDAPException as exc:
            raise DirectoryUnavailable(type(exc).__name__) from None
        finally:
            conn.unbind()

    def verify(self, username: str, password: str) -> Entry | None:
        """The user's entry when `password` binds as them; None for an unknown user or a wrong password."""
        if not password:
            return None
        s = self.settings
        if s.uses_search:
            found = self._find(username)
            if found is None:
                return None
            dn, attributes = found
            conn = self._bind(dn, password)
            if conn is None:
                return None
            conn.unbind()
            return self._entry(dn, attributes)
        assert s.user_dn_template is not None  # not search mode
        dn = s.user_dn_template.replace(PLACEHOLDER, escape_rdn(username))
        conn = self._bind(dn, password)
        if conn is None:
            return None
        try:
            return self._entry(dn, self._read(conn, dn))
        finally:
            conn.unbind()
