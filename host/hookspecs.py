"""The plugin contract: every hook a plugin may implement.

Hooks are called with keyword arguments. Implementations run last-registered first; use
`@hookimpl(tryfirst=True)` or `trylast=True` to move one. Each hook is documented in
`docs/plugins.md` with the same signature.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import falcon
    import peewee

    from host.actors import Actor
    from host.app import Host
    from host.events import Event
    from host.migrations import Migration
    from host.navigation import LoginOption, NavLink
    from host.permissions import Permission
    from host.routes import Route

hookspec = pluggy.HookspecMarker("release_host")


@hookspec
def register_permissions(host: Host) -> list[Permission] | None:
    """Declare the permissions this plugin introduces.

    Called once while the host starts, before routes are checked. Two plugins declaring the
    same name stop the startup.

    :param host: the host being built; its configuration is `host.config`.
    :return: a list of `Permission`.
    """


@hookspec
def register_settings(host: Host) -> type | None:
    """The type of this plugin's `[plugins.NAME]` table, parsed once at startup.

    Return a `msgspec.Struct` subclass whose fields have defaults (and `msgspec.Meta` bounds
    where they need them); a cross-field rule goes in its `__post_init__`, raising ValueError.
    The host refuses unknown keys and wrong types with one line naming the plugin and the key,
    then hands the parsed object to every hook through `host.settings(NAME)`.

    :param host: the host being built (its settings are not parsed yet).
    :return: the settings type, or None when the plugin has no settings.
    """


@hookspec
def register_routes(host: Host) -> list[Route] | None:
    """Declare this plugin's routes, each with the access every HTTP method requires.

    A responder without a declaration, a template another plugin already declared, or an
    unknown permission name stops the startup.

    :param host: the host being built.
    :return: a list of `Route`.
    """


@hookspec(firstresult=True)
def actor_from_request(host: Host, req: falcon.Request) -> Actor | None:
    """The authentication chain: turn a request's credentials into an actor.

    Return None when the request carries no credentials this plugin understands ("not
    mine"); the next implementation is asked. Return an `Actor` when they are good: the
    chain stops. Raise `AuthenticationFailed` when they are this plugin's kind and wrong:
    the request is refused with 401 at once.

    :param host: the running host.
    :param req: the Falcon request.
    """


@hookspec
def validate_actor(host: Host, actor: Actor, req: falcon.Request) -> None:
    """Veto an authenticated actor for this request (network ranges, time windows, …).

    Called after `actor_from_request` found an actor. Raise `AuthenticationFailed` to refuse
    the request with 401; return None to let it through.

    :param host: the running host.
    :param actor: the actor the chain produced.
    :param req: the Falcon request.
    """


@hookspec
def permission_allowed(host: Host, actor: Actor, permission: str, resource: str | None) -> bool | None:
    """Say whether `actor` holds `permission`, optionally on one object.

    Answers combine by veto: any False denies, else any True allows, else deny.
    Return None to have no opinion.

    :param host: the running host.
    :param actor: the authenticated caller.
    :param permission: a registered permission name.
    :param resource: the id of the object concerned, or None for a global check.
    """


@hookspec
def permission_decided(
    host: Host, actor: Actor, permission: str, resource: str | None, allowed: bool
) -> None:
    """Observe a decision the host made (`host.allowed`), after the veto rule combined the answers.

    For a plugin that records what a credential really used (pat_auth's per-permission use);
    it is called on every decision, so return at once when the actor is not yours and write
    nothing per call. Its return value is ignored; an exception propagates as from
    `permission_allowed`.

    :param host: the running host.
    :param actor: the authenticated caller.
    :param permission: the registered permission decided.
    :param resource: the object concerned, or None for a global check.
    :param allowed: the host's answer.
    """


@hookspec(firstresult=True)
def authenticate_password(host: Host, username: str, password: str) -> Any | None:
    """Check a username and password (Basic auth, the login page).

    Return the local user record when this plugin vouches for the pair, None when the user
    is not of this plugin's kind; raise `AuthenticationFailed` when the password is wrong.
    The first non-None answer wins.

    :param host: the running host.
    :param username: as typed, never empty.
    :param password: as typed.
    """


@hookspec(firstresult=True)
def credential_info(host: Host, credential_id: str) -> dict[str, Any] | None:
    """Describe a credential (such as a personal access token) by the id found in `actor.credential_id`.

    The plugin that issued it answers `{"id", "userId", "username", "name", "kind"}`, and may
    add `"state"` (as `credential_status` says it) and `"expiresAt"` (ISO 8601 or None); others
    return None, as does the issuer for a deleted credential. Lets plugins attach rules to
    credentials they did not issue.

    :param host: the running host.
    :param credential_id: the id as the issuing plugin gave it.
    """


@hookspec(firstresult=True)
def credential_status(host: Host, secret: str) -> dict[str, Any] | None:
    """Say what state a secret someone wants to keep for later is in, without using it.

    The plugin whose credentials have this form answers `{"state", "message", "id"}`: `state`
    is "active", "expired", "deleted", "disabled" (its owner may not use it) or "unknown" (the
    form is right, the server never issued it); `message` says so for a person, never repeating
    the secret; `id` is what `credential_info` takes (None when unknown). Others return None.
    Nothing is written (no audit record, no last-used time).

    :param host: the running host.
    :param secret: the secret as it would be presented (such as an `rpa_…` token).
    """


@hookspec
def register_models(host: Host) -> list[type[peewee.Model]] | None:
    """Name the tables this plugin owns, so the host can list and reset them.

    :param host: the host being built.
    :return: peewee model classes derived from `host.BaseModel`.
    """


@hookspec
def register_migrations(host: Host) -> list[Migration] | None:
    """Return this plugin's migrations in order; each runs once, recorded by name.

    :param host: the host being built.
    :return: a list of `Migration`.
    """


@hookspec
def startup(host: Host) -> None:
    """The host is built: start what the plugin needs (called in each server process).

    :param host: the running host; `host.context` is "server", "cli" or "test".
    """


@hookspec
def shutdown(host: Host) -> None:
    """The host is stopping: stop threads, flush, close.

    :param host: the running host.
    """


@hookspec
def register_commands(host: Host, subparsers: argparse._SubParsersAction) -> None:
    """Add sub-commands to `release-host`.

    Add a parser with `subparsers.add_parser(...)` and `set_defaults(handler=fn)`;
    `fn(host, args)` runs inside a database connection and returns an exit code.

    :param host: the host the CLI built.
    :param subparsers: argparse's sub-parser collection of the `release-host` command.
    """


@hookspec
def navigation_links(host: Host, actor: Actor) -> list[NavLink] | None:
    """Entries of the user menu at the top right for this actor.

    :param host: the running host.
    :param actor: the signed-in user.
    :return: a list of `NavLink`.
    """


@hookspec
def login_options(host: Host, req: falcon.Request) -> list[LoginOption] | None:
    """Other ways to sign in that the login page offers below its form ("Sign in with …").

    Called for each display of `/login`; return quickly (no network call). The link leads to a
    route of the plugin (public, GET), which authenticates the user its own way and then calls
    `start_session`. Return an empty list or None to offer nothing.

    :param host: the running host.
    :param req: the request for the login page.
    :return: a list of `LoginOption`.
    """


@hookspec(firstresult=True)
def logout_redirect(host: Host, req: falcon.Request, actor: Actor) -> str | None:
    """Where the browser goes once `POST /logout` has ended the host's session, instead of the
    login page: an identity provider's end-session page (OIDC RP-initiated logout).

    Return an absolute URL for actors this plugin signed in, None otherwise; the first non-None
    answer wins. Called before the session ends; make no slow network call.

    :param host: the running host.
    :param req: the logout request.
    :param actor: the user logging out.
    """


@hookspec
def handle_event(host: Host, event: Event) -> Any:
    """React to something another plugin emitted with `host.emit(...)`.

    Called synchronously in the emitting process; an exception is logged and does not
    stop the other handlers. The emitter receives the non-None results.

    :param host: the running host.
    :param event: what happened.
    """


@hookspec
def secret_patterns(host: Host) -> list[str] | None:
    """Regular expressions matching the secrets this plugin issues, whoever holds them.

    The host joins them into `host.redact(text)`, which every plugin uses to keep such values
    out of what it stores, emits, logs or shows (a webhook caller may echo a token it did not
    present). Anchor them on what is distinctive (a prefix, a length) so ordinary text is kept.

    :param host: the running host.
    :return: a list of regular-expression strings.
    """
