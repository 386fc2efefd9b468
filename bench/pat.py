"""pat_auth's side of the benchmark: its token format and table, used directly for bulk seeding.

Importing pat_auth internals is fine here because bench is tooling, not a plugin; the tokens
are made by pat_auth's own `new_token()` and digested with `host.secrets.digest(token, "pat")`,
exactly as the plugin stores them.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from host import to_db
from plugins.pat_auth import tokens
from plugins.pat_auth.models import PatTokenAddress, PersonalAccessToken

TABLE = PersonalAccessToken._meta.table_name
ADDRESS_TABLE = PatTokenAddress._meta.table_name
COLUMNS = ["user_id", "name", "digest", "hint", "scope", "created_at", "expires_at"]
TOKENS_PER_USER = 20
_RANDOM_VALUES = len(tokens.BASE62) ** tokens.RANDOM_LENGTH


def new_token() -> str:
    """pat_auth's own `new_token()`: what the server hands out."""
    return tokens.new_token()


def bulk_token() -> str:
    """A token in exactly pat_auth's format, made ten times faster for bulk seeding.

    `tokens.new_token()` draws each of its 34 characters with `secrets.choice`, one `getrandom`
    system call each (~80 µs a token, most of a million-token seeding). One `secrets.randbelow`
    over all 62**34 values, written with pat_auth's own `base62` and `checksum`, has the same
    uniform distribution for one call (~8 µs)."""
    random_part = tokens.base62(secrets.randbelow(_RANDOM_VALUES), tokens.RANDOM_LENGTH)
    return tokens.PREFIX + random_part + tokens.checksum(random_part)


def row(host: Any, user_id: int, name: str, token: str, now: datetime, expires_at: datetime | None) -> tuple:
    return (
        user_id,
        name,
        host.secrets.digest(token, tokens.DIGEST_PURPOSE),
        tokens.hint(token),
        None,
        to_db(now),
        to_db(expires_at),
    )


def mark_deleted(host: Any, token: str, when: datetime) -> None:
    """Delete the token as pat_auth does: `deleted_at` set, the row kept."""
    host.database.execute_sql(
        f'UPDATE "{TABLE}" SET deleted_at = {host.database.param} WHERE digest = {host.database.param}',
        (to_db(when), host.secrets.digest(token, tokens.DIGEST_PURPOSE)),
    )


def count(db: Any) -> int:
    return db.execute_sql(f'SELECT count(*) FROM "{TABLE}"').fetchone()[0]


def seeded_rows(
    host: Any, user_ids: list[int], start: int, stop: int, now: datetime, sample: list[str], keep: int
) -> Iterator[tuple]:
    """Rows for tokens number `start`..`stop-1`, spread over `user_ids` round-robin; a reservoir
    of `keep` plaintexts (over every token made so far) is kept in `sample` to call with later."""
    rng = random.Random(start)
    if tokens.shape(bulk_token()) is not tokens.Shape.OK:
        raise RuntimeError("bench.pat.bulk_token no longer matches pat_auth's token format")
    for i in range(start, stop):
        token = bulk_token()
        user_id = user_ids[i % len(user_ids)]
        expires = None if i % 5 == 0 else now + timedelta(days=365)
        if len(sample) < keep:
            sample.append(token)
        else:
            slot = rng.randrange(i + 1)
            if slot < keep:
                sample[slot] = token
        yield row(host, user_id, f"bench token {i}", token, now, expires)


def bad_checksum(token: str) -> str:
    """The same token with one character of its random part changed: the checksum no longer fits."""
    position = len(tokens.PREFIX) + 3
    replacement = "A" if token[position] != "A" else "B"
    return token[:position] + replacement + token[position + 1 :]


def malformed() -> str:
    return tokens.PREFIX + "not-a-token"
