"""What each token really used: every permission the host decided for it, allowed or denied,
with a count and the first and last time.

Kept in the token's row (`permission_use`, JSON `{"+release#view": [count, first, last]}`, `-`
for a denied permission), which the request's one lookup already reads, so knowing whether a
permission is new to the token costs no query. Writes are bounded per token, not per request:

- the first use of a permission (or first refusal) is written at once, so every worker, and a
  narrowing that follows, sees it; a compare-and-set on the column, so concurrent first uses
  from several workers all land;
- counts and last times after that are added up in the worker (`_Pending`) and written by the
  token's once-a-minute last-used update (`auth._touch`), in the same statement: no extra write.
  What a worker still holds when it stops is written at shutdown (`flush`).
"""

from __future__ import annotations

import json
import logging
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import peewee

from host import Actor, Host, iso
from plugins.pat_auth.models import PersonalAccessToken

log = logging.getLogger("release_host.pat_auth")

ALLOWED = "+"
DENIED = "-"
RAW = "pat_use"  # `Actor.extra` key: the row's `permission_use` as read by the lookup
SEEN = "pat_seen"  # `Actor.extra` key: the keys this request already counted
MAX_RETRIES = 5
_T = PersonalAccessToken


def key(permission: str, allowed: bool) -> str:
    return (ALLOWED if allowed else DENIED) + permission


def parse(raw: str | None) -> dict[str, list[Any]]:
    """The stored use; a value that is not what this module writes reads as no use."""
    if not raw:
        return {}
    try:
        found = json.loads(raw)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def dump(use: dict[str, list[Any]]) -> str:
    return json.dumps(use, separators=(",", ":"), sort_keys=True)


class _Pending:
    """Per worker and host: token id → key → [count, last] not yet written (`last` a datetime:
    formatted only when written, not on every request)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tokens: dict[int, dict[str, list[Any]]] = {}

    def add(self, token_id: int, name: str, count: int, last: datetime) -> None:
        with self.lock:
            entry = self.tokens.setdefault(token_id, {}).get(name)
            if entry is None:
                self.tokens[token_id][name] = [count, last]
            else:
                entry[0] += count
                if last > entry[1]:
                    entry[1] = last

    def take(self, token_id: int) -> dict[str, list[Any]]:
        with self.lock:
            return self.tokens.pop(token_id, {})

    def give_back(self, token_id: int, taken: dict[str, list[Any]]) -> None:
        for name, (count, last) in taken.items():
            self.add(token_id, name, count, last)

    def peek(self, token_id: int) -> dict[str, list[Any]]:
        with self.lock:
            return {name: list(entry) for name, entry in self.tokens.get(token_id, {}).items()}

    def token_ids(self) -> list[int]:
        with self.lock:
            return list(self.tokens)


_pending: weakref.WeakKeyDictionary[Host, _Pending] = weakref.WeakKeyDictionary()


def pending(host: Host) -> _Pending:
    found = _pending.get(host)
    if found is None:
        found = _pending.setdefault(host, _Pending())
    return found


def decided(host: Host, actor: Actor, permission: str, allowed: bool) -> None:
    """The `permission_decided` hook for a token: count the decision once per request. On every
    token request, so the usual case (a permission the token used before) is a substring test
    and a dictionary update, no formatting and no query."""
    if actor.credential_id is None:
        return
    name = (ALLOWED if allowed else DENIED) + permission
    extra = actor.extra
    seen = extra.get(SEEN)
    if seen is None:
        seen = extra[SEEN] = set()
    elif name in seen:
        return
    seen.add(name)
    token_id = int(actor.credential_id)
    now = host.now()
    if f'"{name}"' in (extra.get(RAW) or ""):
        pending(host).add(token_id, name, 1, now)
        return
    try:
        if not _first_use(token_id, name, iso(now) or ""):
            pending(host).add(token_id, name, 1, now)
    except peewee.DatabaseError as exc:  # a busy database must not fail the request
        log.warning("could not record a permission use of token %s: %s", token_id, type(exc).__name__)
        pending(host).add(token_id, name, 1, now)


def _same(raw: str | None) -> peewee.Expression:
    return _T.permission_use.is_null() if raw is None else (_T.permission_use == raw)


def _first_use(token_id: int, name: str, at: str) -> bool:
    """Write the first use now (compare-and-set, retried); False when another worker already
    wrote it (then this use is counted like any later one)."""
    for _ in range(MAX_RETRIES):
        raw = _T.select(_T.permission_use).where(_T.id == token_id).scalar()
        use = parse(raw)
        if name in use:
            return False
        use[name] = [1, at, at]
        if _T.update(permission_use=dump(use)).where((_T.id == token_id) & _same(raw)).execute():
            return True
    return False


def merge(stored: str | None, taken: dict[str, list[Any]]) -> str | None:
    """The stored use with this worker's counts added (None when there is nothing at all)."""
    if not taken:
        return stored
    use = parse(stored)
    for name, (count, instant) in taken.items():
        last = iso(instant) or ""
        entry = use.get(name)
        if entry is None or len(entry) != 3:
            use[name] = [count, last, last]
        else:
            entry[0] = int(entry[0]) + count
            entry[2] = max(str(entry[2]), last)
    return dump(use)


def flush(host: Host) -> int:
    """Write what this worker still holds (at shutdown, and in tests); how many tokens."""
    written = 0
    store = pending(host)
    token_ids = store.token_ids()
    if not token_ids:
        return 0
    with host.connection():
        for token_id in token_ids:
            taken = store.take(token_id)
            for _ in range(MAX_RETRIES):
                raw = _T.select(_T.permission_use).where(_T.id == token_id).scalar()
                query = _T.update(permission_use=merge(raw, taken)).where((_T.id == token_id) & _same(raw))
                if query.execute():
                    written += 1
                    break
    return written


@dataclass(frozen=True)
class Use:
    """One permission as a token used it."""

    permission: str
    granted: bool
    count: int
    first_at: str
    last_at: str


def stored_uses(raw: str | None, cutoff: str = "") -> list[Use]:
    """The uses in a stored value, granted first, most used first; only those last used at or
    after `cutoff` (an ISO instant), when given."""
    found = []
    for name, entry in parse(raw).items():
        if not isinstance(entry, list) or len(entry) != 3 or name[:1] not in (ALLOWED, DENIED):
            continue
        count, first, last = entry
        if str(last) >= cutoff:
            found.append(Use(name[1:], name[0] == ALLOWED, int(count), str(first), str(last)))
    return sorted(found, key=lambda u: (not u.granted, -u.count, u.permission))


def uses(host: Host, token: PersonalAccessToken, since: timedelta | None = None) -> list[Use]:
    """What the token used, with this worker's counts not written yet; only what was last used
    in `since`, when given."""
    cutoff = (iso(host.now() - since) or "") if since is not None else ""
    return stored_uses(merge(token.permission_use, pending(host).peek(token.id)), cutoff)


def used_permissions(host: Host, token: PersonalAccessToken, since: timedelta) -> list[str]:
    """The permissions granted to the token's requests in `since`, sorted."""
    return sorted({u.permission for u in uses(host, token, since) if u.granted})
