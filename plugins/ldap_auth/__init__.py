"""LDAP login: directory users sign in with their directory password and get a local account.

Only hook implementations live here; see `directory.py` (ldap3) and `settings.py`.
"""

from __future__ import annotations

from host import hookimpl
from plugins.ldap_auth import login
from plugins.ldap_auth.settings import LdapSettings


@hookimpl
def register_settings(host):
    return LdapSettings


@hookimpl
def authenticate_password(host, username, password):
    return login.authenticate(host, username, password)
