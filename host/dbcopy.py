"""`release-host db copy --to URL`: move a stopped deployment's data into another database.

The target gets its schema from the plugins' own migrations (so it is exactly what `migrate`
would build there), then every row of every table the enabled plugins register (and the host's),
in foreign-key order, with the same primary keys; the migration records are the source's, and
PostgreSQL's id sequences are moved past the copied ids. Values are copied as stored: token and
session digests stay valid because the hosts keep the same secret key. Afterwards each table's
row count and a checksum of its rows are computed on both sides and must agree.
"""

from __future__ import annotations

import argparse
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import peewee
from playhouse.pool import PooledDatabase

from host.db import bound, from_db, open_database
from host.migrations import AppliedMigration, apply_migrations

if TYPE_CHECKING:
    from host.app import Host

BATCH = 500


class CopyRefused(Exception):
    """The copy cannot or must not run; the message says why in one line."""


@dataclass(frozen=True)
class TableReport:
    table: str
    rows: int
    checksum: str
    same: bool


def shown_url(url: str) -> str:
    """The target as messages name it: no password (a URL may carry one)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def tables(host: Host) -> list[type[peewee.Model]]:
    """Every registered model, parents before children, and the migration records."""
    seen: dict[str, type[peewee.Model]] = {}
    for model in peewee.sort_models([*host.models, AppliedMigration]):  # type: ignore[attr-defined]
        seen.setdefault(model._meta.table_name, model)
    return list(seen.values())


def _ordered(model: type[peewee.Model]) -> peewee.Select:
    key = model._meta.primary_key
    fields = key.field_names if isinstance(key, peewee.CompositeKey) else [key.name] if key else []
    order = [model._meta.fields[name] for name in fields] or list(model._meta.sorted_fields)
    return model.select(*model._meta.sorted_fields).order_by(*order)


def _rows(model: type[peewee.Model]) -> Iterator[tuple]:
    query = _ordered(model).tuples()
    offset = 0
    while True:
        batch = list(query.limit(BATCH).offset(offset))
        yield from batch
        if len(batch) < BATCH:
            return
        offset += BATCH


def _canonical(field: peewee.Field, value: Any) -> str:
    """One text per value whatever the database: SQLite and PostgreSQL return dates, booleans
    and bytes in different Python types."""
    if value is None:
        return "\x00"
    if isinstance(field, peewee.DateTimeField) and isinstance(value, datetime | str):
        return from_db(value).isoformat()
    if isinstance(field, peewee.BooleanField):
        return "1" if value else "0"
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def summary(model: type[peewee.Model]) -> tuple[int, str]:
    """Row count and a checksum of the rows in key order, in the database bound now."""
    digest = hashlib.sha256()
    fields = model._meta.sorted_fields
    count = 0
    for row in _rows(model):
        count += 1
        digest.update("\x1f".join(_canonical(f, v) for f, v in zip(fields, row, strict=True)).encode())
        digest.update(b"\x1e")
    return count, digest.hexdigest()[:16]


def _pending(host: Host) -> list[str]:
    if not AppliedMigration.table_exists():
        return [f"{plugin}:{step.name}" for plugin, step in host.migrations()]
    done = {(m.plugin, m.name) for m in AppliedMigration.select()}
    return [f"{plugin}:{step.name}" for plugin, step in host.migrations() if (plugin, step.name) not in done]


def _non_empty(models: list[type[peewee.Model]]) -> list[str]:
    return [m._meta.table_name for m in models if m.table_exists() and m.select().limit(1).exists()]


def _where(db: peewee.Database) -> str:
    """The database's name; for SQLite the real path, so `./` or a symlink is the same file."""
    if isinstance(db, peewee.SqliteDatabase) and db.database != ":memory:":
        return os.path.realpath(db.database)
    return str(db.database)


def _open_target(url: str, source: peewee.Database) -> peewee.Database:
    try:
        target = open_database(url, connections=2)
    except (ValueError, TypeError) as exc:
        raise CopyRefused(f"--to: {exc}") from None
    if type(target) is type(source) and _where(target) == _where(source):
        raise CopyRefused("--to names the database the deployment already uses")
    try:
        target.connect()
    except peewee.PeeweeException as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CopyRefused(f"cannot reach the target {shown_url(url)}: {first}") from None
    target.close()
    return target


