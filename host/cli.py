"""The `release-host` command: serve, migrate, plugins, routes, config, plus plugins' commands."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import sys
from pathlib import Path

import peewee
from playhouse.pool import PooledDatabase

from host import dbcopy, users
from host.app import Host, create_app
from host.arguments import number_argument
from host.config import load_config
from host.errors import StartupError
from host.plugins import describe
from host.routes import access_label
from host.usernames import UsernameError

ADMIN_PASSWORD_ENV = "RELEASE_HOST_ADMIN_PASSWORD"


def ensure_admin(host: Host) -> str | None:
    """On an empty user table, create `admin`; return the generated password to print once.

    Several hosts started at once on one database may all find the table empty: the first
    insert wins, the others' roll back on the unique username and create nothing."""
    if users.User.select().exists():
        return None
    password = os.environ.get(ADMIN_PASSWORD_ENV) or secrets.token_urlsafe(16)
    try:
        with host.database.atomic():
            admin = users.create_user(
                "admin", now=host.now(), password=password, rounds=host.config.bcrypt_rounds
            )
            users.grant_role(admin, users.ensure_role("admin"))
    except (peewee.IntegrityError, UsernameError):
        if users.User.select().exists():
            return None  # another host made it a moment ago
        raise
    return None if os.environ.get(ADMIN_PASSWORD_ENV) else password


def bind_source(args: argparse.Namespace) -> str:
    """Where the bind `serve` uses came from, for a message that asks to change it."""
    if args.bind:
        return "--bind"
    return "RELEASE_HOST_BIND" if os.environ.get("RELEASE_HOST_BIND") else "the configuration's [server] bind"


def checked_bind(bind: str, source: str = "--bind") -> str:
    """`bind` if gunicorn can listen there now, else `SystemExit` with one line (exit 2): a port out
    of range or in use would otherwise end in a traceback or in gunicorn's retries and errors after
    "Serving on …". The socket is bound once and closed; `unix:` and `fd://` go to gunicorn as they are."""
    if bind.startswith(("unix:", "fd://")):
        return bind
    name, _, port = bind.rpartition(":")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    elif ":" in name:
        raise SystemExit(
            f"release-host: cannot serve on {bind!r}: an IPv6 address goes in brackets ([::1]:5516)"
        )
    if not name or not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        raise SystemExit(
            f"release-host: cannot serve on {bind!r}: expected host:port with a port from 1 to 65535 "
            "(such as 127.0.0.1:5516)"
        )
    try:  # as gunicorn binds: IPv6 for a bracketed address, else IPv4 (a name resolved by bind)
        with socket.socket(socket.AF_INET6 if ":" in name else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((name, int(port)))
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SystemExit(
            f"release-host: cannot serve on {bind!r}: {reason}; choose another address with "
            f"`serve --bind HOST:PORT` or RELEASE_HOST_BIND (this one came from {source})"
        ) from None
    return bind


def cmd_serve(host: Host, args: argparse.Namespace) -> int:
    bind = checked_bind(args.bind or host.config.bind, bind_source(args))
    with host.database.connection_context():
        for name in host.migrate():
            print(f"applied migration {name}")
        generated = ensure_admin(host)
    if generated:
        print(f"Created the admin user. Log in as admin with password: {generated}")
        print(
            "This password is shown once; change it with `release-host users set-password admin --password`."
        )
    if isinstance(host.database, PooledDatabase):
        host.database.close_all()
    conf = Path(args.gunicorn_conf or Path(__file__).resolve().parent.parent / "conf" / "gunicorn.conf.py")
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--no-control-socket",
        "-c",
        str(conf),
        "host.wsgi:app",
    ]
    if host.config.source:
        os.environ["RELEASE_HOST_CONF"] = str(host.config.source.resolve())
    os.environ["RELEASE_HOST_BIND"] = bind  # `--bind` over the variable, which the configuration read
    if args.workers:
        os.environ["RELEASE_HOST_WORKERS"] = str(args.workers)
    if args.threads:
        os.environ["RELEASE_HOST_THREADS"] = str(args.threads)
    print(f"Serving on http://{os.environ['RELEASE_HOST_BIND']}", flush=True)
    sys.stdout.flush()
    os.execv(sys.executable, argv)
    return 0


def cmd_migrate(host: Host, args: argparse.Namespace) -> int:
    applied = host.migrate()
    print("\n".join(f"applied migration {name}" for name in applied) or "no pending migrations")
    return 0


