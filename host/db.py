"""Storage: the peewee proxy every model binds to, connection setup, UTC helpers, prepared SQL.

Each `Host` has its own database. `database` (the proxy models use) answers with the database of
the host whose work runs now: `bound(db)` sets it for a request (`App.__call__`), a harness's
`db()` block, migrations, startup and shutdown; threads a host starts inherit it when started
through `contextvars.copy_context()`. Anywhere else it is the database of the host built last,
which in a server or CLI process is the only one.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import os
import weakref
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, overload

import peewee
from playhouse.db_url import parse as parse_url
from playhouse.pool import PooledSqliteDatabase

from host.pgpool import HostPooledPostgresqlDatabase

_current: contextvars.ContextVar[peewee.Database | None] = contextvars.ContextVar(
    "release_host_database", default=None
)


class HostDatabase(peewee.DatabaseProxy):
    """A `DatabaseProxy` whose target is the current context's host database (see the module)."""

    __slots__ = ("_fallback",)

    def __setattr__(self, attr: str, value: Any) -> None:
        object.__setattr__(self, attr, value)  # the slots: `_fallback` and peewee's own

    def initialize(self, obj: peewee.Database | None) -> None:
        self._fallback = obj
        for callback in self._callbacks:
            callback(obj)

    @property
    def obj(self) -> peewee.Database:
        current = _current.get()
        if current is not None:
            return current
        if self._fallback is None:
            raise peewee.InterfaceError("no host has been built yet: there is no database to use")
        return self._fallback

    def __getattr__(self, attr: str) -> Any:
        target = _current.get()
        if target is None:
            target = self._fallback
        if target is None:
            raise AttributeError("Cannot use uninitialized Proxy.")
        return getattr(target, attr)


database = HostDatabase()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
}


class PrivateSqliteDatabase(PooledSqliteDatabase):
    """SQLite whose files only their owner can read: they hold password hashes and payloads."""

    def _connect(self) -> Any:
        if self.database != ":memory:" and not self.database.startswith("file:"):
            make_private(self.database)
        return super()._connect()


