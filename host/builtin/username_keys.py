"""Migration m002: the `username_key` and `username_skeleton` columns of `host_users`, unique.

Rows made before the rule may collide (`admin` and `Admin`, or `аdmin` with a Cyrillic `а`).
None is lost: the oldest row of each colliding group keeps the key and skeleton; every later
one keeps its name, roles, tokens and history but is disabled with no key, so it cannot sign
in or use a token until an operator decides (`release-host users list` marks it). A row whose
old name breaks today's rule (a tab, mixed scripts) but collides with nobody keeps working.
"""

from __future__ import annotations

import logging

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from host.sessions import Session, end_user_sessions
from host.usernames import skeleton, username_key
from host.users import User

log = logging.getLogger("release_host")
TABLE = User._meta.table_name


def _add_columns(db: peewee.Database) -> None:
    have = {column.name for column in db.get_columns(TABLE)}
    migrator = SchemaMigrator.from_database(db)
    for field in (User.username_key, User.username_skeleton):
        if field.column_name not in have:  # a fresh database got them from m001's create_tables
            migrate(migrator.add_column(TABLE, field.column_name, field))


def _fill(db: peewee.Database) -> None:
    keys: set[str] = set()
    shapes: set[str] = set()
    pending = User.select(User.id, User.username).where(User.username_key.is_null()).order_by(User.id)
    for row in list(pending):
        key = username_key(row.username)
        shape = skeleton(row.username)
        if key in keys or shape in shapes:
            User.update(enabled=False).where(User.id == row.id).execute()
            if Session.table_exists():
                end_user_sessions(row.id)
            log.warning("user %r looks like an older user: disabled until an operator decides", row.username)
            continue
        keys.add(key)
        shapes.add(shape)
        User.update(username_key=key, username_skeleton=shape).where(User.id == row.id).execute()


def m002_username_keys(db: peewee.Database) -> None:
    _add_columns(db)
    _fill(db)
    User._schema.create_indexes(safe=True)  # type: ignore[attr-defined]  # peewee has no public name for it
