"""Bulk seeding: many users, their tokens, and triggers that count the server's writes.

Rows go in with one `executemany` per batch on SQLite and `COPY … FROM STDIN` on PostgreSQL,
in big transactions, so a million tokens take a minute or two instead of hours of ORM inserts.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import peewee

from host import users

USER_PREFIX = "bench-user-"
VIEWER_ROLE = "bench-viewer"


def is_postgres(db: peewee.Database) -> bool:
    return isinstance(db, peewee.PostgresqlDatabase)


def _copy_value(value: Any) -> str:
    """One field in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = value.isoformat(" ") if isinstance(value, datetime) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def insert_rows(
    db: peewee.Database, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert rows in one statement stream inside the caller's transaction."""
    if not rows:
        return
    cursor = db.cursor()
    names = ", ".join(f'"{c}"' for c in columns)
    if is_postgres(db):
        buffer = io.StringIO("".join("\t".join(_copy_value(v) for v in row) + "\n" for row in rows))
        cursor.copy_expert(f'COPY "{table}" ({names}) FROM STDIN', buffer)
    else:
        marks = ", ".join("?" for _ in columns)
        cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)


def bulk_insert(
    db: peewee.Database,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    batch: int = 50_000,
) -> int:
    """Insert an iterable of rows, one transaction per `batch` rows."""
    pending: list[Sequence[Any]] = []
    done = 0
    for row in rows:
        pending.append(row)
        if len(pending) >= batch:
            with db.atomic():
                insert_rows(db, table, columns, pending)
            done += len(pending)
            pending = []
    if pending:
        with db.atomic():
            insert_rows(db, table, columns, pending)
        done += len(pending)
    return done


@contextmanager
def bulk_loading(db: peewee.Database) -> Iterator[None]:
    """SQLite: a 256 MiB page cache on this connection while loading, since a unique index of
    random digests touches a random page per row; the default comes back afterwards."""
    if is_postgres(db):
        yield
        return
    before = db.execute_sql("PRAGMA cache_size").fetchone()[0]
    db.execute_sql("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        db.execute_sql(f"PRAGMA cache_size = {int(before)}")


def seeded_user_ids(db: peewee.Database) -> list[int]:
    table = users.User._meta.table_name
    cursor = db.execute_sql(
        f'SELECT id FROM "{table}" WHERE username LIKE %s ORDER BY id'.replace("%s", db.param),
        (USER_PREFIX + "%",),
    )
    return [row[0] for row in cursor.fetchall()]


def ensure_users(db: peewee.Database, count: int, now: datetime, permission: str) -> list[int]:
    """At least `count` bench users, each holding `permission` through one shared role."""
    have = seeded_user_ids(db)
    if len(have) < count:
        columns = ["username", "source", "enabled", "password_hash", "display_name", "email", "created_at"]
        rows = (
            (f"{USER_PREFIX}{i:07d}", users.INTERNAL, True, None, f"Bench user {i}", "", now)
            for i in range(len(have), count)
        )
        bulk_insert(db, users.User._meta.table_name, columns, rows)
        role = users.ensure_role(VIEWER_ROLE, [permission], "Benchmark users")
        new = seeded_user_ids(db)[len(have) :]
        bulk_insert(db, users.UserRole._meta.table_name, ["user_id", "role_id"], ((u, role.id) for u in new))
        have = seeded_user_ids(db)
    return have[:count]


WRITE_LOG = "bench_writes"


FIRST_USE = "USE"


def install_write_counter(
    db: peewee.Database, tables: Sequence[str], split: dict[str, str] | None = None
) -> None:
    """Triggers appending one row to `bench_writes` (table, operation) per row the server inserts
    or updates in `tables`, so its writes are counted whatever process or connection makes them:
    the token table's UPDATEs are the last-used writes (which also carry the aggregated
    permission counts), the others what a refusal writes. `split` maps a table to a column: an
    UPDATE that leaves it unchanged is counted as `USE` (for the token table, keyed on
    `last_used_at`: the first use of a permission, written at once)."""
    split = split or {}
    if is_postgres(db):
        db.execute_sql(
            f"CREATE TABLE IF NOT EXISTS {WRITE_LOG} (id bigserial PRIMARY KEY, tbl text, op text)"
        )
        for table in tables:
            column = split.get(table)
            op = (
                f'CASE WHEN TG_OP = \'UPDATE\' AND NEW."{column}" IS NOT DISTINCT FROM OLD."{column}" '
                f"THEN '{FIRST_USE}' ELSE TG_OP END"
                if column
                else "TG_OP"
            )
            db.execute_sql(
                f'CREATE OR REPLACE FUNCTION "bench_count_{table}"() RETURNS trigger LANGUAGE plpgsql AS '
                f"$$ BEGIN INSERT INTO {WRITE_LOG} (tbl, op) VALUES (TG_TABLE_NAME, {op}); "
                "RETURN NULL; END $$"
            )
            db.execute_sql(f'DROP TRIGGER IF EXISTS bench_write ON "{table}"')
            db.execute_sql(
                f'CREATE TRIGGER bench_write AFTER INSERT OR UPDATE ON "{table}" '
                f'FOR EACH ROW EXECUTE FUNCTION "bench_count_{table}"()'
            )
        return
    db.execute_sql(f"CREATE TABLE IF NOT EXISTS {WRITE_LOG} (id INTEGER PRIMARY KEY, tbl TEXT, op TEXT)")
    for table in tables:
        column = split.get(table)
        for op in ("INSERT", "UPDATE"):
            if op == "UPDATE" and column:
                same = f'NEW."{column}" IS OLD."{column}"'
                for logged, when in ((op, f"NOT ({same})"), (FIRST_USE, same)):
                    db.execute_sql(
                        f'CREATE TRIGGER IF NOT EXISTS "bench_{logged.lower()}_{table}" AFTER UPDATE ON '
                        f'"{table}" WHEN {when} '
                        f"BEGIN INSERT INTO {WRITE_LOG} (tbl, op) VALUES ('{table}', '{logged}'); END"
                    )
                continue
            db.execute_sql(
                f'CREATE TRIGGER IF NOT EXISTS "bench_{op.lower()}_{table}" AFTER {op} ON "{table}" '
                f"BEGIN INSERT INTO {WRITE_LOG} (tbl, op) VALUES ('{table}', '{op}'); END"
            )


def writes_so_far(db: peewee.Database) -> dict[tuple[str, str], int]:
    """(table, operation) → rows written so far."""
    cursor = db.execute_sql(f"SELECT tbl, op, count(*) FROM {WRITE_LOG} GROUP BY tbl, op")
    return {(table, op): n for table, op, n in cursor.fetchall()}


def writes_between(before: dict[tuple[str, str], int], after: dict[tuple[str, str], int]) -> int:
    return sum(after.values()) - sum(before.values())


def analyze(db: peewee.Database) -> None:
    """Fresh planner statistics after a bulk load, as an operator's maintenance would give."""
    db.execute_sql("ANALYZE")
