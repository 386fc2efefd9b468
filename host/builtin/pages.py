"""Built-in plugin: the login and logout pages, the session authenticator, static files, home page.

Login goes through `verify_login`, so every password authenticator (internal, LDAP) works here
as it does for HTTP Basic. The login form has its own CSRF token, bound to a pre-login cookie,
and the POST must come from this origin (`host.origins`; the route is public, so the middleware
does not check it), so another site cannot sign a browser into an account of its choosing.
"""

from __future__ import annotations

import mimetypes
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

import falcon

from host import sessions, users
from host.credentials import presented
from host.crypto import same
from host.errors import AuthenticationFailed
from host.hookimpl import hookimpl
from host.limits import TooManyAttempts
from host.migrations import Migration, create_tables
from host.navigation import LoginOption
from host.origins import refuse_foreign_origin
from host.pages import render_page, static_file
from host.routes import AUTHENTICATED, PUBLIC, UNSAFE_METHODS, Route
from host.users import INVALID_LOGIN, verify_login

LOGIN_CSRF_FIELD = "login_csrf"
FORM_EXPIRED = "The login form expired. Enter your username and password again."
NO_LOGIN_PERMISSION = (
    "This account may not log in to the user interface (it lacks the login permission). "
    "Ask an administrator to grant it."
)
LONG_CACHE = "public, max-age=31536000, immutable"


def safe_next(value: Any) -> str:
    """Where to go after login: a path on this server only, never `//other.host` or `https://…`."""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 2000:
        return "/"
    if value.startswith("//") or "\\" in value or any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in ("/login", "/logout"):
        return "/"
    return value


def _form(req: falcon.Request) -> dict[str, Any]:
    if (req.content_type or "").split(";")[0].strip().lower() != sessions.FORM_TYPE:
        raise falcon.HTTPUnsupportedMediaType(
            title="Unsupported Media Type", description="Send the form as application/x-www-form-urlencoded."
        )
    form = req.get_media()
    return form if isinstance(form, dict) else {}


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def login_options(host, req: falcon.Request) -> list[LoginOption]:
    """What plugins offer beside the form (`login_options` hook), in their order."""
    found = [
        option for options in host.pm.hook.login_options(host=host, req=req) if options for option in options
    ]
    return sorted(found, key=lambda option: (option.order, option.label))


class Login:
    """`GET /login` shows the form; `POST /login` checks the password and starts a session."""

    def __init__(self, host) -> None:
        self.host = host

    def _nonce(self, req: falcon.Request, resp: falcon.Response, fresh: bool = False) -> str:
        name = sessions.cookie_name(self.host.config, sessions.LOGIN_COOKIE)
        values = req.get_cookie_values(name) or []
        nonce = None if fresh or not values else values[0]
        if not nonce or len(nonce) > 128:
            nonce = secrets.token_urlsafe(24)
            sessions.set_cookie(self.host, resp, sessions.LOGIN_COOKIE, nonce)
        return nonce

    def _show(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        *,
        next_path: str,
        username: str = "",
        error: str = "",
        status: str = falcon.HTTP_200,
        fresh: bool = False,
    ) -> None:
        nonce = self._nonce(req, resp, fresh)
        render_page(
            self.host,
            req,
            resp,
            "host/login.html",
            status=status,
            title="Log in",
            next_path=next_path,
            username=username,
            error=error,
            logged_out=req.get_param("logged_out") == "1",
            login_csrf=self.host.secrets.digest(nonce, "login-csrf"),
            login_csrf_field=LOGIN_CSRF_FIELD,
            login_options=login_options(self.host, req),
        )

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        next_path = safe_next(req.get_param("next"))
        if sessions.session_actor(self.host, req) is not None:
            resp.status = falcon.HTTP_303
            resp.location = next_path
            return
        self._show(req, resp, next_path=next_path)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        refuse_foreign_origin(req)  # login CSRF: a foreign page signing the browser in; before bcrypt
        form = _form(req)
        username = _text(form, "username").strip()
        password = _text(form, "password")
        next_path = safe_next(form.get("next"))
        nonce_cookie = req.get_cookie_values(sessions.cookie_name(self.host.config, sessions.LOGIN_COOKIE))
        expected = self.host.secrets.digest(nonce_cookie[0], "login-csrf") if nonce_cookie else ""
        if not expected or not same(_text(form, LOGIN_CSRF_FIELD), expected):
            self._show(
                req,
                resp,
                next_path=next_path,
                username=username,
                error=FORM_EXPIRED,
                status=falcon.HTTP_403,
                fresh=True,
            )
            return
        try:
            if not username or not password:
                raise AuthenticationFailed(INVALID_LOGIN)
            user = verify_login(self.host, username, password, req)
        except AuthenticationFailed:
            self._show(req, resp, next_path=next_path, username=username, error=INVALID_LOGIN)
            return
        except TooManyAttempts as exc:
            resp.set_header("Retry-After", str(exc.seconds))
            self._show(
                req, resp, next_path=next_path, username=username, error=exc.message, status=falcon.HTTP_429
            )
            return
        if not self.host.allowed(users.actor_for(user, via="session"), sessions.LOGIN_PERMISSION):
            self._show(req, resp, next_path=next_path, username=username, error=NO_LOGIN_PERMISSION)
            return
        sessions.start_session(self.host, req, resp, user)
        sessions.clear_cookie(self.host, resp, sessions.LOGIN_COOKIE)
        resp.status = falcon.HTTP_303
        resp.location = next_path


