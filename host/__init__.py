"""Release Host: the public API for plugins. Everything a plugin may import is named here."""

from host.actors import EXTERNAL, INTERNAL, LDAP, Actor
from host.app import Host, create_app
from host.config import Config, load_config
from host.credentials import TOKEN_HEADER, Presented, basic_credentials
from host.credentials import presented as presented_credentials
from host.crypto import Secrets, same
from host.db import BaseModel, PreparedQuery, database, from_db, iso, to_db, write_transaction
from host.errors import AuthenticationFailed, StartupError
from host.events import Event
from host.hookimpl import hookimpl
from host.migrations import Migration, create_tables
from host.navigation import NavLink
from host.pages import render_page, static_url
from host.permissions import ADMIN, Permission
from host.responses import bad_request, json_body, unsafe_text
from host.routes import AUTHENTICATED, PUBLIC, Route
from host.secret_names import secret_name
from host.sessions import csrf_token, end_session, start_session
from host.settings import PluginSettings
from host.users import INVALID_LOGIN, User, actor_for, create_user, ensure_role, find_user, grant_role

__all__ = [
    "ADMIN",
    "AUTHENTICATED",
    "EXTERNAL",
    "INTERNAL",
    "INVALID_LOGIN",
    "LDAP",
    "PUBLIC",
    "PluginSettings",
    "Presented",
    "Actor",
    "AuthenticationFailed",
    "BaseModel",
    "Config",
    "Event",
    "Host",
    "Migration",
    "NavLink",
    "Permission",
    "PreparedQuery",
    "Route",
    "Secrets",
    "StartupError",
    "TOKEN_HEADER",
    "User",
    "bad_request",
    "actor_for",
    "basic_credentials",
    "create_app",
    "create_tables",
    "create_user",
    "csrf_token",
    "database",
    "end_session",
    "ensure_role",
    "find_user",
    "from_db",
    "grant_role",
    "hookimpl",
    "iso",
    "json_body",
    "render_page",
    "presented_credentials",
    "same",
    "secret_name",
    "load_config",
    "start_session",
    "static_url",
    "to_db",
    "unsafe_text",
    "write_transaction",
]
