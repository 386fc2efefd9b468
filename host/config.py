"""Configuration: `conf/host.toml`, environment overrides, `{env = "NAME"}` values, redaction."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import secrets
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from host.errors import StartupError
from host.secret_names import secret_name

DEFAULT_CONF = Path("conf/host.toml")
PACKAGE_CONF = Path(__file__).resolve().parent.parent / DEFAULT_CONF
REDACTED = "********"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SecuritySettings:
    """`[security]`: limits on failed password and token attempts (see docs/security.md)."""

    failures_per_account: int = 10
    failures_per_address: int = 100
    failure_window_minutes: int = 15
    trusted_proxies: tuple[str, ...] = ()


def _security(table: Any) -> SecuritySettings:
    """Known names only: whole numbers of at least 1, proxies as addresses or networks;
    anything else stops the start with a reason."""
    if not isinstance(table, Mapping):
        raise StartupError("[security] must be a table")
    known = SecuritySettings.__dataclass_fields__
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise StartupError(
            f"[security] has unknown setting(s) {', '.join(unknown)}; known: {', '.join(known)}"
        )
    values = dict(table)
    proxies = values.pop("trusted_proxies", [])
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise StartupError(f"[security] {name} must be a whole number of at least 1, not {value!r}")
    if not isinstance(proxies, list) or not all(isinstance(p, str) for p in proxies):
        raise StartupError('[security] trusted_proxies must be a list of addresses, e.g. ["127.0.0.1"]')
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise StartupError(
                f"[security] trusted_proxies: {proxy!r} is not an IP address or network"
            ) from None
    return SecuritySettings(**values, trusted_proxies=tuple(proxies))


@dataclass
class Config:
    """Everything the host reads at startup; tests build one directly."""

    bind: str = "127.0.0.1:5516"
    workers: int = 2
    threads: int = 8
    secret_key: str | None = None
    database_url: str = "sqlite:///var/release-host.db"
    production: bool = False
    bcrypt_rounds: int = 12
    max_body_bytes: int = 1024 * 1024
    session_idle_minutes: int = 60
    secure_cookies: bool = False
    var_dir: Path = Path("var")
    log_format: str = "text"  # `[logging] format`: "text" or "json" (host/jsonlog.py)
    enabled_plugins: list[str] = field(default_factory=list)
    plugin_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    source: Path | None = None
    clock: Callable[[], datetime] = utc_now

    def plugin(self, name: str) -> dict[str, Any]:
        """The `[plugins.NAME]` table, empty when absent."""
        return self.plugin_settings.get(name, {})

    def redacted(self, parsed_plugins: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The configuration as it may be shown: every secret-looking value masked; plugins'
        tables as parsed (defaults included) where `parsed_plugins` has them."""
        shown = {
            "bind": self.bind,
            "workers": self.workers,
            "threads": self.threads,
            "secret_key": self.secret_key,
            "database_url": _redact_url(self.database_url),
            "production": self.production,
            "bcrypt_rounds": self.bcrypt_rounds,
            "max_body_bytes": self.max_body_bytes,
            "session_idle_minutes": self.session_idle_minutes,
            "secure_cookies": self.secure_cookies,
            "var_dir": str(self.var_dir),
            "log_format": self.log_format,
            "security": asdict(self.security),
            "source": str(self.source) if self.source else None,
            "plugins": {
                "enabled": list(self.enabled_plugins),
                **self.plugin_settings,
                **(parsed_plugins or {}),
            },
        }
        return _redact(shown)


def _redact(value: Any, key: str = "") -> Any:
    if isinstance(value, Mapping):
        return {k: _redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, key) for v in value]
    if isinstance(value, str) and secret_name(key):
        return REDACTED
    return value


def _redact_url(url: str) -> str:
    """Hide a password in `scheme://user:password@host/db` and in `?password=…`."""
    scheme, sep, rest = url.partition("://")
    credentials, at, location = rest.rpartition("@")
    if sep and at and ":" in credentials:
        url = f"{scheme}://{credentials.split(':', 1)[0]}:{REDACTED}@{location}"
    return _PASSWORD_PARAM.sub(rf"\1{REDACTED}", url)


_PASSWORD_PARAM = re.compile(r"([?&](?:password|passwd|sslpassword)=)[^&]*", re.IGNORECASE)


def _resolve_env(value: Any, env: Mapping[str, str], where: str) -> Any:
    """Replace every `{env = "NAME"}` table by the variable's value."""
    if isinstance(value, Mapping):
        if set(value) == {"env"}:
            name = value["env"]
            if name not in env:
                raise StartupError(
                    f"configuration {where} names environment variable {name}, which is not set"
                )
            return env[name]
        return {k: _resolve_env(v, env, f"{where}.{k}" if where else k) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_env(v, env, where) for v in value]
    return value


