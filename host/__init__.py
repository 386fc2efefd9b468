"""Release Host: the public API for plugins. Everything a plugin may import is named here."""

from host.accounts import disable_user, set_user_roles
from host.actors import EXTERNAL, INTERNAL, LDAP, Actor
from host.app import Host, create_app
from host.arguments import number_argument
from host.bodies import read_body
from host.config import Config, load_config
from host.credentials import TOKEN_HEADER, Presented, basic_credentials
from host.credentials import presented as presented_credentials
from host.crypto import Secrets, same
from host.db import BaseModel, PreparedQuery, database, from_db, iso, to_db, write_transaction
from host.errors import AuthenticationFailed, StartupError
from host.events import Event
from host.hookimpl import hookimpl
from host.jobs import Periodic, enqueue_job, run_due_jobs
from host.limits import TooManyAttempts, check_attempts, check_known_block, client_address, record_failure
from host.migrations import Migration, create_tables
from host.navigation import LoginOption, NavLink
from host.pages import Pager, pager, render_page, static_url
from host.permissions import ADMIN, SECURITY_EDIT, Permission
from host.query import query_int
from host.responses import bad_request, json_body, unsafe_text
from host.routes import AUTHENTICATED, PUBLIC, Operation, Route
from host.secret_names import secret_name
from host.sessions import csrf_token, end_session, start_session
from host.settings import PluginSettings
from host.typed_bodies import ErrorBody, read_json, read_query, send_json
from host.usernames import UsernameError, check_username, username_key
from host.users import (
    INVALID_LOGIN,
    User,
    actor_for,
    actor_with_permissions,
    create_user,
    ensure_role,
    find_user,
    grant_role,
    permissions_column,
)

__all__ = [
    "ADMIN",
    "AUTHENTICATED",
    "EXTERNAL",
    "INTERNAL",
    "INVALID_LOGIN",
    "LDAP",
    "PUBLIC",
    "SECURITY_EDIT",
    "PluginSettings",
    "Presented",
    "Actor",
    "AuthenticationFailed",
    "BaseModel",
    "Config",
    "Event",
    "Host",
    "Migration",
    "Operation",
    "Periodic",
    "ErrorBody",
    "LoginOption",
    "NavLink",
    "Permission",
    "PreparedQuery",
    "Route",
    "Secrets",
    "StartupError",
    "TOKEN_HEADER",
    "TooManyAttempts",
    "User",
    "UsernameError",
    "bad_request",
    "actor_for",
    "actor_with_permissions",
    "check_attempts",
    "check_known_block",
    "client_address",
    "basic_credentials",
    "check_username",
    "create_app",
    "create_tables",
    "create_user",
    "disable_user",
    "csrf_token",
    "database",
    "end_session",
    "ensure_role",
    "enqueue_job",
    "find_user",
    "from_db",
    "grant_role",
    "hookimpl",
    "iso",
    "json_body",
    "read_body",
    "read_json",
    "read_query",
    "send_json",
    "Pager",
    "pager",
    "set_user_roles",
    "render_page",
    "permissions_column",
    "presented_credentials",
    "same",
    "secret_name",
    "load_config",
    "number_argument",
    "query_int",
    "record_failure",
    "run_due_jobs",
    "start_session",
    "static_url",
    "to_db",
    "unsafe_text",
    "username_key",
    "write_transaction",
]