def _set_sequences(db: peewee.Database, models: list[type[peewee.Model]]) -> None:
    """PostgreSQL hands out ids from a sequence that copied rows did not move: set it past them."""
    if not isinstance(db, peewee.PostgresqlDatabase):
        return
    for model in models:
        key = model._meta.primary_key
        if isinstance(key, peewee.AutoField):
            table, column = model._meta.table_name, key.column_name
            db.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f'COALESCE(MAX("{column}"), 1), MAX("{column}") IS NOT NULL) FROM "{table}"'
            )


def copy(host: Host, url: str, replace: bool = False) -> list[TableReport]:
    """Copy this host's database into the one at `url`; the per-table reports (see the module)."""
    source = host.database
    models = tables(host)
    with bound(source), source.connection_context():
        pending = _pending(host)
    if pending:
        raise CopyRefused(
            f"the source has {len(pending)} pending migration(s) ({pending[0]}, …): "
            "run `release-host migrate` first"
        )
    target = _open_target(url, source)
    try:
        with bound(target), target.connection_context():
            found = _non_empty(models)
            if found and not replace:
                more = ", …" if len(found) > 5 else ""
                raise CopyRefused(
                    f"the target is not empty ({', '.join(found[:5])}{more} hold rows): "
                    "give --replace to delete what its tables hold"
                )
            if replace:
                cascade = isinstance(target, peewee.PostgresqlDatabase)  # SQLite has no CASCADE
                target.drop_tables(list(reversed(models)), safe=True, cascade=cascade)
        with bound(target):
            apply_migrations(host.migrations())  # the schema, as `migrate` builds it there
        with bound(target), target.connection_context(), target.atomic():
            for model in reversed(models):  # rows a migration seeded: the source's replace them
                model.delete().execute()
            for model in models:
                _copy_rows(source, model)
            _set_sequences(target, models)
        return [_compare(source, target, model) for model in models]
    finally:
        if isinstance(target, PooledDatabase):
            target.close_all()


def _copy_rows(source: peewee.Database, model: type[peewee.Model]) -> None:
    """Insert the source's rows (read in key order, a batch at a time) into the bound target."""
    fields = model._meta.sorted_fields
    query = _ordered(model).tuples()
    offset = 0
    while True:
        with bound(source), source.connection_context():
            batch = list(query.clone().limit(BATCH).offset(offset))
        if batch:
            model.insert_many(batch, fields=fields).execute()
        if len(batch) < BATCH:
            return
        offset += BATCH


def _compare(source: peewee.Database, target: peewee.Database, model: type[peewee.Model]) -> TableReport:
    with bound(source), source.connection_context():
        before = summary(model)
    with bound(target), target.connection_context():
        after = summary(model)
    return TableReport(model._meta.table_name, after[0], after[1], before == after)


def cmd_db_copy(host: Host, args: argparse.Namespace) -> int:
    try:
        reports = copy(host, args.to, replace=args.replace)
    except CopyRefused as exc:
        raise SystemExit(f"release-host: db copy: {exc}") from None
    width = max((len(r.table) for r in reports), default=5)
    for report in reports:
        state = "ok" if report.same else "DIFFERS"
        print(f"{report.table:<{width}}  {report.rows:>8} rows  {report.checksum}  {state}")
    bad = [r.table for r in reports if not r.same]
    if bad:
        print(f"release-host: db copy: the copy differs from the source in {', '.join(bad)}")
        return 1
    print(f"copied {sum(r.rows for r in reports)} rows in {len(reports)} tables to {shown_url(args.to)}")
    return 0


def register(subparsers: Any) -> None:
    """`release-host db copy` (the CLI's `db` group)."""
    group = subparsers.add_parser("db", help="database operations")
    actions = group.add_subparsers(dest="db_action", required=True)
    copy_cmd = actions.add_parser(
        "copy", help="copy this (stopped) deployment's database into an empty one, e.g. PostgreSQL"
    )
    copy_cmd.add_argument("--to", required=True, metavar="URL", help="target database, postgresql://…")
    copy_cmd.add_argument(
        "--replace", action="store_true", help="delete what the target's tables hold instead of refusing"
    )
    group.set_defaults(handler=cmd_db_copy, needs_database=False)
