"""Limits on guessing: failed password and token attempts, counted in the database.

Counters live in one table, so every worker and every host on the same database sees the same
numbers. Two counters are kept per window: the client address as a whole, and the pair
address + account. The account alone is never limited, so nobody can lock a user out from
elsewhere. A check is a read (done before bcrypt or a token lookup); a failure is one upsert;
once over the limit nothing is written, so rows and writes are bounded per address and window.
Each worker also remembers, for a few seconds, the blocks it has read, and refuses those
addresses without any query. See docs/security.md.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import falcon
import peewee

from host.db import BaseModel, database, from_db, to_db
from host.logsafe import escape
from host.usernames import username_key

if TYPE_CHECKING:
    from host.app import Host

log = logging.getLogger("release_host.limits")

ADDRESS = ""  # the `account` of the row counting every failure of an address
RECHECK = timedelta(seconds=10)  # how long a worker trusts a block it read, without reading again
MAX_REMEMBERED = 10_000
MAX_ACCOUNT = 150


class FailedAttempts(BaseModel):
    """Failures of one client address (`account` empty) or one address + account, since
    `window_start`; a row whose window has passed counts as zero and is restarted by the next
    failure."""

    address = peewee.CharField(max_length=64)
    account = peewee.CharField(max_length=MAX_ACCOUNT, default=ADDRESS)
    failures = peewee.IntegerField()
    window_start = peewee.DateTimeField()

    class Meta:
        table_name = "host_failed_attempts"
        indexes = ((("address", "account"), True),)


MODELS = [FailedAttempts]


class TooManyAttempts(falcon.HTTPTooManyRequests):
    """429 with `Retry-After`; rendered as JSON under the API and as HTML on pages."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(title="Too Many Requests", description=message, retry_after=retry_after)
        self.message = message
        self.seconds = retry_after


@dataclass(frozen=True)
class Attempts:
    """What a check read: the failures so far of the address and of the pair (0 when none)."""

    address: str
    account: str | None
    address_failures: int = 0
    account_failures: int = 0