def cmd_plugins(host: Host, args: argparse.Namespace) -> int:
    rows = describe(host.pm)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print(
            f"{row['name']} {row['version']}\n  from: {row['location']}\n  hooks: {', '.join(row['hooks'])}"
        )
    return 0


def cmd_routes(host: Host, args: argparse.Namespace) -> int:
    rows = []
    for template, (plugin, route) in sorted(host.routes.items()):
        for method, access in route.access.items():
            rows.append((template, method, access_label(access), plugin))
    width = max((len(r[0]) for r in rows), default=10)
    for template, method, access, plugin in rows:
        print(f"{method:<7}{template:<{width + 2}}{access:<28}{plugin}")
    return 0


def cmd_config(host: Host, args: argparse.Namespace) -> int:
    print(json.dumps(host.config.redacted(host.settings_shown()), indent=2))
    return 0


def build_parser(host: Host) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="release-host", description="Release Host server and administration"
    )
    parser.add_argument("--conf", help="configuration file (default: $RELEASE_HOST_CONF or conf/host.toml)")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="apply migrations and run the server under gunicorn")
    from_env = " from RELEASE_HOST_BIND" if os.environ.get("RELEASE_HOST_BIND") else ""
    serve.add_argument(
        "--bind",
        help=f"address:port (now {host.config.bind}{from_env}; RELEASE_HOST_BIND overrides the "
        "configuration's [server] bind, and --bind both)",
    )
    serve.add_argument("--workers", type=number_argument(1, 64), help="gunicorn worker processes")
    serve.add_argument(
        "--threads", type=number_argument(1, 256), help="request threads per worker (default 8)"
    )
    serve.add_argument("--gunicorn-conf", help="gunicorn configuration file")
    serve.set_defaults(handler=cmd_serve)
    sub.add_parser("migrate", help="apply pending migrations").set_defaults(handler=cmd_migrate)
    plugins = sub.add_parser("plugins", help="list loaded plugins and the hooks they implement")
    plugins.add_argument("--json", action="store_true")
    plugins.set_defaults(handler=cmd_plugins)
    sub.add_parser("routes", help="every route with its methods and required permission").set_defaults(
        handler=cmd_routes
    )
    config = sub.add_parser("config", help="configuration")
    config_sub = config.add_subparsers(dest="config_action", required=True)
    config_sub.add_parser("show", help="print the configuration with secrets redacted")
    config.set_defaults(handler=cmd_config, needs_database=False)
    dbcopy.register(sub)
    host.pm.hook.register_commands(host=host, subparsers=sub)
    return parser


def _conf_from_argv(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--conf" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--conf="):
            return arg.split("=", 1)[1]
    return None


def _run(host: Host, args: argparse.Namespace) -> int:
    if args.handler is cmd_serve or not getattr(args, "needs_database", True):
        return int(args.handler(host, args) or 0)
    with host.database.connection_context():
        return int(args.handler(host, args) or 0)


def _database_problem(exc: peewee.PeeweeException) -> str:
    """One line for a database error; a missing table means the schema was never migrated."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return f"database not migrated: run `release-host migrate` ({text})"
    if isinstance(exc, peewee.OperationalError | peewee.InterfaceError):
        return f"the database is unreachable: {text}"
    return f"database error: {text}"


def _start_and_run(argv: list[str]) -> int:
    try:
        app = create_app(load_config(_conf_from_argv(argv)), context="cli")
    except StartupError as exc:
        raise SystemExit(f"release-host: cannot start: {exc}") from None
    host: Host = app.host
    try:
        return _run(host, build_parser(host).parse_args(argv))
    finally:
        host.shutdown()


def main(argv: list[str] | None = None) -> int:
    """Run one command. Whatever goes wrong ends in one line on stderr and exit status 2, never a
    traceback (argparse's own usage errors are status 2 already; `--help` stays 0)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return _start_and_run(argv)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        message = str(exc.code)
    except KeyboardInterrupt:
        message = "interrupted"
    except StartupError as exc:
        message = str(exc)
    except peewee.PeeweeException as exc:
        message = _database_problem(exc)
    except Exception as exc:  # a bug: still one line, with what a report needs
        message = f"unexpected error ({type(exc).__name__}): {exc}"
    prefix = "" if message.startswith("release-host: ") else "release-host: "
    print(prefix + message, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
