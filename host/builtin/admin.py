"""Built-in plugin: Configuration › Users and Configuration › Roles, for holders of `security#edit`.

The pages are server-rendered HTML forms (POST, then a redirect back: no script needed beyond
opening the dialogs). Every change goes through `host.accounts` or `host.users`, as the CLI's
do, so disabling a user or taking away `login` ends their sessions here too. A change that would
take the page's own permission away from the person making it is refused: an administrator
cannot lock themselves out from a page.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlencode

import falcon

from host import accounts, users
from host.actors import USER_SOURCES, Actor
from host.builtin.pages import _form
from host.db import write_transaction
from host.hookimpl import hookimpl
from host.navigation import NavLink
from host.pages import pager, render_page
from host.passwords import PasswordError
from host.permissions import SECURITY_EDIT
from host.query import query_int
from host.routes import Route

USERS = "/configuration/users"
ROLES = "/configuration/roles"
PAGE_SIZE = 50
MAX_ROLE_NAME = 100
DONE = {
    "created": "User {name} created.",
    "enabled": "User {name} enabled.",
    "disabled": "User {name} disabled; their browser sessions have ended.",
    "roles": "Roles of {name} saved.",
    "role-created": "Role {name} created.",
    "role-saved": "Permissions of role {name} saved.",
}
LOCKOUT = "This change would take away your own {permission} permission; ask another administrator."


class Refused(Exception):
    """A change the page explains instead of making (shown above the table, status 400)."""


def _values(form: dict[str, Any], name: str) -> list[str]:
    value = form.get(name, [])
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str)]


def _value(form: dict[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def security_event(host, name: str, req: falcon.Request, **payload: Any) -> None:
    """Tell plugins (pat_auth records it in the audit) what an administrator changed, once committed."""
    actor: Actor = req.context.actor
    host.emit(name, {**payload, "by": actor.username, "ip": req.remote_addr}, actor=actor, source="host")


def _see_other(resp: falcon.Response, path: str, done: str, name: str) -> None:
    resp.status = falcon.HTTP_303
    resp.location = f"{path}?{urlencode({'done': done, 'name': name})}"


def _done_message(req: falcon.Request) -> str:
    template = DONE.get(req.get_param("done") or "")
    return template.format(name=req.get_param("name") or "") if template else ""


def _keep_own_access(host, actor: Actor) -> None:
    """Inside the change's transaction: refuse (and so roll back) if the actor lost the permission."""
    me = users.User.get_or_none(users.User.id == actor.user_id)
    if me is None or not me.enabled or not host.allowed(users.actor_for(me, via="session"), SECURITY_EDIT):
        raise Refused(LOCKOUT.format(permission=SECURITY_EDIT))


def _roles_by_name() -> dict[str, users.Role]:
    return {role.name: role for role in users.Role.select().order_by(users.Role.name)}


class UsersPage:
    """`GET /configuration/users` lists users (search by name); `POST` creates one."""

    def __init__(self, host) -> None:
        self.host = host

    def _render(
        self, req, resp, *, error: str = "", form: dict[str, Any] | None = None, status=falcon.HTTP_200
    ):
        search = (req.get_param("q") or "").strip()[:150]
        page = query_int(req, "page", 0, 0, 100_000)
        query = users.User.select()
        if search:
            query = query.where(
                users.User.username.contains(search) | users.User.display_name.contains(search)
            )
        total = query.count()
        found = list(query.order_by(users.User.username).offset(page * PAGE_SIZE).limit(PAGE_SIZE))
        render_page(
            self.host,
            req,
            resp,
            "host/admin_users.html",
            status=status,
            title="Users",
            users=[(user, users.roles_of(user)) for user in found],
            roles=list(_roles_by_name()),
            sources=USER_SOURCES,
            search=search,
            pager=pager(req, page, PAGE_SIZE, total=total, keep={"q": search}),
            done=_done_message(req),
            error=error,
            form=form,
            users_path=USERS,
        )

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._render(req, resp)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        form = _form(req)
        username, source = _value(form, "username"), _value(form, "source") or users.INTERNAL
        password = form.get("password") if isinstance(form.get("password"), str) else ""
        wanted = _values(form, "role")
        kept = {"username": username, "source": source, "roles": wanted}
        try:
            roles = _roles_by_name()
            unknown = [name for name in wanted if name not in roles]
            if unknown:
                raise Refused(f"There is no role {unknown[0]!r}.")
            if source == users.INTERNAL and not password:
                raise Refused("Enter a password for the new user (internal users sign in with one).")
            with write_transaction():
                user = users.create_user(
                    username,
                    now=self.host.now(),
                    password=password or None,
                    rounds=self.host.config.bcrypt_rounds,
                    source=source,
                )
                for name in wanted:
                    users.grant_role(user, roles[name])
        except (Refused, ValueError, PasswordError) as exc:
            self._render(req, resp, error=str(exc), form=kept, status=falcon.HTTP_400)
            return
        security_event(self.host, "user.created", req, username=user.username, roles=sorted(wanted))
        _see_other(resp, USERS, "created", user.username)