def find_conf(path: str | Path | None, env: Mapping[str, str]) -> Path:
    """The configuration file: `--conf`, else RELEASE_HOST_CONF, else `conf/host.toml` in the
    working directory, else the one next to the installed package (a checkout's). A file that
    is named but missing, or none found at all, is an error: a guess would start an empty
    server on a database nobody meant."""
    for given, origin in ((path, "--conf"), (env.get("RELEASE_HOST_CONF") or None, "RELEASE_HOST_CONF")):
        if given is not None:
            named = Path(given)
            if not named.is_file():
                raise StartupError(f"configuration file {named} ({origin}) does not exist")
            return named
    for candidate in (DEFAULT_CONF, PACKAGE_CONF):
        if candidate.is_file():
            return candidate
    raise StartupError(
        f"no configuration file: give --conf FILE or set RELEASE_HOST_CONF (looked for "
        f"{DEFAULT_CONF} here and {PACKAGE_CONF})"
    )


def project_folder(conf: Path) -> Path:
    """Where relative paths (var/, sqlite:///var/…) resolve: the folder owning `conf/host.toml`,
    or the file's own folder when it is not in a `conf/` folder; never the working directory."""
    folder = conf.resolve().parent
    return folder.parent if folder.name == "conf" else folder


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the TOML file (see `find_conf`) and apply the environment's overrides."""
    env = os.environ if env is None else env
    path = find_conf(path, env)
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise StartupError(f"{path} is not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StartupError(f"cannot read configuration file {path}: {exc}") from None
    raw = _resolve_env(raw, env, "")
    server = raw.get("server", {})
    plugins = dict(raw.get("plugins", {}))
    enabled = plugins.pop("enabled", [])  # none but the built-ins: conf/host.toml names them
    base = project_folder(path)
    var_dir = Path(server.get("var_dir", "var"))
    config = Config(
        bind=env.get("RELEASE_HOST_BIND", server.get("bind", Config.bind)),
        workers=int(env.get("RELEASE_HOST_WORKERS", server.get("workers", Config.workers))),
        threads=int(env.get("RELEASE_HOST_THREADS", server.get("threads", Config.threads))),
        secret_key=env.get("RELEASE_HOST_SECRET_KEY", server.get("secret_key")),
        database_url=env.get("RELEASE_HOST_DATABASE_URL", server.get("database_url", Config.database_url)),
        production=_truthy(env.get("RELEASE_HOST_PRODUCTION", server.get("production", False))),
        bcrypt_rounds=int(server.get("bcrypt_rounds", Config.bcrypt_rounds)),
        max_body_bytes=int(server.get("max_body_bytes", Config.max_body_bytes)),
        session_idle_minutes=int(server.get("session_idle_minutes", Config.session_idle_minutes)),
        secure_cookies=_truthy(server.get("secure_cookies", False)),
        var_dir=var_dir if var_dir.is_absolute() else base / var_dir,
        enabled_plugins=list(enabled),
        plugin_settings={k: v for k, v in plugins.items() if isinstance(v, dict)},
        security=_security(raw.get("security", {})),
        log_format=_log_format(
            env.get("RELEASE_HOST_LOG_FORMAT", raw.get("logging", {}).get("format", "text"))
        ),
        source=path,
    )
    config.database_url = _absolute_sqlite(config.database_url, base)
    return config


LOG_FORMATS = ("text", "json")


def _log_format(value: Any) -> str:
    if value not in LOG_FORMATS:
        raise StartupError(f"[logging] format must be one of {', '.join(LOG_FORMATS)}, not {value!r}")
    return str(value)


def _truthy(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() in {"1", "true", "yes", "on"}


def _absolute_sqlite(url: str, base: Path) -> str:
    """`sqlite:///var/x.db` is relative to the project folder, not to wherever gunicorn runs."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + str((base / url[len(prefix) :]).resolve())
    return url


def ensure_secret_key(config: Config) -> str:
    """Production needs a configured key; development keeps a generated one under var/."""
    if config.secret_key:
        return config.secret_key
    if config.production:
        raise StartupError(
            "no secret key: set RELEASE_HOST_SECRET_KEY or [server] secret_key (required in production)"
        )
    key_file = config.var_dir / "secret_key"
    if not key_file.exists():
        _create_key_file(key_file)
    key = key_file.read_text().strip()
    if not key:
        raise StartupError(f"{key_file} is empty: delete it to have a new key generated")
    config.secret_key = key
    return key


def _create_key_file(key_file: Path) -> None:
    """Write the key in full under a temporary name, then link it into place: gunicorn workers
    starting together all end up reading the one complete key, whoever wins."""
    key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=key_file.parent, prefix=".secret_key-")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        with contextlib.suppress(FileExistsError):
            os.link(temporary, key_file)
    finally:
        os.unlink(temporary)