class Logout:
    """`POST /logout` (with the CSRF token, like every state-changing form) ends the session, then
    goes to the login page, or where a plugin's `logout_redirect` says (an identity provider)."""

    def __init__(self, host) -> None:
        self.host = host

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        elsewhere = self.host.pm.hook.logout_redirect(host=self.host, req=req, actor=req.context.actor)
        sessions.end_session(self.host, req, resp)
        if elsewhere:
            # a page, not a redirect: the pages' CSP (`form-action 'self'`) stops a form's
            # redirect to another site, and the provider is one
            render_page(
                self.host,
                req,
                resp,
                "host/logged_out.html",
                title="Logged out",
                elsewhere=elsewhere,
                actor=None,  # signed out: no user menu
                nav_links=[],
                csrf_token=None,
            )
            return
        resp.status = falcon.HTTP_303
        resp.location = "/login?" + urlencode({"logged_out": "1"})


class Home:
    """`/`: a welcome page listing what the user menu offers."""

    def __init__(self, host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        render_page(self.host, req, resp, "host/home.html", title="Home")


class StaticFiles:
    """`/static/<file>` from host/static, `/static/<plugin package>/<file>` from a plugin's static/."""

    def __init__(self, host) -> None:
        self.host = host

    def on_get(self, req: falcon.Request, resp: falcon.Response, filename: str) -> None:
        path = static_file(self.host, filename)
        if path is None:
            raise falcon.HTTPNotFound(title="Not Found", description=f"No static file {filename!r}.")
        content_type, _ = mimetypes.guess_type(path.name)
        resp.content_type = content_type or "application/octet-stream"
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.cache_control = [LONG_CACHE] if req.get_param("v") else ["no-cache"]
        resp.data = path.read_bytes()


@hookimpl
def register_models(host):
    return list(sessions.MODELS)


@hookimpl
def register_migrations(host):
    return [Migration("m001_sessions", create_tables(*sessions.MODELS))]


@hookimpl
def register_routes(host):
    return [
        Route("/", Home(host), {"GET": AUTHENTICATED}, page=True),
        Route("/login", Login(host), {"GET": PUBLIC, "POST": PUBLIC}, page=True),
        Route("/logout", Logout(host), {"POST": AUTHENTICATED}, page=True),
        Route(
            "/static/{filename:path}",
            StaticFiles(host),
            {"GET": PUBLIC},
            description="CSS and JavaScript of the host and of loaded plugins",
        ),
    ]


@hookimpl
def actor_from_request(host, req):
    """A session cookie, unless the request brings its own credentials (a token, Basic)."""
    if presented(req).any:
        return None
    actor = sessions.session_actor(host, req)
    if actor is not None and req.method in UNSAFE_METHODS:
        sessions.require_csrf(req)
    return actor