class UserActions:
    """`POST /configuration/users/{user_id}`: `action` = enable, disable or roles (with `role` values)."""

    def __init__(self, host, page: UsersPage) -> None:
        self.host = host
        self.page = page

    def on_post(self, req: falcon.Request, resp: falcon.Response, user_id: str) -> None:
        form = _form(req)
        user = users.User.get_or_none(users.User.id == int(user_id)) if user_id.isdigit() else None
        if user is None:
            raise falcon.HTTPNotFound(title="Not Found", description=f"There is no user {user_id}.")
        action = _value(form, "action")
        actor: Actor = req.context.actor
        try:
            if action in ("enable", "disable"):
                if action == "disable" and user.id == actor.user_id:
                    raise Refused("You cannot disable your own account.")
                accounts.set_enabled(self.host, user, action == "enable")
                done, payload = f"{action}d", {}
            elif action == "roles":
                self._set_roles(user, _values(form, "role"), actor)
                done, payload = "roles", {"roles": users.roles_of(user)}
            else:
                raise Refused(f"Unknown action {action[:40]!r}.")
        except (Refused, ValueError) as exc:
            self.page._render(req, resp, error=str(exc), status=falcon.HTTP_400)
            return
        event = "user.roles-changed" if done == "roles" else f"user.{done}"
        security_event(self.host, event, req, username=user.username, **payload)
        _see_other(resp, USERS, done, user.username)

    def _set_roles(self, user: users.User, wanted: list[str], actor: Actor) -> None:
        roles = _roles_by_name()
        unknown = [name for name in wanted if name not in roles]
        if unknown:
            raise Refused(f"There is no role {unknown[0]!r}.")
        with write_transaction():
            have = set(users.roles_of(user))
            for name in sorted(set(wanted) - have):
                users.grant_role(user, roles[name])
            for name in sorted(have - set(wanted)):
                accounts.revoke_role(self.host, user, roles[name])
            _keep_own_access(self.host, actor)


def clean_role_name(raw: str) -> str:
    name = unicodedata.normalize("NFC", raw.strip())
    if not name or len(name) > MAX_ROLE_NAME:
        raise Refused(f"A role name has 1 to {MAX_ROLE_NAME} characters.")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise Refused("A role name must not contain control characters.")
    return name


class RolesPage:
    """`GET /configuration/roles` lists roles and what they grant; `POST` creates a role."""

    def __init__(self, host) -> None:
        self.host = host

    def _render(
        self, req, resp, *, error: str = "", form: dict[str, Any] | None = None, status=falcon.HTTP_200
    ):
        roles = list(users.Role.select().order_by(users.Role.name))
        members = {
            role.id: users.UserRole.select().where(users.UserRole.role == role).count() for role in roles
        }
        render_page(
            self.host,
            req,
            resp,
            "host/admin_roles.html",
            status=status,
            title="Roles",
            roles=[(role, sorted(g.permission for g in role.grants), members[role.id]) for role in roles],
            permissions=sorted(self.host.permissions.values(), key=lambda p: p.name),
            done=_done_message(req),
            error=error,
            form=form,
            roles_path=ROLES,
        )

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self._render(req, resp)

    def _permissions(self, form: dict[str, Any]) -> list[str]:
        chosen = _values(form, "permission")
        unknown = [p for p in chosen if p not in self.host.permissions]
        if unknown:
            raise Refused(f"Unknown permission {unknown[0][:100]!r}.")
        return chosen

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        form = _form(req)
        kept = {"name": _value(form, "name"), "description": _value(form, "description")}
        try:
            name = clean_role_name(kept["name"])
            permissions = self._permissions(form)
            if users.Role.get_or_none(users.Role.name == name) is not None:
                raise Refused(f"A role named {name!r} exists already.")
            users.ensure_role(name, permissions, kept["description"][:300])
        except Refused as exc:
            self._render(req, resp, error=str(exc), form=kept, status=falcon.HTTP_400)
            return
        security_event(self.host, "role.created", req, role=name, permissions=sorted(permissions))
        _see_other(resp, ROLES, "role-created", name)

    def on_post_item(self, req: falcon.Request, resp: falcon.Response, role_id: str) -> None:
        form = _form(req)
        role = users.Role.get_or_none(users.Role.id == int(role_id)) if role_id.isdigit() else None
        if role is None:
            raise falcon.HTTPNotFound(title="Not Found", description=f"There is no role {role_id}.")
        try:
            permissions = self._permissions(form)
            with write_transaction():
                accounts.set_role_permissions(self.host, role, permissions)
                _keep_own_access(self.host, req.context.actor)
        except Refused as exc:
            self._render(req, resp, error=str(exc), status=falcon.HTTP_400)
            return
        security_event(self.host, "role.changed", req, role=role.name, permissions=sorted(set(permissions)))
        _see_other(resp, ROLES, "role-saved", role.name)


@hookimpl
def register_routes(host):
    users_page = UsersPage(host)
    roles_page = RolesPage(host)
    edit = {"GET": SECURITY_EDIT, "POST": SECURITY_EDIT}
    return [
        Route(USERS, users_page, edit, page=True),
        Route(USERS + "/{user_id}", UserActions(host, users_page), {"POST": SECURITY_EDIT}, page=True),
        Route(ROLES, roles_page, edit, page=True),
        Route(ROLES + "/{role_id}", roles_page, {"POST": SECURITY_EDIT}, page=True, suffix="item"),
    ]


@hookimpl
def navigation_links(host, actor):
    if not host.allowed(actor, SECURITY_EDIT):
        return []
    return [
        NavLink("Configuration › Users", USERS, order=70),
        NavLink("Configuration › Roles", ROLES, order=71),
    ]