def client_address(host: Host, req: falcon.Request) -> str:
    """The client's IP: the connection's peer, or, when the peer is one of `[security]
    trusted_proxies`, the last address in `X-Forwarded-For` that is not such a proxy (the
    addresses before it were written by the client and prove nothing)."""
    peer = req.remote_addr or ""
    proxies = _proxies(host)
    if not proxies or not _among(peer, proxies):
        return peer
    forwarded = [a.strip() for a in (req.get_header("X-Forwarded-For") or "").split(",") if a.strip()]
    for candidate in reversed(forwarded):
        if not _among(candidate, proxies):
            return candidate if _ip(candidate) is not None else peer
    return forwarded[0] if forwarded else peer


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address in `value` without its zone (`fe80::1%eth0` is a link-local peer as the socket
    names it; the zone says which interface, not who), or None when it is no address."""
    try:
        return ipaddress.ip_address(value.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _among(value: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    ip = _ip(value)
    return ip is not None and any(ip in network for network in networks)


_proxy_networks: weakref.WeakKeyDictionary[Host, list] = weakref.WeakKeyDictionary()


def _proxies(host: Host) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    if host not in _proxy_networks:
        _proxy_networks[host] = [
            ipaddress.ip_network(p, strict=False) for p in host.config.security.trusted_proxies
        ]
    return _proxy_networks[host]


@functools.lru_cache(maxsize=4096)
def address_key(value: str | None) -> str:
    """The counted address: IPv4 as is, IPv6 by its /64 (one customer's usual allocation), a
    string that is no address (a Unix socket's peer) as itself, escaped and cut to the column."""
    ip = _ip(value or "")
    if ip is None:
        return escape(value or "unknown")[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def account_key(username: str) -> str:
    """`Admin` and `admin` are one counter, as they are one user: the username key, cut to size."""
    return username_key(username)[:MAX_ACCOUNT]


def _window(host: Host) -> timedelta:
    return timedelta(minutes=host.config.security.failure_window_minutes)


def _limit(host: Host, account: str) -> int:
    security = host.config.security
    return security.failures_per_address if account == ADDRESS else security.failures_per_account


def _message(account: str, wait: timedelta) -> str:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    whom = "for this account from your address" if account != ADDRESS else "from your address"
    return (
        f"Too many failed sign-in attempts {whom}. Try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}."
    )


def _too_many(account: str, wait: timedelta) -> TooManyAttempts:
    return TooManyAttempts(_message(account, wait), max(1, math.ceil(wait.total_seconds())))


class _Remembered:
    """The blocks one worker read, per host (tests build several in one process): (address,
    account) → (blocked until, read at); all forgotten once the newest is `RECHECK` old."""

    def __init__(self) -> None:
        self.blocks: dict[tuple[str, str], tuple[datetime, datetime]] = {}
        self.fresh_until: datetime | None = None

    def add(self, key: tuple[str, str], until: datetime, now: datetime) -> None:
        if len(self.blocks) >= MAX_REMEMBERED:
            self.blocks.clear()
        self.blocks[key] = (until, now)
        self.fresh_until = now + RECHECK

    def refuse(self, address: str, keys: list[str], now: datetime) -> None:
        """Raise for a block of one of these keys read less than `RECHECK` ago."""
        if not self.blocks:
            return
        if self.fresh_until is None or now >= self.fresh_until:
            self.blocks.clear()
            return
        for key in keys:
            until, read_at = self.blocks.get((address, key), (now, now))
            if until > now and now - read_at < RECHECK:
                raise _too_many(key, until - now)


_remembered: weakref.WeakKeyDictionary[Host, _Remembered] = weakref.WeakKeyDictionary()
_last_purge: weakref.WeakKeyDictionary[Host, datetime] = weakref.WeakKeyDictionary()


def _blocks(host: Host) -> _Remembered:
    found = _remembered.get(host)
    if found is None:
        found = _remembered[host] = _Remembered()
    return found


def check(host: Host, address: str, account: str | None = None) -> Attempts:
    """Raise `TooManyAttempts` when the address, or the pair, is over its limit: a block this
    worker read in the last `RECHECK` without a query, else one indexed read."""
    now = host.now()
    keys = [ADDRESS] if account is None else [ADDRESS, account]
    _blocks(host).refuse(address, keys, now)
    cutoff = now - _window(host)
    counts = dict.fromkeys(keys, 0)
    query = FailedAttempts.select(
        FailedAttempts.account, FailedAttempts.failures, FailedAttempts.window_start
    ).where((FailedAttempts.address == address) & FailedAttempts.account.in_(keys))
    rows = cast("Iterable[tuple[str, int, datetime]]", query.tuples())  # peewee's stubs type it as a query
    for key, failures, start in rows:
        start = from_db(start)
        if start <= cutoff:
            continue
        counts[key] = failures
        if failures >= _limit(host, key):
            _blocks(host).add((address, key), start + _window(host), now)
            raise _too_many(key, start + _window(host) - now)
    return Attempts(address, account, counts[ADDRESS], counts[account] if account is not None else 0)


def record_failure(host: Host, seen: Attempts) -> None:
    """After a wrong credential: count it toward the limits `check_attempts` read. One upsert
    for the address and the pair; the worker that brings a counter to its limit remembers the
    block at once."""
    now = host.now()
    keys = [ADDRESS] if seen.account is None else [ADDRESS, seen.account]
    expired = FailedAttempts.window_start <= to_db(now - _window(host))
    query = (
        FailedAttempts.insert_many(
            [{"address": seen.address, "account": k, "failures": 1, "window_start": to_db(now)} for k in keys]
        )
        .on_conflict(
            conflict_target=[FailedAttempts.address, FailedAttempts.account],
            update={
                FailedAttempts.failures: peewee.Case(None, [(expired, 1)], FailedAttempts.failures + 1),
                FailedAttempts.window_start: peewee.Case(
                    None, [(expired, to_db(now))], FailedAttempts.window_start
                ),
            },
        )
        .returning(FailedAttempts.account, FailedAttempts.failures, FailedAttempts.window_start)
    )
    for key, failures, start in database.execute_sql(*query.sql()).fetchall():
        if failures < _limit(host, key):
            continue
        _blocks(host).add((seen.address, key), from_db(start) + _window(host), now)
        if failures == _limit(host, key):
            log.warning(
                "client address %s blocked for %d minutes after %d failed attempts%s",
                seen.address,
                host.config.security.failure_window_minutes,
                failures,
                " for one account" if key != ADDRESS else "",
            )
    _purge(host)


def check_attempts(host: Host, req: falcon.Request, account: str | None = None) -> Attempts:
    """Before checking a credential: 429 (`TooManyAttempts`) when the client's address, or the
    address + `account` (a username as typed), has failed too often. Pass what it returns to
    `record_failure` when the credential turns out wrong."""
    account = None if account is None else account_key(account)
    return check(host, address_key(client_address(host, req)), account)


def check_known_block(host: Host, req: falcon.Request) -> None:
    """429 when this worker read, in the last few seconds, that the client's address is blocked;
    no query (and next to nothing when no block is known), for a check that costs no more than
    the read of `check_attempts` would (a token lookup)."""
    remembered = _remembered.get(host)
    if remembered is not None and remembered.blocks:
        remembered.refuse(address_key(client_address(host, req)), [ADDRESS], host.now())


def forget(host: Host, address: str, account: str) -> None:
    """A successful login clears its pair's counter (never the address's)."""
    FailedAttempts.delete().where(
        (FailedAttempts.address == address) & (FailedAttempts.account == account)
    ).execute()


def _purge(host: Host) -> None:
    """Delete rows whose window has passed, at most once a window per worker: bounded by time."""
    now = host.now()
    if now - _last_purge.get(host, now - _window(host)) < _window(host):
        return
    _last_purge[host] = now
    FailedAttempts.delete().where(FailedAttempts.window_start <= to_db(now - _window(host))).execute()


def current(host: Host) -> list[dict[str, Any]]:
    """Counters still in their window, blocked ones first (for `release-host security blocks`)."""
    now = host.now()
    rows: list[dict[str, Any]] = []
    query = FailedAttempts.select().where(FailedAttempts.window_start > to_db(now - _window(host)))
    for row in query.order_by(FailedAttempts.address, FailedAttempts.account):
        until = from_db(row.window_start) + _window(host)
        rows.append(
            {
                "address": row.address,
                "account": row.account or None,
                "failures": row.failures,
                "limit": _limit(host, row.account),
                "blocked": row.failures >= _limit(host, row.account),
                "until": until,
            }
        )
    return sorted(rows, key=lambda r: (not r["blocked"], r["address"], r["account"] or ""))


def clear(host: Host, address: str) -> int:
    """Delete every counter of this address (as `address_key` counts it); return how many."""
    deleted = FailedAttempts.delete().where(FailedAttempts.address == address_key(address)).execute()
    _blocks(host).blocks.clear()
    return int(deleted)