def make_private(path: str) -> None:
    """Create the database file 0600 (its folder 0700) before SQLite would create it 0644, and
    take group and other access away from an existing one. SQLite gives the `-wal` and `-shm`
    files it makes later the main file's mode; ones left over from before are tightened too."""
    folder = os.path.dirname(path)
    if folder and not os.path.isdir(folder):
        os.makedirs(folder, mode=0o700, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for name in (path, path + "-wal", path + "-shm"):
        with contextlib.suppress(OSError):
            mode = os.stat(name).st_mode & 0o777
            if mode & 0o077:
                os.chmod(name, mode & 0o700)


class BaseModel(peewee.Model):
    """Base class for every table, the host's and plugins'."""

    # For type checkers: peewee adds an integer `id` primary key unless a model declares its own.
    id: Any

    class Meta:
        database = database
        legacy_table_names = False


POOL_WAIT_SECONDS = 10


def open_database(url: str, connections: int = 8) -> peewee.Database:
    """A pooled database for `sqlite:///path` or `postgresql://…`; nothing is connected yet.

    `connections`: the pool's size, at least the worker's request threads plus its background
    threads; a thread finding every connection in use waits for one (POOL_WAIT_SECONDS at most)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(
            "the database URL has no scheme (sqlite:/// or postgresql://)"
        )  # nor echoes it: it may hold a password
    base = scheme.split("+", 1)[0]
    if base == "sqlite":
        # A pooled connection may be reused by another thread (a worker thread next to the
        # request thread); each is used by one thread at a time, so sqlite3's check is lifted.
        options = {
            "pragmas": SQLITE_PRAGMAS,
            "max_connections": connections,
            "stale_timeout": 300,
            "timeout": POOL_WAIT_SECONDS,
            "check_same_thread": False,
        }
        db = PrivateSqliteDatabase(**{**options, **parse_url(f"sqlite://{rest}")})
    elif base in {"postgres", "postgresql"}:
        db = HostPooledPostgresqlDatabase(
            **parse_url(f"postgresql://{rest}"),
            max_connections=connections,
            stale_timeout=300,
            timeout=POOL_WAIT_SECONDS,
        )
    else:
        raise ValueError(f"unsupported database scheme {scheme!r}: use sqlite:/// or postgresql://")
    db.autoconnect = False
    return db


def bind(db: peewee.Database) -> None:
    """Make `db` the database of code that runs outside any host's `bound` block."""
    database.initialize(db)


@contextlib.contextmanager
def bound(db: peewee.Database) -> Iterator[None]:
    """Within this block (and threads started from it with its context), models use `db`."""
    token = _current.set(db)
    try:
        yield
    finally:
        _current.reset(token)


@contextlib.contextmanager
def write_transaction(lock: peewee.Select | None = None) -> Iterator[None]:
    """A transaction for read-then-write steps (check a limit, then insert) that must not interleave.

    SQLite: `BEGIN IMMEDIATE` takes the database's write lock at the start (a deferred
    transaction would fail with "database is locked" on its first write instead of waiting).
    PostgreSQL: the rows `lock` selects (e.g. the user a limit is about) are locked `FOR UPDATE`,
    so concurrent steps about the same rows run one after the other.
    """
    db = database.obj
    if isinstance(db, peewee.SqliteDatabase):
        with db.atomic("IMMEDIATE"):
            yield
        return
    with db.atomic():
        if lock is not None:
            lock.for_update().execute()
        yield


@overload
def to_db(value: datetime) -> datetime: ...
@overload
def to_db(value: None) -> None: ...
def to_db(value: datetime | None) -> datetime | None:
    """Store naive UTC: PostgreSQL's `timestamp` has no zone."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


@overload
def from_db(value: datetime | str) -> datetime: ...
@overload
def from_db(value: None) -> None: ...
def from_db(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with `Z`, the form the API and pages use."""
    value = from_db(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z" if value else None


_PREPARED_NAMES = itertools.count(1)
# Per PostgreSQL connection, the statement names already PREPAREd on its session.
_prepared_on: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


class PreparedQuery:
    """SQL built once from a peewee query, then run with new parameters.

    Building a peewee query costs more than running it; the request path (token lookup,
    permission set) uses this so each call is one `execute_sql`. On PostgreSQL the statement is
    also PREPAREd once per connection: psycopg2 sends literal SQL, which the server would parse
    and plan again on every call (~0.2 ms of server CPU for a two-table join, more than running it).
    """

    def __init__(self, build: Callable[[], peewee.Query]) -> None:
        self._build = build
        self._sql: dict[int, tuple[weakref.ref, str]] = {}
        self._name = f"release_host_q{next(_PREPARED_NAMES)}"

    def sql(self) -> str:
        # id() alone is reused once a database object is garbage-collected (tests build one per
        # test, SQLite then PostgreSQL): check the cached entry belongs to this very object.
        db = database.obj
        cached = self._sql.get(id(db))
        if cached is None or cached[0]() is not db:
            cached = self._sql[id(db)] = (weakref.ref(db), self._build().sql()[0])
        return cached[1]

    def _execute(self, params: Sequence[Any]) -> Any:
        db = database.obj
        if not isinstance(db, peewee.PostgresqlDatabase):
            return db.execute_sql(self.sql(), params)
        if isinstance(db, HostPooledPostgresqlDatabase):  # a lost pooled connection: PREPARE anew
            return db.recovering(lambda: self._prepared(db, params))
        return self._prepared(db, params)

    def _prepared(self, db: peewee.Database, params: Sequence[Any]) -> Any:
        names = _prepared_on.setdefault(db.connection(), set())
        if self._name not in names:
            parts = self.sql().split("%s")
            positional = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], 1))
            db.execute_sql(f"PREPARE {self._name} AS {positional}")
            names.add(self._name)
        marks = ", ".join(["%s"] * len(params))
        return db.execute_sql(
            f"EXECUTE {self._name} ({marks})" if params else f"EXECUTE {self._name}", params
        )

    def rows(self, params: Sequence[Any]) -> list[tuple]:
        return self._execute(params).fetchall()

    def first(self, params: Sequence[Any]) -> tuple | None:
        return self._execute(params).fetchone()
